package armexpr

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/kvguard/kvguard/internal/resource"
)

// Limits that keep hostile templates from exhausting memory.
const (
	// MaxStringLen bounds a string built by a function (concat, format,
	// padLeft, replace, ...).
	MaxStringLen = 4 << 20
	// MaxArrayLen bounds an array built by a function (range, concat,
	// union, ...). Azure's own range() limit is 10,000 elements.
	MaxArrayLen = 100_000
	// MaxRange is the largest count range() accepts, as in Azure.
	MaxRange = 10_000
	maxDepth = 64
)

// TypeName names a value's template type: String, Int, Bool, Array,
// Object, Null, Float, Unknown, Lambda.
func TypeName(v any) string {
	switch v.(type) {
	case nil:
		return "Null"
	case string:
		return "String"
	case int64, int, int32:
		return "Int"
	case float64:
		return "Float"
	case bool:
		return "Bool"
	case []any:
		return "Array"
	case map[string]any:
		return "Object"
	case resource.Unknown:
		return "Unknown"
	case Lambda, *Lambda:
		return "Lambda"
	}
	return fmt.Sprintf("%T", v)
}

// Normalize converts Go numbers of other widths to int64 and float64 with
// an integral value below 2^53 stays float64; other values are returned
// unchanged.
func normalize(v any) any {
	switch x := v.(type) {
	case int:
		return int64(x)
	case int32:
		return int64(x)
	case json.Number:
		return resource.NormalizeNumbers(x)
	}
	return v
}

// ContainsUnknown reports whether v is, or holds anywhere inside it, a
// resource.Unknown.
func ContainsUnknown(v any) bool {
	switch x := v.(type) {
	case resource.Unknown:
		return true
	case []any:
		for _, e := range x {
			if ContainsUnknown(e) {
				return true
			}
		}
	case map[string]any:
		for _, e := range x {
			if ContainsUnknown(e) {
				return true
			}
		}
	}
	return false
}

// firstUnknown returns the first top-level unknown argument.
func anyUnknown(args []any) bool {
	for _, a := range args {
		if resource.IsUnknown(a) {
			return true
		}
	}
	return false
}

func asInt(v any) (int64, bool) {
	switch x := normalize(v).(type) {
	case int64:
		return x, true
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int64(x), true
		}
	}
	return 0, false
}

func asFloat(v any) (float64, bool) {
	switch x := normalize(v).(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// DeepEqual compares two values as ARM's equals() does: numbers by value,
// strings case-sensitively, arrays element by element, objects member by
// member. unknown is set when the answer depends on an unknown value.
func DeepEqual(a, b any) (equal, unknown bool) {
	a, b = normalize(a), normalize(b)
	if resource.IsUnknown(a) || resource.IsUnknown(b) {
		return false, true
	}
	switch x := a.(type) {
	case nil:
		return b == nil, false
	case string:
		y, ok := b.(string)
		return ok && x == y, false
	case bool:
		y, ok := b.(bool)
		return ok && x == y, false
	case int64, float64:
		fx, _ := asFloat(x)
		fy, ok := asFloat(b)
		return ok && fx == fy, false
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false, false
		}
		unk := false
		for i := range x {
			eq, u := DeepEqual(x[i], y[i])
			if u {
				unk = true
				continue
			}
			if !eq {
				return false, false
			}
		}
		return !unk, unk
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false, false
		}
		unk := false
		for k, xv := range x {
			yv, ok := y[k]
			if !ok {
				return false, false
			}
			eq, u := DeepEqual(xv, yv)
			if u {
				unk = true
				continue
			}
			if !eq {
				return false, false
			}
		}
		return !unk, unk
	}
	return false, false
}

// DeepCopy copies maps and arrays so that a caller may modify the result.
func DeepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = DeepCopy(e)
		}
		return m
	case []any:
		a := make([]any, len(x))
		for i, e := range x {
			a[i] = DeepCopy(e)
		}
		return a
	}
	return v
}

// ToJSON renders v as compact JSON, the way string() renders arrays and
// objects (keys sorted; unknowns as their expression in brackets).
func ToJSON(v any) string {
	var b strings.Builder
	writeJSON(&b, v)
	return b.String()
}

func writeJSON(b *strings.Builder, v any) {
	switch x := normalize(v).(type) {
	case nil:
		b.WriteString("null")
	case string:
		q, _ := json.Marshal(x)
		b.Write(q)
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case float64:
		b.WriteString(formatFloat(x))
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSON(b, e)
		}
		b.WriteByte(']')
	case map[string]any:
		b.WriteByte('{')
		for i, k := range sortedKeys(x) {
			if i > 0 {
				b.WriteByte(',')
			}
			q, _ := json.Marshal(k)
			b.Write(q)
			b.WriteByte(':')
			writeJSON(b, x[k])
		}
		b.WriteByte('}')
	case resource.Unknown:
		q, _ := json.Marshal("[" + x.Expr + "]")
		b.Write(q)
	default:
		q, _ := json.Marshal(fmt.Sprint(x))
		b.Write(q)
	}
}

func formatFloat(f float64) string {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return "0"
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Stringify converts a value to text the way ARM's string() and concat()
// do: strings as they are, numbers in invariant form, booleans as True and
// False (.NET's rendering), null as "", arrays and objects as compact
// JSON.
func Stringify(v any) string {
	switch x := normalize(v).(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		if x {
			return "True"
		}
		return "False"
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return formatFloat(x)
	case resource.Unknown:
		return "[" + x.Expr + "]"
	}
	return ToJSON(v)
}

// RenderCall renders a call with evaluated arguments in template syntax,
// for an Unknown's expression: unknown arguments show their own
// expression, long literals are shortened.
func RenderCall(name string, args []any) string {
	var b strings.Builder
	b.WriteString(name)
	b.WriteByte('(')
	for i, a := range args {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(RenderValue(a))
		if b.Len() > 400 {
			b.WriteString(", ...")
			break
		}
	}
	b.WriteByte(')')
	return b.String()
}

// RenderValue renders a value in template syntax: 'text', 42, true,
// null, JSON for arrays and objects (shortened), an unknown's expression.
func RenderValue(v any) string {
	switch x := normalize(v).(type) {
	case resource.Unknown:
		return x.Expr
	case string:
		s := x
		if len(s) > 120 {
			s = s[:117] + "..."
		}
		return "'" + strings.ReplaceAll(s, "'", "''") + "'"
	case nil:
		return "null()"
	case bool:
		return strconv.FormatBool(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return formatFloat(x)
	case Lambda:
		return "lambda(" + strings.Join(x.Params, ", ") + ")"
	case *Lambda:
		return "lambda(" + strings.Join(x.Params, ", ") + ")"
	}
	s := ToJSON(v)
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return s
}

// lookupFold finds a member case-insensitively, exact match first.
func lookupFold(m map[string]any, key string) (any, bool) {
	return resource.LookupFold(m, key)
}
