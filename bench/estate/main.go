// Command estate writes a synthetic saved estate for benchmarks: one
// kvguard snapshot with many vaults of varied compliance and their
// secrets, keys, diagnostic settings and gaps (see package synth). With
// -read it reads an estate back with the saved-JSON reader alone and
// prints the time, the CPU time and the Go heap, so that the reading part
// of a scan can be measured on its own (run it under /usr/bin/time -v for
// the peak RSS).
//
//	go run ./bench/estate -vaults 10000 -secrets 1000000 -out /tmp/estate
//	go build -o /tmp/estate ./bench/estate && /usr/bin/time -v /tmp/estate -read /tmp/estate/estate.json
//	kvguard scan /tmp/estate/estate.json -o json=/dev/null
//
// With -compare it times the whole kvguard scan of an estate against a
// plain single-threaded encoding/json decode of the same file into typed
// structs, in the same run (issue 9's target: at most 0.4x its wall time,
// at most 300 MiB peak RSS):
//
//	go build -o /tmp/kvguard ./cmd/kvguard && go build -o /tmp/estate-bench ./bench/estate
//	/tmp/estate-bench -compare /tmp/estate/estate.json -kvguard /tmp/kvguard -runs 3
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/source/saved"
	"github.com/kvguard/kvguard/internal/testsupport/synth"
)

func main() {
	var c synth.Config
	flag.IntVar(&c.Vaults, "vaults", 10000, "key vaults")
	flag.IntVar(&c.Secrets, "secrets", 1000000, "ARM-plane secrets, spread over the vaults")
	flag.IntVar(&c.Keys, "keys", -1, "ARM-plane keys, spread over the vaults (default: 5 per vault)")
	flag.IntVar(&c.Subscriptions, "subscriptions", 0, "subscriptions (default: one per 500 vaults)")
	flag.Uint64Var(&c.Seed, "seed", 1, "seed: the same seed writes the same bytes")
	out := flag.String("out", ".", "directory to write estate.json into")
	read := flag.String("read", "", "read this estate with the saved-JSON reader instead of writing one")
	typed := flag.String("typed", "", "decode this estate with encoding/json into typed structs (what -compare times)")
	whole := flag.Bool("whole", false, "with -typed: decode the whole file into one value, holding every resource")
	cmp := flag.String("compare", "", "time the typed decode of this estate against `kvguard scan` of it, in the same run")
	kvguard := flag.String("kvguard", "kvguard", "with -compare: the kvguard binary (several, comma-separated, to compare builds in one run)")
	runs := flag.Int("runs", 3, "with -compare: runs of each")
	flag.Parse()
	switch {
	case *typed != "":
		if err := typedDecode(*typed, *whole); err != nil {
			fmt.Fprintln(os.Stderr, "estate:", err)
			os.Exit(1)
		}
		return
	case *cmp != "":
		if err := compare(*cmp, strings.Split(*kvguard, ","), *runs); err != nil {
			fmt.Fprintln(os.Stderr, "estate:", err)
			os.Exit(1)
		}
		return
	}
	if *read != "" {
		if err := readEstate(*read); err != nil {
			fmt.Fprintln(os.Stderr, "estate:", err)
			os.Exit(1)
		}
		return
	}
	if c.Keys < 0 {
		c.Keys = 5 * c.Vaults
	}
	if err := run(c, *out); err != nil {
		fmt.Fprintln(os.Stderr, "estate:", err)
		os.Exit(1)
	}
}

func run(c synth.Config, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	path := filepath.Join(dir, "estate.json")
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	start := time.Now()
	st, err := synth.Write(f, c)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "%s: %d vaults (+%d known only by a gap), %d secrets, %d keys, %d diagnostic settings, %d gaps; %d documents, %.0f MB in %s\n",
		path, st.Vaults, st.Placeholders, st.Secrets, st.Keys, st.Diagnostics, st.Gaps, st.Documents(), float64(st.Bytes)/1e6, time.Since(start).Round(time.Millisecond))
	return nil
}

// readEstate reads path and reports what reading alone costs. Documents
// are counted and dropped, as a consumer that streams them would.
func readEstate(path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	var docs, secrets int
	start, cpu0 := time.Now(), cpuTime()
	err = saved.New(saved.Options{}).Read(context.Background(), path, func(d *resource.Document) {
		docs++
		if d.Type == resource.TypeSecret {
			secrets++
		}
	})
	wall, cpu := time.Since(start), cpuTime()-cpu0
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Fprintf(os.Stderr, "%s: %d documents (%d secrets), %.0f MB in %s (CPU %s, %.0f MB/s, %.0f docs/s); Go heap: %d MB allocated in total, %d MB from the OS, %d GCs\n",
		path, docs, secrets, float64(info.Size())/1e6, wall.Round(time.Millisecond), cpu.Round(time.Millisecond),
		float64(info.Size())/1e6/wall.Seconds(), float64(docs)/wall.Seconds(), ms.TotalAlloc>>20, ms.Sys>>20, ms.NumGC)
	return err
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
