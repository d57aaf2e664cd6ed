package armexpr

import (
	"fmt"
	"strings"

	"github.com/kvguard/kvguard/internal/resource"
)

// EvalString evaluates s if it is an expression, else returns it unchanged
// (after unescaping "[[").
func EvalString(env *Env, s string) (any, error) {
	if !IsExpression(s) {
		return Unescape(s), nil
	}
	e, err := Parse(s)
	if err != nil {
		return nil, err
	}
	return e.Eval(env)
}

// Eval evaluates the expression in env. Errors are *Error values with the
// offset of the failing call within the expression.
func (p *program) Eval(env *Env) (v any, err error) {
	if env == nil {
		env = &Env{Deployment: DefaultDeployment()}
	}
	return p.eval(env, p.root)
}

func (p *program) eval(env *Env, n node) (any, error) {
	switch n := n.(type) {
	case *litNode:
		return n.v, nil
	case *propNode:
		x, err := p.eval(env, n.x)
		if err != nil {
			return nil, err
		}
		v, err := Property(x, n.name)
		if err != nil {
			return nil, &Error{Offset: n.off, Msg: err.Error(), Err: err}
		}
		return v, nil
	case *indexNode:
		x, err := p.eval(env, n.x)
		if err != nil {
			return nil, err
		}
		idx, err := p.eval(env, n.idx)
		if err != nil {
			return nil, err
		}
		v, err := Index(x, idx)
		if err != nil {
			return nil, &Error{Offset: n.off, Msg: err.Error(), Err: err}
		}
		return v, nil
	case *callNode:
		return p.call(env, n)
	}
	return nil, errAt(n.offset(), "unsupported expression")
}

// Property reads member name of x as an expression's ".name" does:
// case-insensitively; an unknown x gives an unknown naming the access.
func Property(x any, name string) (any, error) {
	switch o := x.(type) {
	case resource.Unknown:
		return resource.Unknown{Expr: o.Expr + "." + name}, nil
	case map[string]any:
		if v, ok := lookupFold(o, name); ok {
			return v, nil
		}
		return nil, fmt.Errorf("the object has no property %q%s", name, availableKeys(o))
	case nil:
		return nil, fmt.Errorf("cannot read property %q of null", name)
	}
	return nil, fmt.Errorf("cannot read property %q of a value of type %s", name, TypeName(x))
}

// Index reads x[idx] as an expression's "[idx]" does: array elements by
// integer, object members by name (case-insensitively).
func Index(x, idx any) (any, error) {
	if u, ok := x.(resource.Unknown); ok {
		return resource.Unknown{Expr: u.Expr + "[" + RenderValue(idx) + "]"}, nil
	}
	if u, ok := idx.(resource.Unknown); ok {
		return resource.Unknown{Expr: "[" + RenderValue(x) + "][" + u.Expr + "]"}, nil
	}
	switch o := x.(type) {
	case []any:
		i, ok := asInt(idx)
		if !ok {
			return nil, fmt.Errorf("an array index must be an integer, not %s", TypeName(idx))
		}
		if i < 0 || i >= int64(len(o)) {
			return nil, fmt.Errorf("index %d is out of range: the array has %d elements", i, len(o))
		}
		return o[i], nil
	case map[string]any:
		k, ok := idx.(string)
		if !ok {
			return nil, fmt.Errorf("an object member name must be a string, not %s", TypeName(idx))
		}
		if v, ok := lookupFold(o, k); ok {
			return v, nil
		}
		return nil, fmt.Errorf("the object has no property %q%s", k, availableKeys(o))
	case nil:
		return nil, fmt.Errorf("cannot index null with %s", RenderValue(idx))
	}
	return nil, fmt.Errorf("cannot index a value of type %s", TypeName(x))
}

func availableKeys(o map[string]any) string {
	if len(o) == 0 {
		return " (it is empty)"
	}
	keys := sortedKeys(o)
	if len(keys) > 8 {
		keys = append(keys[:8], "...")
	}
	return " (it has " + strings.Join(keys, ", ") + ")"
}

func (p *program) callText(n *callNode) string {
	if n.end > n.off && n.end <= len(p.src) {
		return p.src[n.off:n.end]
	}
	return n.name + "(...)"
}

func (p *program) call(env *Env, n *callNode) (any, error) {
	if n.namespace == "" {
		switch n.lname {
		case "if":
			return p.evalIf(env, n)
		case "and", "or":
			return p.evalAndOr(env, n)
		case "coalesce":
			return p.evalCoalesce(env, n)
		case "lambda":
			return p.evalLambda(env, n)
		}
	}
	args := make([]any, len(n.args))
	for i, a := range n.args {
		v, err := p.eval(env, a)
		if err != nil {
			return nil, err
		}
		args[i] = v
	}
	var (
		v   any
		err error
	)
	if n.namespace != "" {
		if env.UserFunc == nil {
			return nil, errAt(n.off, "user-defined function %s.%s is not available here", n.namespace, n.name)
		}
		v, err = env.UserFunc(n.namespace, n.name, args)
	} else {
		fn, ok := env.lookup(n.name, n.lname)
		if !ok {
			return nil, errAt(n.off, "unknown function %q", n.name)
		}
		v, err = fn(env, args)
	}
	if err != nil {
		name := n.name
		if n.namespace != "" {
			name = n.namespace + "." + n.name
		}
		return nil, &Error{Offset: n.off, Msg: name + ": " + err.Error(), Err: err}
	}
	return v, nil
}

func (p *program) evalIf(env *Env, n *callNode) (any, error) {
	if len(n.args) != 3 {
		return nil, errAt(n.off, "if: expects 3 arguments (condition, true value, false value), got %d", len(n.args))
	}
	c, err := p.eval(env, n.args[0])
	if err != nil {
		return nil, err
	}
	switch c := c.(type) {
	case bool:
		if c {
			return p.eval(env, n.args[1])
		}
		return p.eval(env, n.args[2])
	case resource.Unknown:
		a, errA := p.eval(env, n.args[1])
		b, errB := p.eval(env, n.args[2])
		if errA != nil || errB != nil {
			return resource.Unknown{Expr: p.callText(n)}, nil //nolint:nilerr // an unknown condition with a failing branch yields an unknown, not an error
		}
		return ifUnknown(p.callText(n), c, a, b), nil
	}
	return nil, errAt(n.off, "if: the condition must be a boolean, not %s", TypeName(c))
}

func (p *program) evalAndOr(env *Env, n *callNode) (any, error) {
	isAnd := n.lname == "and"
	if len(n.args) < 2 {
		return nil, errAt(n.off, "%s: expects at least 2 arguments, got %d", n.name, len(n.args))
	}
	unknown := false
	vals := make([]any, 0, len(n.args))
	for _, a := range n.args {
		v, err := p.eval(env, a)
		if err != nil {
			return nil, err
		}
		switch b := v.(type) {
		case bool:
			if isAnd && !b {
				return false, nil
			}
			if !isAnd && b {
				return true, nil
			}
		case resource.Unknown:
			unknown = true
		default:
			return nil, errAt(a.offset(), "%s: arguments must be booleans, not %s", n.name, TypeName(v))
		}
		vals = append(vals, v)
	}
	if unknown {
		if v, ok := byChoice(n.lname, vals, func(c []any) (any, error) { return andOr(n.lname, c, isAnd) }); ok {
			if u, isU := v.(resource.Unknown); isU {
				u.Expr = p.callText(n)
				return u, nil
			}
			return v, nil
		}
		return resource.Unknown{Expr: p.callText(n)}, nil
	}
	return isAnd, nil
}

func (p *program) evalCoalesce(env *Env, n *callNode) (any, error) {
	if len(n.args) == 0 {
		return nil, errAt(n.off, "coalesce: expects at least 1 argument")
	}
	for _, a := range n.args {
		v, err := p.eval(env, a)
		if err != nil {
			return nil, err
		}
		if resource.IsUnknown(v) {
			return resource.Unknown{Expr: p.callText(n)}, nil
		}
		if v != nil {
			return v, nil
		}
	}
	return nil, nil
}

func (p *program) evalLambda(env *Env, n *callNode) (any, error) {
	if len(n.args) < 1 {
		return nil, errAt(n.off, "lambda: expects parameter names and a body")
	}
	params := make([]string, 0, len(n.args)-1)
	for _, a := range n.args[:len(n.args)-1] {
		lit, ok := a.(*litNode)
		s, isStr := "", false
		if ok {
			s, isStr = lit.v.(string)
		}
		if !isStr {
			return nil, errAt(a.offset(), "lambda: parameter names must be string literals")
		}
		params = append(params, s)
	}
	body := n.args[len(n.args)-1]
	if env.calls == nil {
		env.calls = new(int)
	}
	calls := env.calls
	return Lambda{Params: params, Call: func(args []any) (any, error) {
		if env.depth >= maxDepth {
			return nil, errAt(n.off, "lambda calls nested deeper than %d levels", maxDepth)
		}
		if *calls++; *calls > maxLambdaCalls {
			return nil, errAt(n.off, "more than %d lambda calls in one expression", maxLambdaCalls)
		}
		child := *env
		child.depth++
		child.lambdaVars = make(map[string]any, len(env.lambdaVars)+len(params))
		for k, v := range env.lambdaVars {
			child.lambdaVars[k] = v
		}
		for i, name := range params {
			var v any
			if i < len(args) {
				v = args[i]
			}
			child.lambdaVars[strings.ToLower(name)] = v
		}
		return p.eval(&child, body)
	}}, nil
}
