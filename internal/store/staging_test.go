package store

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// stagedOf counts a scan's staged results and resources.
func stagedOf(t *testing.T, s *Store, scanID int64) (results, resources int) {
	t.Helper()
	ctx := context.Background()
	if err := s.DB().QueryRowContext(ctx, s.q("SELECT COUNT(*) FROM staged_results WHERE scan_id = ?"), scanID).Scan(&results); err != nil {
		t.Fatal(err)
	}
	if err := s.DB().QueryRowContext(ctx, s.q("SELECT COUNT(*) FROM staged_resources WHERE scan_id = ?"), scanID).Scan(&resources); err != nil {
		t.Fatal(err)
	}
	return results, resources
}

// TestCompleteDropsStaging: a completion removes its scan's staged rows
// and keeps those of another running scan (whose completion then makes
// exactly its own verdicts current), whether the staging is emptied
// whole or row by row; what a failed scan left goes when no other
// running scan has staged rows.
func TestCompleteDropsStaging(t *testing.T) {
	a := []verdict{{vaultA, "purge", "", "Unhealthy", "off"}, {vaultA, "expiry", "s1", "Healthy", "ok"}}
	b := []verdict{{vaultB, "purge", "", "Healthy", "on"}, {vaultB, "expiry", "s2", "Unhealthy", "no expiry"},
		{vaultB, "expiry", "s3", "Healthy", "ok"}}
	for _, e := range engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			ctx := t.Context()
			s := open(t, e.DSN, newClock())
			begin := func(scope string, vs []verdict) *Scan {
				t.Helper()
				sc, err := s.Begin(ctx, scope, Live, Labels{})
				if err != nil {
					t.Fatal(err)
				}
				if err := sc.IngestRows(ctx, rowsOf(vs), nil, nil); err != nil {
					t.Fatal(err)
				}
				return sc
			}
			failed := begin("sub:failed", b)
			if err := failed.Fail(ctx, "test"); err != nil {
				t.Fatal(err)
			}
			scA, scB := begin("sub:a", a), begin("sub:b", b)
			if err := scA.Complete(ctx); err != nil {
				t.Fatal(err)
			}
			if r, res := stagedOf(t, s, scA.ID()); r != 0 || res != 0 {
				t.Errorf("completed scan A left %d results and %d resources staged", r, res)
			}
			if r, res := stagedOf(t, s, scB.ID()); r != 3 || res != 1 {
				t.Errorf("running scan B has %d results and %d resources staged after A completed; want 3 and 1", r, res)
			}
			if r, _ := stagedOf(t, s, failed.ID()); r != 3 {
				t.Errorf("the failed scan's %d staged results went while scan B was running; want them kept (3)", r)
			}
			if err := scB.Complete(ctx); err != nil {
				t.Fatal(err)
			}
			n, err := s.Counts(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n["staged_results"] != 0 || n["staged_resources"] != 0 {
				t.Errorf("after the last running scan completed the staging holds %d results and %d resources; want none",
					n["staged_results"], n["staged_resources"])
			}
			want := []string{"kv-a expiry s1 Healthy ok", "kv-a purge  Unhealthy off",
				"kv-b expiry s2 Unhealthy no expiry", "kv-b expiry s3 Healthy ok", "kv-b purge  Healthy on"}
			if diff := cmp.Diff(want, state(t, s, Filter{Components: true})); diff != "" {
				t.Errorf("current state (-want +got):\n%s", diff)
			}
			// The three secrets' appearances are deferred (migration 00011).
			if n["history"] != 2 || n["findings"] != 5 {
				t.Errorf("%d history rows and %d findings; want 2 (the vaults' own verdicts) and 5", n["history"], n["findings"])
			}
		})
	}
}

// TestCompleteBesideIngest: on PostgreSQL a completion while another
// scan's ingest is open (holding the staging) neither waits for it nor
// takes its rows: the staging is deleted row by row, and the other
// scan's rows are all there when it commits.
func TestCompleteBesideIngest(t *testing.T) {
	for _, e := range engines(t) {
		if e.Schema == "" {
			continue // SQLite has one writer: a completion never meets an open ingest
		}
		t.Run(e.Name, func(t *testing.T) {
			ctx := t.Context()
			s := open(t, e.DSN, newClock())
			scA, err := s.Begin(ctx, "sub:a", Live, Labels{})
			if err != nil {
				t.Fatal(err)
			}
			if err := scA.IngestRows(ctx, rowsOf([]verdict{{vaultA, "purge", "", "Healthy", "on"}}), nil, nil); err != nil {
				t.Fatal(err)
			}
			scB, err := s.Begin(ctx, "sub:b", Live, Labels{})
			if err != nil {
				t.Fatal(err)
			}
			// Scan B's ingest, open: it has staged a resource and a result.
			tx, err := s.DB().BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = tx.Rollback() }()
			for _, q := range []string{
				`INSERT INTO staged_resources (scan_id, resource_id, deployment, resource_no, latest_no, name, type,
					subscription, resource_group, source_kind, file, line, address, placeholder, tags)
					VALUES (?, '` + vaultB + `', '', 1, 1, 'kv-b', 't', '', '', '', '', 0, '', 0, '{}')`,
				`INSERT INTO staged_results (scan_id, resource_no, recommendation_id, component, status, reason)
					VALUES (?, 1, 'purge', '', 'Unhealthy', 'off')`,
			} {
				if _, err := tx.ExecContext(ctx, s.q(q), scB.ID()); err != nil {
					t.Fatal(err)
				}
			}
			if err := scA.Complete(ctx); err != nil { // would wait forever for B's lock without NOWAIT
				t.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			if r, res := stagedOf(t, s, scB.ID()); r != 1 || res != 1 {
				t.Errorf("scan B has %d results and %d resources staged; want 1 and 1", r, res)
			}
			if r, res := stagedOf(t, s, scA.ID()); r != 0 || res != 0 {
				t.Errorf("completed scan A left %d results and %d resources staged", r, res)
			}
			if err := scB.Complete(ctx); err != nil {
				t.Fatal(err)
			}
			want := []string{"kv-a purge  Healthy on", "kv-b purge  Unhealthy off"}
			if diff := cmp.Diff(want, state(t, s, Filter{})); diff != "" {
				t.Errorf("current state (-want +got):\n%s", diff)
			}
		})
	}
}

// TestBulkCacheGivenBack: a bulk transaction (an ingest, a completion)
// on SQLite runs with the larger page cache and its temporary store in
// memory, and its connection has the usual settings again afterwards,
// whether the transaction committed or not.
func TestBulkCacheGivenBack(t *testing.T) {
	for _, e := range engines(t) {
		if e.Schema != "" {
			continue // PostgreSQL has no per-connection page cache
		}
		t.Run(e.Name, func(t *testing.T) {
			ctx := t.Context()
			s := open(t, e.DSN, newClock())
			s.DB().SetMaxOpenConns(1) // every statement on the connection the bulk work used
			cache := func(q interface {
				QueryRowContext(context.Context, string, ...any) *sql.Row
			}) int {
				t.Helper()
				var n int
				if err := q.QueryRowContext(ctx, "PRAGMA cache_size").Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}
			for _, fail := range []bool{false, true} {
				var during, temp int
				err := s.inConnTx(ctx, "bulk", func(_ *sql.Conn, tx *sql.Tx) error {
					during = cache(tx)
					if err := tx.QueryRowContext(ctx, "PRAGMA temp_store").Scan(&temp); err != nil {
						return err
					}
					if fail {
						return errors.New("the work failed")
					}
					return nil
				})
				if (err != nil) != fail {
					t.Fatalf("failing %v: %v", fail, err)
				}
				if during != -bulkCacheKiB {
					t.Errorf("failing %v: cache_size %d during the bulk work; want %d", fail, during, -bulkCacheKiB)
				}
				if temp != 2 { // MEMORY
					t.Errorf("failing %v: temp_store %d during the bulk work; want 2 (memory)", fail, temp)
				}
				if after := cache(s.DB()); after != -cacheKiB {
					t.Errorf("failing %v: cache_size %d after the bulk work; want %d", fail, after, -cacheKiB)
				}
				if err := s.DB().QueryRowContext(ctx, "PRAGMA temp_store").Scan(&temp); err != nil || temp != 0 {
					t.Errorf("failing %v: temp_store %d, %v after the bulk work; want 0 (default)", fail, temp, err)
				}
			}
			scanOnce(t, s, "sub:a", []verdict{{vaultA, "purge", "", "Healthy", "on"}})
			if after := cache(s.DB()); after != -cacheKiB {
				t.Errorf("cache_size %d after a scan; want %d", after, -cacheKiB)
			}
		})
	}
}
