package resource

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Describe says what a JSON value is, for messages about a value of the
// wrong type: the string "yes", the number 1, the boolean true, an object.
// Long strings are shortened.
func Describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "the boolean " + strconv.FormatBool(x)
	case string:
		return "the string " + strconv.Quote(clip(x))
	case int64:
		return "the number " + strconv.FormatInt(x, 10)
	case int:
		return "the number " + strconv.Itoa(x)
	case float64:
		return "the number " + strconv.FormatFloat(x, 'g', -1, 64)
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case Unknown:
		return "an unknown value"
	}
	return fmt.Sprintf("%T", v)
}

// Render writes a value the way it appears in JSON, shortened, for the
// expression of an Unknown that replaces a value of the wrong type:
// "yes", 1, true, {…}, […].
func Render(v any) string {
	switch x := v.(type) {
	case string:
		return strconv.Quote(clip(x))
	case map[string]any:
		return "{…}"
	case []any:
		return "[…]"
	case nil:
		return "null"
	}
	d := Describe(v)
	for _, p := range []string{"the number ", "the boolean ", "the string "} {
		d = strings.TrimPrefix(d, p)
	}
	return d
}

// clip shortens long strings in messages.
func clip(s string) string {
	const limit = 60
	if len(s) <= limit {
		return s
	}
	i := limit
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}
