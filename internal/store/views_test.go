package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// summaryOf renders Summary as "rec H/U/K/NA/E" lines.
func summaryOf(t *testing.T, s *Store, f ViewFilter) []string {
	t.Helper()
	rows, err := s.Summary(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rows {
		out = append(out, fmt.Sprintf("%s %d/%d/%d/%d/%d", r.Recommendation.ID, r.Healthy, r.Unhealthy, r.Unknown, r.NotApplicable, r.Exempt))
	}
	return out
}

// TestViews: the maintained counts follow scans (new, changed, removed),
// exemptions move counts to Exempt, filters narrow them, the trend has
// the day's counts, pagination walks every finding once, and a scan's
// changes are its new and fixed verdicts.
func TestViews(t *testing.T) {
	t.Parallel()
	for _, e := range engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			c := newClock()
			s := open(t, e.DSN, c)
			first := []verdict{
				{vaultA, "r1", "", "Unhealthy", "no"}, {vaultA, "r2", "", "Healthy", "ok"},
				{vaultA, "r2", "s1", "Unhealthy", "no expiry"},
				{vaultB, "r1", "", "Healthy", "ok"}, {vaultB, "r2", "", "Unknown", "unreadable"},
			}
			scanOnce(t, s, "tenant", first)
			if diff := cmp.Diff([]string{"r1 1/1/0/0/0", "r2 1/0/1/0/0"}, summaryOf(t, s, ViewFilter{})); diff != "" {
				t.Errorf("after the first scan (-want +got):\n%s", diff)
			}
			c.Add(15 * time.Minute)
			second := []verdict{
				{vaultA, "r1", "", "Healthy", "ok"}, {vaultA, "r2", "", "Healthy", "ok"},
				{vaultB, "r1", "", "Unhealthy", "no"},
			}
			sc := scanOnce(t, s, "tenant", second)
			if diff := cmp.Diff([]string{"r1 1/1/0/0/0", "r2 1/0/0/0/0"}, summaryOf(t, s, ViewFilter{})); diff != "" {
				t.Errorf("after the second scan (-want +got):\n%s", diff)
			}
			newer, fixed, err := s.Changes(ctx, sc.ID(), 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(newer) != 1 || newer[0].Name != "kv-b" || len(fixed) != 1 || fixed[0].Name != "kv-a" {
				t.Errorf("changes: new %+v fixed %+v", newer, fixed)
			}
			if _, err := s.CreateExemption(ctx, "alice", Exemption{Kind: Waiver, Reason: "test", Expires: c.Now().Add(time.Hour),
				Scope: OnResource, Target: vaultB, Recommendation: "r1"}); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{"r1 1/0/0/0/1", "r2 1/0/0/0/0"}, summaryOf(t, s, ViewFilter{})); diff != "" {
				t.Errorf("with an exemption (-want +got):\n%s", diff)
			}
			sub := "00000000-0000-0000-0000-00000000000a"
			if diff := cmp.Diff([]string{"r1 1/0/0/0/0", "r2 1/0/0/0/0"}, summaryOf(t, s, ViewFilter{Subscription: sub})); diff != "" {
				t.Errorf("subscription filter (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"r1 0/0/0/0/1"}, summaryOf(t, s, ViewFilter{Recommendation: "r1", Status: "Exempt"})); diff != "" {
				t.Errorf("recommendation and status filter (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"r1 0/0/0/0/1"}, summaryOf(t, s, ViewFilter{ResourceGroup: "rg-b", Recommendation: "r1"})); diff != "" {
				t.Errorf("resource group by name (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string(nil), summaryOf(t, s, ViewFilter{Source: "repository"})); diff != "" {
				t.Errorf("source filter (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"r1 1/0/0/0/1", "r2 1/0/0/0/0"}, summaryOf(t, s, ViewFilter{Source: "live", Scope: "tenant"})); diff != "" {
				t.Errorf("source and scope filter (-want +got):\n%s", diff)
			}
			// The exemption expires: the counts read the clock.
			c.Add(2 * time.Hour)
			if diff := cmp.Diff([]string{"r1 1/1/0/0/0", "r2 1/0/0/0/0"}, summaryOf(t, s, ViewFilter{})); diff != "" {
				t.Errorf("after the exemption expired (-want +got):\n%s", diff)
			}
			trend, err := s.Trend(ctx, c.Now().AddDate(0, 0, -7))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range trend {
				got = append(got, fmt.Sprintf("%s %s %s %d", p.Day.Format("01-02"), p.Recommendation, p.Status, p.N))
			}
			want := []string{"11-01 r1 Healthy 1", "11-01 r1 Unhealthy 1", "11-01 r2 Healthy 1"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("trend (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPagination: pages of every size walk each finding exactly once,
// with and without filters.
func TestPagination(t *testing.T) {
	t.Parallel()
	for _, e := range engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			s := open(t, e.DSN, newClock())
			var vs []verdict
			for i := range 23 {
				id := fmt.Sprintf("/subscriptions/00000000-0000-0000-0000-00000000000%d/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-%02d", i%2, i)
				for _, r := range []string{"r1", "r2", "r3"} {
					st := "Healthy"
					if (i+len(r))%3 == 0 {
						st = "Unhealthy"
					}
					vs = append(vs, verdict{id, r, "", st, "x"}, verdict{id, r, "c1", st, "x"})
				}
			}
			scanOnce(t, s, "tenant", vs)
			for _, tc := range []struct {
				name string
				f    ListFilter
				want int
			}{
				{"all", ListFilter{Limit: 7}, 69},
				{"components", ListFilter{Limit: 10, Components: true}, 138},
				{"status", ListFilter{Limit: 4, ViewFilter: ViewFilter{Status: "Unhealthy"}}, 24},
				{"subscription", ListFilter{Limit: 5, ViewFilter: ViewFilter{Subscription: "00000000-0000-0000-0000-000000000001"}}, 33},
				{"recommendation", ListFilter{Limit: 50, ViewFilter: ViewFilter{Recommendation: "r2"}}, 23},
			} {
				seen := map[string]bool{}
				cursor := ""
				for pages := 0; ; pages++ {
					f := tc.f
					f.After = cursor
					rows, next, err := s.FindingsPage(ctx, f)
					if err != nil {
						t.Fatal(err)
					}
					for _, r := range rows {
						k := fmt.Sprint(r.ResourceRef, r.Recommendation, r.Component)
						if seen[k] {
							t.Fatalf("%s: %s seen twice", tc.name, k)
						}
						seen[k] = true
					}
					if next == "" {
						break
					}
					cursor = next
				}
				if len(seen) != tc.want {
					t.Errorf("%s: %d findings, want %d", tc.name, len(seen), tc.want)
				}
			}
			var n int
			cursor := ""
			for {
				rows, next, err := s.ResourcesPage(ctx, ListFilter{Limit: 4, After: cursor, ViewFilter: ViewFilter{Status: "Unhealthy"}})
				if err != nil {
					t.Fatal(err)
				}
				n += len(rows)
				if next == "" {
					break
				}
				cursor = next
			}
			if n != 8 {
				t.Errorf("resources with an unhealthy verdict: %d, want 8", n)
			}
			if _, _, err := s.FindingsPage(ctx, ListFilter{After: "!!"}); err != ErrBadCursor {
				t.Errorf("bad cursor: %v", err)
			}
		})
	}
}

// TestTagCounts: the per-tag counts follow the resources' tags, also
// when a tag changes without a verdict changing.
func TestTagCounts(t *testing.T) {
	t.Parallel()
	for _, e := range engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			c := newClock()
			s := open(t, e.DSN, c)
			scan := func(tagA string) {
				a := &ResourceInfo{ID: vaultA, Name: "kv-a", Tags: map[string]string{"env": tagA, "team": "x"}}
				b := &ResourceInfo{ID: vaultB, Name: "kv-b", Tags: map[string]string{"env": "dev"}}
				rows := []Row{{Resource: a, Recommendation: "r1", Status: "Unhealthy"}, {Resource: b, Recommendation: "r1", Status: "Healthy"}}
				sc, err := s.Begin(t.Context(), "tenant", Live, Labels{})
				if err != nil {
					t.Fatal(err)
				}
				if err := sc.IngestRows(t.Context(), func(y func(Row) bool) {
					for _, r := range rows {
						if !y(r) {
							return
						}
					}
				}, nil, nil); err != nil {
					t.Fatal(err)
				}
				if err := sc.Complete(t.Context()); err != nil {
					t.Fatal(err)
				}
				c.Add(15 * time.Minute)
			}
			scan("prod")
			for _, tc := range []struct {
				f    ViewFilter
				want []string
			}{
				{ViewFilter{TagKey: "env", TagValue: "prod"}, []string{"r1 0/1/0/0/0"}},
				{ViewFilter{TagKey: "env", TagValue: "dev"}, []string{"r1 1/0/0/0/0"}},
				{ViewFilter{TagKey: "env"}, []string{"r1 1/1/0/0/0"}},
				{ViewFilter{TagKey: "team", TagValue: "x", Subscription: "00000000-0000-0000-0000-00000000000a"}, []string{"r1 0/1/0/0/0"}},
			} {
				if diff := cmp.Diff(tc.want, summaryOf(t, s, tc.f)); diff != "" {
					t.Errorf("%+v (-want +got):\n%s", tc.f, diff)
				}
			}
			scan("dev")
			if diff := cmp.Diff([]string{"r1 1/1/0/0/0"}, summaryOf(t, s, ViewFilter{TagKey: "env", TagValue: "dev"})); diff != "" {
				t.Errorf("after kv-a's tag changed (-want +got):\n%s", diff)
			}
		})
	}
}

// TestViewCountsMatchFindings: after scans that add, change, keep and
// remove verdicts in two scopes (components changing alongside), the
// maintained counts are exactly a recount of the current findings. On
// PostgreSQL a completion counts its new, changed and removed findings
// as it writes them (one pass, applyChangesPG); on SQLite it reads all
// its history rows: both must agree with the recount.
func TestViewCountsMatchFindings(t *testing.T) {
	scans := []struct {
		scope string
		vs    []verdict
	}{
		{"a", []verdict{{vaultA, "r1", "", "Unhealthy", "no"}, {vaultA, "r2", "", "Healthy", "ok"},
			{vaultA, "r2", "s1", "Unhealthy", "x"}, {vaultB, "r1", "", "Healthy", "ok"}}},
		{"b", []verdict{{vaultC, "r1", "", "Unknown", "?"}, {vaultC, "r3", "", "Healthy", "ok"}}},
		{"a", []verdict{{vaultA, "r1", "", "Healthy", "ok"}, {vaultA, "r2", "", "Healthy", "ok"},
			{vaultA, "r2", "s1", "Healthy", "ok"}, {vaultA, "r3", "", "Unhealthy", "new"}}}, // vaultB gone
		{"a", []verdict{{vaultA, "r1", "", "Healthy", "ok"}, {vaultA, "r3", "", "Unhealthy", "other reason"},
			{vaultB, "r1", "", "Unhealthy", "back"}}}, // r2 removed, vaultB back
		{"b", nil}, // everything removed
		{"b", []verdict{{vaultC, "r1", "", "Healthy", "ok"}}},
	}
	for _, e := range engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			ctx := t.Context()
			c := newClock()
			s := open(t, e.DSN, c)
			read := func(q string) map[string]int64 {
				t.Helper()
				rows, err := s.DB().QueryContext(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				defer rows.Close()
				out := map[string]int64{}
				for rows.Next() {
					var scope, sub, rg, rec, status string
					var n int64
					if err := rows.Scan(&scope, &sub, &rg, &rec, &status, &n); err != nil {
						t.Fatal(err)
					}
					out[strings.Join([]string{scope, sub, rg, rec, status}, " ")] = n
				}
				if err := rows.Err(); err != nil {
					t.Fatal(err)
				}
				return out
			}
			for i, sc := range scans {
				c.Add(15 * time.Minute)
				scanOnce(t, s, sc.scope, sc.vs)
				kept := read(`SELECT scope, subscription, resource_group, recommendation_id, status, n FROM view_counts`)
				recount := read(`SELECT r.scope, r.subscription, r.resource_group, f.recommendation_id, f.status, COUNT(*)
					FROM findings f JOIN resources r ON r.id = f.resource_ref WHERE f.component = ''
					GROUP BY r.scope, r.subscription, r.resource_group, f.recommendation_id, f.status`)
				if len(recount) == 0 { // scope a keeps findings throughout
					t.Fatalf("scan %d: no findings to count", i)
				}
				if diff := cmp.Diff(recount, kept); diff != "" {
					t.Errorf("after scan %d of %s: counts (-recount +kept):\n%s", i, sc.scope, diff)
				}
			}
		})
	}
}
