package terraform

import (
	"context"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/testsupport/gentree"
)

// benchTrees caches the generated trees by size: generating 10,000
// modules takes longer than reading them.
var benchTrees sync.Map

// benchTree generates a tree of n root modules from the examples, once per
// size, in a temporary directory removed when the benchmark ends.
func benchTree(b *testing.B, n int) string {
	b.Helper()
	if d, ok := benchTrees.Load(n); ok {
		return d.(string)
	}
	cases, err := gentree.LoadCases(examplesDir)
	if err != nil {
		b.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "kvguard-tfbench-")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	if _, err := gentree.Generate(dir, n, cases); err != nil {
		b.Fatal(err)
	}
	benchTrees.Store(n, dir)
	return dir
}

// BenchmarkReadTree reads a generated tree the way kvguard scan does
// (walk, RootModules, one Read per root, documents discarded) on one
// goroutine, and reports files per CPU-second: the machine the benchmark
// runs on may be shared, so wall time alone says little. The default size
// is 1,000 modules; KVGUARD_TF_BENCH_MODULES=10000 runs the size.
func BenchmarkReadTree(b *testing.B) {
	sizes := []int{1000}
	if s := os.Getenv("KVGUARD_TF_BENCH_MODULES"); s != "" {
		sizes = nil
		for _, f := range splitComma(s) {
			n, err := strconv.Atoi(f)
			if err != nil {
				b.Fatal(err)
			}
			sizes = append(sizes, n)
		}
	}
	for _, n := range sizes {
		b.Run("modules="+strconv.Itoa(n), func(b *testing.B) {
			dir := benchTree(b, n)
			r := New(Options{})
			b.ReportAllocs()
			b.ResetTimer()
			files := 0
			cpu0 := cpuTime()
			wall0 := time.Now()
			for i := 0; i < b.N; i++ {
				dirs, nf, err := gentree.ModuleDirs(dir)
				if err != nil {
					b.Fatal(err)
				}
				files += nf
				for _, root := range RootModules(dirs) {
					_ = r.Read(context.Background(), root, func(*resource.Document) {})
				}
			}
			cpu := cpuTime() - cpu0
			wall := time.Since(wall0)
			b.ReportMetric(float64(files)/cpu.Seconds(), "files/cpu-s")
			b.ReportMetric(float64(files)/wall.Seconds(), "files/s")
			b.ReportMetric(float64(wall.Nanoseconds())/float64(files), "ns/file")
		})
	}
}

// BenchmarkReadModule reads one module (the firewall case) repeatedly.
func BenchmarkReadModule(b *testing.B) {
	r := New(Options{})
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = r.Read(context.Background(), examplesDir+"/firewall", func(*resource.Document) {})
	}
}

func splitComma(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			if i > start {
				out = append(out, s[start:i])
			}
			start = i + 1
		}
	}
	return out
}
