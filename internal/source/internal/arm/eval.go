package arm

import (
	"errors"
	"fmt"
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
	if c.f.ev.values != nil {
		if v, ok := c.f.ev.values[n]; ok {
			return v, nil
		}
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
			key, err := c.evalKey(m, report)
			if err != nil {
				return resource.Unknown{Expr: m.Key}, err
			}
			if u, ok := key.(resource.Unknown); ok {
				// An object whose property names are unknown is unknown.
				return resource.Unknown{Expr: "an object with the property " + u.Expr}, nil
			}
			v, err := c.evalNode(m.Value, report)
			if err != nil && firstErr == nil {
				firstErr = err
			}
			out[key.(string)] = v
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

// evalKey evaluates an object's property name: Azure Resource Manager
// evaluates a name that is an expression ("[parameters('id')]": {}, as
// Bicep writes '${uami.id}': {}), and unescapes "[[". The result is a
// string or a resource.Unknown.
func (c *evalCtx) evalKey(m jsonpos.Member, report bool) (any, error) {
	if !armexpr.IsExpression(m.Key) {
		return armexpr.Unescape(m.Key), nil
	}
	ent, ok := c.f.ev.keys[m.Key]
	if !ok {
		e, err := armexpr.Parse(m.Key)
		ent = exprEntry{expr: e, err: err}
		c.f.ev.keys[m.Key] = ent
	}
	err := ent.err
	var v any
	if err == nil {
		v, err = ent.expr.Eval(c.env)
	}
	if err == nil {
		switch x := v.(type) {
		case string, resource.Unknown:
			return x, nil
		}
		err = fmt.Errorf("a property name must be a string, not %s", armexpr.TypeName(v))
	}
	c.report(report, keyError(c.file, m, err))
	return nil, err
}

// keyError places an error in a property name expression.
func keyError(file string, m jsonpos.Member, err error) *resource.InputError {
	p := pos(file, m.KeyPos)
	var ae *armexpr.Error
	if errors.As(err, &ae) {
		p.Col += 1 + ae.Offset
		return &resource.InputError{Pos: p, Msg: ae.Msg, Err: err}
	}
	return &resource.InputError{Pos: p, Msg: err.Error(), Err: err}
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
	if !c.names && armexpr.ContainsUnknown(v) && strings.Contains(strings.ToLower(s), "reference(") {
		v = c.referenceByName(ent.expr, v)
	}
	return v, nil
}

// referenceByName evaluates again, with the placeholders names and IDs
// are built from, an expression whose value is unknown and that reads a
// deployment's outputs: reference(resourceId('Microsoft.Resources/
// deployments', format('apim-{0}', parameters('name')))) names a nested
// deployment of this template even when the parameter has no value, and
// that deployment's outputs may well be known. The second value is kept
// only when it is fully known and holds no placeholder, so that a value
// built from the unknown parameter itself stays unknown.
func (c *evalCtx) referenceByName(e armexpr.Expr, v any) any {
	nc := *c
	nc.names = true
	nc.env = nc.buildEnv()
	nc.env.Placeholders = false
	alt, err := e.Eval(nc.env)
	if err != nil || armexpr.ContainsUnknown(alt) || holdsPlaceholder(alt) {
		return v
	}
	return alt
}

// holdsPlaceholder reports whether a names-mode value holds the
// placeholder of a parameter without a value.
func holdsPlaceholder(v any) bool {
	switch x := v.(type) {
	case string:
		return strings.Contains(x, "[parameters('")
	case []any:
		for _, e := range x {
			if holdsPlaceholder(e) {
				return true
			}
		}
	case map[string]any:
		for k, e := range x {
			if strings.Contains(k, "[parameters('") || holdsPlaceholder(e) {
				return true
			}
		}
	}
	return false
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
	count, unknown, ok := c.copyCount(entry, loop)
	if !ok || unknown != nil {
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
// false when the count is not an integer of zero or more; unknown is set
// (with ok) when it cannot be known before deployment.
func (c *evalCtx) copyCount(entry *jsonpos.Node, loop string) (n int, unknown *resource.Unknown, ok bool) {
	cn := entry.GetFold("count")
	if cn == nil {
		c.problem(resource.Errorf(pos(c.file, entry.Start), "copy %q has no count", loop))
		return 0, nil, false
	}
	v := c.eval(cn)
	if u, isUnknown := v.(resource.Unknown); isUnknown {
		return 0, &u, true
	}
	var count int64
	switch x := v.(type) {
	case int64:
		count = x
	case float64:
		count = int64(x)
	default:
		c.problem(resource.Errorf(pos(c.file, cn.Start), "the count of copy %q must be an integer, not %s", loop, armexpr.TypeName(v)))
		return 0, nil, false
	}
	if count < 0 {
		c.problem(resource.Errorf(pos(c.file, cn.Start), "the count of copy %q is negative (%d)", loop, count))
		return 0, nil, false
	}
	if count > MaxCopyCount {
		c.problem(resource.Errorf(pos(c.file, cn.Start), "the count of copy %q is %d, above Azure's limit of %d; only the first %d are evaluated", loop, count, MaxCopyCount, MaxCopyCount))
		count = MaxCopyCount
	}
	return int(count), nil, true
}
