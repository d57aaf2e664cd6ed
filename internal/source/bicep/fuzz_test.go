package bicep

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kvguard/kvguard/internal/testsupport"

	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/testcorpus"
)

// addSeeds adds the parser's test inputs and, when present, the
// compiler's samples as seeds.
func addSeeds(f *testing.F) {
	f.Helper()
	seeds, _ := filepath.Glob("syntax/testdata/parse/*.bicep*")
	if root, ok := testcorpus.Find(testcorpus.BicepSamples); ok {
		more, _ := filepath.Glob(filepath.Join(root, "*", "*", "main.bicep"))
		seeds = append(seeds, more...)
	}
	for _, s := range seeds {
		if filepath.Ext(s) == ".golden" {
			continue
		}
		if src, err := os.ReadFile(s); err == nil {
			f.Add(src)
		}
	}
	f.Add([]byte("var x = '${'"))
	f.Add([]byte("resource r 'a@b' = [for x in y: if (z) {\n}]"))
	f.Add([]byte("var s = $$'''\n$${a} ${b}\n'''"))
	f.Add([]byte("resource d 'Microsoft.Resources/deployments@2022-09-01' = {\n  name: 'd'\n  properties: {\n    mode: 'Incremental'\n    template: { resources: [{ type: 'Microsoft.KeyVault/vaults', apiVersion: '2023-07-01', name: '[kv]' }], outputs: { o: { type: 'string', value: 'x' } } }\n  }\n}\nvar o = d.properties.outputs.o.value\n"))
	f.Add([]byte("module m 'missing.json' = {\n  name: 'm'\n  params: { a: 1 }\n}\nvar x = m.outputs.y\n"))
}

// FuzzRead checks that evaluating any source never panics or hangs, and
// that every problem is an InputError.
func FuzzRead(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, src []byte) {
		dir := t.TempDir()
		path := filepath.Join(dir, "main.bicep")
		if err := os.WriteFile(path, src, 0o644); err != nil {
			t.Fatal(err)
		}
		ctx := t.Context()
		if testsupport.Fuzzing() {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
		}
		start := time.Now()
		err := New(Options{}).Read(ctx, path, func(*resource.Document) {})
		for _, e := range inputErrors(t, err) {
			if strings.HasPrefix(e.Msg, "internal error") {
				t.Fatalf("panic: %v", e)
			}
		}
		if d := time.Since(start); testsupport.Fuzzing() && d > 8*time.Second {
			t.Fatalf("reading took %v", d)
		}
	})
}
