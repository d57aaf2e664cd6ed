package terraform

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kvguard/kvguard/internal/resource"
)

// writeTree writes files (path → content, slash-separated) under a new
// temporary directory and returns it.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// read reads path with opts and returns the documents and the input
// errors (split into errors and warnings).
func read(t *testing.T, path string, opts Options) (docs []*resource.Document, errs, warns []*resource.InputError) {
	t.Helper()
	err := New(opts).Read(context.Background(), path, func(d *resource.Document) { docs = append(docs, d) })
	for _, e := range flatten(err) {
		var ie *resource.InputError
		if !errors.As(e, &ie) {
			t.Fatalf("error is not an InputError: %v", e)
		}
		if ie.Pos.File == "" {
			t.Errorf("input error without a file: %v", ie)
		}
		if ie.Warning {
			warns = append(warns, ie)
		} else {
			errs = append(errs, ie)
		}
	}
	return docs, errs, warns
}

func flatten(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}

// readHCL writes a single main.tf and reads it, failing on errors.
func readHCL(t *testing.T, src string) []*resource.Document {
	t.Helper()
	docs, errs, _ := read(t, writeTree(t, map[string]string{"main.tf": src}), Options{})
	for _, e := range errs {
		t.Errorf("unexpected error: %v", e)
	}
	return docs
}

// byAddress finds the document of a Terraform address.
func byAddress(t *testing.T, docs []*resource.Document, addr string) *resource.Document {
	t.Helper()
	for _, d := range docs {
		if d.Source.Address == addr {
			return d
		}
	}
	var have []string
	for _, d := range docs {
		have = append(have, d.Source.Address)
	}
	t.Fatalf("no document for %s; have %v", addr, have)
	return nil
}

// at walks a document body along a dotted path (numbers index lists).
func at(t *testing.T, d *resource.Document, path string) any {
	t.Helper()
	return pathGet(d.Body, path)
}

func messages(errs []*resource.InputError) string {
	var b strings.Builder
	for _, e := range errs {
		b.WriteString(e.Error())
		b.WriteByte('\n')
	}
	return b.String()
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// vault is an azurerm_key_vault block with the given extra lines.
func vault(name, extra string) string {
	return `resource "azurerm_key_vault" "` + name + `" {
  name                = "` + strings.ReplaceAll(name, "_", "-") + `"
  location            = "West Europe"
  resource_group_name = "rg"
  tenant_id           = "00000000-0000-0000-0000-000000000001"
  sku_name            = "standard"
` + extra + `
}
`
}
