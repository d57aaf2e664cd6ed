// Command workers benchmarks scans shared by worker processes
// (internal/jobs, kvguard worker) against the simulator: one estate,
// scanned by 1, 2 and 4 worker processes in turn, each time with a fresh
// simulator (its throttling buckets full) and a fresh database. It prints
// the wall time beside the least time the simulator's per-subscription
// throttling allows with that many subscriptions read at once, the
// throughput per worker and each worker's CPU time:
//
//	go run ./bench/workers                                 # 100 subscriptions × 20 vaults × 50 secrets
//	go run ./bench/workers -subscriptions 1000 -workers 1,2,4
//	go run ./bench/workers -db postgres://postgres@127.0.0.1:5432/test?sslmode=disable
//
// Throttling is per subscription, as Azure's: a token bucket of
// -arm-burst reads refilled at -arm-rate per second (default 25 and 5,
// ten times tighter than Azure's 250 and 25, so that a 20-vault
// subscription is throttle-bound as a 200-vault one is on Azure); every
// response is sent at -bandwidth bytes per second after -latency.
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/kvguard/kvguard/internal/azuresim"
	"github.com/kvguard/kvguard/internal/jobs"
	"github.com/kvguard/kvguard/internal/store"
)

type config struct {
	subs, vaults, secrets, keys int
	workers                     []int
	concurrency, tenant         int
	latency                     time.Duration
	bandwidth                   int
	burst                       int
	rate                        float64
	db, kvguard                 string
}

func main() {
	var c config
	var workers string
	flag.IntVar(&c.subs, "subscriptions", 100, "subscriptions")
	flag.IntVar(&c.vaults, "vaults", 20, "vaults per subscription")
	flag.IntVar(&c.secrets, "secrets", 50, "secrets per vault")
	flag.IntVar(&c.keys, "keys", 0, "keys per vault")
	flag.StringVar(&workers, "workers", "1,2,4", "worker process counts to run")
	flag.IntVar(&c.concurrency, "concurrency", 8, "jobs (subscriptions) per worker at once")
	flag.IntVar(&c.tenant, "tenant-concurrency", 64, "subscriptions read at once across workers")
	flag.DurationVar(&c.latency, "latency", 10*time.Millisecond, "latency of every request")
	flag.IntVar(&c.bandwidth, "bandwidth", 1<<20, "bytes per second of every response")
	flag.IntVar(&c.burst, "arm-burst", 25, "ARM read bucket per subscription")
	flag.Float64Var(&c.rate, "arm-rate", 5, "ARM reads per second refilled per subscription")
	flag.StringVar(&c.db, "db", "", "a postgres:// database (default: a SQLite file per run)")
	flag.StringVar(&c.kvguard, "kvguard", "", "the kvguard binary (default: built from ./cmd/kvguard)")
	flag.Parse()
	for _, w := range strings.Split(workers, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(w))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "workers: -workers %q: %v\n", workers, err)
			os.Exit(2)
		}
		c.workers = append(c.workers, n)
	}
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "workers:", err)
		os.Exit(1)
	}
}

func run(c config) error {
	dir, err := os.MkdirTemp("", "kvguard-bench-workers-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if c.kvguard == "" {
		c.kvguard = filepath.Join(dir, "kvguard")
		if out, err := exec.Command("go", "build", "-o", c.kvguard, "./cmd/kvguard").CombinedOutput(); err != nil {
			return fmt.Errorf("build kvguard: %w\n%s", err, out)
		}
	}
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("estate: %d subscriptions × %d vaults × %d secrets (%d vaults); latency %s, bandwidth %d B/s per response\n",
		c.subs, c.vaults, c.secrets, c.subs*c.vaults, c.latency, c.bandwidth)
	fmt.Printf("throttling: %d reads + %.0f/s per subscription; load average before: %s", c.burst, c.rate, load)
	fmt.Printf("%-8s %10s %10s %7s %10s %12s %12s %10s %9s %10s %9s\n", "workers", "wall", "bound", "×bound", "vaults/s", "vaults/s/wkr",
		"cpu/worker", "cpu/vault", "peak RSS", "throttled", "db B/row")
	for _, n := range c.workers {
		r, err := runOnce(c, dir, n)
		if err != nil {
			return fmt.Errorf("%d workers: %w", n, err)
		}
		vps := float64(c.subs*c.vaults) / r.wall.Seconds()
		fmt.Printf("%-8d %10s %10s %7.2f %10.0f %12.0f %12s %10s %6d MiB %10d %9d\n", n, r.wall.Round(10*time.Millisecond),
			r.bound.Round(10*time.Millisecond), r.wall.Seconds()/r.bound.Seconds(), vps, vps/float64(n),
			(r.cpu / time.Duration(n)).Round(10*time.Millisecond), (r.cpu / time.Duration(c.subs*c.vaults)).Round(10*time.Microsecond),
			r.rssKiB/1024, r.throttled, r.size/max(r.findings, 1))
	}
	load, _ = os.ReadFile("/proc/loadavg")
	fmt.Printf("load average after: %s", load)
	return nil
}

// bound is the least time the per-subscription throttling allows: each
// subscription needs reads ARM reads (a vault list page per 100 vaults;
// per vault a secret list page per 25 secrets, a key list page per 25
// keys (at least one) and the diagnostic settings), the first burst free
// and the rest at rate per second; at most slots subscriptions are read
// at once, each slot taking them one after another.
func (c config) bound(slots int) time.Duration {
	reads := ceilDiv(c.vaults, 100) + c.vaults*(ceilDiv(c.secrets, 25)+max(1, ceilDiv(c.keys, 25))+1)
	perSub := math.Max(0, float64(reads-c.burst)) / c.rate
	rounds := ceilDiv(c.subs, slots)
	return time.Duration(float64(rounds) * perSub * float64(time.Second))
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// highWaterKiB is a running process's peak resident set (VmHWM in
// /proc/PID/status, Linux), 0 where it cannot be read.
func highWaterKiB(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

type result struct {
	wall, bound, cpu time.Duration
	throttled        int
	rssKiB           int64 // the largest worker's peak RSS
	findings, size   int64 // current findings and the database's size after the scan
}

func runOnce(c config, dir string, n int) (result, error) {
	ctx := context.Background()
	est := azuresim.Generate(azuresim.GenOptions{Subscriptions: c.subs, Vaults: c.subs * c.vaults, SecretsPerVault: c.secrets,
		KeysPerVault: c.keys, Seed: 3})
	sim, err := azuresim.New(est, azuresim.Options{Throttle: true, Limits: azuresim.Limits{ARMReadBurst: c.burst, ARMReadRate: c.rate},
		Latency: c.latency, Bandwidth: c.bandwidth, NoRequestLog: true, Seed: 3})
	if err != nil {
		return result{}, err
	}
	if err := sim.Start(); err != nil {
		return result{}, err
	}
	defer sim.Close()
	cloud := filepath.Join(dir, fmt.Sprintf("cloud-%d.json", n))
	if err := os.WriteFile(cloud, sim.CloudFile(), 0o600); err != nil {
		return result{}, err
	}
	dsn, cleanup, err := database(c, dir, n)
	if err != nil {
		return result{}, err
	}
	defer cleanup()
	st, err := store.Open(ctx, dsn, store.Options{Recover: store.RecoverExpired, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return result{}, err
	}
	defer st.Close()
	client, err := jobs.New(ctx, st, jobs.Options{InsertOnly: true, PollInterval: 100 * time.Millisecond})
	if err != nil {
		return result{}, err
	}
	tenant, id, secret := sim.Credentials()
	var procs []*exec.Cmd
	for range n {
		cmd := exec.Command(c.kvguard, "worker", "--db", dsn, "--cloud", cloud, "--auth", "client-secret",
			"--concurrency", strconv.Itoa(c.concurrency), "--tenant-concurrency", strconv.Itoa(c.tenant), "--poll", "200ms",
			// The workers' limiter paced for the simulator's bucket, as
			// it is for Azure's by default: a limiter paced for 250 +
			// 25/s against a bucket ten times tighter meets a 429 on
			// most reads and waits out whole-second Retry-Afters.
			"--arm-read-burst", strconv.Itoa(c.burst), "--arm-read-rate", strconv.FormatFloat(c.rate, 'g', -1, 64))
		cmd.Env = append(os.Environ(), "AZURE_TENANT_ID="+tenant, "AZURE_CLIENT_ID="+id, "AZURE_CLIENT_SECRET="+secret)
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			return result{}, err
		}
		procs = append(procs, cmd)
	}
	var subs []string
	for _, s := range est.Subscriptions {
		subs = append(subs, s.ID)
	}
	start := time.Now()
	scanID, err := client.EnqueueScan(ctx, "tenant", subs)
	if err == nil {
		_, err = client.Wait(ctx, scanID)
	}
	wall := time.Since(start)
	r := result{wall: wall, bound: c.bound(min(c.tenant, n*c.concurrency)), throttled: sim.Stats().Throttled}
	for _, p := range procs {
		// The peak is the worker's own high-water mark, read before it
		// stops. Not getrusage's ru_maxrss: a child forked with its
		// parent's memory shared until exec counts the parent's resident
		// set too, and this process holds the whole simulated estate.
		r.rssKiB = max(r.rssKiB, highWaterKiB(p.Process.Pid))
		_ = p.Process.Signal(syscall.SIGTERM)
		_ = p.Wait()
		r.cpu += p.ProcessState.UserTime() + p.ProcessState.SystemTime()
	}
	if err != nil {
		return result{}, err
	}
	if err := st.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM findings").Scan(&r.findings); err != nil {
		return result{}, err
	}
	if r.size, err = st.Size(ctx); err != nil {
		return result{}, err
	}
	return r, nil
}

// database is a fresh SQLite file, or a fresh schema of -db.
func database(c config, dir string, n int) (dsn string, cleanup func(), err error) {
	if c.db == "" {
		return filepath.Join(dir, fmt.Sprintf("kvguard-%d.db", n)), func() {}, nil
	}
	admin, err := sql.Open("pgx", c.db)
	if err != nil {
		return "", nil, err
	}
	schema := fmt.Sprintf("kvguard_bench_%d_%d", os.Getpid(), n)
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		_ = admin.Close()
		return "", nil, err
	}
	sep := "?"
	if strings.Contains(c.db, "?") {
		sep = "&"
	}
	return c.db + sep + "search_path=" + schema, func() {
		_, _ = admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		_ = admin.Close()
	}, nil
}
