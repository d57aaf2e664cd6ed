//go:build unix

// The benchmark reports the CPU time getrusage gives, which Windows lacks.

package cli

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/kvguard/kvguard/internal/testsupport/synth"
)

// BenchmarkScanEstate runs the whole scan (read, judge, write the JSON
// report) on a synthetic saved estate of 1,000 vaults and 100,000 secrets:
// a tenth of issue 2's estate (bench/scan/run.sh runs the full one). It
// reports documents/s and the CPU time per scan (all threads, GC
// included), because on a shared machine wall time measures the
// neighbours.
//
// KVGUARD_BENCH_ESTATE=/path/estate.json scans that file instead (the full
// estate, for profiling with -cpuprofile).
func BenchmarkScanEstate(b *testing.B) {
	path := os.Getenv("KVGUARD_BENCH_ESTATE")
	docs := 0
	if path == "" {
		path = filepath.Join(b.TempDir(), "estate.json")
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		st, err := synth.Write(f, synth.Config{Vaults: 1000, Secrets: 100_000, Keys: 5000, Seed: 1})
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			b.Fatal(err)
		}
		docs = st.Documents()
		b.SetBytes(st.Bytes)
	}
	out := filepath.Join(b.TempDir(), "out.json")
	args := []string{"scan", path, "--format", "json", "-o", out}
	b.ReportAllocs()
	start, cpu0 := time.Now(), cpuTime()
	for b.Loop() {
		// 1: the estate has findings; 2 would be an input error.
		if code := Run(context.Background(), args, nil, io.Discard, io.Discard); code != ExitFindings {
			b.Fatalf("exit %d", code)
		}
	}
	elapsed := time.Since(start)
	if docs > 0 {
		b.ReportMetric(float64(docs*b.N)/elapsed.Seconds(), "docs/s")
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
}

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
