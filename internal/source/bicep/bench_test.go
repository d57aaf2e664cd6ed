package bicep

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/kvguard/kvguard/internal/testcorpus"
	"github.com/kvguard/kvguard/internal/testsupport/bicepgen"

	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/source/bicep/syntax"
)

// benchSources loads every Bicep source of the corpus and the samples.
func benchSources(b *testing.B) (names []string, srcs [][]byte, size int64) {
	b.Helper()
	var files []string
	if root, ok := testcorpus.Find(testcorpus.Corpus); ok {
		files = append(files, corpusFiles(b, root)...)
	}
	root := samplesRoot(b)
	_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && filepath.Ext(p) == ".bicep" && !isBicepArtifact(d.Name()) {
			files = append(files, p)
		}
		return nil
	})
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		names = append(names, f)
		srcs = append(srcs, src)
		size += int64(len(src))
	}
	return names, srcs, size
}

// BenchmarkParse parses every Bicep source of the corpus and the samples.
func BenchmarkParse(b *testing.B) {
	names, srcs, size := benchSources(b)
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		for i, src := range srcs {
			_, _ = syntax.Parse(src, names[i])
		}
	}
	b.ReportMetric(float64(len(srcs)), "files/op")
}

// BenchmarkRead reads (parses and evaluates) every sample's main.bicep
// and every corpus file.
func BenchmarkRead(b *testing.B) {
	var files []string
	root := samplesRoot(b)
	for _, d := range sampleDirs(b, root) {
		files = append(files, filepath.Join(root, d, "main.bicep"))
	}
	if root, ok := testcorpus.Find(testcorpus.Corpus); ok {
		for _, f := range corpusFiles(b, root) {
			if filepath.Ext(f) == ".bicep" {
				files = append(files, f)
			}
		}
	}
	r := New(Options{})
	b.ReportAllocs()
	docs := 0
	for b.Loop() {
		docs = 0
		for _, f := range files {
			_ = r.Read(b.Context(), f, func(*resource.Document) { docs++ })
		}
	}
	b.ReportMetric(float64(len(files)), "files/op")
	b.ReportMetric(float64(docs), "docs/op")
}

// BenchmarkParseScaling parses files of n resources, to show the parser
// is linear: ns/op grows with n, MB/s stays flat.
func BenchmarkParseScaling(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		src := []byte(bicepgen.File(n, false))
		b.Run(fmt.Sprintf("resources=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(src)))
			for b.Loop() {
				if _, err := syntax.Parse(src, "gen.bicep"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
