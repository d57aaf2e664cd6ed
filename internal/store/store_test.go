package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestMigrationsOnOpen(t *testing.T) {
	for _, e := range engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			c := newClock()
			s := open(t, e.DSN, c)
			v, err := s.SchemaVersion(context.Background())
			if want := newestMigration(t); err != nil || v != want {
				t.Fatalf("schema version %d, %v; want %d", v, err, want)
			}
			// A second open finds nothing to apply and the data intact.
			scanOnce(t, s, "sub:a", []verdict{{vaultA, "purge", "", "Healthy", "ok"}})
			_ = s.Close()
			s2 := open(t, e.DSN, c)
			if got := state(t, s2, Filter{}); len(got) != 1 {
				t.Errorf("after reopen: %v", got)
			}
		})
	}
}

// TestHistoryAtIndex: retention's index on history's instants is a BRIN
// index on PostgreSQL (migration 00009, cheap to maintain on an
// append-mostly table) and stays a b-tree on SQLite, which has no BRIN
// (TestRetention checks that retention still deletes the right rows).
func TestHistoryAtIndex(t *testing.T) {
	for _, e := range engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t, e.DSN, newClock())
			var def string
			q := "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = 'history_at'"
			if s.Engine() == Postgres {
				q = "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND indexname = 'history_at'"
			}
			if err := s.DB().QueryRowContext(ctx, q).Scan(&def); err != nil {
				t.Fatalf("history_at: %v", err)
			}
			brin := strings.Contains(strings.ToLower(def), "using brin")
			if want := s.Engine() == Postgres; brin != want {
				t.Errorf("history_at is %q; BRIN %v, want %v", def, brin, want)
			}
		})
	}
}

// newestMigration is the highest version among the embedded migrations'
// file names (00006_staging.sql is 6).
func newestMigration(t *testing.T) int64 {
	t.Helper()
	entries, err := migrations.ReadDir("migrations")
	if err != nil {
		t.Fatal(err)
	}
	var newest int64
	for _, e := range entries {
		v, err := strconv.ParseInt(strings.SplitN(e.Name(), "_", 2)[0], 10, 64)
		if err != nil {
			t.Fatalf("migration %s: %v", e.Name(), err)
		}
		newest = max(newest, v)
	}
	return newest
}

// TestTransitions: a finding changes status, reason or disappears → one
// history row; an unchanged scan adds none.
func TestTransitions(t *testing.T) {
	steps := []struct {
		name    string
		scan    []verdict
		changes int64
		state   []string
	}{
		{"first scan: every finding is new", []verdict{
			{vaultA, "purge", "", "Unhealthy", "purge protection off"},
			{vaultA, "secret-expiry", "", "Unhealthy", "1 of 2 secrets has no expiry"},
			{vaultA, "secret-expiry", "s1", "Unhealthy", "no expiry"},
			{vaultA, "secret-expiry", "s2", "Healthy", "expires 2027-01-01"},
			{vaultB, "purge", "", "Healthy", "purge protection on"},
		}, 5, []string{
			"kv-a purge  Unhealthy purge protection off",
			"kv-a secret-expiry  Unhealthy 1 of 2 secrets has no expiry",
			"kv-b purge  Healthy purge protection on",
		}},
		{"the same scan again: no transition", []verdict{
			{vaultA, "purge", "", "Unhealthy", "purge protection off"},
			{vaultA, "secret-expiry", "", "Unhealthy", "1 of 2 secrets has no expiry"},
			{vaultA, "secret-expiry", "s1", "Unhealthy", "no expiry"},
			{vaultA, "secret-expiry", "s2", "Healthy", "expires 2027-01-01"},
			{vaultB, "purge", "", "Healthy", "purge protection on"},
		}, 0, nil},
		{"a fix, a reason change, a secret deleted, a vault deleted", []verdict{
			{vaultA, "purge", "", "Healthy", "purge protection on"},
			{vaultA, "secret-expiry", "", "Unhealthy", "1 of 1 secrets has no expiry"},
			{vaultA, "secret-expiry", "s1", "Unhealthy", "no expiry"},
		}, 4, []string{
			"kv-a purge  Healthy purge protection on",
			"kv-a secret-expiry  Unhealthy 1 of 1 secrets has no expiry",
		}},
	}
	for _, e := range engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			c := newClock()
			s := open(t, e.DSN, c)
			ctx := context.Background()
			var last []string
			for _, st := range steps {
				c.Add(15 * 60e9)
				sc := scanOnce(t, s, "sub:a", st.scan)
				info, err := s.ScanInfo(ctx, sc.ID())
				if err != nil {
					t.Fatal(err)
				}
				if info.Status != Succeeded || info.Changes != st.changes {
					t.Errorf("%s: scan %s with %d changes, want succeeded with %d", st.name, info.Status, info.Changes, st.changes)
				}
				if st.state != nil {
					last = st.state
				}
				if diff := cmp.Diff(last, state(t, s, Filter{})); diff != "" {
					t.Errorf("%s: current state (-want +got):\n%s", st.name, diff)
				}
			}
			h, err := s.History(ctx, "sub:a", vaultB)
			if err != nil {
				t.Fatal(err)
			}
			if len(h) != 2 || h[0].Status != "Healthy" || h[1].Status != "Removed" || h[1].Previous != "Healthy" {
				t.Errorf("history of kv-b: %+v", h)
			}
			// The secrets' findings: s1 appeared and never changed, so its
			// appearance is its current row alone (migration 00011); s2's
			// was written to history when s2 was deleted, before its removal.
			ha, err := s.History(ctx, "sub:a", vaultA)
			if err != nil {
				t.Fatal(err)
			}
			var secrets []string
			for _, c := range ha {
				if c.Component != "" {
					secrets = append(secrets, fmt.Sprintf("%s scan %d %q→%s %s", c.Component, c.Scan, c.Previous, c.Status, c.Reason))
				}
			}
			want := []string{
				`s1 scan 1 ""→Unhealthy no expiry`,
				`s2 scan 1 ""→Healthy expires 2027-01-01`,
				`s2 scan 3 "Healthy"→Removed `,
			}
			if diff := cmp.Diff(want, secrets); diff != "" {
				t.Errorf("history of kv-a's secrets (-want +got):\n%s", diff)
			}
			n, err := s.Counts(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n["history"] != 8 || n["staged_results"] != 0 || n["findings"] != 3 {
				t.Errorf("rows: %v; want 8 history (s1's appearance deferred), 3 findings, nothing staged", n)
			}
		})
	}
}

// TestScopeLock: two scans of one scope never run at once, in any
// process (the database enforces it); a scan whose lease ran out is
// taken over and can no longer complete.
func TestScopeLock(t *testing.T) {
	for _, e := range engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			c := newClock()
			ctx := context.Background()
			s1 := open(t, e.DSN, c)
			s2 := open(t, e.DSN, c, func(o *Options) { o.Recover = RecoverExpired }) // a second process
			first, err := s1.Begin(ctx, "sub:a", Live, Labels{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s2.Begin(ctx, "sub:a", Live, Labels{}); !errors.Is(err, ErrScopeBusy) {
				t.Fatalf("second scan of the same scope: %v, want ErrScopeBusy", err)
			}
			other, err := s2.Begin(ctx, "sub:b", Live, Labels{})
			if err != nil {
				t.Fatalf("a scan of another scope: %v", err)
			}
			if err := other.Complete(ctx); err != nil {
				t.Fatal(err)
			}
			c.Add(9 * 60e9)
			if err := first.Progress(ctx, 1, 2); err != nil { // renews the lease
				t.Fatal(err)
			}
			c.Add(9 * 60e9)
			if _, err := s2.Begin(ctx, "sub:a", Live, Labels{}); !errors.Is(err, ErrScopeBusy) {
				t.Fatalf("within the renewed lease: %v, want ErrScopeBusy", err)
			}
			c.Add(2 * 60e9)
			taker, err := s2.Begin(ctx, "sub:a", Live, Labels{})
			if err != nil {
				t.Fatalf("after the lease ran out: %v", err)
			}
			if err := first.Complete(ctx); !errors.Is(err, errNotRunning) {
				t.Errorf("the expired scan completed: %v", err)
			}
			info, _ := s1.ScanInfo(ctx, first.ID())
			if info.Status != Failed || info.Done != 1 || info.Total != 2 {
				t.Errorf("expired scan: %+v", info)
			}
			if err := taker.Complete(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestInterruptedScan: a scan left running (its process gone) is marked
// failed on the next open and nothing it ingested is current.
func TestInterruptedScan(t *testing.T) {
	for _, e := range engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			c := newClock()
			ctx := context.Background()
			s := open(t, e.DSN, c)
			scanOnce(t, s, "sub:a", []verdict{{vaultA, "purge", "", "Unhealthy", "off"}})
			sc, err := s.Begin(ctx, "sub:a", Live, Labels{})
			if err != nil {
				t.Fatal(err)
			}
			if err := sc.IngestRows(ctx, rowsOf([]verdict{{vaultA, "purge", "", "Healthy", "on"}, {vaultB, "purge", "", "Healthy", "on"}}), nil, nil); err != nil {
				t.Fatal(err)
			}
			if ok, err := s.TryLease(ctx, "subscription:a", "the-dead-process", time.Hour); !ok || err != nil {
				t.Fatalf("lease: %v, %v", ok, err)
			}
			_ = s.Close() // the process ends without completing
			s2 := open(t, e.DSN, c)
			// Its leases went with it (RecoverAll: this is the only process).
			if ok, err := s2.TryLease(ctx, "subscription:a", "the-next-process", time.Minute); !ok || err != nil {
				t.Errorf("the interrupted process's lease still held after reopening: %v, %v", ok, err)
			}
			info, err := s2.ScanInfo(ctx, sc.ID())
			if err != nil || info.Status != Failed || info.Error == "" {
				t.Fatalf("interrupted scan: %+v, %v", info, err)
			}
			if diff := cmp.Diff([]string{"kv-a purge  Unhealthy off"}, state(t, s2, Filter{})); diff != "" {
				t.Errorf("current state (-want +got):\n%s", diff)
			}
			// The scope is free again.
			scanOnce(t, s2, "sub:a", []verdict{{vaultA, "purge", "", "Healthy", "on"}})
		})
	}
}

// TestIngestIdempotent: a retried ingest (issue 14's retried jobs)
// neither duplicates nor loses a verdict.
func TestIngestIdempotent(t *testing.T) {
	for _, e := range engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			c := newClock()
			ctx := context.Background()
			s := open(t, e.DSN, c)
			sc, err := s.Begin(ctx, "sub:a", Live, Labels{})
			if err != nil {
				t.Fatal(err)
			}
			part1 := []verdict{{vaultA, "purge", "", "Unhealthy", "off"}, {vaultA, "expiry", "s1", "Healthy", "ok"}}
			part2 := []verdict{{vaultB, "purge", "", "Healthy", "on"}}
			for _, p := range [][]verdict{part1, part2, part1, part1, part2} {
				if err := sc.IngestRows(ctx, rowsOf(p), nil, nil); err != nil {
					t.Fatal(err)
				}
			}
			n, _ := s.Counts(ctx)
			if n["staged_results"] != 3 || n["staged_resources"] != 2 {
				t.Errorf("staged after retries: %v", n)
			}
			if info, _ := s.ScanInfo(ctx, sc.ID()); info.Results != 3 {
				t.Errorf("the scan counts %d results after retries, want 3", info.Results)
			}
			if err := sc.Complete(ctx); err != nil {
				t.Fatal(err)
			}
			want := []string{"kv-a expiry s1 Healthy ok", "kv-a purge  Unhealthy off", "kv-b purge  Healthy on"}
			if diff := cmp.Diff(want, state(t, s, Filter{Components: true})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestIngestRefusesBadRows(t *testing.T) {
	for _, e := range engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			c := newClock()
			ctx := context.Background()
			s := open(t, e.DSN, c)
			sc, err := s.Begin(ctx, "sub:a", Live, Labels{})
			if err != nil {
				t.Fatal(err)
			}
			err = sc.IngestRows(ctx, rowsOf([]verdict{{vaultA, "purge", "", "Healthy", "ok"}, {vaultB, "purge", "", "Fine", "?"}}), nil, nil)
			if err == nil || !strings.Contains(err.Error(), vaultB) || !strings.Contains(err.Error(), `"Fine"`) {
				t.Fatalf("error %v; want one naming the resource and the status", err)
			}
			n, _ := s.Counts(ctx)
			if n["staged_results"] != 0 {
				t.Errorf("a refused ingest left %d rows", n["staged_results"])
			}
		})
	}
}

// TestPushKey: a scan begun again with the idempotency key of one that
// has not failed is refused as that push (DuplicatePush, running or
// succeeded); once that scan failed, the key begins a new one.
func TestPushKey(t *testing.T) {
	for _, e := range engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t, e.DSN, newClock())
			l := Labels{Repository: "org/app", IdempotencyKey: "kvguard-K1"}
			first, err := s.Begin(ctx, "repo:org/app", Repository, l)
			if err != nil {
				t.Fatal(err)
			}
			dupOf := func(want int64, status ScanStatus) {
				t.Helper()
				_, err := s.Begin(ctx, "repo:org/app", Repository, l)
				var dup *DuplicatePush
				if !errors.As(err, &dup) || dup.ID != want || dup.Status != status {
					t.Fatalf("begin again: %v, want the push of scan %d (%s)", err, want, status)
				}
			}
			dupOf(first.ID(), Running)
			if err := first.Complete(ctx); err != nil {
				t.Fatal(err)
			}
			dupOf(first.ID(), Succeeded)
			// Another key is another push.
			other, err := s.Begin(ctx, "repo:org/app", Repository, Labels{Repository: "org/app", IdempotencyKey: "kvguard-K2"})
			if err != nil {
				t.Fatal(err)
			}
			if err := other.Fail(ctx, "test"); err != nil {
				t.Fatal(err)
			}
			l.IdempotencyKey = "kvguard-K2"
			again, err := s.Begin(ctx, "repo:org/app", Repository, l)
			if err != nil || again.ID() == other.ID() {
				t.Fatalf("begin with a failed push's key: %v; want a new scan", err)
			}
			dupOf(again.ID(), Running)
		})
	}
}
