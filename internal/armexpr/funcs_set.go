package armexpr

import "strings"

// intersectionFunc is intersection(): the elements (or members with equal
// values) common to every argument.
func intersectionFunc(_ *Env, a []any) (any, error) { //nolint:gocognit // intersection() for both arrays and objects with deep equality: two parallel branches of one function
	switch first := a[0].(type) {
	case []any:
		var out []any
		sets := make([]map[string]bool, len(a))
		for i := 1; i < len(a); i++ {
			other, ok := a[i].([]any)
			if !ok {
				return nil, argError("argument %d must be an array like the first, not %s", i+1, TypeName(a[i]))
			}
			sets[i] = make(map[string]bool, len(other))
			for _, x := range other {
				if ContainsUnknown(x) {
					return unknownOf("intersection", a), nil
				}
				sets[i][valueKey(x)] = true
			}
		}
		seen := map[string]bool{}
	elems:
		for _, e := range first {
			if ContainsUnknown(e) {
				return unknownOf("intersection", a), nil
			}
			k := valueKey(e)
			if seen[k] {
				continue
			}
			seen[k] = true
			for i := 1; i < len(a); i++ {
				if !sets[i][k] {
					continue elems
				}
			}
			out = append(out, e)
		}
		if out == nil {
			out = []any{}
		}
		return out, nil
	case map[string]any:
		out := map[string]any{}
	keys:
		for k, v := range first {
			for i := 1; i < len(a); i++ {
				other, ok := a[i].(map[string]any)
				if !ok {
					return nil, argError("argument %d must be an object like the first, not %s", i+1, TypeName(a[i]))
				}
				ov, ok := other[k]
				if !ok {
					continue keys
				}
				eq, u := DeepEqual(v, ov)
				if u {
					return unknownOf("intersection", a), nil
				}
				if !eq {
					continue keys
				}
			}
			out[k] = v
		}
		return out, nil
	}
	return nil, argError("expects arrays or objects, not %s", TypeName(a[0]))
}

// unionFunc is union(): arrays are joined without duplicates, in order;
// objects are merged, later members winning, nested objects merged
// recursively (nested arrays are replaced), as Azure does since 2023.
func unionFunc(_ *Env, a []any) (any, error) {
	var kind any
	for _, e := range a {
		if e != nil {
			kind = e
			break
		}
	}
	switch kind.(type) {
	case nil:
		return nil, nil
	case []any:
		var out []any
		seen := map[string]bool{}
		for i, e := range a {
			arr, ok := e.([]any)
			if !ok {
				if e == nil {
					continue
				}
				return nil, argError("argument %d must be an array like the others, not %s", i+1, TypeName(e))
			}
			for _, x := range arr {
				k := valueKey(x)
				if seen[k] {
					continue
				}
				seen[k] = true
				out = append(out, x)
				if len(out) > MaxArrayLen {
					return nil, argError("the result has more than %d elements", MaxArrayLen)
				}
			}
		}
		if out == nil {
			out = []any{}
		}
		return out, nil
	case map[string]any:
		out := map[string]any{}
		for i, e := range a {
			o, ok := e.(map[string]any)
			if !ok {
				if e == nil {
					continue
				}
				return nil, argError("argument %d must be an object like the others, not %s", i+1, TypeName(e))
			}
			mergeDeep(out, o)
		}
		return out, nil
	}
	return nil, argError("expects arrays or objects, not %s", TypeName(kind))
}

func mergeDeep(dst, src map[string]any) {
	for k, v := range src {
		if sv, ok := v.(map[string]any); ok {
			if dv, ok := dst[k].(map[string]any); ok {
				merged := make(map[string]any, len(dv)+len(sv))
				for dk, dvv := range dv {
					merged[dk] = dvv
				}
				mergeDeep(merged, sv)
				dst[k] = merged
				continue
			}
		}
		setFold(dst, k, v)
	}
}

// setFold sets key in m, replacing a member whose name differs only in
// case (template objects are case-insensitive).
func setFold(m map[string]any, key string, v any) {
	if _, ok := m[key]; !ok {
		for k := range m {
			if strings.EqualFold(k, key) {
				delete(m, k)
				break
			}
		}
	}
	m[key] = v
}

// valueKey is a canonical text of a value for set operations: values
// that DeepEqual compares equal share a key (unknowns are keyed by their
// expression).
func valueKey(v any) string {
	switch x := normalize(v).(type) {
	case string:
		return "s" + x
	case int64:
		return "n" + formatFloat(float64(x))
	case float64:
		return "n" + formatFloat(x)
	}
	return "j" + ToJSON(v)
}
