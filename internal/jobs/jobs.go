package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/kvguard/kvguard/internal/catalog"
	"github.com/kvguard/kvguard/internal/source/live"
	"github.com/kvguard/kvguard/internal/store"
)

// Options configure a Client.
type Options struct {
	// Live is the template of every subscription's live scan: cloud,
	// credential, transport, data plane, concurrency, timeouts. Its scope
	// (Subscriptions, ManagementGroups) is the default scope of a scan
	// enqueued without subscriptions.
	Live live.Options
	// Catalog judges the vaults (nil: the default recommendations).
	Catalog *catalog.Catalog
	// Concurrency is the number of jobs this process works at once
	// (default 4); 0 with InsertOnly makes a client that only enqueues.
	Concurrency int
	// InsertOnly makes a client that enqueues and waits but works no job
	// (kvguard worker --concurrency 0; the web role).
	InsertOnly bool
	// TenantConcurrency bounds the subscriptions read at once across
	// every worker (default 16).
	TenantConcurrency int
	// JobTimeout bounds one job (default 10 minutes); RescueAfter is when
	// a running job whose worker went silent is rescued and retried
	// (default JobTimeout + 1 minute; River's rescuer looks every 30 s).
	JobTimeout  time.Duration
	RescueAfter time.Duration
	// RetryMax bounds the wait before a failed job's next attempt
	// (default 5 minutes): attempts wait 1 s, 2 s, 4 s, … up to it.
	// River's own policy waits attempt⁴ seconds (over 4 minutes by the
	// fourth attempt, hours later on), too long for a scan that waits for
	// its last subscription.
	RetryMax time.Duration
	// LeaseTTL is how long a subscription's lease outlives its holder's
	// last renewal (default 1 minute; renewed every third of it).
	LeaseTTL time.Duration
	// PollInterval is how often idle workers look for jobs (default 1 s).
	PollInterval time.Duration
	// MaintainEvery is the period of the maintenance job (default 1 hour).
	MaintainEvery time.Duration
	// ID names this worker in River (default host name and process ID).
	ID string
	// Events, when set, receives one line per event ("document <id>",
	// "part <subscription>"): tests count them to stop a worker at a
	// moment chosen by events, not by time.
	Events io.Writer
	// Logger receives diagnostics (default: discard).
	Logger *slog.Logger
}

// Client enqueues scans and, unless InsertOnly, works jobs.
type Client struct {
	st    *store.Store
	opts  Options
	log   *slog.Logger
	river *river.Client[*sql.Tx]
	ev    *events
}

// Migrate applies River's migrations to the store's database (the
// store applies its own on Open). It is idempotent; New calls it.
func Migrate(ctx context.Context, st *store.Store, logger *slog.Logger) error {
	m, err := rivermigrate.New(driver(st), &rivermigrate.Config{Logger: orDiscard(logger)})
	if err != nil {
		return fmt.Errorf("river migrations: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("apply river migrations: %w", err)
	}
	return nil
}

func driver(st *store.Store) riverdriver.Driver[*sql.Tx] {
	if st.Engine() == store.Postgres {
		return riverdatabasesql.New(st.DB())
	}
	return riversqlite.New(st.DB())
}

func orDiscard(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}

// New migrates River's tables and builds a client over the store's
// database. The store should be opened with store.RecoverExpired: other
// processes run scans on it.
func New(ctx context.Context, st *store.Store, opts Options) (*Client, error) {
	opts = withDefaults(opts)
	if err := Migrate(ctx, st, opts.Logger); err != nil {
		return nil, err
	}
	c := &Client{st: st, opts: opts, log: opts.Logger, ev: &events{w: opts.Events}}
	if !opts.InsertOnly {
		// One transport and one credential for every job: connections
		// and tokens are reused across subscriptions.
		shared, err := live.Shared(opts.Live)
		if err != nil {
			return nil, err
		}
		c.opts.Live = shared
	}
	if c.opts.Catalog == nil {
		cat, err := catalog.Build(catalog.BuildOptions{})
		if err != nil {
			return nil, err
		}
		c.opts.Catalog = cat
	}
	cfg := &river.Config{
		ID:                   opts.ID,
		Logger:               opts.Logger,
		JobTimeout:           opts.JobTimeout,
		RescueStuckJobsAfter: opts.RescueAfter,
		RetryPolicy:          retryPolicy{max: opts.RetryMax},
		// database/sql carries no LISTEN/NOTIFY, and SQLite has none:
		// workers poll, on both engines alike.
		PollOnly:          true,
		FetchPollInterval: opts.PollInterval,
		FetchCooldown:     opts.PollInterval / 4,
	}
	if !opts.InsertOnly {
		workers := river.NewWorkers()
		river.AddWorker(workers, &planWorker{c: c})
		river.AddWorker(workers, &subscriptionWorker{c: c})
		river.AddWorker(workers, &completeWorker{c: c})
		river.AddWorker(workers, &reportWorker{c: c})
		river.AddWorker(workers, &maintenanceWorker{c: c})
		cfg.Workers = workers
		cfg.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: opts.Concurrency}}
		cfg.PeriodicJobs = []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(opts.MaintainEvery),
			func() (river.JobArgs, *river.InsertOpts) {
				return MaintenanceArgs{}, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByPeriod: opts.MaintainEvery}}
			}, nil)}
	}
	rc, err := river.NewClient(driver(st), cfg)
	if err != nil {
		return nil, fmt.Errorf("river client: %w", err)
	}
	c.river = rc
	return c, nil
}

func withDefaults(o Options) Options {
	o.Logger = orDiscard(o.Logger)
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.TenantConcurrency <= 0 {
		o.TenantConcurrency = 16
	}
	if o.JobTimeout <= 0 {
		o.JobTimeout = 10 * time.Minute
	}
	if o.RescueAfter <= o.JobTimeout {
		o.RescueAfter = o.JobTimeout + time.Minute
	}
	if o.RetryMax <= 0 {
		o.RetryMax = 5 * time.Minute
	}
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = time.Minute
	}
	if o.PollInterval <= 0 {
		o.PollInterval = time.Second
	}
	if o.MaintainEvery <= 0 {
		o.MaintainEvery = time.Hour
	}
	if o.ID == "" {
		host, _ := os.Hostname()
		o.ID = host + "-" + strconv.Itoa(os.Getpid())
	}
	return o
}

// Run works jobs until ctx is cancelled, then stops, letting running jobs
// finish (a second cancellation is not needed: jobs still running when
// Stop returns are rescued by another worker later).
func (c *Client) Run(ctx context.Context) error {
	if c.opts.InsertOnly {
		<-ctx.Done()
		return nil
	}
	if err := c.river.Start(ctx); err != nil {
		return fmt.Errorf("start workers: %w", err)
	}
	<-ctx.Done()
	stop, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.opts.JobTimeout)
	defer cancel()
	if err := c.river.Stop(stop); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("stop workers: %w", err)
	}
	return nil
}

// EnqueueScan begins a live scan of scope (an opaque store scope, such
// as "tenant:<id>") over subscriptions (none: Options.Live's scope) and
// enqueues its planning; workers do the rest. It returns the store's scan
// ID, or store.ErrScopeBusy when a scan of the scope is running.
func (c *Client) EnqueueScan(ctx context.Context, scope string, subscriptions []string) (int64, error) {
	sc, err := c.st.Begin(ctx, scope, store.Live, store.Labels{})
	if err != nil {
		return 0, err
	}
	if _, err := c.river.Insert(ctx, PlanArgs{ScanID: sc.ID(), Subscriptions: subscriptions}, nil); err != nil {
		return 0, errors.Join(fmt.Errorf("enqueue scan %d: %w", sc.ID(), err), sc.Fail(ctx, "could not be enqueued"))
	}
	return sc.ID(), nil
}

// EnqueueReport begins a repository scan of scope with CI's labels and
// enqueues the ingestion of report (a kvguard JSON report); the job
// completes the scan.
func (c *Client) EnqueueReport(ctx context.Context, scope string, labels store.Labels, report []byte) (int64, error) {
	sc, err := c.st.Begin(ctx, scope, store.Repository, labels)
	if err != nil {
		return 0, err
	}
	if _, err := c.river.Insert(ctx, ReportArgs{ScanID: sc.ID(), Report: string(report)}, nil); err != nil {
		return 0, errors.Join(fmt.Errorf("enqueue report %d: %w", sc.ID(), err), sc.Fail(ctx, "could not be enqueued"))
	}
	return sc.ID(), nil
}

// Wait polls the scan until it is no longer running and returns its row:
// an error when it failed.
func (c *Client) Wait(ctx context.Context, scanID int64) (store.ScanInfo, error) {
	tick := time.NewTicker(c.opts.PollInterval)
	defer tick.Stop()
	for {
		si, err := c.st.ScanInfo(ctx, scanID)
		if err != nil {
			return si, err
		}
		switch si.Status {
		case store.Succeeded:
			return si, nil
		case store.Failed:
			return si, fmt.Errorf("scan %d failed: %s", scanID, si.Error)
		}
		select {
		case <-ctx.Done():
			return si, ctx.Err()
		case <-tick.C:
		}
	}
}

// QueueDepth counts River's jobs by state (available, running,
// retryable, scheduled, ...): the autoscaler's metric is "available".
func (c *Client) QueueDepth(ctx context.Context) (map[string]int64, error) {
	rows, err := c.st.DB().QueryContext(ctx, "SELECT state, COUNT(*) FROM river_job GROUP BY state")
	if err != nil {
		return nil, fmt.Errorf("queue depth: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var state string
		var n int64
		if err := rows.Scan(&state, &n); err != nil {
			return nil, fmt.Errorf("queue depth: %w", err)
		}
		out[state] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("queue depth: %w", err)
	}
	return out, nil
}
