package armexpr

import (
	"math"
	"strconv"
	"strings"

	"github.com/kvguard/kvguard/internal/resource"
)

func logicFuncs() map[string]Func {
	return map[string]Func{
		"and": func(_ *Env, a []any) (any, error) { return andOr("and", a, true) },
		"or":  func(_ *Env, a []any) (any, error) { return andOr("or", a, false) },
		"not": strict("not", 1, 1, func(_ *Env, a []any) (any, error) {
			b, ok := a[0].(bool)
			if !ok {
				return nil, argError("expects a boolean, not %s", TypeName(a[0]))
			}
			return !b, nil
		}),
		"if": func(_ *Env, a []any) (any, error) {
			if err := nargs(a, 3, 3); err != nil {
				return nil, err
			}
			switch c := a[0].(type) {
			case bool:
				if c {
					return a[1], nil
				}
				return a[2], nil
			case resource.Unknown:
				return ifUnknown(RenderCall("if", a), c, a[1], a[2]), nil
			}
			return nil, argError("the condition must be a boolean, not %s", TypeName(a[0]))
		},
		"coalesce": func(_ *Env, a []any) (any, error) {
			if err := nargs(a, 1, -1); err != nil {
				return nil, err
			}
			for _, v := range a {
				if resource.IsUnknown(v) {
					return unknownOf("coalesce", a), nil
				}
				if v != nil {
					return normalize(v), nil
				}
			}
			return nil, nil
		},
		"true":  func(_ *Env, a []any) (any, error) { return true, nargs(a, 0, 0) },
		"false": func(_ *Env, a []any) (any, error) { return false, nargs(a, 0, 0) },
		"bool": strict("bool", 1, 1, func(_ *Env, a []any) (any, error) {
			switch x := a[0].(type) {
			case bool:
				return x, nil
			case string:
				switch strings.ToLower(strings.TrimSpace(x)) {
				case "true", "1":
					return true, nil
				case "false", "0":
					return false, nil
				}
				return nil, argError("%q is not a boolean", x)
			case int64:
				return x != 0, nil
			case float64:
				return x != 0, nil
			}
			return nil, argError("cannot convert %s to a boolean", TypeName(a[0]))
		}),
		"int": strict("int", 1, 1, func(_ *Env, a []any) (any, error) {
			switch x := a[0].(type) {
			case int64:
				return x, nil
			case float64:
				return int64(math.Trunc(x)), nil
			case string:
				t := strings.TrimSpace(x)
				if i, err := strconv.ParseInt(t, 10, 64); err == nil {
					return i, nil
				}
				if f, err := strconv.ParseFloat(t, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
					return int64(math.Trunc(f)), nil
				}
				return nil, argError("%q is not an integer", x)
			case bool:
				if x {
					return int64(1), nil
				}
				return int64(0), nil
			}
			return nil, argError("cannot convert %s to an integer", TypeName(a[0]))
		}),
		"equals": func(_ *Env, a []any) (any, error) {
			if err := nargs(a, 2, 2); err != nil {
				return nil, err
			}
			eq, unk := DeepEqual(a[0], a[1])
			if unk {
				if v, ok := byChoice("equals", a, func(c []any) (any, error) {
					eq, unk := DeepEqual(c[0], c[1])
					if unk {
						return unknownOf("equals", c), nil
					}
					return eq, nil
				}); ok {
					return v, nil
				}
				return unknownOf("equals", a), nil
			}
			return eq, nil
		},
		"less":            strict("less", 2, 2, compare(func(c int) bool { return c < 0 })),
		"lessOrEquals":    strict("lessOrEquals", 2, 2, compare(func(c int) bool { return c <= 0 })),
		"greater":         strict("greater", 2, 2, compare(func(c int) bool { return c > 0 })),
		"greaterOrEquals": strict("greaterOrEquals", 2, 2, compare(func(c int) bool { return c >= 0 })),
	}
}

func andOr(name string, a []any, isAnd bool) (any, error) {
	if err := nargs(a, 2, -1); err != nil {
		return nil, err
	}
	unknown := false
	for i, v := range a {
		switch b := v.(type) {
		case bool:
			if b != isAnd {
				return b, nil
			}
		case resource.Unknown:
			unknown = true
		default:
			return nil, argError("argument %d must be a boolean, not %s", i+1, TypeName(v))
		}
	}
	if unknown {
		if v, ok := byChoice(name, a, func(c []any) (any, error) { return andOr(name, c, isAnd) }); ok {
			return v, nil
		}
		return unknownOf(name, a), nil
	}
	return isAnd, nil
}

func compare(ok func(int) bool) func(*Env, []any) (any, error) {
	return func(_ *Env, a []any) (any, error) {
		c, err := compareValues(a[0], a[1])
		if err != nil {
			return nil, err
		}
		return ok(c), nil
	}
}

// compareValues orders numbers by value and strings ordinally.
func compareValues(x, y any) (int, error) {
	if fx, ok := asFloat(x); ok {
		fy, ok := asFloat(y)
		if !ok {
			return 0, argError("cannot compare a number with %s", TypeName(y))
		}
		switch {
		case fx < fy:
			return -1, nil
		case fx > fy:
			return 1, nil
		}
		return 0, nil
	}
	sx, ok := x.(string)
	if !ok {
		return 0, argError("expects numbers or strings, not %s", TypeName(x))
	}
	sy, ok := y.(string)
	if !ok {
		return 0, argError("cannot compare a string with %s", TypeName(y))
	}
	return strings.Compare(sx, sy), nil
}

func numericFuncs() map[string]Func {
	return map[string]Func{
		"add": strict("add", 2, 2, arith(func(x, y int64) (int64, error) { return x + y, nil }, func(x, y float64) float64 { return x + y })),
		"sub": strict("sub", 2, 2, arith(func(x, y int64) (int64, error) { return x - y, nil }, func(x, y float64) float64 { return x - y })),
		"mul": strict("mul", 2, 2, arith(func(x, y int64) (int64, error) { return x * y, nil }, func(x, y float64) float64 { return x * y })),
		"div": strict("div", 2, 2, arith(func(x, y int64) (int64, error) {
			if y == 0 {
				return 0, argError("division by zero")
			}
			return x / y, nil
		}, nil)),
		"mod": strict("mod", 2, 2, arith(func(x, y int64) (int64, error) {
			if y == 0 {
				return 0, argError("division by zero")
			}
			return x % y, nil
		}, nil)),
		"float": strict("float", 1, 1, func(_ *Env, a []any) (any, error) {
			switch x := a[0].(type) {
			case int64:
				return float64(x), nil
			case float64:
				return x, nil
			case string:
				f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
				if err != nil {
					return nil, argError("%q is not a number", x)
				}
				return f, nil
			}
			return nil, argError("cannot convert %s to a number", TypeName(a[0]))
		}),
	}
}

func arith(fi func(x, y int64) (int64, error), ff func(x, y float64) float64) func(*Env, []any) (any, error) {
	return func(_ *Env, a []any) (any, error) {
		xi, okx := asInt(a[0])
		yi, oky := asInt(a[1])
		if okx && oky {
			if _, isF := a[0].(float64); !isF {
				if _, isF := a[1].(float64); !isF {
					return fi(xi, yi)
				}
			}
		}
		xf, okx := asFloat(a[0])
		yf, oky := asFloat(a[1])
		if !okx || !oky {
			return nil, argError("expects two numbers, got %s and %s", TypeName(a[0]), TypeName(a[1]))
		}
		if ff == nil {
			r, err := fi(int64(xf), int64(yf))
			return r, err
		}
		return ff(xf, yf), nil
	}
}

// ifUnknown is if(cond, x, y) (expr) when cond is unknown: the branch its
// choices select, x when both branches are equal, else an unknown that is
// one of the two when both are known.
func ifUnknown(expr string, c resource.Unknown, x, y any) any {
	if c.Choices != nil {
		t, f := false, false
		for _, v := range c.Choices.Values {
			b, ok := v.(bool)
			switch {
			case !ok:
				t, f = true, true
			case b:
				t = true
			default:
				f = true
			}
		}
		switch {
		case t && !f:
			return x
		case f && !t:
			return y
		}
	}
	if eq, unk := DeepEqual(x, y); eq && !unk {
		return x
	}
	if !ContainsUnknown(x) && !ContainsUnknown(y) {
		return resource.UnknownOneOf(expr, x, y)
	}
	return resource.Unknown{Expr: expr}
}
