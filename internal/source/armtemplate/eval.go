package armtemplate

import (
	"errors"
	"strings"

	"github.com/kvguard/kvguard/internal/armexpr"
	"github.com/kvguard/kvguard/internal/jsonpos"
	"github.com/kvguard/kvguard/internal/resource"
)

// eval evaluates a template value: expressions in strings, property copy
// loops in objects. An expression that fails is reported at its position
// and becomes unknown, so that the rest of the template is still read.
func (c *evalCtx) eval(n *jsonpos.Node) any {
	// Name-mode evaluations repeat one already reported; placeholders
	// may make them fail where the real evaluation did not.
	v, _ := c.evalNode(n, !c.names)
	return v
}

// evalQuiet evaluates without reporting errors (a second, name-mode
// evaluation of something already reported).
func (c *evalCtx) evalQuiet(n *jsonpos.Node) any {
	v, _ := c.evalNode(n, false)
	return v
}

// evalStrict evaluates and returns the first error instead of reporting
// it (user function bodies: the caller reports it at the call).
func (c *evalCtx) evalStrict(n *jsonpos.Node) (any, error) {
	return c.evalNode(n, false)
}

func (c *evalCtx) evalNode(n *jsonpos.Node, report bool) (any, error) {
	if n == nil {
		return nil, nil
	}
	switch n.Kind {
	case jsonpos.String:
		return c.evalString(n, report)
	case jsonpos.Object:
		out := make(map[string]any, len(n.Members))
		var firstErr error
		for _, m := range n.Members {
			if strings.EqualFold(m.Key, "copy") && m.Value.Kind == jsonpos.Array {
				for _, entry := range m.Value.Items {
					name := entry.GetFold("name")
					if name == nil || name.Kind != jsonpos.String {
						c.report(report, resource.Errorf(pos(c.file, entry.Start), "a property copy needs a name"))
						continue
					}
					out[name.Str] = c.evalCopyArray(entry)
				}
				continue
			}
			v, err := c.evalNode(m.Value, report)
			if err != nil && firstErr == nil {
				firstErr = err
			}
			out[m.Key] = v
		}
		return out, firstErr
	case jsonpos.Array:
		out := make([]any, len(n.Items))
		var firstErr error
		for i, it := range n.Items {
			v, err := c.evalNode(it, report)
			if err != nil && firstErr == nil {
				firstErr = err
			}
			out[i] = v
		}
		return out, firstErr
	}
	return n.Interface(), nil
}

func (c *evalCtx) report(report bool, e *resource.InputError) {
	if report {
		c.f.ev.addErr(e)
	}
}

func (c *evalCtx) evalString(n *jsonpos.Node, report bool) (any, error) {
	s := n.Str
	if !armexpr.IsExpression(s) {
		return armexpr.Unescape(s), nil
	}
	ent, ok := c.f.ev.exprs[n]
	if !ok {
		e, err := armexpr.Parse(s)
		ent = exprEntry{expr: e, err: err}
		c.f.ev.exprs[n] = ent
	}
	if ent.err != nil {
		c.report(report, exprError(c.file, n, ent.err))
		return resource.Unknown{Expr: strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")}, ent.err
	}
	v, err := ent.expr.Eval(c.env)
	if err != nil {
		c.report(report, exprError(c.file, n, err))
		return resource.Unknown{Expr: strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")}, err
	}
	return v, nil
}

// exprError places an expression's error in the file: the string's
// position plus the column within the expression.
func exprError(file string, n *jsonpos.Node, err error) *resource.InputError {
	p := pos(file, n.Start)
	var ae *armexpr.Error
	if errors.As(err, &ae) {
		p.Col += 1 + ae.Offset
		return &resource.InputError{Pos: p, Msg: ae.Msg, Err: err}
	}
	return &resource.InputError{Pos: p, Msg: err.Error(), Err: err}
}

// evalCopyArray evaluates a {name, count, input} copy entry into an array.
func (c *evalCtx) evalCopyArray(entry *jsonpos.Node) any {
	name := entry.GetFold("name")
	loop := ""
	if name != nil && name.Kind == jsonpos.String {
		loop = name.Str
	}
	count, ok := c.copyCount(entry, loop)
	if !ok {
		return resource.Unknown{Expr: "copy " + loop}
	}
	input := entry.GetFold("input")
	if input == nil {
		c.problem(resource.Errorf(pos(c.file, entry.Start), "copy %q has no input", loop))
		return resource.Unknown{Expr: "copy " + loop}
	}
	out := make([]any, count)
	for i := range out {
		if !c.f.ev.iterate(pos(c.file, entry.Start)) {
			return resource.Unknown{Expr: "copy " + loop}
		}
		out[i] = c.with(c.loops.push(loop, i, false)).eval(input)
	}
	return out
}

// maxIterations bounds the copy-loop iterations (resource, property,
// variable and output copies together) of one template file: copies of
// copies of copies would otherwise expand without end.
const maxIterations = 2_000_000

// iterate counts one copy iteration; false means the budget is spent (and
// reading stops, with an error at p).
func (ev *evaluator) iterate(p resource.Position) bool {
	ev.iters++
	if ev.iters > maxIterations {
		if !ev.stop {
			ev.addErr(resource.Errorf(p, "the template expands to more than %d copy iterations; the rest is not read", maxIterations))
			ev.stop = true
		}
		return false
	}
	return !ev.stop
}

// copyCount evaluates a copy loop's count, capped at MaxCopyCount. ok is
// false when the count cannot be known.
func (c *evalCtx) copyCount(entry *jsonpos.Node, loop string) (int, bool) {
	cn := entry.GetFold("count")
	if cn == nil {
		c.problem(resource.Errorf(pos(c.file, entry.Start), "copy %q has no count", loop))
		return 0, false
	}
	v := c.eval(cn)
	if resource.IsUnknown(v) {
		c.problem(resource.Warnf(pos(c.file, cn.Start), "the count of copy %q is unknown (%s); its iterations are not evaluated", loop, v.(resource.Unknown).Expr))
		return 0, false
	}
	var n int64
	switch x := v.(type) {
	case int64:
		n = x
	case float64:
		n = int64(x)
	default:
		c.problem(resource.Errorf(pos(c.file, cn.Start), "the count of copy %q must be an integer, not %s", loop, armexpr.TypeName(v)))
		return 0, false
	}
	if n < 0 {
		c.problem(resource.Errorf(pos(c.file, cn.Start), "the count of copy %q is negative (%d)", loop, n))
		return 0, false
	}
	if n > MaxCopyCount {
		c.problem(resource.Errorf(pos(c.file, cn.Start), "the count of copy %q is %d, above Azure's limit of %d; only the first %d are evaluated", loop, n, MaxCopyCount, MaxCopyCount))
		n = MaxCopyCount
	}
	return int(n), true
}
