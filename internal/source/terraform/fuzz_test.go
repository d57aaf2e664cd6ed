package terraform

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kvguard/kvguard/internal/resource"
)

// checkDocs asserts what every document must satisfy whatever the input.
func checkDocs(t *testing.T, docs []*resource.Document, err error) {
	t.Helper()
	for _, e := range flatten(err) {
		var ie *resource.InputError
		if !errors.As(e, &ie) {
			t.Fatalf("not an InputError: %v", e)
		}
		if strings.Contains(ie.Msg, "internal error") {
			t.Fatalf("reader panicked: %v", ie)
		}
		if ie.Pos.File == "" {
			t.Fatalf("error without a file: %v", ie)
		}
	}
	for _, d := range docs {
		if d.ID == "" || d.Type == "" || d.Source.Address == "" || d.Source.File == "" {
			t.Fatalf("incomplete document: %+v", d)
		}
		if d.Source.StartLine < 1 || d.Source.EndLine < d.Source.StartLine {
			t.Fatalf("bad line range %d-%d", d.Source.StartLine, d.Source.EndLine)
		}
		checkPlain(t, d.Body)
		if _, err := json.Marshal(d.Body); err != nil {
			t.Fatalf("body does not marshal: %v", err)
		}
	}
}

// checkPlain asserts that a body holds only the types the contract allows.
func checkPlain(t *testing.T, v any) {
	t.Helper()
	switch x := v.(type) {
	case nil, string, int64, float64, bool, resource.Unknown:
	case map[string]any:
		for _, e := range x {
			checkPlain(t, e)
		}
	case []any:
		for _, e := range x {
			checkPlain(t, e)
		}
	default:
		t.Fatalf("body holds a %T", v)
	}
}

func addExampleSeeds(f *testing.F, suffix string) {
	_ = filepath.WalkDir(examplesDir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, suffix) {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
		return nil
	})
}

// FuzzReadHCL maps arbitrary configuration text (native syntax, or JSON
// syntax when it starts with '{') to documents: never a panic, and every
// document well formed. Seeds: testdata/fuzz/FuzzReadHCL and the examples.
func FuzzReadHCL(f *testing.F) {
	addExampleSeeds(f, ".tf")
	f.Fuzz(func(t *testing.T, src []byte) {
		if len(src) > 64<<10 {
			return
		}
		name := "main.tf"
		if bytes.HasPrefix(bytes.TrimSpace(src), []byte("{")) {
			name = "main.tf.json"
		}
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, name), src, 0o644); err != nil {
			t.Fatal(err)
		}
		var docs []*resource.Document
		err := New(Options{}).Read(context.Background(), dir, func(d *resource.Document) { docs = append(docs, d) })
		checkDocs(t, docs, err)
	})
}

// FuzzReadPlan reads arbitrary plan JSON: never a panic, errors placed,
// documents well formed, and no planned secret value in a document.
func FuzzReadPlan(f *testing.F) {
	addExampleSeeds(f, ".json")
	f.Fuzz(func(t *testing.T, src []byte) {
		if len(src) > 256<<10 {
			return
		}
		p := filepath.Join(t.TempDir(), "plan.json")
		if err := os.WriteFile(p, src, 0o644); err != nil {
			t.Fatal(err)
		}
		var docs []*resource.Document
		err := New(Options{}).Read(context.Background(), p, func(d *resource.Document) { docs = append(docs, d) })
		checkDocs(t, docs, err)
		for _, d := range docs {
			if d.IsType(resource.TypeSecret) {
				if _, ok := d.Body["value"]; ok {
					t.Fatal("a secret document carries a value")
				}
			}
		}
	})
}
