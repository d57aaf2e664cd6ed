package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/kvguard/kvguard/internal/catalog"
	"github.com/kvguard/kvguard/internal/demo"
	"github.com/kvguard/kvguard/internal/jobs"
	"github.com/kvguard/kvguard/internal/schedule"
	"github.com/kvguard/kvguard/internal/server"
	"github.com/kvguard/kvguard/internal/source/live"
	"github.com/kvguard/kvguard/internal/store"
)

// serveOptions are the flags of `kvguard serve`, and the hooks the
// authentication and notification wiring fills in.
type serveOptions struct {
	db          string
	listen      string
	schedule    string
	retention   time.Duration
	role        string
	noDemo      bool
	baseURL     string
	scope       string
	concurrency int
	poll        time.Duration
	live        liveFlags

	// prepare run first when the web role starts, with the open store:
	// the wiring's chance to build what its hooks need (the notifier).
	prepare []func(ctx context.Context, st *store.Store) error
	// Authenticator builds the server's authentication from the
	// --auth-* flags (nil: none, loopback only).
	Authenticator func(ctx context.Context, st *store.Store) (server.Authenticator, error)
	// OnScanCompleted is called once for each scan this process saw
	// complete (notifications of new High findings).
	OnScanCompleted func(ctx context.Context, scanID int64) error
	// OnMaintenance is called on each maintenance tick (expiring
	// exemptions).
	OnMaintenance func(ctx context.Context) error
	// maintainEvery is the maintenance tick (1 hour).
	maintainEvery time.Duration
	// after waits for a duration (time.After; tests inject a clock).
	after func(time.Duration) <-chan time.Time
	now   func() time.Time
	// ready, when set, receives the server's address once it listens;
	// onDemo the demo estate when one is started.
	ready  func(addr string)
	onDemo func(*demo.Demo)
}

// The roles of kvguard serve.
const (
	roleAll    = "all"
	roleWeb    = "web"
	roleWorker = "worker"
)

func newServeCmd(a *app) *cobra.Command {
	o := &serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Assess continuously and serve a dashboard and an API (history, exemptions, owners)",
		Long: `Serve scans on a schedule, keeps the verdicts and their history in a database (a SQLite
file by default, PostgreSQL for teams), and serves a dashboard and a REST API (/api/v1,
described at /api/v1/openapi.json) on 127.0.0.1:8080.

With an empty database and no --subscription, it serves and scans a bundled demo estate
(24 simulated vaults on loopback) so that the dashboard has something to show; --no-demo
turns that off. --role splits the process: web (pages and API; scans are enqueued for
workers), worker (works scan jobs, like 'kvguard worker'), all (both, the default).

Listening on anything but loopback needs authentication (see docs/serve.md).`,
		Example: `  kvguard serve
  kvguard serve --subscription <id> --schedule '*/15 * * * *'
  kvguard serve --db postgres://kvguard@db/kvguard --role worker`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runServe(cmd.Context(), a, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.db, "db", "kvguard.db", "the store: a SQLite file, or a postgres:// connection string")
	f.StringVar(&o.listen, "listen", "127.0.0.1:8080", "the address to serve on (not loopback: needs authentication)")
	f.StringVar(&o.schedule, "schedule", "15m", `when to scan: an interval ("15m") or a 5-field cron expression in UTC ("*/15 * * * *"); "" for never`)
	f.DurationVar(&o.retention, "retention", 400*24*time.Hour, "keep history and finished scans this long (negative: for ever)")
	f.StringVar(&o.role, "role", roleAll, "web (pages and API, enqueue scans), worker (work scan jobs) or all")
	f.BoolVar(&o.noDemo, "no-demo", false, "never serve the bundled demo estate, even with an empty database")
	f.StringVar(&o.baseURL, "base-url", "", "the server's external URL, for absolute links in API answers")
	f.StringVar(&o.scope, "scope", "tenant", "the store scope of scheduled live scans")
	f.IntVar(&o.concurrency, "concurrency", 4, "roles worker and all: scan jobs worked at once")
	f.DurationVar(&o.poll, "poll", time.Second, "how often idle workers look for jobs")
	o.live.addFlags(f)
	for _, wire := range serveWiring() {
		wire(cmd, o)
	}
	return cmd
}

// serveWiring lists what plugs into kvguard serve: each adds its flags
// to the command and fills the options' hooks (Authenticator from the
// --auth-oidc-* flags and tokens, OnScanCompleted and OnMaintenance from
// the notifier's flags). An explicit list, no registration.
func serveWiring() []func(cmd *cobra.Command, o *serveOptions) {
	return []func(cmd *cobra.Command, o *serveOptions){wireAuth, wireNotify}
}

func (o *serveOptions) check() (schedule.Schedule, error) {
	switch o.role {
	case roleAll, roleWeb, roleWorker:
	default:
		return schedule.Schedule{}, usageErrorf("--role %q: use web, worker or all", o.role)
	}
	if o.concurrency < 1 || o.concurrency > 1024 {
		return schedule.Schedule{}, usageErrorf("--concurrency %d: use 1 to 1024", o.concurrency)
	}
	if err := o.live.check(); err != nil {
		return schedule.Schedule{}, err
	}
	if o.schedule == "" {
		return schedule.Schedule{}, nil
	}
	s, err := schedule.Parse(o.schedule)
	if err != nil {
		return s, usageErrorf("--schedule: %v", err)
	}
	return s, nil
}

func runServe(ctx context.Context, a *app, o *serveOptions) error {
	sched, err := o.check()
	if err != nil {
		return err
	}
	if o.after == nil {
		o.after = time.After
	}
	if o.now == nil {
		o.now = time.Now
	}
	if o.maintainEvery <= 0 {
		o.maintainEvery = time.Hour
	}
	recovery := store.RecoverExpired
	if o.role == roleAll && !strings.HasPrefix(o.db, "postgres") {
		recovery = store.RecoverAll // one process owns the file: anything running was interrupted
	}
	st, err := store.Open(ctx, o.db, store.Options{Recover: recovery, Retention: o.retention, Logger: a.logger})
	if err != nil {
		return err
	}
	defer st.Close()
	liveOpts, scope, stopDemo, err := o.liveScope(ctx, a, st)
	if err != nil {
		return err
	}
	defer stopDemo()
	c, err := jobs.New(ctx, st, jobs.Options{Live: liveOpts, InsertOnly: o.role == roleWeb, Concurrency: o.concurrency,
		PollInterval: o.poll, Logger: a.logger})
	if err != nil {
		return err
	}
	work, cancel := context.WithCancel(ctx)
	defer cancel()
	ran := make(chan error, 1)
	go func() { ran <- c.Run(work) }()
	if o.role == roleWorker {
		fmt.Fprintln(a.io.ErrOut, "kvguard: serve: working scan jobs")
		return <-ran
	}
	err = o.serveWeb(work, a, st, c, sched, scope)
	cancel()
	return errors.Join(err, <-ran)
}

// liveScope chooses what scans read: the demo estate (started here)
// when the store is empty or has only demo scans and no scope was given,
// the Azure flags otherwise.
func (o *serveOptions) liveScope(ctx context.Context, a *app, st *store.Store) (live.Options, string, func(), error) {
	opts := o.live.options(a)
	if o.noDemo || o.role == roleWeb || len(o.live.subscriptions) > 0 || len(o.live.managementGroups) > 0 {
		return opts, o.scope, func() {}, nil
	}
	scans, _, err := st.ScansPage(ctx, 0, 1)
	if err != nil {
		return opts, "", nil, err
	}
	if len(scans) > 0 && scans[0].Scope != demo.Scope {
		return opts, o.scope, func() {}, nil
	}
	d, err := demo.Start(nil, a.logger)
	if err != nil {
		return opts, "", nil, err
	}
	if o.onDemo != nil {
		o.onDemo(d)
	}
	fmt.Fprintln(a.io.ErrOut, "kvguard: serve: no subscription given and no scan yet: scanning the bundled demo estate "+
		"(24 simulated vaults on loopback; --no-demo to turn it off)")
	return d.Live(), demo.Scope, func() { _ = d.Close() }, nil
}

// serveWeb serves the pages and the API until ctx ends, running the
// schedule and the maintenance ticks alongside.
func (o *serveOptions) serveWeb(ctx context.Context, a *app, st *store.Store, c *jobs.Client, sched schedule.Schedule, scope string) error {
	for _, prepare := range o.prepare {
		if err := prepare(ctx, st); err != nil {
			return err
		}
	}
	var auth server.Authenticator
	if o.Authenticator != nil {
		var err error
		if auth, err = o.Authenticator(ctx, st); err != nil {
			return err
		}
	}
	if err := server.CheckListen(o.listen, auth != nil); err != nil {
		return &UsageError{Err: err}
	}
	cat, err := catalog.All(catalog.Options{})
	if err != nil {
		return err
	}
	w := &scanWatcher{life: ctx, c: c, st: st, hook: o.OnScanCompleted, log: a.logger}
	srv, err := server.New(server.Options{Store: st, Catalog: cat, Auth: auth, Scanner: w, Reporter: w, DefaultScope: scope,
		Schedule: o.schedule, BaseURL: o.baseURL, Logger: a.logger})
	if err != nil {
		return err
	}
	w.srv = srv
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", o.listen)
	if err != nil {
		return fmt.Errorf("--listen: %w", err)
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	fmt.Fprintf(a.io.ErrOut, "kvguard: serve: http://%s (database %s, role %s)\n", ln.Addr(), st.Engine(), o.role)
	if o.ready != nil {
		o.ready(ln.Addr().String())
	}
	var loops sync.WaitGroup
	loops.Go(func() { o.runSchedule(ctx, a, st, w, sched, scope) })
	loops.Go(func() { o.runMaintenance(ctx, a) })
	select {
	case <-ctx.Done():
	case err = <-served:
	}
	shut, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if serr := hs.Shutdown(shut); serr != nil && err == nil {
		err = serr
	}
	loops.Wait()
	w.wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// runSchedule scans scope at once when no scan of it has completed, then
// at each of the schedule's instants; a scan still running is skipped.
func (o *serveOptions) runSchedule(ctx context.Context, a *app, st *store.Store, w *scanWatcher, sched schedule.Schedule, scope string) {
	if o.schedule == "" {
		return
	}
	scans, _, err := st.ScansPage(ctx, 0, 1)
	if err == nil && len(scans) == 0 {
		o.scheduledScan(ctx, a, w, scope)
	}
	for {
		now := o.now()
		next := sched.Next(now)
		if next.IsZero() {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-o.after(next.Sub(now)):
		}
		o.scheduledScan(ctx, a, w, scope)
	}
}

func (o *serveOptions) scheduledScan(ctx context.Context, a *app, w *scanWatcher, scope string) {
	id, err := w.Scan(ctx, scope)
	switch {
	case errors.Is(err, store.ErrScopeBusy):
		a.logger.Info("scheduled scan skipped: one is running", "scope", scope)
	case err != nil && ctx.Err() == nil:
		a.logger.Warn("scheduled scan", "scope", scope, "err", err)
	case err == nil:
		a.logger.Info("scheduled scan enqueued", "scope", scope, "scan", id)
	}
}

// runMaintenance calls the maintenance hook on each tick (the store's own
// maintenance, exemption expiry and retention, is a periodic job).
func (o *serveOptions) runMaintenance(ctx context.Context, a *app) {
	if o.OnMaintenance == nil {
		return
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-o.after(o.maintainEvery):
		}
		if err := o.OnMaintenance(ctx); err != nil && ctx.Err() == nil {
			a.logger.Warn("maintenance hook", "err", err)
		}
	}
}

// scanWatcher enqueues scans and reports for the workers and follows
// each to its end, then records it in the metrics and calls the hook.
type scanWatcher struct {
	// life ends when the server stops: followers stop waiting then.
	life    context.Context
	c       *jobs.Client
	st      *store.Store
	srv     *server.Server
	hook    func(ctx context.Context, scanID int64) error
	log     interface{ Warn(string, ...any) }
	running sync.WaitGroup
}

// Scan enqueues a live scan of scope.
func (w *scanWatcher) Scan(ctx context.Context, scope string) (int64, error) {
	id, err := w.c.EnqueueScan(ctx, scope, nil)
	if err != nil {
		return 0, err
	}
	w.follow(id)
	return id, nil
}

// Report enqueues the ingestion of a pushed report.
func (w *scanWatcher) Report(ctx context.Context, scope string, labels store.Labels, report io.Reader) (int64, bool, error) {
	b, err := io.ReadAll(report)
	if err != nil {
		return 0, false, fmt.Errorf("read the report: %w", err)
	}
	id, err := w.c.EnqueueReport(ctx, scope, labels, b)
	if err != nil {
		return 0, false, err
	}
	w.follow(id)
	return id, false, nil
}

// follow waits for the scan in the background, until the server stops.
func (w *scanWatcher) follow(id int64) {
	w.running.Go(func() {
		info, err := w.c.Wait(w.life, id)
		if w.life.Err() != nil {
			return
		}
		w.srv.ScanFinished(info)
		if err != nil || w.hook == nil {
			return
		}
		if err := w.hook(w.life, id); err != nil {
			w.log.Warn("scan completed hook", "scan", id, "err", err)
		}
	})
}

func (w *scanWatcher) wait() { w.running.Wait() }
