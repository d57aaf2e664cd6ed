package jobs_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kvguard/kvguard/internal/jobs"
	"github.com/kvguard/kvguard/internal/source/live"
	"github.com/kvguard/kvguard/internal/store"
	"github.com/kvguard/kvguard/internal/testsupport/pgtest"
)

// The environment of a worker process: the test binary re-executed with
// workerEnv set runs a worker instead of the tests.
const (
	workerEnv = "KVGUARD_JOBS_WORKER"
	dsnEnv    = "KVGUARD_JOBS_DSN"
	cloudEnv  = "KVGUARD_JOBS_CLOUD"
	// dieEnv makes the worker SIGKILL itself the moment it has marked a
	// part done: after the store heard of the work, before River did.
	dieEnv      = "KVGUARD_JOBS_DIE_AFTER_PART"
	postgresEnv = pgtest.Env
)

func TestMain(m *testing.M) {
	if os.Getenv(workerEnv) != "" {
		os.Exit(runWorker())
	}
	os.Exit(m.Run())
}

// workerOptions are the settings of the test's workers: short leases and
// timeouts so that a killed worker's job is rescued within the test.
func workerOptions(cloud string) jobs.Options {
	return jobs.Options{
		Live: live.Options{Cloud: cloud, Auth: "client-secret", Concurrency: 16,
			RequestTimeout: 30 * time.Second},
		Concurrency:       4,
		TenantConcurrency: 8,
		JobTimeout:        20 * time.Second,
		RescueAfter:       21 * time.Second,
		LeaseTTL:          6 * time.Second,
		// A job held at the simulator until the kill times out and is
		// retried: its retries must not wait minutes by then.
		RetryMax:     2 * time.Second,
		PollInterval: 200 * time.Millisecond,
	}
}

// runWorker is a worker process: it works jobs until SIGTERM, writing
// its events on stdout.
func runWorker() int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	st, err := store.Open(ctx, os.Getenv(dsnEnv), store.Options{Recover: store.RecoverExpired, Logger: logger})
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		return 1
	}
	defer st.Close()
	opts := workerOptions(os.Getenv(cloudEnv))
	opts.Events, opts.Logger = os.Stdout, logger
	if os.Getenv(dieEnv) != "" {
		opts.Events = dieAfterPart{}
	}
	c, err := jobs.New(ctx, st, opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		return 1
	}
	if err := c.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		return 1
	}
	return 0
}

// databases are the engines a test runs on: SQLite, and PostgreSQL when
// KVGUARD_TEST_POSTGRES names one (in a schema of its own).
func databases(t *testing.T) []struct{ name, dsn string } {
	t.Helper()
	out := []struct{ name, dsn string }{{"sqlite", t.TempDir() + "/kvguard.db"}}
	dsn, _ := pgtest.Schema(t, "kvguard_jobs_")
	if dsn == "" {
		return out
	}
	return append(out, struct{ name, dsn string }{"postgres", dsn})
}

// envInt reads an integer from the environment, or def.
func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

// dieAfterPart passes events to stdout, and kills the process on the
// first "part" event: the job's work is recorded, its completion is not.
type dieAfterPart struct{}

func (dieAfterPart) Write(b []byte) (int, error) {
	n, err := os.Stdout.Write(b)
	if strings.HasPrefix(string(b), "event part ") {
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {} // the signal is on its way
	}
	return n, err
}
