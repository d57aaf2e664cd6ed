package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const day = 24 * time.Hour

// TestExemptionScopes: each scope kind exempts what it names and
// nothing else.
func TestExemptionScopes(t *testing.T) {
	cases := []struct {
		name string
		ex   Exemption
		want []string // effective status of kv-a purge, kv-a expiry, kv-b purge
	}{
		{"resource, all recommendations", Exemption{Scope: OnResource, Target: strings.ToUpper(vaultA)},
			[]string{"Exempt", "Exempt", "Unhealthy"}},
		{"resource, one recommendation", Exemption{Scope: OnResource, Target: vaultA, Recommendation: "purge"},
			[]string{"Exempt", "Unhealthy", "Unhealthy"}},
		{"resource group", Exemption{Scope: OnResourceGroup,
			Target: "/subscriptions/00000000-0000-0000-0000-00000000000b/resourceGroups/RG-B"},
			[]string{"Unhealthy", "Unhealthy", "Exempt"}},
		{"subscription", Exemption{Scope: OnSubscription, Target: "00000000-0000-0000-0000-00000000000a"},
			[]string{"Exempt", "Exempt", "Unhealthy"}},
		{"repository path", Exemption{Scope: OnRepositoryPath, Target: "github.com/org/infra", Path: "envs/prod"},
			[]string{"Exempt", "Exempt", "Unhealthy"}},
		{"repository path: a sibling directory is not below", Exemption{Scope: OnRepositoryPath, Target: "github.com/org/infra", Path: "envs/pro"},
			[]string{"Unhealthy", "Unhealthy", "Unhealthy"}},
		{"another repository", Exemption{Scope: OnRepositoryPath, Target: "github.com/org/other"},
			[]string{"Unhealthy", "Unhealthy", "Unhealthy"}},
	}
	for _, e := range engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			for _, tc := range cases {
				c := newClock()
				ctx := context.Background()
				s := open(t, e.DSN, c)
				_, _ = s.DB().ExecContext(ctx, "DELETE FROM exemptions")
				sc, err := s.Begin(ctx, "repo:infra", Repository, Labels{Repository: "github.com/org/infra", Commit: "abc"})
				if err != nil {
					t.Fatal(err)
				}
				ra := &ResourceInfo{ID: vaultA, File: "envs/prod/main.tf", SourceKind: "terraform"}
				rb := &ResourceInfo{ID: vaultB, File: "envs/production.tf", SourceKind: "terraform"}
				rows := []Row{{ra, "purge", "", "Unhealthy", "off"}, {ra, "expiry", "", "Unhealthy", "none"}, {rb, "purge", "", "Unhealthy", "off"}}
				if err := sc.IngestRows(ctx, func(y func(Row) bool) {
					for _, r := range rows {
						if !y(r) {
							return
						}
					}
				}, nil, nil); err != nil {
					t.Fatal(err)
				}
				if err := sc.Complete(ctx); err != nil {
					t.Fatal(err)
				}
				ex := tc.ex
				ex.Kind, ex.Reason, ex.Expires = Waiver, "accepted risk", c.Now().Add(30*day)
				if _, err := s.CreateExemption(ctx, "alice", ex); err != nil {
					t.Fatalf("%s: %v", tc.name, err)
				}
				var got []string
				for _, x := range state(t, s, Filter{}) {
					got = append(got, strings.Fields(x)[2])
				}
				// state is ordered kv-a expiry, kv-a purge, kv-b purge.
				want := []string{tc.want[1], tc.want[0], tc.want[2]}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("%s (-want +got):\n%s", tc.name, diff)
				}
				_, _ = s.DB().ExecContext(ctx, "DELETE FROM findings")
				_, _ = s.DB().ExecContext(ctx, "DELETE FROM resources")
			}
		})
	}
}

// TestExemptionLifecycle: an exemption applies at once, expires by
// itself at the clock, is recorded in history and audited.
func TestExemptionLifecycle(t *testing.T) {
	for _, e := range engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			c := newClock()
			ctx := context.Background()
			s := open(t, e.DSN, c)
			scanOnce(t, s, "sub:a", []verdict{{vaultA, "purge", "", "Unhealthy", "off"}})
			id, err := s.CreateExemption(ctx, "alice", Exemption{Kind: Mitigated, Reason: "firewall in front",
				Expires: c.Now().Add(10 * day), Scope: OnResource, Target: vaultA})
			if err != nil {
				t.Fatal(err)
			}
			if got := state(t, s, Filter{}); got[0] != "kv-a purge  Exempt off" {
				t.Errorf("with the exemption: %v", got)
			}
			// A new scan keeps the exemption (no transition).
			c.Add(day)
			if sc := scanOnce(t, s, "sub:a", []verdict{{vaultA, "purge", "", "Unhealthy", "off"}}); true {
				info, _ := s.ScanInfo(ctx, sc.ID())
				if info.Changes != 0 {
					t.Errorf("an unchanged scan under an exemption made %d changes", info.Changes)
				}
			}
			c.Add(10 * day) // past the expiry: no maintenance has run yet
			if got := state(t, s, Filter{}); got[0] != "kv-a purge  Unhealthy off" {
				t.Errorf("after expiry: %v", got)
			}
			changed, _, err := s.Maintain(ctx)
			if err != nil || changed != 1 {
				t.Errorf("maintain: %d changes, %v; want 1", changed, err)
			}
			h, _ := s.History(ctx, "sub:a", vaultA)
			if len(h) != 3 || h[1].Exemption != id || h[2].Exemption != 0 {
				t.Errorf("history: %+v", h)
			}
			if err := s.SetExemptionExpiry(ctx, "bob", id, c.Now().Add(5*day)); err != nil {
				t.Fatal(err)
			}
			if got := state(t, s, Filter{}); got[0] != "kv-a purge  Exempt off" {
				t.Errorf("after extension: %v", got)
			}
			if err := s.RevokeExemption(ctx, "carol", id); err != nil {
				t.Fatal(err)
			}
			if got := state(t, s, Filter{}); got[0] != "kv-a purge  Unhealthy off" {
				t.Errorf("after revocation: %v", got)
			}
			audit, err := s.Audit(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var who []string
			for _, a := range audit {
				who = append(who, a.Actor+" "+a.Action)
				if a.EntityID != id || a.Entity != "exemption" {
					t.Errorf("audit entry about %s %d", a.Entity, a.EntityID)
				}
			}
			if diff := cmp.Diff([]string{"alice create", "bob set-expiry", "carol revoke"}, who); diff != "" {
				t.Errorf("audit (-want +got):\n%s", diff)
			}
			if audit[0].Before != "" || !strings.Contains(audit[0].After, `"firewall in front"`) ||
				strings.Contains(audit[2].Before, `"revoked"`) || !strings.Contains(audit[2].After, `"revoked"`) {
				t.Errorf("audit before/after: %+v", audit)
			}
		})
	}
}

func TestExemptionRefused(t *testing.T) {
	cases := []struct {
		name string
		ex   Exemption
		want string
	}{
		{"no reason", Exemption{Kind: Waiver, Scope: OnResource, Target: vaultA, Expires: time.Unix(1, 0)}, "reason"},
		{"no expiry", Exemption{Kind: Waiver, Reason: "x", Scope: OnResource, Target: vaultA}, "expiry"},
		{"bad kind", Exemption{Kind: "forever", Reason: "x", Scope: OnResource, Target: vaultA, Expires: time.Unix(1, 0)}, "kind"},
		{"tag scope", Exemption{Kind: Waiver, Reason: "x", Scope: OnTag, Target: "env", Expires: time.Unix(1, 0)}, "scope"},
	}
	s := open(t, engines(t)[0].DSN, newClock())
	for _, tc := range cases {
		if _, err := s.CreateExemption(context.Background(), "alice", tc.ex); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v; want an error about %s", tc.name, err, tc.want)
		}
	}
}

// TestOwners: the first matching rule gives the owner; the due date runs
// from when the finding became unhealthy; overdue at the clock.
func TestOwners(t *testing.T) {
	for _, e := range engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			c := newClock()
			ctx := context.Background()
			s := open(t, e.DSN, c)
			sc, err := s.Begin(ctx, "sub:all", Live, Labels{})
			if err != nil {
				t.Fatal(err)
			}
			ra := &ResourceInfo{ID: vaultA, Tags: map[string]string{"team": "payments"}}
			rb := &ResourceInfo{ID: vaultB}
			rows := []Row{{ra, "purge", "", "Unhealthy", "off"}, {ra, "rbac", "", "Healthy", "on"}, {rb, "purge", "", "Unhealthy", "off"}}
			if err := sc.IngestRows(ctx, func(y func(Row) bool) {
				for _, r := range rows {
					y(r)
				}
			}, nil, nil); err != nil {
				t.Fatal(err)
			}
			if err := sc.Complete(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := s.AddOwnerRule(ctx, "admin", OwnerRule{Scope: OnTag, TagKey: "team", TagValue: "payments", Owner: "payments@example.com", DueDays: 7}); err != nil {
				t.Fatal(err)
			}
			rid, err := s.AddOwnerRule(ctx, "admin", OwnerRule{Scope: OnSubscription, Target: "00000000-0000-0000-0000-00000000000B", Owner: "platform@example.com", DueDays: 30})
			if err != nil {
				t.Fatal(err)
			}
			c.Add(8 * day)
			as, err := s.Assignments(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, a := range as {
				got = append(got, filepath.Base(a.ResourceID)+" "+a.Recommendation+" "+a.Owner+" "+a.Due.Format(time.DateOnly)+" "+map[bool]string{true: "overdue", false: "due"}[a.Overdue])
			}
			want := []string{"kv-a purge payments@example.com 2026-11-08 overdue", "kv-b purge platform@example.com 2026-12-01 due"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if err := s.DeleteOwnerRule(ctx, "admin", rid); err != nil {
				t.Fatal(err)
			}
			if as, _ := s.Assignments(ctx); len(as) != 1 {
				t.Errorf("after deleting a rule: %v", as)
			}
			audit, _ := s.Audit(ctx)
			if len(audit) != 3 || audit[2].Action != "delete" || audit[2].After != "" || !strings.Contains(audit[2].Before, "platform@") {
				t.Errorf("audit: %+v", audit)
			}
		})
	}
}

// TestRetention: history, scans and gone resources older than the
// retention are deleted; the current state and newer history stay.
func TestRetention(t *testing.T) {
	for _, e := range engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			c := newClock()
			ctx := context.Background()
			s := open(t, e.DSN, c, func(o *Options) { o.Retention = 30 * day })
			putSecret := func(vault string) {
				t.Helper()
				if err := s.PutComponentDetails(ctx, []ComponentListing{{vault, KindSecret}},
					[]ComponentDetail{{Vault: vault, Kind: KindSecret, Name: "s1"}}); err != nil {
					t.Fatal(err)
				}
			}
			putSecret(vaultA)
			putSecret(vaultB)
			scanOnce(t, s, "sub:a", []verdict{{vaultA, "purge", "", "Unhealthy", "off"}, {vaultB, "purge", "", "Healthy", "on"}})
			c.Add(10 * day)
			putSecret(vaultA) // kv-b is gone: its secrets are no longer read
			scanOnce(t, s, "sub:a", []verdict{{vaultA, "purge", "", "Healthy", "on"}})
			c.Add(25 * day) // the first scan is 35 days old, the second 25
			scanOnce(t, s, "sub:a", []verdict{{vaultA, "purge", "", "Healthy", "on"}})
			if _, _, err := s.Maintain(ctx); err != nil {
				t.Fatal(err)
			}
			n, _ := s.Counts(ctx)
			// Left: kv-a's change and kv-b's removal (day 10), two scans.
			// kv-b's components, last read on day 0, are gone; kv-a's,
			// read on day 10, kept.
			if n["history"] != 2 || n["scans"] != 2 || n["findings"] != 1 || n["resources"] != 2 || n["component_details"] != 1 {
				t.Errorf("after retention: %v", n)
			}
			c.Add(10 * day)
			if _, _, err := s.Maintain(ctx); err != nil {
				t.Fatal(err)
			}
			n, _ = s.Counts(ctx)
			if n["history"] != 0 || n["resources"] != 1 || n["findings"] != 1 {
				t.Errorf("after retention of everything old: %v", n)
			}
		})
	}
}
