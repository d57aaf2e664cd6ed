package armtemplate

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kvguard/kvguard/internal/testsupport"

	"github.com/kvguard/kvguard/internal/resource"
)

// FuzzTemplate reads arbitrary bytes as a template: never a panic or a
// hang, only InputErrors, and every document has an ID and a provenance
// inside the file.
func FuzzTemplate(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(examplesDir, "*.json"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{
		tmpl(vaultOK),
		`{"resources": {"a": {"type": "Microsoft.KeyVault/vaults", "name": "[copyIndex()]", "copy": {"name": "x", "count": 3}}}, "languageVersion": "2.0"}`,
		`{"variables": {"a": "[variables('a')]"}, "resources": [{"type": "t/u", "name": "[variables('a')]"}]}`,
		`{"resources": [{"type": "Microsoft.Resources/deployments", "name": "d", "properties": {"template": {"resources": [{"type": "a/b", "name": "n"}]}}}]}`,
		`{"functions": [{"namespace": "n", "members": {"f": {"parameters": [{"name": "x"}], "output": {"value": "[n.f(parameters('x'))]"}}}}], "resources": [{"type": "a/b", "name": "[n.f(1)]"}]}`,
		"{\"resources\": [{\"type\": \"a/b\", \"name\": \"x\ny\"}]}",
		`{"resources": [{"type": "a/b", "name": "n", "scope": "/", "tags": {"[concat('k', 'v')]": 1, "[[lit]": 2, "[parameters('p')]": 3}}], "parameters": {"p": {"type": "string"}}}`,
		`{"languageVersion": "2.0", "resources": {"d": {"type": "Microsoft.Resources/deployments", "name": "[format('d{0}', copyIndex())]", "copy": {"name": "d", "count": 2}, "properties": {"template": {"resources": [], "outputs": {"o": {"type": "int", "value": 1}}}}}, "r": {"type": "a/b", "name": "[string(reference('d[1]').outputs.o.value)]"}}}`,
	} {
		f.Add([]byte(s))
	}
	// The template is read from memory; its path only anchors relative
	// links and parameter files (none exist there).
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "t.json")
		if d := os.Getenv("KVG_FUZZ_DUMP"); d != "" {
			_ = os.WriteFile(d, data, 0o644)
			_ = os.WriteFile(d+".state", []byte("start"), 0o644)
			defer os.WriteFile(d+".state", []byte("done"), 0o644)
		}
		lines := strings.Count(string(data), "\n") + 1
		ctx := t.Context()
		if testsupport.Fuzzing() {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
		}
		start := time.Now()
		err := New(Options{}).readData(ctx, path, data, func(d *resource.Document) {
			if d.ID == "" || d.Type == "" {
				t.Fatalf("document without ID or type: %+v", d)
			}
			if d.Source.Kind != "arm" || d.Source.StartLine < 1 || d.Source.EndLine < d.Source.StartLine {
				t.Fatalf("bad provenance %+v", d.Source)
			}
			if d.Source.File == path && d.Source.EndLine > lines {
				t.Fatalf("provenance past the end of the file: %+v (%d lines)", d.Source, lines)
			}
		})
		if d := time.Since(start); testsupport.Fuzzing() && d > 8*time.Second {
			t.Fatalf("read took %v", d)
		}
		for _, e := range flatten(err) {
			var ie *resource.InputError
			if !errors.As(e, &ie) {
				t.Fatalf("error %v (%T) is not an InputError", e, e)
			}
			if strings.Contains(ie.Msg, "internal error") {
				t.Fatalf("panic: %v", ie)
			}
		}
	})
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
