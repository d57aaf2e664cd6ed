// Command bicep generates Bicep files for benchmarking the Bicep reader,
// reads them and prints throughput:
//
//	go run ./bench/bicep -files 1000 -vaults 20
//
// The parser's own benchmarks (over the corpus and the compiler's samples,
// and the linearity check) are in internal/source/bicep:
//
//	go test -run '^$' -bench . -benchmem ./internal/source/bicep/
package main

import (
	"context"
	"flag"
	"fmt"
	"github.com/kvguard/kvguard/internal/testsupport/bicepgen"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/source/bicep"
)

func main() {
	files := flag.Int("files", 1000, "number of Bicep files")
	vaults := flag.Int("vaults", 20, "vaults per file (each with 10 looped secrets)")
	flag.Parse()
	dir, err := os.MkdirTemp("", "bicep-bench-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer os.RemoveAll(dir)
	var paths []string
	var size int64
	for i := range *files {
		p := filepath.Join(dir, fmt.Sprintf("f%05d", i), "main.bicep")
		src := bicepgen.File(*vaults, true)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		paths = append(paths, p)
		size += int64(len(src))
	}
	r := bicep.New(bicep.Options{})
	docs, errs := 0, 0
	start := time.Now()
	for _, p := range paths {
		if err := r.Read(context.Background(), p, func(*resource.Document) { docs++ }); err != nil {
			errs++
		}
	}
	elapsed := time.Since(start)
	fmt.Printf("read %d files (%.1f MB, %d documents, %d with problems) in %v on GOMAXPROCS=%d, 1 goroutine: %.0f files/s, %.1f MB/s\n",
		len(paths), float64(size)/1e6, docs, errs, elapsed.Round(time.Millisecond), runtime.GOMAXPROCS(0),
		float64(len(paths))/elapsed.Seconds(), float64(size)/1e6/elapsed.Seconds())
}
