package store

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kvguard/kvguard/internal/assess"
	"github.com/kvguard/kvguard/internal/testsupport/pgtest"
)

// TestIngestRetryOverwrites: a second ingest into a scan that restages
// resources (a retried job whose input changed in between) overwrites
// their verdicts row by row and keeps the rows it does not repeat, even
// when a resource's rows come apart or a verdict comes twice in one
// ingest (the last wins).
func TestIngestRetryOverwrites(t *testing.T) {
	first := []verdict{
		{vaultA, "purge", "", "Unhealthy", "off"},
		{vaultA, "expiry", "s1", "Healthy", "ok"},
		{vaultA, "expiry", "s2", "Healthy", "ok"},
		{vaultB, "purge", "", "Healthy", "on"},
	}
	retry := []verdict{
		{vaultA, "expiry", "s1", "Unhealthy", "no expiry"},
		{vaultB, "purge", "", "Unhealthy", "off"},
		{vaultA, "purge", "", "Healthy", "on"}, // vault A again, after B
		{vaultB, "purge", "", "Healthy", "on again"},
	}
	want := []string{
		"kv-a expiry s1 Unhealthy no expiry",
		"kv-a expiry s2 Healthy ok",
		"kv-a purge  Healthy on",
		"kv-b purge  Healthy on again",
	}
	for _, e := range engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			ctx := t.Context()
			s := open(t, e.DSN, newClock())
			sc, err := s.Begin(ctx, "sub:a", Live, Labels{})
			if err != nil {
				t.Fatal(err)
			}
			for _, vs := range [][]verdict{first, retry} {
				if err := sc.IngestRows(ctx, rowsOf(vs), nil, nil); err != nil {
					t.Fatal(err)
				}
			}
			n, err := s.Counts(ctx)
			if err != nil {
				t.Fatal(err)
			}
			info, err := s.ScanInfo(ctx, sc.ID())
			if err != nil {
				t.Fatal(err)
			}
			if n["staged_results"] != 4 || n["staged_resources"] != 2 || info.Results != 4 {
				t.Errorf("staged %v, the scan counts %d results; want 4 results of 2 resources", n, info.Results)
			}
			if err := sc.Complete(ctx); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, state(t, s, Filter{Components: true})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestIngestRepeatedKeyAcrossBatches: a verdict repeated in one ingest
// after more rows than one statement (or one PostgreSQL COPY) carries
// is overwritten, not refused and not duplicated.
func TestIngestRepeatedKeyAcrossBatches(t *testing.T) {
	n := copyRows + 10
	vs := manyRows(0, n)
	again := vs[0]
	again.status, again.reason = "Unhealthy", "changed"
	vs = append(vs, again)
	for _, e := range engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			ctx := t.Context()
			s := open(t, e.DSN, newClock())
			sc := scanOnce(t, s, "sub:a", vs)
			info, err := s.ScanInfo(ctx, sc.ID())
			if err != nil {
				t.Fatal(err)
			}
			if info.Results != int64(n) || info.Changes != int64(n) {
				t.Errorf("scan %+v; want %d results and changes", info, n)
			}
			got, err := s.Current(ctx, Filter{ResourceID: again.res})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0].Status != "Unhealthy" || got[0].Reason != "changed" {
				t.Errorf("the repeated verdict: %+v; want the last, Unhealthy", got)
			}
		})
	}
}

// TestCompleteSince: a finding's Since moves when its status changes,
// not when only its reason does; unchanged findings are not rewritten.
func TestCompleteSince(t *testing.T) {
	steps := []struct {
		status, reason string
		wantSince      int // the step whose instant Since should be
		changes        int64
	}{
		{"Unhealthy", "1 of 3 secrets", 0, 2},
		{"Unhealthy", "2 of 3 secrets", 0, 1},
		{"Unhealthy", "2 of 3 secrets", 0, 0},
		{"Healthy", "all 3 pass", 3, 1},
	}
	for _, e := range engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			ctx := t.Context()
			c := newClock()
			s := open(t, e.DSN, c)
			var at []time.Time
			for i, st := range steps {
				c.Add(15 * time.Minute)
				at = append(at, c.Now())
				sc := scanOnce(t, s, "sub:a", []verdict{
					{vaultA, "expiry", "", st.status, st.reason},
					{vaultA, "purge", "", "Healthy", "on"},
				})
				info, err := s.ScanInfo(ctx, sc.ID())
				if err != nil {
					t.Fatal(err)
				}
				got, err := s.Current(ctx, Filter{Recommendation: "expiry"})
				if err != nil || len(got) != 1 {
					t.Fatalf("step %d: %v, %v", i, got, err)
				}
				f := got[0]
				if f.Status != assess.Status(st.status) || f.Reason != st.reason || !f.Since.Equal(at[st.wantSince]) || info.Changes != st.changes {
					t.Errorf("step %d: %s %q since %v, %d changes; want %s %q since %v, %d changes", i, f.Status, f.Reason,
						f.Since, info.Changes, st.status, st.reason, at[st.wantSince], st.changes)
				}
			}
			h, err := s.History(ctx, "sub:a", vaultA)
			if err != nil {
				t.Fatal(err)
			}
			var lines []string
			for _, x := range h {
				lines = append(lines, fmt.Sprintf("%s %s→%s %s", x.Recommendation, x.Previous, x.Status, x.Reason))
			}
			wantH := []string{
				"expiry →Unhealthy 1 of 3 secrets", "purge →Healthy on",
				"expiry Unhealthy→Unhealthy 2 of 3 secrets",
				"expiry Unhealthy→Healthy all 3 pass",
			}
			if diff := cmp.Diff(wantH, lines); diff != "" {
				t.Errorf("history (-want +got):\n%s", diff)
			}
		})
	}
}

// TestConcurrentIngestsCount: ingests of one scan's parts committing side
// by side (the workers of a shared scan) leave the scan counting every
// staged verdict.
func TestConcurrentIngestsCount(t *testing.T) {
	for _, e := range engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			ctx := t.Context()
			s := open(t, e.DSN, newClock())
			sc, err := s.Begin(ctx, "sub:a", Live, Labels{})
			if err != nil {
				t.Fatal(err)
			}
			const parts, rows = 4, 500
			errs := make(chan error, parts)
			for p := range parts {
				go func() { errs <- sc.IngestRows(ctx, rowsOf(manyRows(p, rows)), nil, nil) }()
			}
			for range parts {
				if err := <-errs; err != nil {
					t.Fatal(err)
				}
			}
			n, err := s.Counts(ctx)
			if err != nil {
				t.Fatal(err)
			}
			info, err := s.ScanInfo(ctx, sc.ID())
			if err != nil {
				t.Fatal(err)
			}
			if n["staged_results"] != parts*rows || info.Results != parts*rows {
				t.Errorf("%d staged, the scan counts %d; want %d", n["staged_results"], info.Results, parts*rows)
			}
		})
	}
}

// TestNoJIT: kvguard's PostgreSQL sessions run without JIT compilation
// (store.go, openPostgres), which cost the estate's completion 1–2 s.
func TestNoJIT(t *testing.T) {
	dsn, _ := pgtest.Schema(t, "kvguard_test_")
	if dsn == "" {
		t.Skipf("needs PostgreSQL: set %s", postgresEnv)
	}
	s := open(t, dsn, newClock())
	var jit string
	if err := s.DB().QueryRowContext(t.Context(), "SHOW jit").Scan(&jit); err != nil {
		t.Fatal(err)
	}
	if jit != "off" {
		t.Errorf("jit = %q in kvguard's session, want off", jit)
	}
}
