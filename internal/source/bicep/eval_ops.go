package bicep

import (
	"fmt"
	"strings"

	"github.com/kvguard/kvguard/internal/armexpr"
	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/source/bicep/syntax"
)

// The evaluation of literals, loops and operators, each the way the
// compiler lowers it to template functions (interpolation to format(),
// == to equals(), ?? to coalesce(), ...), so that values come out as the
// ARM template reader computes them from the compiled template.

// formatBraces escapes a literal part of an interpolated string for
// format(); built once, since building a Replacer costs more than using it.
var formatBraces = strings.NewReplacer("{", "{{", "}", "}}")

func (fe *fileEval) evalString(s *syntax.StringExpr, sc *locals) (any, error) {
	if len(s.Exprs) == 0 {
		return s.Parts[0], nil
	}
	// The compiler emits format('a{0}b', x): build the same call so that
	// values render exactly as ARM renders them (True, 1, JSON).
	var f strings.Builder
	args := make([]any, 1, len(s.Exprs)+1)
	for i, part := range s.Parts {
		f.WriteString(formatBraces.Replace(part))
		if i < len(s.Exprs) {
			v, err := fe.eval(s.Exprs[i], sc)
			if err != nil {
				return nil, err
			}
			fmt.Fprintf(&f, "{%d}", i)
			args = append(args, fe.plain(v, s.Exprs[i]))
		}
	}
	args[0] = f.String()
	return fe.callBuiltin(s, "format", args...)
}

func (fe *fileEval) evalArray(a *syntax.ArrayExpr, sc *locals) (any, error) {
	out := make([]any, 0, len(a.Items))
	for _, it := range a.Items {
		v, err := fe.member(it.Value, sc)
		if err != nil {
			return nil, err
		}
		if !it.Spread {
			out = append(out, v)
			continue
		}
		switch sv := v.(type) {
		case []any:
			out = append(out, sv...)
		case resource.Unknown:
			return fe.unknownAt(a), nil
		default:
			return nil, &evalError{pos: it.Pos(), msg: fmt.Sprintf("cannot spread a value of type %s into an array", armexpr.TypeName(v))}
		}
	}
	return out, nil
}

func (fe *fileEval) evalObject(o *syntax.ObjectExpr, sc *locals) (any, error) {
	out := make(map[string]any, len(o.Items))
	for _, it := range o.Items {
		p, ok := it.(*syntax.ObjectProp)
		if !ok {
			continue // a nested resource declaration
		}
		v, err := fe.member(p.Value, sc)
		if err != nil {
			return nil, err
		}
		if p.Spread {
			switch sv := v.(type) {
			case map[string]any:
				for k, e := range sv {
					out[k] = e
				}
			case nil:
			case resource.Unknown:
				return fe.unknownAt(o), nil
			default:
				return nil, &evalError{pos: p.Pos(), msg: fmt.Sprintf("cannot spread a value of type %s into an object", armexpr.TypeName(v))}
			}
			continue
		}
		key, err := fe.key(p, sc)
		if err != nil {
			return nil, err
		}
		if key == nil {
			return fe.unknownAt(o), nil
		}
		out[*key] = v
	}
	return out, nil
}

// key evaluates a property key; nil means it is unknown.
func (fe *fileEval) key(p *syntax.ObjectProp, sc *locals) (*string, error) {
	if k, ok := p.KeyName(); ok {
		return &k, nil
	}
	kv, err := fe.eval(p.Key, sc)
	if err != nil {
		return nil, err
	}
	switch k := kv.(type) {
	case string:
		return &k, nil
	case resource.Unknown:
		return nil, nil
	}
	return nil, &evalError{pos: p.Key.Pos(), msg: "a property name must be a string"}
}

// iterate evaluates a loop's collection: the elements to bind, or ok=false
// when the collection is unknown.
func (fe *fileEval) iterate(f *syntax.ForExpr, sc *locals) (items []any, ok bool, err error) {
	v, err := fe.eval(f.Iter, sc)
	if err != nil {
		return nil, false, err
	}
	switch c := v.(type) {
	case []any:
		if len(c) > maxLoop {
			return nil, false, fe.errorf(f.Iter.Pos(), "loop over %d elements: more than the %d a deployment allows; the loop was not evaluated", len(c), maxLoop)
		}
		return c, true, nil
	case resource.Unknown:
		return nil, false, nil
	}
	return nil, false, &evalError{pos: f.Iter.Pos(), msg: fmt.Sprintf("a loop needs an array, not %s (use items() to loop over an object)", armexpr.TypeName(v))}
}

// loopScope binds a loop's item (and index) names.
func loopScope(f *syntax.ForExpr, sc *locals, item any, i int) *locals {
	sc = sc.bind(f.Item.Name, item)
	if f.Index != nil {
		sc = sc.bind(f.Index.Name, int64(i))
	}
	return sc
}

// placeholderScope binds a loop's names for the placeholder copy of a
// loop over an unknown collection: the item and index are unknown, named
// as the compiled template names them (items[copyIndex('sym')]), so that
// the names of two such loops stay apart.
func (fe *fileEval) placeholderScope(f *syntax.ForExpr, sc *locals, sym string) *locals {
	idx := resource.Unknown{Expr: "copyIndex('" + sym + "')"}
	sc = sc.bind(f.Item.Name, resource.Unknown{Expr: fe.text(f.Iter) + "[" + idx.Expr + "]"})
	if f.Index != nil {
		sc = sc.bind(f.Index.Name, idx)
	}
	return sc
}

func (fe *fileEval) evalFor(f *syntax.ForExpr, sc *locals) (any, error) {
	items, ok, err := fe.iterate(f, sc)
	if err != nil {
		return nil, err
	}
	if !ok {
		return fe.unknownAt(f), nil
	}
	out := make([]any, 0, len(items))
	for i, item := range items {
		inner := loopScope(f, sc, item, i)
		body := f.Body
		if c, ok := body.(*syntax.IfExpr); ok {
			keep, err := fe.eval(c.Cond, inner)
			if err != nil {
				return nil, err
			}
			switch k := keep.(type) {
			case bool:
				if !k {
					continue
				}
			case resource.Unknown:
				return fe.unknownAt(f), nil
			}
			body = c.Body
		}
		v, err := fe.value(body, inner)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func (fe *fileEval) evalUnary(u *syntax.UnaryExpr, sc *locals) (any, error) {
	if lit, ok := u.X.(*syntax.IntLit); ok && u.Op == syntax.TokMinus {
		return -lit.Value, nil
	}
	x, err := fe.value(u.X, sc)
	if err != nil {
		return nil, err
	}
	switch u.Op {
	case syntax.TokBang:
		return fe.callBuiltin(u, "not", x)
	case syntax.TokMinus:
		return fe.callBuiltin(u, "sub", int64(0), x)
	}
	return x, nil
}

// binaryFuncs maps operators to the template functions the compiler emits.
var binaryFuncs = map[syntax.TokenKind]string{
	syntax.TokPlus: "add", syntax.TokMinus: "sub", syntax.TokStar: "mul", syntax.TokSlash: "div", syntax.TokPercent: "mod",
	syntax.TokLt: "less", syntax.TokLe: "lessOrEquals", syntax.TokGt: "greater", syntax.TokGe: "greaterOrEquals",
	syntax.TokEq: "equals", syntax.TokNotEq: "equals", syntax.TokEqI: "equals", syntax.TokNotEqI: "equals",
}

func (fe *fileEval) evalBinary(b *syntax.BinaryExpr, sc *locals) (any, error) {
	switch b.Op {
	case syntax.TokAnd, syntax.TokOr:
		return fe.evalLogic(b, sc)
	case syntax.TokDoubleQuestion:
		return fe.evalCoalesce(b, sc)
	}
	x, err := fe.value(b.X, sc)
	if err != nil {
		return nil, err
	}
	y, err := fe.value(b.Y, sc)
	if err != nil {
		return nil, err
	}
	if b.Op == syntax.TokEqI || b.Op == syntax.TokNotEqI {
		if x, err = fe.callBuiltin(b.X, "toLower", x); err != nil {
			return nil, err
		}
		if y, err = fe.callBuiltin(b.Y, "toLower", y); err != nil {
			return nil, err
		}
	}
	v, err := fe.callBuiltin(b, binaryFuncs[b.Op], x, y)
	if err != nil || (b.Op != syntax.TokNotEq && b.Op != syntax.TokNotEqI) {
		return v, err
	}
	return fe.callBuiltin(b, "not", v)
}

// evalLogic is && and ||, with and()/or()'s rules: stop at the first
// operand that decides; an unknown operand that does not decide makes the
// result unknown.
func (fe *fileEval) evalLogic(b *syntax.BinaryExpr, sc *locals) (any, error) {
	isAnd := b.Op == syntax.TokAnd
	var vals []any
	unknown := false
	for _, operand := range []syntax.Expr{b.X, b.Y} {
		v, err := fe.value(operand, sc)
		if err != nil {
			return nil, err
		}
		switch x := v.(type) {
		case bool:
			if x != isAnd {
				return x, nil
			}
		case resource.Unknown:
			unknown = true
		default:
			return nil, &evalError{pos: operand.Pos(), msg: fmt.Sprintf("'%s' needs booleans, not %s", b.Op, armexpr.TypeName(v))}
		}
		vals = append(vals, v)
	}
	if unknown {
		// and()/or() judge an unknown with few values under each.
		name := "or"
		if isAnd {
			name = "and"
		}
		return fe.callBuiltin(b, name, vals...)
	}
	return isAnd, nil
}

// evalCoalesce is a ?? b, as coalesce(a, b): an unknown operand before the
// first known non-null one makes the result unknown.
func (fe *fileEval) evalCoalesce(b *syntax.BinaryExpr, sc *locals) (any, error) {
	for _, operand := range []syntax.Expr{b.X, b.Y} {
		v, err := fe.value(operand, sc)
		if err != nil {
			return nil, err
		}
		if resource.IsUnknown(v) {
			return fe.unknownAt(b), nil
		}
		if v != nil {
			return v, nil
		}
	}
	return nil, nil
}

// evalTernary is c ? a : b, as if(c, a, b): an unknown condition gives the
// common value of both branches, or an unknown.
func (fe *fileEval) evalTernary(t *syntax.TernaryExpr, sc *locals) (any, error) {
	c, err := fe.value(t.Cond, sc)
	if err != nil {
		return nil, err
	}
	switch cv := c.(type) {
	case bool:
		if cv {
			return fe.eval(t.Then, sc)
		}
		return fe.eval(t.Else, sc)
	case resource.Unknown:
		a, errA := fe.value(t.Then, sc)
		b, errB := fe.value(t.Else, sc)
		if errA != nil || errB != nil {
			return fe.unknownAt(t), nil //nolint:nilerr // an unknown condition with a failing branch yields an unknown, not an error
		}
		// As the compiled if(cond, a, b): the branch the condition's
		// choices select, or one of both when both are known.
		v, err := fe.callBuiltin(t, "if", cv, a, b)
		if err != nil {
			return fe.unknownAt(t), nil //nolint:nilerr // if() over an unknown condition that cannot be combined yields an unknown, not an error
		}
		return v, nil
	}
	return nil, &evalError{pos: t.Cond.Pos(), msg: fmt.Sprintf("the condition of '?' must be a boolean, not %s", armexpr.TypeName(c))}
}

// lambda turns a lambda expression into a function value the template
// functions (map, filter, reduce, sort, ...) can call.
func (fe *fileEval) lambda(l *syntax.LambdaExpr, sc *locals) armexpr.Lambda {
	names := make([]string, len(l.Params))
	for i, p := range l.Params {
		names[i] = p.Name
	}
	return armexpr.Lambda{Params: names, Call: func(args []any) (any, error) {
		inner := sc
		for i, name := range names {
			var v any
			if i < len(args) {
				v = args[i]
			}
			inner = inner.bind(name, v)
		}
		v, err := fe.value(l.Body, inner)
		if err != nil {
			return nil, fe.fail(l.Body, err)
		}
		return v, nil
	}}
}
