package policy

import (
	"errors"
	"strings"
	"testing"
)

// TestTagReferences: a malformed tag reference in a definition is an error
// naming the definition's file and line, at compile time and when field()
// names one at evaluation time; it never panics (tags['] did, found by
// FuzzDefinition).
func TestTagReferences(t *testing.T) {
	t.Parallel()
	cases := []struct {
		field   string
		wantErr string // "" when the field must compile
	}{
		{field: `tags['env']`},
		{field: `tags[env]`},
		{field: `tags.env`},
		{field: `Tags['a.b']`},
		{field: `tags[''']`}, // a tag named '
		{field: `tags[']`, wantErr: `p.json:1:`},
		{field: `tags['']`, wantErr: `tags['']`},
		{field: `tags['env`, wantErr: `closing`},
		{field: `tags['env]`, wantErr: `closing`},
		{field: `tags[]`, wantErr: `names no tag`},
		{field: `tags.`, wantErr: `names no tag`},
	}
	for _, c := range cases {
		t.Run(c.field, func(t *testing.T) {
			t.Parallel()
			def, err := ParseDefinition([]byte(`{"mode":"All","policyRule":{"if":{"field":`+quoteJSON(c.field)+`,"exists":true},"then":{"effect":"audit"}}}`), "p.json")
			if err != nil {
				t.Fatal(err)
			}
			_, err = Compile(def, nil)
			switch {
			case c.wantErr == "" && err != nil:
				t.Fatalf("Compile: %v", err)
			case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
				t.Fatalf("Compile error %v, want one containing %q", err, c.wantErr)
			}
		})
	}
	t.Run("field() at evaluation", func(t *testing.T) {
		t.Parallel()
		p := compileRule(t, rule(`{"value":"[field(concat('tags[''', ']'))]","equals":"x"}`))
		r := p.Evaluate(vaultDoc(nil), nil, Options{})
		if r.Outcome != Error || r.Err == nil || !strings.Contains(r.Err.Error(), "tags[']") {
			t.Fatalf("got %v (%v), want an Error naming the field", r.Outcome, r.Err)
		}
	})
}

// panicCond is a condition that panics, standing for any bug in an
// operator or function.
type panicCond struct{}

func (panicCond) eval(*evalCtx) truth                { panic("boom in a condition") }
func (panicCond) explain(*evalCtx) (truth, []Reason) { panic("boom in a condition") }

// TestPanicIsTheRulesError: a panic while evaluating one policy on one
// document is that rule's Error outcome carrying the panic's message, for
// plain and ifNotExists policies; the caller goes on with the next.
func TestPanicIsTheRulesError(t *testing.T) {
	t.Parallel()
	plain := compileRule(t, rule(`{"field":"name","equals":"kv1"}`))
	ifNotExists := compileRule(t, `{"mode":"All","policyRule":{"if":{"field":"type","equals":"Microsoft.KeyVault/vaults"},"then":{"effect":"auditIfNotExists","details":{"type":"Microsoft.Insights/diagnosticSettings","existenceCondition":{"field":"name","equals":"x"}}}}}`)
	for name, p := range map[string]*Policy{"plain": plain, "ifNotExists": ifNotExists} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			broken := *p
			broken.ifCond = panicCond{}
			r := broken.Evaluate(vaultDoc(nil), sliceRelated(nil), Options{})
			if r.Outcome != Error || !errors.Is(r.Err, errInternal) || !strings.Contains(r.Err.Error(), "boom in a condition") {
				t.Fatalf("got %v (%v), want Error with the panic's message", r.Outcome, r.Err)
			}
			// The same policy, unbroken, still evaluates: nothing was
			// left behind in the pooled evaluation state.
			if r := p.Evaluate(vaultDoc(nil), sliceRelated(nil), Options{}); r.Outcome == Error {
				t.Fatalf("after a recovered panic: %v", r.Err)
			}
		})
	}
	t.Run("compile", func(t *testing.T) {
		t.Parallel()
		if _, err := Compile(nil, nil); !errors.Is(err, errInternal) {
			t.Fatalf("Compile(nil) = %v, want an internal error", err)
		}
	})
}

func compileRule(t *testing.T, src string) *Policy {
	t.Helper()
	def, err := ParseDefinition([]byte(src), "p.json")
	if err != nil {
		t.Fatal(err)
	}
	p, err := Compile(def, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func quoteJSON(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
