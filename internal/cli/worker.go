package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"sort"
	"time"

	"github.com/spf13/cobra"

	"github.com/kvguard/kvguard/internal/jobs"
	"github.com/kvguard/kvguard/internal/store"
)

// workerOptions are the flags of `kvguard worker`.
type workerOptions struct {
	db                string
	concurrency       int
	tenantConcurrency int
	migrate           bool
	metricsListen     string
	enqueue           bool
	scope             string
	wait              bool
	jobTimeout        time.Duration
	rescueAfter       time.Duration
	leaseTTL          time.Duration
	poll              time.Duration
	// The live scan of each subscription.
	live liveFlags
}

func newWorkerCmd(a *app) *cobra.Command {
	o := &workerOptions{}
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Work scan jobs from the store's queue (River), alongside other workers",
		Long: `Worker runs kvguard's scans as jobs shared by any number of worker processes on one
database: SQLite (a file, the default, for one machine) or PostgreSQL (postgres://...,
for several). A scan is planned as one job per subscription; at most one worker reads a
subscription at a time and at most --tenant-concurrency subscriptions are read at once.
A worker killed mid-job has its job retried by another after --rescue-after.

--enqueue plans a scan of --subscription (or --management-group, or every subscription
the identity can read); --wait exits when it has finished (exit 0 when it succeeded).
--concurrency 0 enqueues and waits without working jobs. --migrate applies the store's and
River's migrations and exits (a deployment's migration job).`,
		Example: `  kvguard worker --db kvguard.db --enqueue --wait --subscription <id>
  kvguard worker --db postgres://kvguard@db/kvguard --migrate
  kvguard worker --db postgres://kvguard@db/kvguard --metrics-listen :9090`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runWorker(cmd.Context(), a, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.db, "db", "kvguard.db", "the store: a SQLite file, or a postgres:// connection string")
	f.IntVar(&o.concurrency, "concurrency", 4, "jobs this process works at once (0: only --enqueue and --wait)")
	f.IntVar(&o.tenantConcurrency, "tenant-concurrency", 16, "subscriptions read at once across every worker (Azure throttles per identity)")
	f.BoolVar(&o.migrate, "migrate", false, "apply the store's and River's migrations, then exit")
	f.StringVar(&o.metricsListen, "metrics-listen", "", "serve Prometheus metrics (the queue depth: kvguard_jobs{state=...}) at this address, e.g. :9090")
	f.BoolVar(&o.enqueue, "enqueue", false, "enqueue a scan of --subscription (default: every subscription the identity can read)")
	f.StringVar(&o.scope, "scope", "tenant", "--enqueue: the store scope of the scan (a completed scan is the whole truth about its scope)")
	f.BoolVar(&o.wait, "wait", false, "--enqueue: exit when the scan has finished, 0 when it succeeded")
	f.DurationVar(&o.jobTimeout, "job-timeout", 10*time.Minute, "time limit of one job")
	f.DurationVar(&o.rescueAfter, "rescue-after", 11*time.Minute, "retry a job running this long without finishing (its worker died); above --job-timeout")
	f.DurationVar(&o.leaseTTL, "lease-ttl", time.Minute, "how long a dead worker's subscription lease outlives it")
	f.DurationVar(&o.poll, "poll", time.Second, "how often an idle worker looks for jobs")
	o.live.addFlags(f)
	return cmd
}

func (o *workerOptions) check() error {
	switch {
	case o.concurrency < 0 || o.concurrency > 1024:
		return usageErrorf("--concurrency %d: use 0 to 1024", o.concurrency)
	case o.tenantConcurrency < 1:
		return usageErrorf("--tenant-concurrency must be at least 1")
	case o.jobTimeout <= 0 || o.rescueAfter <= o.jobTimeout:
		return usageErrorf("--rescue-after must be above --job-timeout, and both positive")
	case o.leaseTTL <= 0 || o.poll <= 0:
		return usageErrorf("--lease-ttl and --poll must be positive")
	case o.wait && !o.enqueue:
		return usageErrorf("--wait applies to --enqueue")
	case o.concurrency == 0 && !o.enqueue && !o.migrate:
		return usageErrorf("--concurrency 0 works no job: add --enqueue")
	}
	return o.live.check()
}

func runWorker(ctx context.Context, a *app, o *workerOptions) error {
	if err := o.check(); err != nil {
		return err
	}
	st, err := store.Open(ctx, o.db, store.Options{Recover: store.RecoverExpired, Logger: a.logger})
	if err != nil {
		return err
	}
	defer st.Close()
	if o.migrate {
		if err := jobs.Migrate(ctx, st, a.logger); err != nil {
			return err
		}
		fmt.Fprintln(a.io.ErrOut, "kvguard: worker: migrations applied")
		return nil
	}
	c, err := jobs.New(ctx, st, jobs.Options{
		Live:        o.live.options(a),
		Concurrency: o.concurrency, InsertOnly: o.concurrency == 0, TenantConcurrency: o.tenantConcurrency,
		JobTimeout: o.jobTimeout, RescueAfter: o.rescueAfter, LeaseTTL: o.leaseTTL, PollInterval: o.poll,
		Logger: a.logger,
	})
	if err != nil {
		return err
	}
	if o.metricsListen != "" {
		stop, err := serveMetrics(ctx, a, c, o.metricsListen)
		if err != nil {
			return err
		}
		defer stop()
	}
	work, cancel := context.WithCancel(ctx)
	defer cancel()
	ran := make(chan error, 1)
	go func() { ran <- c.Run(work) }()
	if !o.enqueue {
		return <-ran
	}
	id, err := c.EnqueueScan(ctx, o.scope, o.live.subscriptions)
	if err != nil {
		cancel()
		return errors.Join(err, <-ran)
	}
	fmt.Fprintf(a.io.ErrOut, "kvguard: worker: scan %d of %s enqueued\n", id, o.scope)
	if !o.wait {
		if o.concurrency == 0 {
			cancel() // enqueued: nothing left to do here
		}
		return <-ran
	}
	si, err := c.Wait(ctx, id)
	cancel()
	if rerr := <-ran; rerr != nil {
		err = errors.Join(err, rerr)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(a.io.ErrOut, "kvguard: worker: scan %d succeeded: %d subscriptions, %d results, %d changes in %s\n",
		id, si.Total, si.Results, si.Changes, si.Finished.Sub(si.Started).Round(time.Millisecond))
	return nil
}

// serveMetrics serves the queue depth in Prometheus' text format, for a
// HorizontalPodAutoscaler on an external metric.
func serveMetrics(ctx context.Context, a *app, c *jobs.Client, addr string) (stop func(), err error) {
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics-listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		depth, err := c.QueueDepth(r.Context())
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "# HELP kvguard_jobs River jobs by state (available: the queue depth).")
		fmt.Fprintln(w, "# TYPE kvguard_jobs gauge")
		states := []string{"available", "running", "retryable", "scheduled"}
		for s := range depth {
			if !slices.Contains(states, s) {
				states = append(states, s)
			}
		}
		sort.Strings(states[4:])
		for _, s := range states {
			fmt.Fprintf(w, "kvguard_jobs{state=%q} %d\n", s, depth[s])
		}
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.logger.Warn("metrics server stopped", "err", err)
		}
	}()
	fmt.Fprintf(a.io.ErrOut, "kvguard: worker: metrics at http://%s/metrics\n", ln.Addr())
	return func() {
		shut, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}, nil
}
