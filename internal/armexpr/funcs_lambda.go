package armexpr

import (
	"github.com/kvguard/kvguard/internal/resource"
)

func lambdaFuncs() map[string]Func {
	return map[string]Func{
		"lambda": func(_ *Env, _ []any) (any, error) {
			return nil, argError("lambda() is only valid as an argument of map, filter, reduce, sort, toObject, groupBy or mapValues")
		},
		"map": lambdaOverArray("map", 2, func(arr []any, a []any, f Lambda) (any, error) {
			out := make([]any, len(arr))
			for i, e := range arr {
				v, err := f.Call([]any{e, int64(i)})
				if err != nil {
					return nil, err
				}
				out[i] = v
			}
			return out, nil
		}),
		"filter": lambdaOverArray("filter", 2, func(arr []any, a []any, f Lambda) (any, error) {
			out := []any{}
			for i, e := range arr {
				v, err := f.Call([]any{e, int64(i)})
				if err != nil {
					return nil, err
				}
				switch keep := v.(type) {
				case bool:
					if keep {
						out = append(out, e)
					}
				case resource.Unknown:
					return unknownOf("filter", a), nil
				default:
					return nil, argError("the predicate must return a boolean, not %s", TypeName(v))
				}
			}
			return out, nil
		}),
		"reduce": lambdaOverArray("reduce", 3, func(arr []any, a []any, f Lambda) (any, error) {
			acc := a[1]
			for i, e := range arr {
				v, err := f.Call([]any{acc, e, int64(i)})
				if err != nil {
					return nil, err
				}
				acc = v
			}
			return acc, nil
		}),
		"sort": lambdaOverArray("sort", 2, func(arr []any, a []any, f Lambda) (any, error) {
			out := append([]any{}, arr...)
			unknown := false
			err := sortValues(out, func(x, y any) (bool, error) {
				v, err := f.Call([]any{x, y})
				if err != nil {
					return false, err
				}
				switch b := v.(type) {
				case bool:
					return b, nil
				case resource.Unknown:
					unknown = true
					return false, nil
				}
				return false, argError("the comparison must return a boolean, not %s", TypeName(v))
			})
			if err != nil {
				return nil, err
			}
			if unknown {
				return unknownOf("sort", a), nil
			}
			return out, nil
		}),
		"toObject": func(env *Env, a []any) (any, error) {
			if err := nargs(a, 2, 3); err != nil {
				return nil, err
			}
			return lambdaOverArray("toObject", len(a), func(arr []any, a []any, key Lambda) (any, error) {
				var val *Lambda
				if len(a) == 3 {
					l, err := argLambda(a, 2)
					if err != nil {
						return nil, err
					}
					val = &l
				}
				out := make(map[string]any, len(arr))
				for _, e := range arr {
					k, err := key.Call([]any{e})
					if err != nil {
						return nil, err
					}
					if resource.IsUnknown(k) {
						return unknownOf("toObject", a), nil
					}
					ks, ok := k.(string)
					if !ok {
						return nil, argError("the key must be a string, not %s", TypeName(k))
					}
					v := e
					if val != nil {
						if v, err = val.Call([]any{e}); err != nil {
							return nil, err
						}
					}
					setFold(out, ks, v)
				}
				return out, nil
			})(env, a)
		},
		"groupBy": lambdaOverArray("groupBy", 2, func(arr []any, a []any, key Lambda) (any, error) {
			out := map[string]any{}
			for _, e := range arr {
				k, err := key.Call([]any{e})
				if err != nil {
					return nil, err
				}
				if resource.IsUnknown(k) {
					return unknownOf("groupBy", a), nil
				}
				ks, ok := k.(string)
				if !ok {
					return nil, argError("the key must be a string, not %s", TypeName(k))
				}
				group, _ := out[ks].([]any)
				out[ks] = append(group, e)
			}
			return out, nil
		}),
		"mapValues": func(_ *Env, a []any) (any, error) {
			if err := nargs(a, 2, 2); err != nil {
				return nil, err
			}
			if resource.IsUnknown(a[0]) {
				return unknownOf("mapValues", a), nil
			}
			o, err := argObject(a, 0)
			if err != nil {
				return nil, err
			}
			f, err := argLambda(a, 1)
			if err != nil {
				return nil, err
			}
			out := make(map[string]any, len(o))
			for _, k := range sortedKeys(o) {
				v, err := f.Call([]any{o[k]})
				if err != nil {
					return nil, err
				}
				out[k] = v
			}
			return out, nil
		},
	}
}

// lambdaOverArray checks (array, ..., lambda) arguments: the array first,
// the lambda last; an unknown array makes the result unknown.
func lambdaOverArray(name string, n int, f func(arr, args []any, l Lambda) (any, error)) Func {
	return func(_ *Env, a []any) (any, error) {
		if err := nargs(a, n, n); err != nil {
			return nil, err
		}
		if resource.IsUnknown(a[0]) {
			return unknownOf(name, a), nil
		}
		var arr []any
		switch x := a[0].(type) {
		case []any:
			arr = x
		case nil:
			arr = nil
		default:
			return nil, argError("argument 1 must be an array, not %s", TypeName(a[0]))
		}
		l, err := argLambda(a, 1)
		if name == "reduce" {
			l, err = argLambda(a, 2)
		}
		if err != nil {
			return nil, err
		}
		return f(arr, a, l)
	}
}
