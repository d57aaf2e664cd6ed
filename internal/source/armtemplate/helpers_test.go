package armtemplate

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	goldenfile "github.com/kvguard/kvguard/internal/testsupport/golden"

	"github.com/kvguard/kvguard/internal/resource"
)

// examplesDir holds the ARM examples, at the repository root.
var examplesDir = filepath.Join("..", "..", "..", "examples", "arm")

// readAll reads one template and returns its documents and input errors.
func readAll(t testing.TB, path string, opts Options) ([]*resource.Document, []*resource.InputError) {
	t.Helper()
	var docs []*resource.Document
	err := New(opts).Read(context.Background(), path, func(d *resource.Document) { docs = append(docs, d) })
	return docs, inputErrors(t, err)
}

func inputErrors(t testing.TB, err error) []*resource.InputError {
	t.Helper()
	if err == nil {
		return nil
	}
	var out []*resource.InputError
	var walk func(error)
	walk = func(e error) {
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
			return
		}
		var ie *resource.InputError
		if !errors.As(e, &ie) {
			t.Errorf("error %v (%T) is not an InputError", e, e)
			return
		}
		out = append(out, ie)
	}
	walk(err)
	return out
}

// hardErrors drops warnings.
func hardErrors(errs []*resource.InputError) []*resource.InputError {
	var out []*resource.InputError
	for _, e := range errs {
		if !e.Warning {
			out = append(out, e)
		}
	}
	return out
}

func docByID(docs []*resource.Document, suffix string) *resource.Document {
	for _, d := range docs {
		if strings.HasSuffix(strings.ToLower(d.ID), strings.ToLower(suffix)) {
			return d
		}
	}
	return nil
}

// renderDocs writes documents as stable JSON for golden files.
func renderDocs(t testing.TB, docs []*resource.Document, errs []*resource.InputError) []byte {
	t.Helper()
	type src struct {
		File       string `json:"file"`
		StartLine  int    `json:"startLine"`
		EndLine    int    `json:"endLine"`
		Address    string `json:"address"`
		APIVersion string `json:"apiVersion,omitempty"`
	}
	type sup struct {
		RuleID  string `json:"ruleId"`
		Reason  string `json:"reason,omitempty"`
		Expires string `json:"expires,omitempty"`
		Line    int    `json:"line"`
	}
	type doc struct {
		ID           string         `json:"id"`
		Type         string         `json:"type"`
		Name         string         `json:"name"`
		Parent       string         `json:"parent,omitempty"`
		Source       src            `json:"source"`
		Suppressions []sup          `json:"suppressions,omitempty"`
		Body         map[string]any `json:"body"`
	}
	out := struct {
		Documents []doc    `json:"documents"`
		Errors    []string `json:"errors,omitempty"`
	}{Documents: []doc{}}
	for _, d := range docs {
		x := doc{ID: d.ID, Type: d.Type, Name: d.Name, Parent: d.Parent.String(), Body: d.Body, Source: src{
			File: filepath.ToSlash(d.Source.File), StartLine: d.Source.StartLine, EndLine: d.Source.EndLine,
			Address: d.Source.Address, APIVersion: d.Source.APIVersion,
		}}
		for _, s := range d.Suppressions {
			e := ""
			if !s.Expires.IsZero() {
				e = s.Expires.Format("2006-01-02")
			}
			x.Suppressions = append(x.Suppressions, sup{RuleID: s.RuleID, Reason: s.Reason, Expires: e, Line: s.Pos.Line})
		}
		out.Documents = append(out.Documents, x)
	}
	for _, e := range errs {
		out.Errors = append(out.Errors, filepath.ToSlash(e.Error()))
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

// golden compares got with testdata/<test>/<name>.golden.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	dir := filepath.Join("testdata", strings.Split(t.Name(), "/")[0])
	path := filepath.Join(dir, name+".golden")
	goldenfile.Check(t, path, got)
}
