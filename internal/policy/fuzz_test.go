package policy

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/kvguard/kvguard/internal/resource"
)

// FuzzDefinition feeds arbitrary JSON to the parser and compiler and
// evaluates whatever compiles: no input may panic or hang, and a definition
// that compiles must evaluate to a known outcome on every test document.
func FuzzDefinition(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "fuzzseed", "*.json"))
	for _, s := range seeds {
		if data, err := os.ReadFile(s); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(rule(`{"count":{"value":[1,2],"name":"n","where":{"value":"[current('n')]","greater":1}},"equals":1}`)))
	f.Add([]byte(`{"if":{"not":{"field":"tags['a']","like":"x*"}},"then":{"effect":"deny"}}`))
	docs := conformanceDocs()
	f.Fuzz(func(t *testing.T, data []byte) {
		def, err := ParseDefinition(data, "fuzz.json")
		if err != nil {
			return
		}
		p, err := Compile(def, placeholderParams(def))
		if errors.Is(err, errInternal) {
			t.Fatal(err)
		}
		if err != nil {
			return
		}
		for _, d := range docs {
			r := p.Evaluate(d, sliceRelated(docs), Options{})
			if r.Outcome > Error {
				t.Fatalf("outcome %d out of range", r.Outcome)
			}
			if r.Outcome == Error && r.Err == nil {
				t.Fatal("an evaluation error without its cause")
			}
			if errors.Is(r.Err, errInternal) {
				t.Fatal(r.Err)
			}
		}
		_ = resource.Unknown{}
	})
}
