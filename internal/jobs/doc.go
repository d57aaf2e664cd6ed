// Package jobs runs kvguard's scans as jobs on River
// (github.com/riverqueue/river), so that several worker processes share
// them and a worker that dies has its job rescued and retried by another.
// One code path serves SQLite (riversqlite, the single-binary default) and
// PostgreSQL (riverdatabasesql over pgx's database/sql driver): the
// queue lives in the store's own database.
//
// A scan is planned as jobs: plan-scan resolves the subscriptions and
// enqueues one scan-subscription job each; scan-subscription reads one
// subscription's vaults with the live scanner (internal/source/live),
// judges them and stages the verdicts idempotently (keyed scan ×
// resource × recommendation) before marking its part done, once; the
// last part enqueues complete-scan, which completes the store's scan
// only when every part is done. ingest-report stores a report pushed by
// CI, and maintenance runs the store's exemption expiry and retention.
//
// At most one job reads a subscription at a time, across workers (a
// lease per subscription in the store), and at most TenantConcurrency
// subscriptions are read at once (tenant-wide lease slots): Azure's
// throttling is per subscription and per identity.
//
// kvguard serve uses it by role: open the store with
// store.RecoverExpired (other processes run scans on it), then
//
//	c, err := jobs.New(ctx, st, jobs.Options{Live: liveOpts, InsertOnly: role == "web"})
//	go c.Run(ctx)                                  // roles worker and all: work jobs until ctx ends
//	id, err := c.EnqueueScan(ctx, "tenant", subs)  // any role: a scan for the workers
//	info, err := c.Wait(ctx, id)                   // or poll st.ScanInfo(ctx, id)
//
// It imports the store, the live scanner, the assessor and the catalog;
// nothing of kvguard's imports it but the CLI.
package jobs
