package jobs_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kvguard/kvguard/internal/assess"
	"github.com/kvguard/kvguard/internal/azuresim"
	"github.com/kvguard/kvguard/internal/catalog"
	"github.com/kvguard/kvguard/internal/jobs"
	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/source/live"
	"github.com/kvguard/kvguard/internal/store"
)

// estateSize is the kill test's estate: 200 subscriptions × 50 vaults
// (KVGUARD_KILL_SUBSCRIPTIONS and KVGUARD_KILL_VAULTS_PER_SUBSCRIPTION
// change it), 20 × 10 under -race.
func estateSize() (subs, perSub int) {
	subs, perSub = 200, 50
	if raceEnabled {
		subs, perSub = 20, 10
	}
	return envInt("KVGUARD_KILL_SUBSCRIPTIONS", subs), envInt("KVGUARD_KILL_VAULTS_PER_SUBSCRIPTION", perSub)
}

// TestKilledWorker: three worker processes share one scan of an estate
// served under Azure's throttling; one is killed with SIGKILL after a
// random number of events (documents read); the scan still completes,
// with every vault judged exactly once, no duplicate rows, and the
// verdicts of a single-process scan of the same estate. No assertion
// depends on time.
func TestKilledWorker(t *testing.T) {
	if testing.Short() {
		t.Skip("starts worker processes and scans thousands of vaults")
	}
	subs, perSub := estateSize()
	est := azuresim.Generate(azuresim.GenOptions{Subscriptions: subs, Vaults: subs * perSub, SecretsPerVault: 2, KeysPerVault: 1, Seed: 14})
	// The last subscription's requests are held while a kill is pending,
	// so that the scan cannot complete before a worker is killed.
	held := &hold{sub: "/subscriptions/" + strings.ToLower(est.Subscriptions[len(est.Subscriptions)-1].ID) + "/"}
	cloud := serveEstate(t, est, azuresim.Options{Throttle: true, ThrottleRate: 0.02, Seed: 14, NoRequestLog: true, Hold: held.request})

	want := referenceVerdicts(t, cloud)
	t.Logf("single-process scan: %d verdicts", len(want))
	for _, db := range databases(t) {
		t.Run(db.name, func(t *testing.T) {
			got, docs := killedScan(t, db.dsn, cloud, subscriptionIDs(est), held)
			t.Logf("%s: three workers, one killed: %d verdicts, %d documents read", db.name, len(got), docs)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("verdicts differ from the single-process scan (-want +got):\n%s", diff)
			}
		})
	}
}

// serveEstate serves est from a simulator on loopback for the test and
// returns its cloud file; the workers, which inherit the environment,
// sign in with the simulator's client secret.
func serveEstate(t *testing.T, est *azuresim.Estate, opts azuresim.Options) (cloud string) {
	t.Helper()
	sim, err := azuresim.New(est, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	cloud = filepath.Join(t.TempDir(), "cloud.json")
	if err := os.WriteFile(cloud, sim.CloudFile(), 0o600); err != nil {
		t.Fatal(err)
	}
	tenant, id, secret := sim.Credentials()
	t.Setenv("AZURE_TENANT_ID", tenant)
	t.Setenv("AZURE_CLIENT_ID", id)
	t.Setenv("AZURE_CLIENT_SECRET", secret)
	return cloud
}

func subscriptionIDs(est *azuresim.Estate) []string {
	ids := make([]string, 0, len(est.Subscriptions))
	for _, s := range est.Subscriptions {
		ids = append(ids, s.ID)
	}
	return ids
}

// referenceVerdicts scans the estate in this process, as kvguard scan
// --azure does, into a store of its own, and returns its findings.
func referenceVerdicts(t *testing.T, cloud string) map[string]string {
	t.Helper()
	ctx := t.Context()
	cat, err := catalog.Build(catalog.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	as := assess.New(cat, assess.Options{})
	if _, err := live.Scan(ctx, live.Options{Cloud: cloud, Auth: "client-secret", Concurrency: 64}, func(d *resource.Document) { as.Add(d) }); err != nil {
		t.Fatal(err)
	}
	res := as.Finish(ctx)
	defer res.Close()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "reference.db"), store.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sc, err := st.Begin(ctx, "tenant", store.Live, store.Labels{})
	if err != nil {
		t.Fatal(err)
	}
	if err := sc.Ingest(ctx, res); err != nil {
		t.Fatal(err)
	}
	if err := sc.Complete(ctx); err != nil {
		t.Fatal(err)
	}
	return findings(t, st)
}

func findings(t *testing.T, st *store.Store) map[string]string {
	t.Helper()
	fs, err := st.Current(t.Context(), store.Filter{Components: true})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, f := range fs {
		k := strings.ToLower(f.ResourceID) + "|" + f.Recommendation + "|" + f.Component
		if _, dup := out[k]; dup {
			t.Errorf("duplicate finding %s", k)
		}
		out[k] = string(f.Status) + " " + f.Reason
	}
	return out
}

// worker is a worker process and the events it wrote.
type worker struct {
	cmd    *exec.Cmd
	events atomic.Int64 // documents read
	killed atomic.Bool
	again  chan struct{} // a value per job found done by an earlier attempt
	done   chan struct{}
}

// riverID is the worker's name in River (jobs.Options.ID's default).
func (w *worker) riverID() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s-%d", host, w.cmd.Process.Pid)
}

func startWorker(t *testing.T, dsn, cloud string, killAt int64, killed *atomic.Bool, onKill func()) *worker {
	t.Helper()
	w := &worker{done: make(chan struct{}), again: make(chan struct{}, 1024)}
	w.cmd = exec.Command(os.Args[0], "-test.run=^$")
	w.cmd.Env = append(os.Environ(), workerEnv+"=1", dsnEnv+"="+dsn, cloudEnv+"="+cloud)
	w.cmd.Stderr = &prefixed{t: t}
	out, err := w.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(w.done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "event done-before ") {
				w.again <- struct{}{}
				continue
			}
			if !strings.HasPrefix(sc.Text(), "event document ") {
				continue
			}
			if n := w.events.Add(1); n == killAt && killed.CompareAndSwap(false, true) {
				// SIGKILL: no deferred function, no River shutdown, a job
				// left running in the queue.
				_ = w.cmd.Process.Kill()
				w.killed.Store(true)
				onKill()
			}
		}
		_, _ = io.Copy(io.Discard, out)
	}()
	return w
}

// killedScan runs the scan on three worker processes, killing one, and
// returns the findings and the documents the workers read.
func killedScan(t *testing.T, dsn, cloud string, subIDs []string, held *hold) (map[string]string, int64) {
	subs := len(subIDs)
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	st, err := store.Open(ctx, dsn, store.Options{Recover: store.RecoverExpired, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	opts := workerOptions(cloud)
	opts.InsertOnly = true
	c, err := jobs.New(ctx, st, opts)
	if err != nil {
		t.Fatal(err)
	}
	seed := uint64(envInt("KVGUARD_KILL_SEED", int(time.Now().UnixNano()%1e9)))
	rng := rand.New(rand.NewPCG(seed, 0))
	// The first worker to read killAt documents is killed. The held
	// subscription keeps the scan from completing until then, and the
	// others' documents (4 per vault: the vault, 2 secrets, 1 key) are
	// more than three times killAt, so one worker reaches it whatever
	// the scheduling: a kill is certain, and its moment random.
	perWorker := int64(estateDocs()) / 3
	killAt := 1 + rng.Int64N(max(perWorker/2, 1))
	t.Logf("seed %d (KVGUARD_KILL_SEED): the first worker to read %d documents is killed", seed, killAt)
	release := held.start()
	defer release()
	var killed atomic.Bool
	workers := make([]*worker, 3)
	for i := range workers {
		workers[i] = startWorker(t, dsn, cloud, killAt, &killed, release)
	}
	scanID, err := c.EnqueueScan(ctx, "tenant", subIDs)
	if err != nil {
		t.Fatal(err)
	}
	si, err := c.Wait(ctx, scanID)
	stopWorkers(t, workers)
	if err != nil {
		dumpJobs(t, st, scanID)
		t.Fatalf("scan: %v", err)
	}
	if !killed.Load() {
		t.Errorf("no worker read %d documents: none was killed", killAt)
	}
	if si.Done != int64(subs) || si.Total != int64(subs) {
		t.Errorf("parts done %d of %d, want %d of %d", si.Done, si.Total, subs, subs)
	}
	var docs int64
	var victim *worker
	for _, w := range workers {
		docs += w.events.Load()
		if w.killed.Load() {
			victim = w
		}
	}
	if victim != nil {
		finishLost(t, st, dsn, cloud, victim)
	}
	_, perSub := estateSize()
	checkRows(t, st, scanID, subs*perSub)
	return findings(t, st), docs
}

// finishLost: a job the killed worker had finished may still be
// "running" in River, its completion lost with the process, until River's
// rescuer (RescueAfter) hands it to another worker. Such jobs are made
// available, as the rescuer would, and a new worker must complete them
// without reading Azure again (checkRows then finds every job completed).
func finishLost(t *testing.T, st *store.Store, dsn, cloud string, victim *worker) {
	t.Helper()
	lost := rescue(t, st, victim)
	if lost == 0 {
		return
	}
	t.Logf("%d jobs finished by the killed worker were not completed in River: rescued", lost)
	var never atomic.Bool
	never.Store(true)
	w := startWorker(t, dsn, cloud, -1, &never, func() {})
	for range lost {
		select {
		case <-w.again:
		case <-w.done:
			t.Fatal("the worker rescuing the lost jobs exited")
		case <-t.Context().Done():
			t.Fatal("the lost jobs were not rescued")
		}
	}
	stopWorkers(t, []*worker{w})
	if n := w.events.Load(); n != 0 {
		t.Errorf("the rescued jobs read %d documents again; their parts were done", n)
	}
}

// rescue makes the subscription jobs the dead worker attempted and River
// did not see completed available again, as River's rescuer does after
// RescueAfter, and returns how many.
func rescue(t *testing.T, st *store.Store, victim *worker) int {
	t.Helper()
	attempted := "coalesce(attempted_by, '')"
	if st.Engine() == store.Postgres {
		attempted = "coalesce(array_to_string(attempted_by, ','), '')"
	}
	q := "SELECT id, " + attempted + " FROM river_job WHERE kind = '" + jobs.KindSubscription + "' AND state <> 'completed'"
	rows, err := st.DB().QueryContext(t.Context(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	var lost []int64
	for rows.Next() {
		var id int64
		var by string
		if err := rows.Scan(&id, &by); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(by, victim.riverID()) {
			lost = append(lost, id)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	_ = rows.Close()
	for _, id := range lost {
		if _, err := st.DB().ExecContext(t.Context(), rebind(st, "UPDATE river_job SET state = 'available' WHERE id = ?"), id); err != nil {
			t.Fatal(err)
		}
	}
	return len(lost)
}

// rebind writes a query's ? placeholders as the store's engine wants.
func rebind(st *store.Store, query string) string {
	if st.Engine() == store.Postgres {
		for i := 1; strings.Contains(query, "?"); i++ {
			query = strings.Replace(query, "?", fmt.Sprintf("$%d", i), 1)
		}
	}
	return query
}

func stopWorkers(t *testing.T, workers []*worker) {
	t.Helper()
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Go(func() {
			_ = w.cmd.Process.Signal(syscall.SIGTERM)
			<-w.done
			_ = w.cmd.Wait()
		})
	}
	wg.Wait()
}

// checkRows: every vault once among the scope's resources, one
// appearance per finding (the scan's first), and every job completed.
func checkRows(t *testing.T, st *store.Store, scanID int64, vaults int) {
	t.Helper()
	db := st.DB()
	q := func(query string, args ...any) int64 {
		t.Helper()
		query = rebind(st, query)
		var n int64
		if err := db.QueryRowContext(t.Context(), query, args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return n
	}
	if n, distinct := q("SELECT COUNT(*) FROM resources WHERE type = ?", resource.TypeVault),
		q("SELECT COUNT(DISTINCT lower(resource_id)) FROM resources WHERE type = ?", resource.TypeVault); n != int64(vaults) || distinct != n {
		t.Errorf("%d vault rows, %d distinct, want %d", n, distinct, vaults)
	}
	// A component's appearance is its finding alone (history deferred,
	// the store's migration 00011): history holds the rest.
	if h, d, f := q("SELECT COUNT(*) FROM history WHERE scan_id = ?", scanID),
		q("SELECT COUNT(*) FROM findings WHERE history_deferred = 1"), q("SELECT COUNT(*) FROM findings"); h+d != f {
		t.Errorf("%d history rows and %d deferred appearances for %d findings: a verdict was recorded twice", h, d, f)
	}
	if n := q("SELECT COUNT(*) FROM scan_parts WHERE scan_id = ? AND done_at = 0", scanID); n != 0 {
		t.Errorf("%d parts not done in a completed scan", n)
	}
	if n := q("SELECT COUNT(*) FROM river_job WHERE kind = ? AND state <> 'completed'", jobs.KindSubscription); n != 0 {
		t.Errorf("%d subscription jobs not completed", n)
	}
	t.Logf("subscription jobs retried after the kill: %d", q("SELECT COUNT(*) FROM river_job WHERE kind = ? AND attempt > 1", jobs.KindSubscription))
}

func estateDocs() int {
	subs, perSub := estateSize()
	return subs * perSub * 4
}

// prefixed passes a worker's stderr to the test log.
type prefixed struct {
	t  *testing.T
	mu sync.Mutex
}

func (p *prefixed) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.t.Logf("worker: %s", strings.TrimSpace(string(b)))
	return len(b), nil
}

// hold holds one subscription's requests at the simulator between start
// and its release (the kill).
type hold struct {
	sub string // "/subscriptions/<id>/", lower case
	mu  sync.Mutex
	ch  chan struct{} // nil: nothing held
}

func (h *hold) request(r *http.Request) <-chan struct{} {
	if !strings.Contains(strings.ToLower(r.URL.Path)+"/", h.sub) {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.ch == nil {
		return nil
	}
	return h.ch
}

// start holds the subscription; the function returned releases it (once,
// whoever calls it first).
func (h *hold) start() func() {
	ch := make(chan struct{})
	h.mu.Lock()
	h.ch = ch
	h.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			h.mu.Lock()
			h.ch = nil
			h.mu.Unlock()
			close(ch)
		})
	}
}

// TestWorkerDiesAfterPart: a worker dies after recording a
// subscription's verdicts and before River records the job's completion
// (the window TestKilledWorker's random kill only sometimes hits). Its
// jobs, rescued, are taken by another worker: the one whose part was done
// completes without reading Azure again, the others are read, and the
// scan completes with every vault judged once.
func TestWorkerDiesAfterPart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts worker processes")
	}
	const subs, perSub = 6, 3
	est := azuresim.Generate(azuresim.GenOptions{Subscriptions: subs, Vaults: subs * perSub, SecretsPerVault: 2, KeysPerVault: 1, Seed: 15})
	cloud := serveEstate(t, est, azuresim.Options{Seed: 15, NoRequestLog: true})
	want := referenceVerdicts(t, cloud)
	ids := subscriptionIDs(est)
	for _, db := range databases(t) {
		t.Run(db.name, func(t *testing.T) {
			ctx := t.Context()
			st, err := store.Open(ctx, db.dsn, store.Options{Recover: store.RecoverExpired, Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			opts := workerOptions(cloud)
			opts.InsertOnly = true
			c, err := jobs.New(ctx, st, opts)
			if err != nil {
				t.Fatal(err)
			}
			t.Setenv(dieEnv, "1")
			var never atomic.Bool
			never.Store(true)
			dying := startWorker(t, db.dsn, cloud, -1, &never, func() {})
			t.Setenv(dieEnv, "")
			scanID, err := c.EnqueueScan(ctx, "tenant", ids)
			if err != nil {
				t.Fatal(err)
			}
			<-dying.done
			if err := dying.cmd.Wait(); err == nil {
				t.Fatal("the dying worker exited cleanly: it marked no part done")
			}
			dying.killed.Store(true)
			// The dead worker's jobs wait for River's rescuer: lost jobs
			// are made available here as it would, and a new worker runs
			// them (finishLost checks one job found its work done).
			lost := rescue(t, st, dying)
			if lost == 0 {
				t.Fatal("the dead worker left no job running")
			}
			w := startWorker(t, db.dsn, cloud, -1, &never, func() {})
			si, err := c.Wait(ctx, scanID)
			stopWorkers(t, []*worker{w})
			if err != nil {
				t.Fatalf("scan: %v", err)
			}
			if got := len(w.again); got != 1 {
				t.Errorf("%d jobs found their part done by the dead worker, want 1", got)
			}
			if si.Done != subs {
				t.Errorf("parts done %d, want %d", si.Done, subs)
			}
			checkRows(t, st, scanID, subs*perSub)
			if diff := cmp.Diff(want, findings(t, st)); diff != "" {
				t.Errorf("verdicts differ from the single-process scan (-want +got):\n%s", diff)
			}
		})
	}
}

// dumpJobs logs what a scan that did not complete left: its parts not
// done, and the jobs not completed with their attempts and errors.
func dumpJobs(t *testing.T, st *store.Store, scanID int64) {
	t.Helper()
	ctx := context.WithoutCancel(t.Context())
	rows, err := st.DB().QueryContext(ctx, rebind(st, "SELECT part FROM scan_parts WHERE scan_id = ? AND done_at = 0"), scanID)
	if err == nil {
		for rows.Next() {
			var p string
			_ = rows.Scan(&p)
			t.Logf("part not done: %s", p)
		}
		_ = rows.Close()
	}
	errs := "errors"
	if st.Engine() == store.Postgres {
		errs = "array_to_string(errors, ' | ')"
	}
	rows, err = st.DB().QueryContext(ctx, "SELECT id, kind, state, attempt, coalesce("+errs+", ''), args FROM river_job WHERE state <> 'completed' ORDER BY id")
	if err != nil {
		t.Logf("river_job: %v", err)
		return
	}
	defer rows.Close()
	for rows.Next() {
		var id, attempt int64
		var kind, state, e, args string
		if err := rows.Scan(&id, &kind, &state, &attempt, &e, &args); err != nil {
			t.Logf("river_job: %v", err)
			return
		}
		t.Logf("job %d %s %s attempt %d args %s errors %.600s", id, kind, state, attempt, args, e)
	}
	var leader string
	if err := st.DB().QueryRowContext(ctx, "SELECT leader_id FROM river_leader").Scan(&leader); err != nil {
		t.Logf("river_leader: %v", err)
	} else {
		t.Logf("River's leader: %s", leader)
	}
}
