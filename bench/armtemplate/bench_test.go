package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/source/armtemplate"
)

// benchTree generates n templates of about size resources once per
// benchmark, in the benchmark's temporary directory.
func benchTree(b *testing.B, n, size int) []string {
	b.Helper()
	paths, err := generate(b.TempDir(), n, size, 1)
	if err != nil {
		b.Fatal(err)
	}
	return paths
}

func readTree(b *testing.B, paths []string) int {
	b.Helper()
	r := armtemplate.New(armtemplate.Options{})
	docs := 0
	for _, p := range paths {
		if err := r.Read(context.Background(), p, func(*resource.Document) { docs++ }); err != nil {
			b.Fatalf("%s: %v", p, err)
		}
	}
	return docs
}

// BenchmarkTree reads the 10,000-template tree the issue asks for, on one
// goroutine, and reports templates per second.
func BenchmarkTree(b *testing.B) {
	paths := benchTree(b, 10_000, 12)
	b.ResetTimer()
	docs := 0
	for range b.N {
		docs = readTree(b, paths)
	}
	b.ReportMetric(float64(len(paths)*b.N)/b.Elapsed().Seconds(), "templates/s")
	b.ReportMetric(float64(docs), "docs/op")
}

// BenchmarkTreeCount shows the cost grows linearly with the number of
// templates: ns/template stays flat.
func BenchmarkTreeCount(b *testing.B) {
	for _, n := range []int{1_000, 5_000, 10_000} {
		b.Run(fmt.Sprintf("templates=%d", n), func(b *testing.B) {
			paths := benchTree(b, n, 12)
			b.ResetTimer()
			for range b.N {
				readTree(b, paths)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*b.N), "ns/template")
		})
	}
}

// BenchmarkTemplateSize shows the cost grows linearly with a template's
// size: ns/resource stays flat.
func BenchmarkTemplateSize(b *testing.B) {
	for _, size := range []int{12, 120, 1_200} {
		b.Run(fmt.Sprintf("resources=%d", size), func(b *testing.B) {
			paths := benchTree(b, 100, size)
			var bytes int64
			for _, p := range paths {
				if st, err := os.Stat(p); err == nil {
					bytes += st.Size()
				}
			}
			b.SetBytes(bytes)
			b.ResetTimer()
			docs := 0
			for range b.N {
				docs = readTree(b, paths)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(docs*b.N), "ns/doc")
		})
	}
}

// TestGenerate checks the generated templates read without errors.
func TestGenerate(t *testing.T) {
	t.Parallel()
	paths, err := generate(t.TempDir(), 8, 12, 7)
	if err != nil {
		t.Fatal(err)
	}
	r := armtemplate.New(armtemplate.Options{})
	for _, p := range paths {
		n := 0
		if err := r.Read(context.Background(), p, func(*resource.Document) { n++ }); err != nil {
			t.Errorf("%s: %v", filepath.Base(p), err)
		}
		if n < 10 {
			t.Errorf("%s: %d documents", filepath.Base(p), n)
		}
	}
}
