package armtemplate

import (
	"strings"

	"github.com/kvguard/kvguard/internal/resource"
)

// noteSecret records the strings of a secure value for scrubbing.
func (ev *evaluator) noteSecret(v any) {
	switch x := v.(type) {
	case string:
		if len(x) >= 3 {
			if ev.secrets == nil {
				ev.secrets = map[string]bool{}
			}
			ev.secrets[x] = true
		}
	case []any:
		for _, e := range x {
			ev.noteSecret(e)
		}
	case map[string]any:
		for _, e := range x {
			ev.noteSecret(e)
		}
	}
}

// scrub replaces what holds a secure parameter's string in a document
// body: the string becomes unknown, and an unknown's expression that
// quotes it has it masked.
func (ev *evaluator) scrub(v any) any {
	switch x := v.(type) {
	case string:
		for s := range ev.secrets {
			if strings.Contains(x, s) {
				return resource.Unknown{Expr: "a secure parameter's value"}
			}
		}
	case resource.Unknown:
		for s := range ev.secrets {
			x.Expr = strings.ReplaceAll(x.Expr, s, "***")
		}
		return x
	case []any:
		for i := range x {
			x[i] = ev.scrub(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = ev.scrub(x[k])
		}
	}
	return v
}
