package armexpr

import (
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/kvguard/kvguard/internal/resource"
)

func arrayFuncs() map[string]Func {
	return map[string]Func{
		"array": strict("array", 1, 1, func(_ *Env, a []any) (any, error) {
			if arr, ok := a[0].([]any); ok {
				return arr, nil
			}
			return []any{a[0]}, nil
		}),
		"concat":      concatOrPlaceholders,
		"contains":    strict("contains", 2, 2, containsFunc),
		"createArray": func(_ *Env, a []any) (any, error) { return append([]any{}, a...), nil },
		"createObject": func(_ *Env, a []any) (any, error) {
			if len(a)%2 != 0 {
				return nil, argError("expects an even number of arguments (name, value pairs), got %d", len(a))
			}
			o := make(map[string]any, len(a)/2)
			for i := 0; i < len(a); i += 2 {
				if resource.IsUnknown(a[i]) {
					return unknownOf("createObject", a), nil
				}
				k, err := argString(a, i)
				if err != nil {
					return nil, err
				}
				o[k] = normalize(a[i+1])
			}
			return o, nil
		},
		"empty": strict("empty", 1, 1, func(_ *Env, a []any) (any, error) {
			switch x := a[0].(type) {
			case nil:
				return true, nil
			case string:
				return x == "", nil
			case []any:
				return len(x) == 0, nil
			case map[string]any:
				return len(x) == 0, nil
			}
			return nil, argError("expects a string, array or object, not %s", TypeName(a[0]))
		}),
		"first": strict("first", 1, 1, func(_ *Env, a []any) (any, error) { return firstLast(a[0], true) }),
		"last":  strict("last", 1, 1, func(_ *Env, a []any) (any, error) { return firstLast(a[0], false) }),
		"flatten": strict("flatten", 1, 1, func(_ *Env, a []any) (any, error) {
			arr, err := argArray(a, 0)
			if err != nil {
				return nil, err
			}
			var out []any
			for _, e := range arr {
				switch x := e.(type) {
				case []any:
					out = append(out, x...)
				case resource.Unknown:
					return unknownOf("flatten", a), nil
				case nil:
				default:
					return nil, argError("every element must be an array, not %s", TypeName(e))
				}
			}
			if out == nil {
				out = []any{}
			}
			return checkArray(out)
		}),
		"indexOf":      strict("indexOf", 2, 2, func(_ *Env, a []any) (any, error) { return indexOf(a, false) }),
		"lastIndexOf":  strict("lastIndexOf", 2, 2, func(_ *Env, a []any) (any, error) { return indexOf(a, true) }),
		"intersection": strict("intersection", 2, -1, intersectionFunc),
		"items": deepKeys("items", func(_ *Env, a []any) (any, error) {
			o, err := argObject(a, 0)
			if err != nil {
				return nil, err
			}
			out := make([]any, 0, len(o))
			for _, k := range sortedKeys(o) {
				out = append(out, map[string]any{"key": k, "value": o[k]})
			}
			return out, nil
		}),
		"join": strict("join", 2, 2, func(_ *Env, a []any) (any, error) {
			arr, err := argArray(a, 0)
			if err != nil {
				return nil, err
			}
			d, err := argString(a, 1)
			if err != nil {
				return nil, err
			}
			parts := make([]string, len(arr))
			for i, e := range arr {
				if ContainsUnknown(e) {
					return unknownOf("join", a), nil
				}
				parts[i] = Stringify(e)
			}
			return checkString(strings.Join(parts, d))
		}),
		"length": strict("length", 1, 1, func(_ *Env, a []any) (any, error) {
			switch x := a[0].(type) {
			case string:
				return int64(utf8.RuneCountInString(x)), nil
			case []any:
				return int64(len(x)), nil
			case map[string]any:
				return int64(len(x)), nil
			case nil:
				return int64(0), nil
			}
			return nil, argError("expects a string, array or object, not %s", TypeName(a[0]))
		}),
		"max": strict("max", 1, -1, func(_ *Env, a []any) (any, error) { return minMax("max", a, true) }),
		"min": strict("min", 1, -1, func(_ *Env, a []any) (any, error) { return minMax("min", a, false) }),
		"objectKeys": deepKeys("objectKeys", func(_ *Env, a []any) (any, error) {
			o, err := argObject(a, 0)
			if err != nil {
				return nil, err
			}
			out := make([]any, 0, len(o))
			for _, k := range sortedKeys(o) {
				out = append(out, k)
			}
			return out, nil
		}),
		"range": strict("range", 2, 2, func(_ *Env, a []any) (any, error) {
			start, err := argInt(a, 0)
			if err != nil {
				return nil, err
			}
			count, err := argInt(a, 1)
			if err != nil {
				return nil, err
			}
			if count < 0 || count > MaxRange {
				return nil, argError("the count must be between 0 and %d, not %d", MaxRange, count)
			}
			if start+count > 2147483647 || start < -2147483648 {
				return nil, argError("start %d plus count %d is out of range", start, count)
			}
			out := make([]any, count)
			for i := range out {
				out[i] = start + int64(i)
			}
			return out, nil
		}),
		"skip": strict("skip", 2, 2, func(_ *Env, a []any) (any, error) { return skipTake(a, true) }),
		"take": strict("take", 2, 2, func(_ *Env, a []any) (any, error) { return skipTake(a, false) }),
		"tryGet": func(_ *Env, a []any) (any, error) {
			if err := nargs(a, 2, -1); err != nil {
				return nil, err
			}
			cur := a[0]
			for _, k := range a[1:] {
				switch x := cur.(type) {
				case nil:
					return nil, nil
				case resource.Unknown:
					return unknownOf("tryGet", a), nil
				case map[string]any:
					ks, ok := k.(string)
					if !ok {
						if resource.IsUnknown(k) {
							return unknownOf("tryGet", a), nil
						}
						return nil, argError("an object key must be a string, not %s", TypeName(k))
					}
					cur, _ = lookupFold(x, ks)
				case []any:
					i, ok := asInt(k)
					if !ok {
						if resource.IsUnknown(k) {
							return unknownOf("tryGet", a), nil
						}
						return nil, argError("an array index must be an integer, not %s", TypeName(k))
					}
					if i < 0 || i >= int64(len(x)) {
						return nil, nil
					}
					cur = x[i]
				default:
					return nil, argError("cannot look up %s in a value of type %s", RenderValue(k), TypeName(cur))
				}
			}
			return cur, nil
		},
		"tryIndexFromEnd": strict("tryIndexFromEnd", 2, 2, func(_ *Env, a []any) (any, error) {
			arr, err := argArray(a, 0)
			if err != nil {
				return nil, err
			}
			i, err := argInt(a, 1)
			if err != nil {
				return nil, err
			}
			if i < 1 || i > int64(len(arr)) {
				return nil, nil
			}
			return arr[int64(len(arr))-i], nil
		}),
		"union": strict("union", 1, -1, unionFunc),
		"shallowMerge": strict("shallowMerge", 1, 1, func(_ *Env, a []any) (any, error) {
			arr, err := argArray(a, 0)
			if err != nil {
				return nil, err
			}
			out := map[string]any{}
			for _, e := range arr {
				switch o := e.(type) {
				case map[string]any:
					for k, v := range o {
						setFold(out, k, v)
					}
				case nil:
				case resource.Unknown:
					return unknownOf("shallowMerge", a), nil
				default:
					return nil, argError("every element must be an object, not %s", TypeName(e))
				}
			}
			return out, nil
		}),
		"null": func(_ *Env, a []any) (any, error) {
			if err := nargs(a, 0, 0); err != nil {
				return nil, err
			}
			return nil, nil
		},
		"json": strict("json", 1, 1, func(_ *Env, a []any) (any, error) {
			s, err := argString(a, 0)
			if err != nil {
				return nil, err
			}
			return ParseJSON(s)
		}),
	}
}

// deepKeys is strict for one object argument whose keys must be known
// (member values may be unknown).
func deepKeys(name string, f func(env *Env, args []any) (any, error)) Func {
	return strict(name, 1, 1, f)
}

// concatOrPlaceholders is concat(), which with Env.Placeholders writes
// unknown strings as placeholders; otherwise an unknown argument makes
// the result unknown.
func concatOrPlaceholders(env *Env, a []any) (any, error) {
	if len(a) > 0 && anyUnknown(a) {
		if _, isArr := a[0].([]any); !isArr {
			if p, ok := withPlaceholders(env, a); ok {
				return concatFunc(env, p)
			}
		}
	}
	return strict("concat", 0, -1, concatFunc)(env, a)
}

func concatFunc(_ *Env, a []any) (any, error) {
	if len(a) == 0 {
		return "", nil
	}
	if _, isArr := a[0].([]any); isArr {
		var out []any
		for i, e := range a {
			switch x := e.(type) {
			case []any:
				out = append(out, x...)
			case nil:
			default:
				return nil, argError("argument %d must be an array like the first, not %s", i+1, TypeName(e))
			}
		}
		if out == nil {
			out = []any{}
		}
		return checkArray(out)
	}
	var b strings.Builder
	for i, e := range a {
		switch x := e.(type) {
		case []any, map[string]any:
			return nil, argError("argument %d is %s, but the first argument is not an array", i+1, TypeName(e))
		default:
			if ContainsUnknown(x) {
				return unknownOf("concat", a), nil
			}
			b.WriteString(Stringify(x))
		}
		if b.Len() > MaxStringLen {
			return nil, argError("the result is longer than %d bytes", MaxStringLen)
		}
	}
	return b.String(), nil
}

func containsFunc(_ *Env, a []any) (any, error) {
	switch c := a[0].(type) {
	case string:
		if resource.IsUnknown(a[1]) {
			return unknownOf("contains", a), nil
		}
		return strings.Contains(c, Stringify(a[1])), nil
	case map[string]any:
		k, ok := a[1].(string)
		if !ok {
			return nil, argError("an object is searched by a string key, not %s", TypeName(a[1]))
		}
		_, found := lookupFold(c, k)
		return found, nil
	case []any:
		unknown := false
		for _, e := range c {
			eq, u := DeepEqual(e, a[1])
			if eq {
				return true, nil
			}
			unknown = unknown || u
		}
		if unknown {
			return unknownOf("contains", a), nil
		}
		return false, nil
	case nil:
		return false, nil
	}
	return nil, argError("expects a string, array or object to search, not %s", TypeName(a[0]))
}

func firstLast(v any, first bool) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case []any:
		if len(x) == 0 {
			return nil, nil
		}
		if first {
			return x[0], nil
		}
		return x[len(x)-1], nil
	case string:
		r := []rune(x)
		if len(r) == 0 {
			return "", nil
		}
		if first {
			return string(r[0]), nil
		}
		return string(r[len(r)-1]), nil
	}
	return nil, argError("expects an array or a string, not %s", TypeName(v))
}

func indexOf(a []any, last bool) (any, error) {
	switch c := a[0].(type) {
	case string:
		s, ok := a[1].(string)
		if !ok {
			return nil, argError("a string is searched for a string, not %s", TypeName(a[1]))
		}
		hay, needle := strings.ToLower(c), strings.ToLower(s)
		var i int
		if last {
			i = strings.LastIndex(hay, needle)
		} else {
			i = strings.Index(hay, needle)
		}
		if i < 0 {
			return int64(-1), nil
		}
		return int64(utf8.RuneCountInString(hay[:i])), nil
	case []any:
		name := "indexOf"
		if last {
			name = "lastIndexOf"
		}
		found, unknown := int64(-1), false
		for i, e := range c {
			eq, u := DeepEqual(e, a[1])
			if u {
				unknown = true
				continue
			}
			if eq {
				found = int64(i)
				if !last {
					break
				}
			}
		}
		if unknown {
			return unknownOf(name, a), nil
		}
		return found, nil
	}
	return nil, argError("expects an array or a string, not %s", TypeName(a[0]))
}

func minMax(name string, a []any, isMax bool) (any, error) {
	vals := a
	if len(a) == 1 {
		arr, ok := a[0].([]any)
		if !ok {
			return nil, argError("expects integers or an array of integers, not %s", TypeName(a[0]))
		}
		vals = arr
	}
	if len(vals) == 0 {
		return nil, argError("expects at least one value")
	}
	var best any
	var bestF float64
	for i, v := range vals {
		if resource.IsUnknown(v) {
			return unknownOf(name, a), nil
		}
		f, ok := asFloat(v)
		if !ok {
			return nil, argError("value %d is %s, not a number", i+1, TypeName(v))
		}
		if best == nil || (isMax && f > bestF) || (!isMax && f < bestF) {
			best, bestF = normalize(v), f
		}
	}
	return best, nil
}

func skipTake(a []any, skip bool) (any, error) {
	n, err := argInt(a, 1)
	if err != nil {
		return nil, err
	}
	switch x := a[0].(type) {
	case []any:
		k := clampInt(n, len(x))
		if skip {
			return append([]any{}, x[k:]...), nil
		}
		return append([]any{}, x[:k]...), nil
	case string:
		r := []rune(x)
		k := clampInt(n, len(r))
		if skip {
			return string(r[k:]), nil
		}
		return string(r[:k]), nil
	case nil:
		return nil, nil
	}
	return nil, argError("expects an array or a string, not %s", TypeName(a[0]))
}

func clampInt(n int64, hi int) int {
	if n < 0 {
		return 0
	}
	if n > int64(hi) {
		return hi
	}
	return int(n)
}

// sortValues sorts in place with less; used by sort().
func sortValues(vals []any, less func(a, b any) (bool, error)) error {
	var err error
	sort.SliceStable(vals, func(i, j int) bool {
		if err != nil {
			return false
		}
		l, e := less(vals[i], vals[j])
		if e != nil {
			err = e
		}
		return l
	})
	return err
}
