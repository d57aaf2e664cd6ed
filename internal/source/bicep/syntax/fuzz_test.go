package syntax

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/kvguard/kvguard/internal/testcorpus"
)

// addSeeds adds the parser's test inputs and, when present, the
// compiler's samples as seeds.
func addSeeds(f *testing.F) {
	f.Helper()
	seeds, _ := filepath.Glob("testdata/parse/*.bicep*")
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
}

// FuzzParse checks that the parser never panics, always returns a tree,
// gives every node a sane extent, and is deterministic.
func FuzzParse(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, src []byte) {
		file, err := Parse(src, "fuzz.bicep")
		if file == nil {
			t.Fatal("Parse returned no tree")
		}
		for _, d := range file.Decls {
			if d.End().Offset < d.Pos().Offset || d.End().Offset > len(src) {
				t.Fatalf("declaration extent %v-%v outside the source (%d bytes)", d.Pos(), d.End(), len(src))
			}
		}
		again, err2 := Parse(src, "fuzz.bicep")
		if dumpFile(file) != dumpFile(again) || (err == nil) != (err2 == nil) {
			t.Fatal("parsing the same source twice gave different results")
		}
		if _, err := ParseParams(src, "fuzz.bicepparam"); err != nil {
			_ = err // a Bicep file is rarely a valid parameters file
		}
	})
}
