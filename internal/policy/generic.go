package policy

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
)

// genericFunctions are the ARM template functions that policy rules may
// use: string, array, comparison, logical, numeric and conversion
// functions.
func genericFunctions() map[string]function {
	str1 := func(f func(string) any) function {
		return function{minArgs: 1, maxArgs: 1, call: func(_ *evalCtx, a []any) (any, error) {
			s, ok := a[0].(string)
			if !ok {
				return nil, fmt.Errorf("needs a string, got %s", typeName(a[0]))
			}
			return f(s), nil
		}}
	}
	cmp2 := func(pred func(int) bool) function {
		return function{minArgs: 2, maxArgs: 2, call: func(_ *evalCtx, a []any) (any, error) {
			n, ok := compareOrdered(a[0], a[1])
			if !ok {
				return nil, fmt.Errorf("cannot compare %s with %s", display(a[0]), display(a[1]))
			}
			return pred(n), nil
		}}
	}
	arith := func(op func(a, b int64) (int64, error)) function {
		return function{minArgs: 2, maxArgs: 2, call: func(_ *evalCtx, a []any) (any, error) {
			x, ok1 := toInt(a[0])
			y, ok2 := toInt(a[1])
			if !ok1 || !ok2 {
				return nil, errors.New("needs two integers")
			}
			return op(x, y)
		}}
	}
	return map[string]function{
		"concat":    {minArgs: 1, maxArgs: -1, call: fnConcat},
		"format":    {minArgs: 1, maxArgs: -1, call: fnFormat},
		"length":    {minArgs: 1, maxArgs: 1, call: fnLength},
		"empty":     {minArgs: 1, maxArgs: 1, call: fnEmpty},
		"padleft":   {minArgs: 2, maxArgs: 3, call: fnPadLeft},
		"tolower":   str1(func(s string) any { return strings.ToLower(s) }),
		"toupper":   str1(func(s string) any { return strings.ToUpper(s) }),
		"trim":      str1(func(s string) any { return strings.TrimSpace(s) }),
		"base64":    str1(func(s string) any { return base64.StdEncoding.EncodeToString([]byte(s)) }),
		"contains":  {minArgs: 2, maxArgs: 2, call: func(_ *evalCtx, a []any) (any, error) { return containsValue(a[0], a[1]), nil }},
		"equals":    {minArgs: 2, maxArgs: 2, call: func(_ *evalCtx, a []any) (any, error) { return valuesEqual(a[0], a[1]), nil }},
		"and":       {minArgs: 1, maxArgs: -1, call: fnAnd, acceptsUnknown: true},
		"or":        {minArgs: 1, maxArgs: -1, call: fnOr, acceptsUnknown: true},
		"not":       {minArgs: 1, maxArgs: 1, call: fnNot},
		"first":     {minArgs: 1, maxArgs: 1, call: fnFirst},
		"last":      {minArgs: 1, maxArgs: 1, call: fnLast},
		"split":     {minArgs: 2, maxArgs: 2, call: fnSplit},
		"string":    {minArgs: 1, maxArgs: 1, call: fnString},
		"int":       {minArgs: 1, maxArgs: 1, call: fnInt},
		"bool":      {minArgs: 1, maxArgs: 1, call: fnBool},
		"substring": {minArgs: 2, maxArgs: 3, call: fnSubstring},
		"replace":   {minArgs: 3, maxArgs: 3, call: fnReplace},
		"startswith": {minArgs: 2, maxArgs: 2, call: func(_ *evalCtx, a []any) (any, error) {
			s, t, err := twoStrings(a)
			return err == nil && strings.HasPrefix(strings.ToLower(s), strings.ToLower(t)), err
		}},
		"endswith": {minArgs: 2, maxArgs: 2, call: func(_ *evalCtx, a []any) (any, error) {
			s, t, err := twoStrings(a)
			return err == nil && strings.HasSuffix(strings.ToLower(s), strings.ToLower(t)), err
		}},
		"indexof": {minArgs: 2, maxArgs: 2, call: func(_ *evalCtx, a []any) (any, error) {
			s, t, err := twoStrings(a)
			return int64(strings.Index(strings.ToLower(s), strings.ToLower(t))), err
		}},
		"lastindexof": {minArgs: 2, maxArgs: 2, call: func(_ *evalCtx, a []any) (any, error) {
			s, t, err := twoStrings(a)
			return int64(strings.LastIndex(strings.ToLower(s), strings.ToLower(t))), err
		}},
		"greater":         cmp2(func(n int) bool { return n > 0 }),
		"greaterorequals": cmp2(func(n int) bool { return n >= 0 }),
		"less":            cmp2(func(n int) bool { return n < 0 }),
		"lessorequals":    cmp2(func(n int) bool { return n <= 0 }),
		"add":             arith(func(a, b int64) (int64, error) { return a + b, nil }),
		"sub":             arith(func(a, b int64) (int64, error) { return a - b, nil }),
		"mul":             arith(func(a, b int64) (int64, error) { return a * b, nil }),
		"div": arith(func(a, b int64) (int64, error) {
			if b == 0 {
				return 0, errors.New("division by zero")
			}
			return a / b, nil
		}),
		"mod": arith(func(a, b int64) (int64, error) {
			if b == 0 {
				return 0, errors.New("division by zero")
			}
			return a % b, nil
		}),
		"min":          {minArgs: 1, maxArgs: -1, call: func(_ *evalCtx, a []any) (any, error) { return extreme(a, -1) }},
		"max":          {minArgs: 1, maxArgs: -1, call: func(_ *evalCtx, a []any) (any, error) { return extreme(a, 1) }},
		"createarray":  {minArgs: 0, maxArgs: -1, call: func(_ *evalCtx, a []any) (any, error) { return append([]any{}, a...), nil }},
		"array":        {minArgs: 1, maxArgs: 1, call: fnArray},
		"createobject": {minArgs: 0, maxArgs: -1, call: fnCreateObject},
		"json":         str1(func(s string) any { var v any; _ = json.Unmarshal([]byte(s), &v); return normaliseJSON(v) }),
		"coalesce":     {minArgs: 1, maxArgs: -1, call: fnCoalesce, acceptsUnknown: true},
		"union":        {minArgs: 1, maxArgs: -1, call: fnUnion},
		"intersection": {minArgs: 1, maxArgs: -1, call: fnIntersection},
		"take":         {minArgs: 2, maxArgs: 2, call: func(_ *evalCtx, a []any) (any, error) { return takeSkip(a, true) }},
		"skip":         {minArgs: 2, maxArgs: 2, call: func(_ *evalCtx, a []any) (any, error) { return takeSkip(a, false) }},
		"range":        {minArgs: 2, maxArgs: 2, call: fnRange},
		"true":         {minArgs: 0, maxArgs: 0, call: func(*evalCtx, []any) (any, error) { return true, nil }},
		"false":        {minArgs: 0, maxArgs: 0, call: func(*evalCtx, []any) (any, error) { return false, nil }},
		"null":         {minArgs: 0, maxArgs: 0, call: func(*evalCtx, []any) (any, error) { return nil, nil }},
		"join": {minArgs: 2, maxArgs: 2, call: func(_ *evalCtx, a []any) (any, error) {
			arr, ok := a[0].([]any)
			sep, ok2 := a[1].(string)
			if !ok || !ok2 {
				return nil, errors.New("join needs an array and a string")
			}
			parts := make([]string, len(arr))
			for i, e := range arr {
				parts[i], _ = stringOf(e)
			}
			return strings.Join(parts, sep), nil
		}},
		"objectkeys": {minArgs: 1, maxArgs: 1, call: func(_ *evalCtx, a []any) (any, error) {
			m, ok := a[0].(map[string]any)
			if !ok {
				return nil, errors.New("objectKeys needs an object")
			}
			keys := make([]string, 0, len(m))
			for k := range m {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			out := make([]any, len(keys))
			for i, k := range keys {
				out[i] = k
			}
			return out, nil
		}},
	}
}

func twoStrings(a []any) (string, string, error) {
	s, ok1 := a[0].(string)
	t, ok2 := a[1].(string)
	if !ok1 || !ok2 {
		return "", "", errors.New("needs two strings")
	}
	return s, t, nil
}

func normaliseJSON(v any) any {
	switch x := v.(type) {
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int64(x)
		}
	case []any:
		for i := range x {
			x[i] = normaliseJSON(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = normaliseJSON(x[k])
		}
	}
	return v
}

func fnConcat(_ *evalCtx, a []any) (any, error) {
	if _, ok := a[0].([]any); ok {
		var out []any
		for _, x := range a {
			arr, ok := x.([]any)
			if !ok {
				return nil, errors.New("concat mixes arrays with other values")
			}
			out = append(out, arr...)
		}
		return out, nil
	}
	var b strings.Builder
	for _, x := range a {
		s, ok := stringOf(x)
		if !ok && x != nil {
			return nil, fmt.Errorf("concat cannot join %s", typeName(x))
		}
		b.WriteString(s)
	}
	return b.String(), nil
}

// fnFormat implements format with {0}, {1}… placeholders.
func fnFormat(_ *evalCtx, a []any) (any, error) {
	f, ok := a[0].(string)
	if !ok {
		return nil, errors.New("format needs a format string")
	}
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		if f[i] == '{' {
			if i+1 < len(f) && f[i+1] == '{' {
				b.WriteByte('{')
				i++
				continue
			}
			j := strings.IndexByte(f[i:], '}')
			if j < 0 {
				return nil, errors.New("format: unclosed '{'")
			}
			spec := f[i+1 : i+j]
			idxs, _, _ := strings.Cut(spec, ":")
			n, err := parseIndex(idxs)
			if err != nil || n+1 >= len(a) {
				return nil, fmt.Errorf("format: bad placeholder {%s}", spec)
			}
			s, _ := stringOf(a[n+1])
			b.WriteString(s)
			i += j
			continue
		}
		if f[i] == '}' && i+1 < len(f) && f[i+1] == '}' {
			i++
		}
		b.WriteByte(f[i])
	}
	return b.String(), nil
}

func parseIndex(s string) (int, error) {
	n := 0
	if s == "" {
		return 0, errors.New("empty index")
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, errors.New("not an index")
		}
		n = n*10 + int(c-'0')
	}
	return n, nil
}

func fnLength(_ *evalCtx, a []any) (any, error) {
	switch x := a[0].(type) {
	case string:
		return int64(len([]rune(x))), nil
	case []any:
		return int64(len(x)), nil
	case map[string]any:
		return int64(len(x)), nil
	case nil:
		return int64(0), nil
	}
	return nil, fmt.Errorf("length of %s", typeName(a[0]))
}

func fnEmpty(_ *evalCtx, a []any) (any, error) {
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
	return false, nil
}

func fnPadLeft(_ *evalCtx, a []any) (any, error) {
	s, ok := stringOf(a[0])
	if !ok {
		if a[0] == nil {
			s = ""
		} else {
			return nil, fmt.Errorf("padLeft needs a string or number, got %s", typeName(a[0]))
		}
	}
	n, ok := toInt(a[1])
	if !ok || n < 0 || n > 16384 {
		return nil, errors.New("padLeft needs a total length between 0 and 16384")
	}
	pad := " "
	if len(a) == 3 {
		p, ok := a[2].(string)
		if !ok || len([]rune(p)) != 1 {
			return nil, errors.New("padLeft's padding must be one character")
		}
		pad = p
	}
	if missingRunes := int(n) - len([]rune(s)); missingRunes > 0 {
		s = strings.Repeat(pad, missingRunes) + s
	}
	return s, nil
}

func fnAnd(_ *evalCtx, a []any) (any, error) {
	res := any(true)
	for _, x := range a {
		if u, ok := x.(unknownValue); ok {
			res = u
			continue
		}
		b, ok := boolOf(x)
		if !ok {
			return nil, fmt.Errorf("and needs booleans, got %s", display(x))
		}
		if !b {
			return false, nil
		}
	}
	return res, nil
}

func fnOr(_ *evalCtx, a []any) (any, error) {
	res := any(false)
	for _, x := range a {
		if u, ok := x.(unknownValue); ok {
			res = u
			continue
		}
		b, ok := boolOf(x)
		if !ok {
			return nil, fmt.Errorf("or needs booleans, got %s", display(x))
		}
		if b {
			return true, nil
		}
	}
	return res, nil
}

func fnNot(_ *evalCtx, a []any) (any, error) {
	b, ok := boolOf(a[0])
	if !ok {
		return nil, fmt.Errorf("not needs a boolean, got %s", display(a[0]))
	}
	return !b, nil
}

func fnFirst(_ *evalCtx, a []any) (any, error) {
	switch x := a[0].(type) {
	case []any:
		if len(x) == 0 {
			return nil, nil
		}
		return x[0], nil
	case string:
		if x == "" {
			return "", nil
		}
		return string([]rune(x)[0]), nil
	}
	return nil, fmt.Errorf("first of %s", typeName(a[0]))
}

func fnLast(_ *evalCtx, a []any) (any, error) {
	switch x := a[0].(type) {
	case []any:
		if len(x) == 0 {
			return nil, nil
		}
		return x[len(x)-1], nil
	case string:
		r := []rune(x)
		if len(r) == 0 {
			return "", nil
		}
		return string(r[len(r)-1]), nil
	}
	return nil, fmt.Errorf("last of %s", typeName(a[0]))
}

func fnSplit(_ *evalCtx, a []any) (any, error) {
	s, ok := a[0].(string)
	if !ok {
		return nil, errors.New("split needs a string")
	}
	var seps []string
	switch d := a[1].(type) {
	case string:
		seps = []string{d}
	case []any:
		for _, e := range d {
			if t, ok := e.(string); ok {
				seps = append(seps, t)
			}
		}
	default:
		return nil, errors.New("split needs a delimiter string or array")
	}
	parts := []string{s}
	for _, sep := range seps {
		if sep == "" {
			continue
		}
		var next []string
		for _, p := range parts {
			next = append(next, strings.Split(p, sep)...)
		}
		parts = next
	}
	out := make([]any, len(parts))
	for i, p := range parts {
		out[i] = p
	}
	return out, nil
}

func fnString(_ *evalCtx, a []any) (any, error) {
	if s, ok := stringOf(a[0]); ok {
		if b, isBool := a[0].(bool); isBool {
			// ARM's string(true) is "True".
			if b {
				return "True", nil
			}
			return "False", nil
		}
		return s, nil
	}
	if a[0] == nil {
		return "", nil
	}
	b, err := json.Marshal(a[0])
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

func fnInt(_ *evalCtx, a []any) (any, error) {
	n, ok := toInt(a[0])
	if !ok {
		return nil, fmt.Errorf("int cannot convert %s", display(a[0]))
	}
	return n, nil
}

func fnBool(_ *evalCtx, a []any) (any, error) {
	if n, ok := toInt(a[0]); ok {
		if _, isStr := a[0].(string); !isStr {
			return n != 0, nil
		}
	}
	b, ok := boolOf(a[0])
	if !ok {
		return nil, fmt.Errorf("bool cannot convert %s", display(a[0]))
	}
	return b, nil
}

func fnSubstring(_ *evalCtx, a []any) (any, error) {
	s, ok := a[0].(string)
	if !ok {
		return nil, errors.New("substring needs a string")
	}
	r := []rune(s)
	start, ok := toInt(a[1])
	if !ok || start < 0 || start > int64(len(r)) {
		return nil, fmt.Errorf("substring start %v out of range", a[1])
	}
	end := int64(len(r))
	if len(a) == 3 {
		n, ok := toInt(a[2])
		if !ok || n < 0 || start+n > int64(len(r)) {
			return nil, fmt.Errorf("substring length %v out of range", a[2])
		}
		end = start + n
	}
	return string(r[start:end]), nil
}

func fnReplace(_ *evalCtx, a []any) (any, error) {
	s, ok1 := a[0].(string)
	o, ok2 := a[1].(string)
	n, ok3 := a[2].(string)
	if !ok1 || !ok2 || !ok3 {
		return nil, errors.New("replace needs three strings")
	}
	return strings.ReplaceAll(s, o, n), nil
}

func extreme(a []any, sign int) (any, error) {
	vals := a
	if len(a) == 1 {
		if arr, ok := a[0].([]any); ok {
			vals = arr
		}
	}
	if len(vals) == 0 {
		return nil, errors.New("needs at least one value")
	}
	best, ok := toInt(vals[0])
	if !ok {
		return nil, errors.New("needs integers")
	}
	for _, v := range vals[1:] {
		n, ok := toInt(v)
		if !ok {
			return nil, errors.New("needs integers")
		}
		if (sign < 0 && n < best) || (sign > 0 && n > best) {
			best = n
		}
	}
	return best, nil
}

func fnArray(_ *evalCtx, a []any) (any, error) {
	if arr, ok := a[0].([]any); ok {
		return arr, nil
	}
	return []any{a[0]}, nil
}

func fnCreateObject(_ *evalCtx, a []any) (any, error) {
	if len(a)%2 != 0 {
		return nil, errors.New("createObject needs key/value pairs")
	}
	out := map[string]any{}
	for i := 0; i < len(a); i += 2 {
		k, ok := a[i].(string)
		if !ok {
			return nil, errors.New("createObject keys must be strings")
		}
		out[k] = a[i+1]
	}
	return out, nil
}

func fnCoalesce(_ *evalCtx, a []any) (any, error) {
	for _, x := range a {
		if u, ok := x.(unknownValue); ok {
			return u, nil
		}
		if x != nil {
			return x, nil
		}
	}
	return nil, nil
}

func fnUnion(_ *evalCtx, a []any) (any, error) {
	if _, ok := a[0].(map[string]any); ok {
		out := map[string]any{}
		for _, x := range a {
			m, ok := x.(map[string]any)
			if !ok {
				return nil, errors.New("union mixes objects with other values")
			}
			for k, v := range m {
				out[k] = v
			}
		}
		return out, nil
	}
	var out []any
	for _, x := range a {
		arr, ok := x.([]any)
		if !ok {
			return nil, errors.New("union needs arrays or objects")
		}
		for _, e := range arr {
			if !containsValue(out, e) {
				out = append(out, e)
			}
		}
	}
	return out, nil
}

func fnIntersection(_ *evalCtx, a []any) (any, error) {
	first, ok := a[0].([]any)
	if !ok {
		return nil, errors.New("intersection needs arrays")
	}
	var out []any
	for _, e := range first {
		inAll := true
		for _, x := range a[1:] {
			arr, ok := x.([]any)
			if !ok {
				return nil, errors.New("intersection needs arrays")
			}
			if !containsValue(arr, e) {
				inAll = false
				break
			}
		}
		if inAll && !containsValue(out, e) {
			out = append(out, e)
		}
	}
	return out, nil
}

func takeSkip(a []any, take bool) (any, error) {
	n, ok := toInt(a[1])
	if !ok {
		return nil, errors.New("needs a count")
	}
	switch x := a[0].(type) {
	case []any:
		n = max(0, min(n, int64(len(x))))
		if take {
			return x[:n], nil
		}
		return x[n:], nil
	case string:
		r := []rune(x)
		n = max(0, min(n, int64(len(r))))
		if take {
			return string(r[:n]), nil
		}
		return string(r[n:]), nil
	}
	return nil, errors.New("needs an array or a string")
}

func fnRange(_ *evalCtx, a []any) (any, error) {
	start, ok1 := toInt(a[0])
	n, ok2 := toInt(a[1])
	if !ok1 || !ok2 || n < 0 || n > 10000 {
		return nil, errors.New("range needs a start and a count up to 10000")
	}
	out := make([]any, n)
	for i := range out {
		out[i] = start + int64(i)
	}
	return out, nil
}
