package terraform

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	goldenfile "github.com/kvguard/kvguard/internal/testsupport/golden"

	"github.com/kvguard/kvguard/internal/resource"
)

// examplesDir holds the Terraform cases of examples/terraform, one per
// directory (plan/ holds a plan JSON).
const examplesDir = "../../../examples/terraform"

// goldenDoc is how a document is rendered in a golden file: every field,
// with paths relative to examples/terraform.
type goldenDoc struct {
	ID           string         `json:"id"`
	Type         string         `json:"type"`
	Name         string         `json:"name"`
	Parent       string         `json:"parent,omitempty"`
	Kind         string         `json:"kind"`
	File         string         `json:"file"`
	Lines        [2]int         `json:"lines"`
	Address      string         `json:"address"`
	Suppressions []string       `json:"suppressions,omitempty"`
	Body         map[string]any `json:"body"`
}

type golden struct {
	Documents []goldenDoc `json:"documents"`
	Problems  []string    `json:"problems,omitempty"`
}

func render(t *testing.T, docs []*resource.Document, errs, warns []*resource.InputError) []byte {
	t.Helper()
	rel := func(s string) string {
		return strings.ReplaceAll(filepath.ToSlash(s), examplesDir+"/", "")
	}
	var g golden
	for _, d := range docs {
		gd := goldenDoc{
			ID: d.ID, Type: d.Type, Name: d.Name, Parent: d.Parent.String(), Kind: d.Source.Kind,
			File: rel(d.Source.File), Lines: [2]int{d.Source.StartLine, d.Source.EndLine}, Address: d.Source.Address, Body: d.Body,
		}
		for _, s := range d.Suppressions {
			e := s.RuleID + " " + s.Reason
			if !s.Expires.IsZero() {
				e += " exp:" + s.Expires.Format("2006-01-02")
			}
			gd.Suppressions = append(gd.Suppressions, e+" @"+rel(s.Pos.String()))
		}
		g.Documents = append(g.Documents, gd)
	}
	for _, e := range append(errs, warns...) {
		kind := "error: "
		if e.Warning {
			kind = "warning: "
		}
		g.Problems = append(g.Problems, kind+rel(e.Error()))
	}
	sort.Strings(g.Problems)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(g); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestGoldenExamples(t *testing.T) {
	t.Parallel()
	ents, err := os.ReadDir(examplesDir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		name := e.Name()
		path := filepath.Join(examplesDir, name)
		if name == "plan" {
			path = filepath.Join(path, "plan.json")
		}
		n++
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if _, err := os.Stat(filepath.Join(examplesDir, name, "README.md")); err != nil {
				t.Errorf("case %s has no README.md saying what it shows", name)
			}
			docs, errs, warns := read(t, filepath.ToSlash(path), Options{})
			got := render(t, docs, errs, warns)
			file := filepath.Join("testdata", "golden", name+".golden")
			goldenfile.Check(t, file, got)
		})
	}
	if n < 10 {
		t.Errorf("only %d example cases", n)
	}
}

// TestConcurrentReads reads every example at once: a Reader is shared by
// the CLI's workers.
func TestConcurrentReads(t *testing.T) {
	t.Parallel()
	r := New(Options{})
	ents, err := os.ReadDir(examplesDir)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan int)
	dirs := 0
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		dirs++
		go func(name string) {
			n := 0
			p := filepath.Join(examplesDir, name)
			if name == "plan" {
				p = filepath.Join(p, "plan.json")
			}
			_ = r.Read(t.Context(), p, func(*resource.Document) { n++ })
			done <- n
		}(e.Name())
	}
	total := 0
	for range dirs {
		total += <-done
	}
	if total == 0 {
		t.Error("no documents")
	}
}
