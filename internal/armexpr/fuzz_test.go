package armexpr

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kvguard/kvguard/internal/testsupport"
)

// FuzzParse checks that any string parses or fails with a positioned
// error, never panics, and that what parses evaluates (or fails) without
// panicking or hanging.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"[concat('a', parameters('str'))]",
		"[format('{0:D3}', copyIndex())]",
		"[resourceId('Microsoft.KeyVault/vaults', parameters('unknown'))]",
		"[if(equals(1, 1), createArray(1, 2)[0], json('{}'))]",
		"[map(range(0, 3), lambda('x', mul(lambdaVariables('x'), 2)))]",
		"[parameters('obj').nested['x']]",
		"[dateTimeToEpoch(dateTimeAdd(utcNow(), 'P1Y'))]",
		"[uniqueString(resourceGroup().id)]",
		"[[escaped]",
		"['it''s']",
		"[union(createObject('a', 1), createObject('a', createObject('b', 2)))]",
		"[contoso.double(-21)]",
		"[",
		"[]",
		"[(]",
		"[concat(",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(s)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q) error %v is not *Error", s, err)
			}
			if pe.Offset < 0 || pe.Offset > len(s) {
				t.Fatalf("Parse(%q) offset %d outside the string", s, pe.Offset)
			}
			return
		}
		if !IsExpression(s) {
			if v, _ := e.Eval(nil); v != Unescape(s) {
				t.Fatalf("literal %q evaluated to %v", s, v)
			}
			return
		}
		start := time.Now()
		v, err := e.Eval(testEnv(time.Time{}))
		if d := time.Since(start); testsupport.Fuzzing() && d > 2*time.Second {
			t.Fatalf("Eval(%q) took %v", s, d)
		}
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("Eval(%q) error %v is not *Error", s, err)
			}
			return
		}
		if s, ok := v.(string); ok && len(s) > MaxStringLen {
			t.Fatalf("Eval(%q) built a string of %d bytes", s, len(s))
		}
		_ = RenderValue(v)
		_ = strings.TrimSpace(ToJSON(v))
	})
}
