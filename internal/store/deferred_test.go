package store

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDeferredHistory: a component's finding that appears is written to
// findings alone (migration 00011), yet History shows its appearance;
// its first change — an exemption that reaches it, a new status, its
// removal — writes the appearance to history before itself, so history
// read back is the same as if every appearance had been written at once.
func TestDeferredHistory(t *testing.T) {
	for _, e := range engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			c := newClock()
			ctx := context.Background()
			s := open(t, e.DSN, c)
			rows := func() (logged, deferred int64) {
				t.Helper()
				if err := s.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM history WHERE component <> ''").Scan(&logged); err != nil {
					t.Fatal(err)
				}
				if err := s.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM findings WHERE history_deferred = 1").Scan(&deferred); err != nil {
					t.Fatal(err)
				}
				return logged, deferred
			}
			history := func() []string {
				t.Helper()
				h, err := s.History(ctx, "sub:a", vaultA)
				if err != nil {
					t.Fatal(err)
				}
				var out []string
				for _, x := range h {
					if x.Component != "" {
						out = append(out, fmt.Sprintf("%s scan %d %q→%s exemption %d", x.Component, x.Scan, x.Previous, x.Status, x.Exemption))
					}
				}
				return out
			}
			c.Add(day)
			scanOnce(t, s, "sub:a", []verdict{
				{vaultA, "secret-expiry", "", "Unhealthy", "2 of 3 secrets have no expiry"},
				{vaultA, "secret-expiry", "s1", "Unhealthy", "no expiry"},
				{vaultA, "secret-expiry", "s2", "Unhealthy", "no expiry"},
				{vaultA, "secret-expiry", "s3", "Healthy", "expires 2027-01-01"},
			})
			if logged, deferred := rows(); logged != 0 || deferred != 3 {
				t.Errorf("first scan: %d component history rows, %d deferred findings; want 0 and 3", logged, deferred)
			}
			c.Add(day)
			id, err := s.CreateExemption(ctx, "alice", Exemption{Kind: Waiver, Reason: "test data", Expires: c.Now().Add(30 * day),
				Scope: OnResource, Target: vaultA})
			if err != nil {
				t.Fatal(err)
			}
			c.Add(day)
			scanOnce(t, s, "sub:a", []verdict{
				{vaultA, "secret-expiry", "", "Unhealthy", "2 of 3 secrets have no expiry"},
				{vaultA, "secret-expiry", "s1", "Healthy", "expires 2027-02-01"}, // fixed
				{vaultA, "secret-expiry", "s3", "Healthy", "expires 2027-01-01"}, // s2 deleted
				{vaultA, "secret-expiry", "s4", "Unhealthy", "no expiry"},        // new, exempt
			})
			want := []string{
				`s1 scan 1 ""→Unhealthy exemption 0`,
				`s2 scan 1 ""→Unhealthy exemption 0`,
				`s3 scan 1 ""→Healthy exemption 0`,
				fmt.Sprintf(`s1 scan 0 "Unhealthy"→Unhealthy exemption %d`, id),
				fmt.Sprintf(`s2 scan 0 "Unhealthy"→Unhealthy exemption %d`, id),
				fmt.Sprintf(`s3 scan 0 "Healthy"→Healthy exemption %d`, id),
				fmt.Sprintf(`s1 scan 2 "Unhealthy"→Healthy exemption %d`, id),
				`s2 scan 2 "Unhealthy"→Removed exemption 0`,
				fmt.Sprintf(`s4 scan 2 ""→Unhealthy exemption %d`, id),
			}
			if diff := cmp.Diff(want, history()); diff != "" {
				t.Errorf("history of kv-a's secrets (-want +got):\n%s", diff)
			}
			// Every appearance but s4's is a history row now.
			if logged, deferred := rows(); logged != 8 || deferred != 1 {
				t.Errorf("second scan: %d component history rows, %d deferred findings; want 8 and 1", logged, deferred)
			}
			// s4 changes on the next scan: its appearance comes first.
			c.Add(day)
			scanOnce(t, s, "sub:a", []verdict{
				{vaultA, "secret-expiry", "", "Healthy", "every secret expires"},
				{vaultA, "secret-expiry", "s1", "Healthy", "expires 2027-02-01"},
				{vaultA, "secret-expiry", "s3", "Healthy", "expires 2027-01-01"},
				{vaultA, "secret-expiry", "s4", "Healthy", "expires 2027-03-01"},
			})
			want = append(want, fmt.Sprintf(`s4 scan 3 "Unhealthy"→Healthy exemption %d`, id))
			if diff := cmp.Diff(want, history()); diff != "" {
				t.Errorf("third scan: history of kv-a's secrets (-want +got):\n%s", diff)
			}
			if logged, deferred := rows(); logged != 10 || deferred != 0 {
				t.Errorf("third scan: %d component history rows, %d deferred findings; want 10 and 0", logged, deferred)
			}
		})
	}
}

// TestReconcileAtScale: an exemption that changes more findings than
// reconcile writes one by one (reconcileOneByOne) is written set-wise,
// with the same history, finding for finding, as a small one: each
// secret's deferred appearance, then its exemption, then its expiry.
func TestReconcileAtScale(t *testing.T) {
	for _, n := range []int{10, reconcileOneByOne + 100} {
		for _, e := range engines(t) { // a store of its own for each size
			t.Run(fmt.Sprintf("%s/%d", e.Name, n), func(t *testing.T) {
				c := newClock()
				ctx := context.Background()
				s := open(t, e.DSN, c)
				vs := []verdict{{vaultA, "secret-expiry", "", "Unhealthy", fmt.Sprintf("%d secrets have no expiry", n)}}
				for i := range n {
					vs = append(vs, verdict{vaultA, "secret-expiry", fmt.Sprintf("s%04d", i), "Unhealthy", "no expiry"})
				}
				c.Add(day)
				scanOnce(t, s, "sub:a", vs)
				c.Add(day)
				id, err := s.CreateExemption(ctx, "alice", Exemption{Kind: Waiver, Reason: "test data", Expires: c.Now().Add(2 * day),
					Scope: OnResource, Target: vaultA})
				if err != nil {
					t.Fatal(err)
				}
				c.Add(3 * day)
				if changed, _, err := s.Maintain(ctx); err != nil || changed != int64(n+1) {
					t.Fatalf("%d secrets: maintain: %d changes, %v; want %d", n, changed, err, n+1)
				}
				h, err := s.History(ctx, "sub:a", vaultA)
				if err != nil {
					t.Fatal(err)
				}
				per := map[string][]string{}
				for _, x := range h {
					per[x.Component] = append(per[x.Component], fmt.Sprintf("scan %d %q→%s exemption %d", x.Scan, x.Previous, x.Status, x.Exemption))
				}
				want := []string{`scan 1 ""→Unhealthy exemption 0`, fmt.Sprintf(`scan 0 "Unhealthy"→Unhealthy exemption %d`, id),
					`scan 0 "Unhealthy"→Unhealthy exemption 0`}
				if len(per) != n+1 {
					t.Fatalf("%d secrets: history of %d findings, want %d", n, len(per), n+1)
				}
				for comp, got := range per {
					if diff := cmp.Diff(want, got); diff != "" {
						t.Fatalf("%d secrets: history of %q (-want +got):\n%s", n, comp, diff)
					}
				}
				var deferred int64
				if err := s.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM findings WHERE history_deferred = 1").Scan(&deferred); err != nil || deferred != 0 {
					t.Errorf("%d secrets: %d findings still deferred (%v)", n, deferred, err)
				}
			})
		}
	}
}

// TestFirstScanExempt: a scope's first scan (PostgreSQL writes it without
// comparing, firstPG) applies the exemptions that exist already, to the
// resource's own verdicts and to its components alike, and counts them.
func TestFirstScanExempt(t *testing.T) {
	for _, e := range engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			c := newClock()
			ctx := context.Background()
			s := open(t, e.DSN, c)
			id, err := s.CreateExemption(ctx, "alice", Exemption{Kind: Mitigated, Reason: "behind a firewall",
				Expires: c.Now().Add(30 * day), Scope: OnResource, Target: vaultA})
			if err != nil {
				t.Fatal(err)
			}
			c.Add(day)
			sc := scanOnce(t, s, "sub:a", []verdict{
				{vaultA, "secret-expiry", "", "Unhealthy", "1 of 1 secrets has no expiry"},
				{vaultA, "secret-expiry", "s1", "Unhealthy", "no expiry"},
				{vaultB, "purge", "", "Unhealthy", "purge protection off"},
			})
			if info, err := s.ScanInfo(ctx, sc.ID()); err != nil || info.Changes != 3 {
				t.Errorf("first scan: %+v, %v; want 3 changes", info, err)
			}
			var got []string
			rows, err := s.DB().QueryContext(ctx, `SELECT r.name, f.component, f.exemption_id, f.history_deferred
				FROM findings f JOIN resources r ON r.id = f.resource_ref ORDER BY r.name, f.component`)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var name, comp string
				var ex, deferred int64
				if err := rows.Scan(&name, &comp, &ex, &deferred); err != nil {
					t.Fatal(err)
				}
				got = append(got, fmt.Sprintf("%s %q exemption %d deferred %d", name, comp, ex, deferred))
			}
			if err := rows.Close(); err != nil {
				t.Fatal(err)
			}
			want := []string{
				fmt.Sprintf(`kv-a "" exemption %d deferred 0`, id),
				fmt.Sprintf(`kv-a "s1" exemption %d deferred 1`, id),
				`kv-b "" exemption 0 deferred 0`,
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			h, err := s.History(ctx, "sub:a", vaultA)
			if err != nil {
				t.Fatal(err)
			}
			if len(h) != 2 || h[0].Exemption != id || h[1].Exemption != id || h[0].Previous != "" || h[1].Previous != "" {
				t.Errorf("history of kv-a: %+v; want two appearances with exemption %d", h, id)
			}
			var n int64
			if err := s.DB().QueryRowContext(ctx, "SELECT COALESCE(SUM(n), 0) FROM view_counts WHERE status = 'Unhealthy'").Scan(&n); err != nil || n != 2 {
				t.Errorf("unhealthy resources counted: %d (%v), want 2", n, err)
			}
		})
	}
}
