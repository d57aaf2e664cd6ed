// Command gen generates a tree of Terraform root modules from
// examples/terraform for benchmarking, and optionally reads it back the
// way kvguard scan does (walk, root modules, one Read per root) and prints
// throughput. Run it under /usr/bin/time -v for peak memory:
//
//	go run ./bench/terraform/gen -n 10000 -out /tmp/tftree
//	go build -o /tmp/tfgen ./bench/terraform/gen && /usr/bin/time -v /tmp/tfgen -out /tmp/tftree -read
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"time"

	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/source/terraform"
	"github.com/kvguard/kvguard/internal/testsupport/gentree"
)

func main() {
	n := flag.Int("n", 10000, "root modules to generate (0: only read)")
	out := flag.String("out", "", "directory to write the tree to (required)")
	examples := flag.String("examples", "examples/terraform", "the example cases")
	doRead := flag.Bool("read", false, "read the tree back and print throughput")
	flag.Parse()
	if err := run(*n, *out, *examples, *doRead); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(n int, out, examples string, doRead bool) error {
	if out == "" {
		return fmt.Errorf("-out is required")
	}
	if n > 0 && !doRead {
		cases, err := gentree.LoadCases(examples)
		if err != nil {
			return err
		}
		st, err := gentree.Generate(out, n, cases)
		if err != nil {
			return err
		}
		fmt.Printf("generated %d root modules (%d module directories, %d files, %d bytes) from %d cases in %s\n",
			st.Roots, st.ModuleDirs, st.Files, st.Bytes, len(cases), out)
	}
	if !doRead {
		return nil
	}
	start := time.Now()
	dirs, files, err := gentree.ModuleDirs(out)
	if err != nil {
		return err
	}
	roots := terraform.RootModules(dirs)
	r := terraform.New(terraform.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	docs, problems := 0, 0
	for _, root := range roots {
		err := r.Read(context.Background(), root, func(*resource.Document) { docs++ })
		if err != nil {
			problems++
		}
	}
	el := time.Since(start)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Printf("read %d module directories (%d roots, %d files) in %v: %d documents, %d roots with warnings or errors\n",
		len(dirs), len(roots), files, el.Round(time.Millisecond), docs, problems)
	fmt.Printf("%.0f files/s on one goroutine (GOMAXPROCS %d); heap in use at end %d MiB, total allocated %d MiB\n",
		float64(files)/el.Seconds(), runtime.GOMAXPROCS(0), ms.HeapInuse>>20, ms.TotalAlloc>>20)
	return nil
}
