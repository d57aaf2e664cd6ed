// Command azure benchmarks the live-Azure scan (internal/source/azure)
// against the simulator (internal/azuresim), with the real Azure SDK
// clients over HTTPS on loopback, and prints the time beside the least
// time Azure's throttling limits allow, the scanner's memory, and whether
// any vault was lost:
//
//	go run ./bench/azure                   # 5,000 vaults in 20 subscriptions, 50 secrets and 20 keys each,
//	                                       # 20 ms per request, Azure's throttling limits
//	go run ./bench/azure -fail-rate 0.05   # the same with 5% of requests failing transiently
//
// The simulator runs in a child process (this program with -serve), so
// that the memory measured is the scanner's alone. The scan takes the
// path a user's does: the simulator's cloud file, --auth client-secret.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kvguard/kvguard/internal/azuresim"
	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/source/live"
)

type config struct {
	vaults, subscriptions, secrets, keys int
	latency                              time.Duration
	throttle                             bool
	failRate, dropRate                   float64
	concurrency                          int
	seed                                 uint64
}

func main() {
	var c config
	flag.IntVar(&c.vaults, "vaults", 5000, "key vaults")
	flag.IntVar(&c.subscriptions, "subscriptions", 20, "subscriptions the vaults are spread over")
	flag.IntVar(&c.secrets, "secrets", 50, "secrets per vault")
	flag.IntVar(&c.keys, "keys", 20, "keys per vault")
	flag.DurationVar(&c.latency, "latency", 20*time.Millisecond, "latency the simulator adds to every request")
	flag.BoolVar(&c.throttle, "throttle", true, "enforce Azure's throttling limits in the simulator")
	flag.Float64Var(&c.failRate, "fail-rate", 0, "fraction of requests answered 500/503")
	flag.Float64Var(&c.dropRate, "drop-rate", 0, "fraction of requests whose connection is dropped")
	flag.IntVar(&c.concurrency, "concurrency", 64, "scanner concurrency (--concurrency)")
	flag.Uint64Var(&c.seed, "seed", 1, "estate and fault seed")
	serve := flag.Bool("serve", false, "internal: run the simulator and print its endpoints")
	verbose := flag.Bool("v", false, "log the scanner's debug messages on stderr")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the scanner (with -serve: of the simulator) to this file")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile + map[bool]string{true: ".sim", false: ""}[*serve])
		if err == nil && pprof.StartCPUProfile(f) == nil {
			defer pprof.StopCPUProfile()
		}
	}
	var err error
	if *serve {
		err = runServer(c)
	} else {
		err = runBench(c, *verbose)
	}
	if err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "bench/azure:", err)
		os.Exit(1)
	}
}

// endpoint is what the server child tells the parent.
type endpoint struct {
	Cloud, Tenant, ClientID, Secret string
}

func runServer(c config) error {
	est := azuresim.Generate(azuresim.GenOptions{Subscriptions: c.subscriptions, Vaults: c.vaults,
		SecretsPerVault: c.secrets, KeysPerVault: c.keys, Seed: c.seed})
	sim, err := azuresim.New(est, azuresim.Options{Latency: c.latency, Throttle: c.throttle,
		FailRate: c.failRate, DropRate: c.dropRate, Seed: c.seed, NoRequestLog: true,
		// The bound counts every vault's data plane: the scanner is inside
		// the vaults' network, as a production scanner would be.
		TrustedNetwork: true})
	if err != nil {
		return err
	}
	if err := sim.Start(); err != nil {
		return err
	}
	defer sim.Close()
	dir, err := os.MkdirTemp("", "kvguard-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cloud := filepath.Join(dir, "cloud.json")
	if err := os.WriteFile(cloud, sim.CloudFile(), 0o600); err != nil {
		return err
	}
	tenant, id, secret := sim.Credentials()
	if err := json.NewEncoder(os.Stdout).Encode(endpoint{cloud, tenant, id, secret}); err != nil {
		return err
	}
	// Serve until the parent closes our standard input.
	_, _ = io.Copy(io.Discard, os.Stdin)
	st := sim.Stats()
	return json.NewEncoder(os.Stdout).Encode(map[string]any{
		"requests": st.Requests, "throttled": st.Throttled, "failed": st.Failed, "dropped": st.Dropped,
		"forbidden": st.Forbidden, "valueRequests": len(sim.ValueRequests()),
	})
}

// boundFor is the least time Azure's limits allow for this estate:
// every vault costs ⌈secrets/25⌉ + ⌈keys/25⌉ ARM secret and key list
// pages and one diagnostic-settings list (Resource Graph returns complete
// vault bodies, so no vault GET); the subscription list is one tenant
// read; Resource Graph needs ⌈vaults/1000⌉ pages per batch of 250
// subscriptions. live.ThrottleLowerBound applies ARM's 250-token bucket
// refilled at 25 per second per subscription.
func boundFor(c config) (time.Duration, []int, int) {
	perVault := ceilDiv(c.secrets, 25) + ceilDiv(c.keys, 25) + 1
	reads := make([]int, c.subscriptions)
	for i := range c.vaults {
		reads[i%c.subscriptions] += perVault
	}
	graph := ceilDiv(max(c.vaults, 1), 1000) * ceilDiv(c.subscriptions, 250)
	return live.ThrottleLowerBound(reads, 1, graph), reads, graph
}

func ceilDiv(a, b int) int {
	if b <= 0 {
		return 0
	}
	return (a + b - 1) / b
}

// server is the simulator child process.
type server struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	dec   *json.Decoder
	ep    endpoint
}

// startServer runs this program with -serve and reads its endpoints.
func startServer(ctx context.Context) (*server, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, self, append([]string{"-serve"}, os.Args[1:]...)...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	srv := &server{cmd: cmd, stdin: stdin, dec: json.NewDecoder(bufio.NewReader(stdout))}
	if err := srv.dec.Decode(&srv.ep); err != nil {
		srv.stop()
		return nil, fmt.Errorf("simulator: %w", err)
	}
	return srv, nil
}

// stop closes the child's standard input, prints its counters and waits.
func (s *server) stop() {
	s.stdin.Close()
	var st map[string]any
	if err := s.dec.Decode(&st); err == nil {
		fmt.Printf("simulator: %v\n", st)
	}
	_ = s.cmd.Wait()
}

// sampleMemory records the peak heap in use and the peak memory obtained
// from the OS until stop is closed.
func sampleMemory(stop <-chan struct{}, peakHeap, peakSys *atomic.Uint64) {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		if ms.HeapInuse > peakHeap.Load() {
			peakHeap.Store(ms.HeapInuse)
		}
		if ms.Sys > peakSys.Load() {
			peakSys.Store(ms.Sys)
		}
		select {
		case <-stop:
			return
		case <-t.C:
		}
	}
}

func runBench(c config, verbose bool) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	srv, err := startServer(ctx)
	if err != nil {
		return err
	}
	defer srv.stop()
	os.Setenv("AZURE_TENANT_ID", srv.ep.Tenant)
	os.Setenv("AZURE_CLIENT_ID", srv.ep.ClientID)
	os.Setenv("AZURE_CLIENT_SECRET", srv.ep.Secret)

	bound, reads, graph := boundFor(c)
	fmt.Printf("estate: %d vaults in %d subscriptions, %d secrets and %d keys per vault; simulator: %s latency, throttling %v, %.1f%% 5xx, %.1f%% dropped\n",
		c.vaults, c.subscriptions, c.secrets, c.keys, c.latency, c.throttle, 100*c.failRate, 100*c.dropRate)
	fmt.Printf("lower bound: %d ARM reads per subscription (max), 1 tenant read, %d Resource Graph queries → max((reads − 250)/25 s) = %s\n",
		maxOf(reads), graph, bound.Round(time.Millisecond))

	var counts sync.Map
	var peakHeap, peakSys atomic.Uint64
	done := make(chan struct{})
	go sampleMemory(done, &peakHeap, &peakSys)
	emit := func(d *resource.Document) {
		n, _ := counts.LoadOrStore(d.Type, new(atomic.Int64))
		n.(*atomic.Int64).Add(1)
	}
	var logger *slog.Logger
	if verbose {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	sum, scanErr := live.Scan(ctx, live.Options{Cloud: srv.ep.Cloud, Auth: "client-secret", Concurrency: c.concurrency,
		RequestTimeout: time.Minute, Logger: logger}, emit)
	close(done)
	count := func(t string) int64 {
		if n, ok := counts.Load(t); ok {
			return n.(*atomic.Int64).Load()
		}
		return 0
	}
	fmt.Printf("scan: %s (%.2f× the lower bound %s); %d requests, %d retries, %d throttled\n",
		sum.Elapsed.Round(time.Millisecond), sum.Elapsed.Seconds()/bound.Seconds(), bound.Round(time.Millisecond),
		sum.Requests, sum.Retries, sum.Throttled)
	fmt.Printf("bound from the reads actually sent (retries included): %s\n", sum.LowerBound.Round(time.Millisecond))
	fmt.Printf("vaults: %d found, %d judged, %d unreadable; documents: %d vaults, %d secrets, %d keys, %d diagnostic settings\n",
		sum.VaultsFound, sum.VaultsJudged, sum.VaultsUnreadable, count(resource.TypeVault), count(resource.TypeSecret),
		count(resource.TypeKey), count(resource.TypeDiagnosticSetting))
	fmt.Printf("memory (scanner process): peak heap in use %d MiB, peak from the OS %d MiB, peak RSS %s\n",
		peakHeap.Load()>>20, peakSys.Load()>>20, peakRSS())
	lost := c.vaults - sum.VaultsJudged
	allObjects := count(resource.TypeSecret) == int64(c.vaults*c.secrets) && count(resource.TypeKey) == int64(c.vaults*c.keys)
	fmt.Printf("lost vaults: %d; all secrets and keys read: %v\n", lost, allObjects)
	if scanErr != nil {
		return scanErr
	}
	if lost != 0 || !allObjects {
		return fmt.Errorf("the scan lost vaults or objects")
	}
	return nil
}

func maxOf(xs []int) int {
	m := 0
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}

// peakRSS reads the process's peak resident set (Linux).
func peakRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(v)
			if kb, err := strconv.Atoi(f[0]); err == nil {
				return fmt.Sprintf("%d MiB", kb>>10)
			}
		}
	}
	return "unknown"
}
