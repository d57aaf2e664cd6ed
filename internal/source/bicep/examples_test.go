package bicep

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	goldenfile "github.com/kvguard/kvguard/internal/testsupport/golden"

	"github.com/kvguard/kvguard/internal/resource"
)

// TestExamples reads every example under examples/bicep and compares its
// documents and problems with testdata/examples/<example>.golden.json.
func TestExamples(t *testing.T) {
	t.Parallel()
	root := filepath.Join("..", "..", "..", "examples", "bicep")
	mains, err := filepath.Glob(filepath.Join(root, "*", "main.bicep"))
	if err != nil {
		t.Fatal(err)
	}
	if len(mains) == 0 {
		t.Skip("no examples")
	}
	for _, main := range mains {
		name := filepath.Base(filepath.Dir(main))
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var docs []*resource.Document
			err := New(Options{RestoreCache: noCache}).Read(t.Context(), main, func(d *resource.Document) { docs = append(docs, d) })
			for _, e := range inputErrors(t, err) {
				if !e.Warning {
					t.Errorf("an example must read without errors: %v", e)
				}
			}
			got := exampleGolden(t, docs, err, filepath.Dir(main))
			goldenPath := filepath.Join("testdata", "examples", name+".golden.json")
			goldenfile.Check(t, goldenPath, got)
		})
	}
}

// exampleGolden renders documents and problems as stable JSON, with the
// example's folder made relative.
func exampleGolden(t *testing.T, docs []*resource.Document, err error, dir string) []byte {
	t.Helper()
	type doc struct {
		ID           string                 `json:"id"`
		Type         string                 `json:"type"`
		Parent       string                 `json:"parent,omitempty"`
		Address      string                 `json:"address"`
		File         string                 `json:"file"`
		Lines        [2]int                 `json:"lines"`
		Body         map[string]any         `json:"body"`
		Suppressions []resource.Suppression `json:"suppressions,omitempty"`
	}
	out := struct {
		Documents []doc    `json:"documents"`
		Problems  []string `json:"problems,omitempty"`
	}{Documents: []doc{}}
	rel := func(p string) string {
		if r, err := filepath.Rel(dir, p); err == nil {
			return filepath.ToSlash(r)
		}
		return p
	}
	for _, d := range docs {
		sups := d.Suppressions
		for i := range sups {
			sups[i].Pos.File = rel(sups[i].Pos.File)
		}
		out.Documents = append(out.Documents, doc{ID: d.ID, Type: d.Type, Parent: d.Parent.ID, Address: d.Source.Address,
			File: rel(d.Source.File), Lines: [2]int{d.Source.StartLine, d.Source.EndLine}, Body: d.Body, Suppressions: sups})
	}
	for _, e := range inputErrors(t, err) {
		m := strings.ReplaceAll(e.Error(), dir+string(filepath.Separator), "")
		if e.Warning {
			m = "warning: " + m
		}
		out.Problems = append(out.Problems, m)
	}
	b, jerr := json.MarshalIndent(out, "", "  ")
	if jerr != nil {
		t.Fatal(jerr)
	}
	return append(b, '\n')
}
