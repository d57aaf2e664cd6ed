package store

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
	"time"
)

// BenchmarkViews builds the store kvguard serve's views read at issue
// 13's size (KVGUARD_BENCH_VIEWS_VAULTS vaults, 100,000 by default, × 6
// recommendations plus one secret each, with KVGUARD_BENCH_VIEWS_DAYS of
// 15-minute scans, 90 by default, 60 changes per scan) straight into the
// tables, as completing those scans would leave them, then times each
// query a view makes. The build is setup, not timed.
//
//	go test ./internal/store -run '^$' -bench Views -benchtime 20x
func BenchmarkViews(b *testing.B) {
	vaults := envInt("KVGUARD_BENCH_VIEWS_VAULTS", 100_000)
	days := envInt("KVGUARD_BENCH_VIEWS_DAYS", 90)
	for _, e := range engines(b) {
		b.Run(e.Name, func(b *testing.B) {
			ctx := context.Background()
			c := newClock()
			s := open(b, e.DSN, c, func(o *Options) { o.Retention = -1 })
			start := time.Now()
			last := buildViewsStore(b, s, c, vaults, days)
			size, _ := s.Size(ctx)
			b.Logf("%s: built %d vaults × %d days in %s, %.0f MB", e.Name, vaults, days, time.Since(start).Round(time.Second), float64(size)/1e6)
			page, next, err := s.FindingsPage(ctx, ListFilter{Limit: 50})
			if err != nil || len(page) != 50 {
				b.Fatalf("first page: %d rows, %v", len(page), err)
			}
			mid := encodeCursor(fmt.Sprint(vaults/2), "keyvault-rbac", "")
			sub := fmt.Sprintf("%08x-0000-4000-8000-000000000000", 42)
			// Management groups: each subscription below mg-<n % 10>, all of
			// them below mg-all, below the tenant root.
			var anc []SubscriptionAncestry
			for n := range (vaults + 999) / 1000 {
				anc = append(anc, SubscriptionAncestry{Subscription: fmt.Sprintf("%08x-0000-4000-8000-000000000000", n),
					Groups: []ManagementGroup{{Name: fmt.Sprintf("mg-%d", n%10)}, {Name: "mg-all"}, {Name: "tenant"}}})
			}
			if err := s.PutAncestry(ctx, anc); err != nil {
				b.Fatal(err)
			}
			queries := []struct {
				name string
				run  func() error
			}{
				{"overview-summary", func() error { _, err := s.Summary(ctx, ViewFilter{}); return err }},
				{"summary-subscription", func() error { _, err := s.Summary(ctx, ViewFilter{Subscription: sub}); return err }},
				{"summary-resource-group", func() error {
					_, err := s.Summary(ctx, ViewFilter{ResourceGroup: "rg-07", Severity: "High"})
					return err
				}},
				{"summary-management-group", func() error { _, err := s.Summary(ctx, ViewFilter{ManagementGroup: "mg-3"}); return err }},
				{"summary-management-group-all", func() error { _, err := s.Summary(ctx, ViewFilter{ManagementGroup: "mg-all"}); return err }},
				{"summary-tag-management-group", func() error {
					_, err := s.Summary(ctx, ViewFilter{TagKey: "env", TagValue: "prod", ManagementGroup: "mg-3"})
					return err
				}},
				{"findings-management-group", func() error {
					_, _, err := s.FindingsPage(ctx, ListFilter{Limit: 50, ViewFilter: ViewFilter{ManagementGroup: "mg-3", Recommendation: "keyvault-rbac"}})
					return err
				}},
				{"resources-unhealthy-management-group", func() error {
					_, _, err := s.ResourcesPage(ctx, ListFilter{Limit: 50, ViewFilter: ViewFilter{ManagementGroup: "mg-3", Status: "Unhealthy"}})
					return err
				}},
				{"summary-tag", func() error { _, err := s.Summary(ctx, ViewFilter{TagKey: "env", TagValue: "prod"}); return err }},
				{"summary-tag-subscription", func() error {
					_, err := s.Summary(ctx, ViewFilter{TagKey: "env", TagValue: "prod", Subscription: sub})
					return err
				}},
				{"trend-90d", func() error { _, err := s.Trend(ctx, c.Now().AddDate(0, 0, -90)); return err }},
				{"changes-last-scan", func() error { _, _, err := s.Changes(ctx, last, 50); return err }},
				{"last-completed", func() error { _, _, err := s.LastCompleted(ctx); return err }},
				{"findings-first-page", func() error { _, _, err := s.FindingsPage(ctx, ListFilter{Limit: 50}); return err }},
				{"findings-next-page", func() error { _, _, err := s.FindingsPage(ctx, ListFilter{Limit: 50, After: next}); return err }},
				{"findings-middle-page", func() error { _, _, err := s.FindingsPage(ctx, ListFilter{Limit: 50, After: mid}); return err }},
				{"findings-unhealthy-high", func() error {
					_, _, err := s.FindingsPage(ctx, ListFilter{Limit: 50, ViewFilter: ViewFilter{Status: "Unhealthy", Severity: "High"}})
					return err
				}},
				{"findings-unknown", func() error {
					_, _, err := s.FindingsPage(ctx, ListFilter{Limit: 50, ViewFilter: ViewFilter{Status: "Unknown"}})
					return err
				}},
				{"findings-exempt", func() error {
					_, _, err := s.FindingsPage(ctx, ListFilter{Limit: 50, ViewFilter: ViewFilter{Status: "Exempt"}})
					return err
				}},
				{"findings-subscription", func() error {
					_, _, err := s.FindingsPage(ctx, ListFilter{Limit: 50, ViewFilter: ViewFilter{Subscription: sub, Recommendation: "keyvault-rbac"}})
					return err
				}},
				{"findings-tag", func() error {
					_, _, err := s.FindingsPage(ctx, ListFilter{Limit: 50, ViewFilter: ViewFilter{TagKey: "env", TagValue: "dev"}})
					return err
				}},
				{"findings-components", func() error {
					_, _, err := s.FindingsPage(ctx, ListFilter{Limit: 50, Components: true, ViewFilter: ViewFilter{Status: "Unhealthy"}})
					return err
				}},
				{"resources-page", func() error { _, _, err := s.ResourcesPage(ctx, ListFilter{Limit: 50}); return err }},
				{"resources-unhealthy-subscription", func() error {
					_, _, err := s.ResourcesPage(ctx, ListFilter{Limit: 50, ViewFilter: ViewFilter{Subscription: sub, Status: "Unhealthy"}})
					return err
				}},
				{"resource-detail", func() error { _, err := s.Resource(ctx, int64(vaults/3)); return err }},
				{"scans-page", func() error { _, _, err := s.ScansPage(ctx, 0, 50); return err }},
				{"exemptions", func() error { _, err := s.Exemptions(ctx); return err }},
			}
			// The resource page's history holds its secret's deferred
			// appearance, read from findings.
			if d, err := s.Resource(ctx, int64(vaults/3)); err != nil || !slices.ContainsFunc(d.History, func(c Change) bool {
				return c.Component == "app-secret" && c.Previous == "" && c.Status == "Unhealthy"
			}) {
				b.Fatalf("resource %d: the secret's appearance is not in its history (%v)", vaults/3, err)
			}
			for _, q := range queries {
				b.Run(q.name, func(b *testing.B) {
					var times []time.Duration
					for b.Loop() {
						t0 := time.Now()
						if err := q.run(); err != nil {
							b.Fatal(err)
						}
						times = append(times, time.Since(t0))
					}
					sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
					b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "median-ms")
					b.ReportMetric(float64(times[len(times)-1].Microseconds())/1000, "max-ms")
				})
			}
		})
	}
}

// buildViewsStore fills the tables as days of 15-minute scans of the
// vaults would leave them and returns the last scan's ID.
func buildViewsStore(b *testing.B, s *Store, c *clock, vaults, days int) int64 {
	b.Helper()
	ctx := context.Background()
	recs := []RecommendationInfo{{"keyvault-rbac", "RBAC", "High", "Control plane"},
		{"keyvault-soft-delete", "Soft delete", "High", "Control plane"},
		{"keyvault-secret-expiry", "Secret expiry", "High", "Data plane"},
		{"keyvault-key-expiry", "Key expiry", "High", "Data plane"},
		{"keyvault-firewall", "Firewall", "Medium", "Control plane"},
		{"keyvault-private-link", "Private link", "Medium", "Control plane"}}
	rng := rand.New(rand.NewPCG(3, 4))
	start := c.Now().AddDate(0, 0, -days)
	t0 := start.UnixMilli()
	var lastScan int64
	err := s.inTx(ctx, "build", func(tx *sql.Tx) error {
		if err := s.putRecommendations(ctx, tx, recs); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, s.q(`INSERT INTO scans (scope, source, started_at, finished_at, lease_until, status,
			results, changes) VALUES ('tenant', 'live', ?, ?, ?, 'succeeded', ?, ?) RETURNING id`),
			t0-60_000, t0, t0, vaults*7, vaults*7).Scan(&lastScan); err != nil {
			return err
		}
		res := s.newBatch(tx, `INSERT INTO resources (id, scope, resource_id, deployment, name, type, subscription, resource_group,
			source_kind, repository, commit_sha, file, line, address, placeholder, tags, first_seen, last_seen) VALUES `, "", 18)
		fin := s.newBatch(tx, `INSERT INTO findings (resource_ref, recommendation_id, component, status, reason, exemption_id,
			since, scan_id, history_deferred) VALUES `, "", 9)
		hist := s.newBatch(tx, `INSERT INTO history (resource_ref, recommendation_id, component, at, scan_id, prev_status,
			status, reason, exemption_id) VALUES `, "", 9)
		defer res.close()
		defer fin.close()
		defer hist.close()
		for v := range vaults {
			sub := fmt.Sprintf("%08x-0000-4000-8000-000000000000", v/1000)
			rg := fmt.Sprintf("/subscriptions/%s/resourcegroups/rg-%02d", sub, v%20)
			id := fmt.Sprintf("/subscriptions/%s/resourceGroups/rg-%02d/providers/Microsoft.KeyVault/vaults/kv-%06d", sub, v%20, v)
			tags := `{"env":"prod"}`
			if v%3 == 0 {
				tags = `{"env":"dev"}`
			}
			ref := int64(v + 1)
			if err := res.add(ctx, id, ref, "tenant", id, "", fmt.Sprintf("kv-%06d", v), "Microsoft.KeyVault/vaults", sub, rg,
				"azure", "", "", "", 0, "", 0, tags, t0, t0); err != nil {
				return err
			}
			for _, r := range recs {
				st := "Healthy"
				switch p := rng.IntN(100); {
				case p < 25:
					st = "Unhealthy"
				case p < 27:
					st = "Unknown"
				}
				if err := fin.add(ctx, fmt.Sprint(ref, r.ID), ref, r.ID, "", st, "reason "+st, 0, t0, lastScan, 0); err != nil {
					return err
				}
				if err := hist.add(ctx, fmt.Sprint(ref, r.ID, 0), ref, r.ID, "", t0, lastScan, "", st, "reason "+st, 0); err != nil {
					return err
				}
			}
			// A secret's appearance is its finding alone (history
			// deferred, migration 00011): History reads it from there.
			if err := fin.add(ctx, fmt.Sprint(ref, "secret"), ref, "keyvault-secret-expiry", "app-secret", "Unhealthy",
				"The secret has no expiration date.", 0, t0, lastScan, 1); err != nil {
				return err
			}
		}
		if err := res.flush(ctx); err != nil {
			return err
		}
		if err := fin.flush(ctx); err != nil {
			return err
		}
		// Days of 15-minute scans, 60 transitions each.
		for k := 1; k < days*96; k++ {
			at := t0 + int64(k)*15*60_000
			if err := tx.QueryRowContext(ctx, s.q(`INSERT INTO scans (scope, source, started_at, finished_at, lease_until,
				status, results, changes) VALUES ('tenant', 'live', ?, ?, ?, 'succeeded', ?, 60) RETURNING id`),
				at-60_000, at, at, vaults*7).Scan(&lastScan); err != nil {
				return err
			}
			for range 60 {
				ref := int64(1 + rng.IntN(vaults))
				prev, st := "Healthy", "Unhealthy"
				if rng.IntN(2) == 0 {
					prev, st = st, prev
				}
				if err := hist.add(ctx, fmt.Sprint(ref, k, rng.Int()), ref, recs[rng.IntN(len(recs))].ID, "", at, lastScan, prev, st,
					"reason "+st, 0); err != nil {
					return err
				}
			}
		}
		if err := hist.flush(ctx); err != nil {
			return err
		}
		// Five subscriptions' firewall findings exempt.
		exp := c.Now().AddDate(0, 6, 0).UnixMilli()
		for i := range 5 {
			sub := fmt.Sprintf("%08x-0000-4000-8000-000000000000", i*7)
			var id int64
			if err := tx.QueryRowContext(ctx, s.q(`INSERT INTO exemptions (kind, reason, expires_at, scope_kind, target, path,
				recommendation_id, created_by, created_at) VALUES ('waiver', 'bench', ?, 'subscription', ?, '', 'keyvault-firewall',
				'bench', ?) RETURNING id`), exp, sub, t0).Scan(&id); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE findings SET exemption_id = ? WHERE recommendation_id = 'keyvault-firewall'
				AND resource_ref IN (SELECT id FROM resources WHERE subscription = ?)`), id, sub); err != nil {
				return err
			}
		}
		// The counts as completion maintains them, and a trend row per day.
		if _, err := tx.ExecContext(ctx, `INSERT INTO view_counts (scope, source, subscription, resource_group,
			recommendation_id, status, n) SELECT r.scope, 'live', r.subscription, r.resource_group, f.recommendation_id,
			f.status, COUNT(*) FROM findings f JOIN resources r ON r.id = f.resource_ref WHERE f.component = ''
			GROUP BY r.scope, r.subscription, r.resource_group, f.recommendation_id, f.status`); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO view_totals (scope, source, recommendation_id, status, n)
			SELECT scope, source, recommendation_id, status, SUM(n) FROM view_counts
			GROUP BY scope, source, recommendation_id, status`); err != nil {
			return err
		}
		if err := s.writeTagCounts(ctx, tx, "tenant"); err != nil {
			return err
		}
		for d := range days {
			if err := s.writeTrend(ctx, tx, start.AddDate(0, 0, d+1).UnixMilli()); err != nil {
				return err
			}
		}
		if s.engine == Postgres {
			if _, err := tx.ExecContext(ctx, "ANALYZE"); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	if s.engine == SQLite {
		if _, err := s.db.ExecContext(ctx, "ANALYZE"); err != nil {
			b.Fatal(err)
		}
	}
	return lastScan
}

// BenchmarkViewsCompleted times what completing a scan adds for the
// read model (viewsCompleted, in a transaction rolled back after): for
// the first scan of the estate (every verdict new: 600,000 history rows)
// and for a 15-minute scan (60 changes).
//
//	go test ./internal/store -run '^$' -bench ViewsCompleted -benchtime 3x
func BenchmarkViewsCompleted(b *testing.B) {
	vaults := envInt("KVGUARD_BENCH_VIEWS_VAULTS", 100_000)
	for _, e := range engines(b) {
		b.Run(e.Name, func(b *testing.B) {
			ctx := context.Background()
			c := newClock()
			s := open(b, e.DSN, c, func(o *Options) { o.Retention = -1 })
			last := buildViewsStore(b, s, c, vaults, 1)
			for _, sc := range []struct {
				name string
				id   int64
			}{{"first-scan", 1}, {"15-minute-scan", last}} {
				b.Run(sc.name, func(b *testing.B) {
					for b.Loop() {
						tx, err := s.db.BeginTx(ctx, nil)
						if err != nil {
							b.Fatal(err)
						}
						if err := s.viewsCompleted(ctx, tx, sc.id, "tenant", c.Now().UnixMilli(), false); err != nil {
							b.Fatal(err)
						}
						_ = tx.Rollback()
					}
				})
			}
		})
	}
}
