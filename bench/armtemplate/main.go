// Command armtemplate generates a tree of ARM templates for benchmarking
// the ARM template reader, and optionally reads it, printing throughput:
//
//	go run ./bench/armtemplate -n 10000 -out /tmp/arm-bench -read
//
// The same generator backs the benchmarks in this directory
// (go test -bench . ./bench/armtemplate/).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/source/armtemplate"
)

func main() {
	n := flag.Int("n", 10000, "number of templates")
	size := flag.Int("resources", 12, "approximate resources per template")
	out := flag.String("out", "", "directory to write (default: a temporary directory)")
	read := flag.Bool("read", true, "read the generated tree and print throughput")
	sizes := flag.String("sizes", "", "comma-separated template sizes (resources) to compare, 100 templates each, for linearity")
	flag.Parse()
	if *sizes != "" {
		compareSizes(*sizes)
		return
	}
	dir := *out
	if dir == "" {
		d, err := os.MkdirTemp("", "arm-bench-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer os.RemoveAll(d)
		dir = d
	}
	paths, err := generate(dir, *n, *size, 1)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "generated %d templates under %s\n", len(paths), dir)
	if !*read {
		return
	}
	cpu0 := cpuTime()
	docs, errs, elapsed := readAll(paths)
	cpu := cpuTime() - cpu0
	fmt.Printf("read %d templates (%d documents, %d with input errors) on 1 goroutine: wall %v (%.0f templates/s), CPU %v (%.0f templates per CPU-second)\n",
		len(paths), docs, errs, elapsed.Round(time.Millisecond), float64(len(paths))/elapsed.Seconds(),
		cpu.Round(time.Millisecond), float64(len(paths))/cpu.Seconds())
}

// compareSizes reads 100 templates of each size and prints CPU time per
// document: flat means linear in size.
func compareSizes(list string) {
	for _, f := range strings.Split(list, ",") {
		size, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		dir, err := os.MkdirTemp("", "arm-bench-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		paths, err := generate(dir, 100, size, 1)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		var bytes int64
		for _, p := range paths {
			if st, err := os.Stat(p); err == nil {
				bytes += st.Size()
			}
		}
		runtime.GC()
		cpu0 := cpuTime()
		docs, _, _ := readAll(paths)
		cpu := cpuTime() - cpu0
		fmt.Printf("resources=%-5d 100 templates, %6d documents, %6.1f MB: CPU %v, %.1f µs/document, %.1f MB/CPU-second\n",
			size, docs, float64(bytes)/1e6, cpu.Round(time.Millisecond), float64(cpu.Microseconds())/float64(docs), float64(bytes)/1e6/cpu.Seconds())
		os.RemoveAll(dir)
	}
}

// cpuTime is the process's user and system CPU time so far: throughput per
// CPU-second does not depend on what else the machine runs.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// readAll reads every template sequentially with one Reader.
func readAll(paths []string) (docs, errs int, elapsed time.Duration) {
	r := armtemplate.New(armtemplate.Options{})
	start := time.Now()
	for _, p := range paths {
		err := r.Read(context.Background(), p, func(*resource.Document) { docs++ })
		if err != nil {
			errs++
		}
	}
	return docs, errs, time.Since(start)
}
