package policy

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/kvguard/kvguard/internal/resource"
)

// unknownValue is a value an IaC input could not resolve. Conditions over
// it are unknown, except exists, which it satisfies: the value is set.
type unknownValue = resource.Unknown

// missing marks a field that the resource does not have. It is distinct
// from a JSON null only for reasons; both fail exists.
type missingValue struct{}

var missing = missingValue{}

func lookupFold(m map[string]any, key string) (any, bool) { return resource.LookupFold(m, key) }

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case missingValue:
		return "a missing value"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case int64, float64, int:
		return "a number"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	case unknownValue:
		return "an unknown value"
	}
	return fmt.Sprintf("%T", v)
}

func toInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case int:
		return int64(x), true
	case float64:
		if x == math.Trunc(x) && !math.IsInf(x, 0) {
			return int64(x), true
		}
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		return n, err == nil
	}
	return 0, false
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case int:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// stringOf renders a scalar the way Azure Policy compares it: booleans as
// true/false, numbers in their shortest form.
func stringOf(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case bool:
		if x {
			return "true", true
		}
		return "false", true
	case int64:
		return strconv.FormatInt(x, 10), true
	case int:
		return strconv.Itoa(x), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	}
	return "", false
}

// valuesEqual implements the equals operator: strings case-insensitively,
// scalars of different types by their string forms ("false" equals false,
// "0" equals 0), arrays and objects structurally.
func valuesEqual(a, b any) bool {
	switch x := a.(type) {
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !valuesEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := lookupFold(y, k)
			if !ok || !valuesEqual(v, w) {
				return false
			}
		}
		return true
	case nil:
		return b == nil
	}
	if fa, ok := toFloat(a); ok {
		if fb, ok := toFloat(b); ok {
			return fa == fb
		}
	}
	sa, ok1 := stringOf(a)
	sb, ok2 := stringOf(b)
	return ok1 && ok2 && strings.EqualFold(sa, sb)
}

var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.9999999Z07:00",
	"2006-01-02T15:04:05.9999999",
	"2006-01-02T15:04:05",
	"2006-01-02",
}

// parseDate reads the ISO 8601 forms Azure Policy compares as dates.
func parseDate(s string) (time.Time, bool) {
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return time.Time{}, false
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// compareOrdered implements less/greater and friends: dates when both
// sides are dates, numbers when both are numeric, otherwise an ordinal
// case-insensitive string comparison. ok is false when the types cannot be
// compared, which Azure Policy treats as an evaluation error.
func compareOrdered(a, b any) (int, bool) {
	if fa, ok := numberOf(a); ok {
		if fb, ok := numberOf(b); ok {
			switch {
			case fa < fb:
				return -1, true
			case fa > fb:
				return 1, true
			}
			return 0, true
		}
	}
	sa, ok1 := a.(string)
	sb, ok2 := b.(string)
	if !ok1 || !ok2 {
		return 0, false
	}
	if ta, ok := parseDate(sa); ok {
		if tb, ok := parseDate(sb); ok {
			return ta.Compare(tb), true
		}
	}
	return strings.Compare(strings.ToLower(sa), strings.ToLower(sb)), true
}

// numberOf reads numbers, and strings that are plain integers (padLeft
// results such as "030" compare as numbers too).
func numberOf(v any) (float64, bool) {
	if f, ok := toFloat(v); ok {
		return f, true
	}
	if s, ok := v.(string); ok && s != "" {
		if _, isDate := parseDate(s); isDate {
			return 0, false
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f, true
		}
	}
	return 0, false
}

// display renders a value for reasons: compact JSON, missing values as
// "(absent)".
func display(v any) string {
	switch x := v.(type) {
	case missingValue:
		return "(absent)"
	case unknownValue:
		return x.String()
	case string:
		return strconv.Quote(x)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	s := string(b)
	if len(s) > 200 {
		s = s[:197] + "..."
	}
	return s
}
