package jobs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"github.com/kvguard/kvguard/internal/assess"
	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/source/live"
	"github.com/kvguard/kvguard/internal/store"
)

// The job kinds.
const (
	KindPlan         = "plan-scan"
	KindSubscription = "scan-subscription"
	KindComplete     = "complete-scan"
	KindReport       = "ingest-report"
	KindMaintenance  = "maintenance"
)

// PlanArgs plan a live scan: one part per subscription.
type PlanArgs struct {
	ScanID        int64    `json:"scan_id"`
	Subscriptions []string `json:"subscriptions,omitempty"`
}

// Kind is River's name of the job.
func (PlanArgs) Kind() string { return KindPlan }

// SubscriptionArgs scan one subscription's vaults into a scan.
type SubscriptionArgs struct {
	ScanID       int64  `json:"scan_id"`
	Subscription string `json:"subscription"`
}

// Kind is River's name of the job.
func (SubscriptionArgs) Kind() string { return KindSubscription }

// CompleteArgs complete a scan whose parts are all done.
type CompleteArgs struct {
	ScanID int64 `json:"scan_id"`
}

// Kind is River's name of the job.
func (CompleteArgs) Kind() string { return KindComplete }

// ReportArgs ingest a JSON report pushed by CI into a scan, and complete it.
type ReportArgs struct {
	ScanID int64  `json:"scan_id"`
	Report string `json:"report"`
}

// Kind is River's name of the job.
func (ReportArgs) Kind() string { return KindReport }

// MaintenanceArgs run the store's maintenance: exemption expiry, retention.
type MaintenanceArgs struct{}

// Kind is River's name of the job.
func (MaintenanceArgs) Kind() string { return KindMaintenance }

// unique inserts a job once per arguments while one is pending, running
// or done: a retried planner or a twice-finished last part inserts
// nothing new.
var unique = &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}

// resume reopens the job's scan; a scan no longer running cancels the
// job for good (retrying cannot help).
func (c *Client) resume(ctx context.Context, id int64) (*store.Scan, error) {
	sc, err := c.st.ResumeScan(ctx, id)
	if err != nil {
		if store.IsNotRunning(err) {
			return nil, river.JobCancel(err)
		}
		return nil, err
	}
	return sc, nil
}

type planWorker struct {
	river.WorkerDefaults[PlanArgs]
	c *Client
}

func (w *planWorker) Work(ctx context.Context, job *river.Job[PlanArgs]) error {
	c := w.c
	sc, err := c.resume(ctx, job.Args.ScanID)
	if err != nil {
		return err
	}
	subs := job.Args.Subscriptions
	if len(subs) == 0 {
		if subs, err = live.Subscriptions(ctx, c.opts.Live); err != nil {
			return fmt.Errorf("plan scan %d: %w", sc.ID(), err)
		}
	}
	subs = normal(subs)
	if len(subs) == 0 {
		return river.JobCancel(errors.Join(errors.New("no subscription to scan"), sc.Fail(ctx, "no subscription to scan")))
	}
	if err := sc.AddParts(ctx, subs); err != nil {
		return err
	}
	// The subscriptions' management groups, for the views: read once per
	// scan here (Resource Graph: a query per 250 subscriptions), not by
	// each subscription's job, which would read the tenant's whole entity
	// list once per subscription against the tenant's read limit. They
	// are metadata: a failure is logged and the scan goes on.
	if anc, err := live.Ancestry(ctx, c.opts.Live, subs); err != nil {
		c.log.Warn("could not read the subscriptions' management groups", "scan", sc.ID(), "err", err)
	} else if err := recordAncestry(ctx, c.st, anc); err != nil {
		return fmt.Errorf("plan scan %d: %w", sc.ID(), err)
	}
	params := make([]river.InsertManyParams, 0, len(subs))
	for _, s := range subs {
		params = append(params, river.InsertManyParams{Args: SubscriptionArgs{ScanID: sc.ID(), Subscription: s}, InsertOpts: unique})
	}
	if _, err := c.river.InsertMany(ctx, params); err != nil {
		return fmt.Errorf("plan scan %d: %w", sc.ID(), err)
	}
	c.log.Info("scan planned", "scan", sc.ID(), "subscriptions", len(subs))
	return nil
}

// normal lower-cases and deduplicates subscription IDs, keeping order.
func normal(subs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range subs {
		s = strings.ToLower(strings.TrimSpace(s))
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

type subscriptionWorker struct {
	river.WorkerDefaults[SubscriptionArgs]
	c *Client
}

func (w *subscriptionWorker) Work(ctx context.Context, job *river.Job[SubscriptionArgs]) error {
	c := w.c
	sub := job.Args.Subscription
	if si, err := c.st.ScanInfo(ctx, job.Args.ScanID); err == nil && si.Status == store.Succeeded {
		// A scan completes only with every part done: this job's work was
		// done by an earlier attempt whose process died before River
		// recorded it (a worker killed between the two). Nothing to redo.
		c.ev.emit("done-before " + sub)
		return nil
	}
	sc, err := c.resume(ctx, job.Args.ScanID)
	if err != nil {
		return err
	}
	if done, err := sc.IsPartDone(ctx, sub); err != nil {
		return err
	} else if done {
		// As above, with the scan still running: the earlier attempt may
		// have died before enqueueing the completion, so that is checked.
		c.ev.emit("done-before " + sub)
		return c.completeIfLast(ctx, sc)
	}
	holder := fmt.Sprintf("job:%d", job.ID)
	release, ok, err := c.lease(ctx, sub, holder)
	if err != nil {
		return err
	}
	if !ok {
		// Another job reads this subscription, or the tenant's slots are
		// all taken: come back later (a snooze is not a failed attempt).
		return river.JobSnooze(time.Duration(500+rand.IntN(1500)) * time.Millisecond) //nolint:gosec // jitter, not a secret
	}
	defer release()
	if err := c.scanSubscription(ctx, sc, sub); err != nil {
		return err
	}
	remaining, err := sc.PartDone(ctx, sub)
	if err != nil {
		return err
	}
	c.ev.emit("part " + sub)
	if remaining == 0 {
		return c.enqueueCompletion(ctx, sc)
	}
	return nil
}

// completeIfLast enqueues the scan's completion when no part remains.
func (c *Client) completeIfLast(ctx context.Context, sc *store.Scan) error {
	remaining, err := sc.PartsRemaining(ctx)
	if err != nil {
		return err
	}
	if remaining == 0 {
		return c.enqueueCompletion(ctx, sc)
	}
	return nil
}

// enqueueCompletion enqueues the scan's completion, once (a unique job).
func (c *Client) enqueueCompletion(ctx context.Context, sc *store.Scan) error {
	if _, err := c.river.Insert(ctx, CompleteArgs{ScanID: sc.ID()}, unique); err != nil {
		return fmt.Errorf("enqueue completion of scan %d: %w", sc.ID(), err)
	}
	return nil
}

// scanSubscription reads one subscription, judges its vaults and stages
// the verdicts in the scan (overwriting those of an earlier attempt).
func (c *Client) scanSubscription(ctx context.Context, sc *store.Scan, sub string) error {
	opts := c.opts.Live
	opts.Subscriptions, opts.ManagementGroups = []string{sub}, nil
	// One subscription's vaults through ARM: Resource Graph's quota is
	// the tenant's, and one query per subscription would spend it.
	opts.NoResourceGraph = true
	opts.SavePath, opts.Progress = "", nil
	// The vaults' components are recorded for the views, beside the
	// verdicts (the management groups are read once, by the planner).
	comps := &componentRecorder{ctx: ctx, st: c.st, dataPlane: opts.DataPlane}
	as := assess.New(c.opts.Catalog, assess.Options{Logger: c.log})
	sum, err := live.Scan(ctx, opts, func(d *resource.Document) {
		c.ev.emit("document " + d.ID)
		comps.add(d)
		as.Add(d)
	})
	if err != nil {
		// The subscription could not be listed, or the job was stopped:
		// nothing is staged, the job is retried.
		return fmt.Errorf("scan subscription %s: %w", sub, err)
	}
	res := as.Finish(ctx)
	defer func() { _ = res.Close() }()
	comps.flush()
	if comps.err != nil {
		return fmt.Errorf("scan subscription %s: %w", sub, comps.err)
	}
	if err := sc.Ingest(ctx, res); err != nil {
		if store.IsNotRunning(err) {
			return river.JobCancel(err)
		}
		return err
	}
	c.log.Debug("subscription scanned", "scan", sc.ID(), "subscription", sub, "vaults", sum.VaultsFound,
		"requests", sum.Requests, "throttled", sum.Throttled, "took", sum.Elapsed)
	return nil
}

type completeWorker struct {
	river.WorkerDefaults[CompleteArgs]
	c *Client
}

func (w *completeWorker) Work(ctx context.Context, job *river.Job[CompleteArgs]) error {
	c := w.c
	si, err := c.st.ScanInfo(ctx, job.Args.ScanID)
	if err != nil {
		return err
	}
	if si.Status == store.Succeeded {
		return nil // completed by an earlier attempt
	}
	sc, err := c.resume(ctx, job.Args.ScanID)
	if err != nil {
		return err
	}
	// Complete refuses a scan with a part missing (store.ErrPartsMissing):
	// the job is retried, never the scan completed short.
	if err := sc.Complete(ctx); err != nil {
		return err
	}
	c.log.Info("scan completed", "scan", sc.ID())
	return nil
}

type reportWorker struct {
	river.WorkerDefaults[ReportArgs]
	c *Client
}

func (w *reportWorker) Work(ctx context.Context, job *river.Job[ReportArgs]) error {
	sc, err := w.c.resume(ctx, job.Args.ScanID)
	if err != nil {
		return err
	}
	if err := sc.IngestReport(ctx, strings.NewReader(job.Args.Report)); err != nil {
		return err
	}
	return sc.Complete(ctx)
}

type maintenanceWorker struct {
	river.WorkerDefaults[MaintenanceArgs]
	c *Client
}

func (w *maintenanceWorker) Work(ctx context.Context, _ *river.Job[MaintenanceArgs]) error {
	changed, deleted, err := w.c.st.Maintain(ctx)
	if err != nil {
		return err
	}
	w.c.log.Info("maintenance", "findings changed", changed, "rows deleted", deleted)
	return nil
}

// events writes one line per event, never concurrently.
type events struct {
	mu sync.Mutex
	w  io.Writer
}

func (e *events) emit(line string) {
	if e.w == nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	_, _ = io.WriteString(e.w, "event "+line+"\n")
}
