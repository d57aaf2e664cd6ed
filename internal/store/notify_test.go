package store

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kvguard/kvguard/internal/assess"
)

const (
	vaultC = "/subscriptions/00000000-0000-0000-0000-00000000000a/resourceGroups/rg-a/providers/Microsoft.KeyVault/vaults/kv-c"
	vaultD = "/subscriptions/00000000-0000-0000-0000-00000000000a/resourceGroups/rg-d/providers/Microsoft.KeyVault/vaults/kv-d"
)

var notifyRecs = []RecommendationInfo{
	{ID: "purge", Title: "Key vaults should have deletion protection enabled", Severity: "High", Type: "policy"},
	{ID: "firewall", Title: "Azure Key Vault should have firewall enabled", Severity: "High", Type: "policy"},
	{ID: "secret-expiry", Title: "Key Vault secrets should have an expiration date", Severity: "Medium", Type: "policy"},
}

func scanWithRecs(t *testing.T, s *Store, scope string, vs []verdict) int64 {
	t.Helper()
	ctx := t.Context()
	sc, err := s.Begin(ctx, scope, Live, Labels{})
	if err != nil {
		t.Fatal(err)
	}
	if err := sc.IngestRows(ctx, rowsOf(vs), notifyRecs, nil); err != nil {
		t.Fatal(err)
	}
	if err := sc.Complete(ctx); err != nil {
		t.Fatal(err)
	}
	return sc.ID()
}

// TestNewFindings: a scan's new High findings are the resource-level
// verdicts it made Unhealthy (appeared, or from another status), not the
// ones unhealthy before, not components, not exempt, not other
// severities.
func TestNewFindings(t *testing.T) {
	t.Parallel()
	for _, e := range engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			c := newClock()
			s := open(t, e.DSN, c)
			ctx := t.Context()
			first := scanWithRecs(t, s, "sub:a", []verdict{
				{vaultA, "purge", "", "Unhealthy", "purge protection off"},
				{vaultA, "firewall", "", "Healthy", "firewall on"},
				{vaultB, "purge", "", "Healthy", "purge protection on"},
			})
			if _, err := s.CreateExemption(ctx, "alice", Exemption{Kind: Waiver, Reason: "being replaced",
				Expires: c.Now().Add(30 * 24 * time.Hour), Scope: OnResource, Target: vaultD}); err != nil {
				t.Fatal(err)
			}
			c.Add(15 * time.Minute)
			second := scanWithRecs(t, s, "sub:a", []verdict{
				{vaultA, "purge", "", "Unhealthy", "purge protection still off"}, // unhealthy before
				{vaultA, "firewall", "", "Unhealthy", "firewall off"},            // regression
				{vaultB, "purge", "", "Unhealthy", "purge protection off"},       // regression
				{vaultC, "purge", "", "Unhealthy", "purge protection off"},       // appeared
				{vaultC, "secret-expiry", "", "Unhealthy", "1 of 1 secrets has no expiry"},
				{vaultC, "secret-expiry", "s1", "Unhealthy", "no expiry"},
				{vaultD, "purge", "", "Unhealthy", "purge protection off"}, // exempt
			})
			got := func(id int64, sev assess.Severity) []string {
				t.Helper()
				list, err := s.NewFindings(ctx, id, sev)
				if err != nil {
					t.Fatal(err)
				}
				var out []string
				for _, f := range list {
					out = append(out, fmt.Sprintf("%s %s %s %q→Unhealthy %s", filepath.Base(f.ResourceID), f.Recommendation.ID,
						f.Recommendation.Severity, f.Previous, f.Reason))
					if f.ResourceRef == 0 || f.Subscription != "00000000-0000-0000-0000-00000000000a" && f.Subscription != "00000000-0000-0000-0000-00000000000b" {
						t.Errorf("%s: resource ref %d, subscription %q", f.ResourceID, f.ResourceRef, f.Subscription)
					}
				}
				return out
			}
			if diff := cmp.Diff([]string{`kv-a purge High ""→Unhealthy purge protection off`}, got(first, assess.High)); diff != "" {
				t.Errorf("first scan (-want +got):\n%s", diff)
			}
			wantHigh := []string{
				`kv-a firewall High "Healthy"→Unhealthy firewall off`,
				`kv-c purge High ""→Unhealthy purge protection off`, // by resource ID: subscription …0a first
				`kv-b purge High "Healthy"→Unhealthy purge protection off`,
			}
			if diff := cmp.Diff(wantHigh, got(second, assess.High)); diff != "" {
				t.Errorf("second scan, High (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{`kv-c secret-expiry Medium ""→Unhealthy 1 of 1 secrets has no expiry`},
				got(second, assess.Medium)); diff != "" {
				t.Errorf("second scan, Medium (-want +got):\n%s", diff)
			}
			running, err := s.Begin(ctx, "sub:b", Live, Labels{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.NewFindings(ctx, running.ID(), assess.High); !errors.Is(err, ErrNotCompleted) {
				t.Errorf("running scan: %v, want ErrNotCompleted", err)
			}
		})
	}
}

// TestExpiringExemptions: the window is (now, now+within], revoked and
// expired exemptions excluded.
func TestExpiringExemptions(t *testing.T) {
	t.Parallel()
	for _, e := range engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			c := newClock()
			s := open(t, e.DSN, c)
			ctx := t.Context()
			day := 24 * time.Hour
			add := func(reason string, in time.Duration) int64 {
				id, err := s.CreateExemption(ctx, "alice", Exemption{Kind: Mitigated, Reason: reason,
					Expires: c.Now().Add(in), Scope: OnSubscription, Target: "00000000-0000-0000-0000-00000000000a"})
				if err != nil {
					t.Fatal(err)
				}
				return id
			}
			add("in ten days", 10*day)
			edge := add("at the window's end", 7*day)
			soon := add("in three days", 3*day)
			revoked := add("revoked", 2*day)
			add("expires in a minute, then is past", time.Minute)
			if err := s.RevokeExemption(ctx, "bob", revoked); err != nil {
				t.Fatal(err)
			}
			c.Add(time.Minute) // the last one's expiry is now: not in (now, …]
			list, err := s.ExpiringExemptions(ctx, 7*day)
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, x := range list {
				ids = append(ids, x.ID)
			}
			// The window moved a minute: the 7-day one is inside it.
			if diff := cmp.Diff([]int64{soon, edge}, ids); diff != "" {
				t.Errorf("expiring (-want +got):\n%s", diff)
			}
			x, err := s.ExemptionByID(ctx, soon)
			if err != nil || x.Reason != "in three days" {
				t.Errorf("ExemptionByID: %+v, %v", x, err)
			}
			if _, err := s.ExemptionByID(ctx, 999); err == nil {
				t.Error("ExemptionByID(999): no error")
			}
		})
	}
}

// TestNoticeOutbox: an event is recorded once, claimed by one caller at a
// time, released by a failure, ended by a delivery or abandonment, and
// pruned only once sent and past.
func TestNoticeOutbox(t *testing.T) {
	t.Parallel()
	for _, e := range engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			c := newClock()
			s := open(t, e.DSN, c)
			ctx := t.Context()
			add := func(sink string, kind NoticeKind, subject int64, instant time.Time) bool {
				t.Helper()
				added, err := s.AddNotice(ctx, sink, kind, subject, instant)
				if err != nil {
					t.Fatal(err)
				}
				return added
			}
			expiry := c.Now().Add(72 * time.Hour)
			steps := []struct {
				name string
				got  bool
				want bool
			}{
				{"a scan's event", add("hook1", NoticeNewHigh, 7, time.Time{}), true},
				{"the same again", add("hook1", NoticeNewHigh, 7, time.Time{}), false},
				{"another receiver", add("hook2", NoticeNewHigh, 7, time.Time{}), true},
				{"an exemption's expiry", add("hook1", NoticeExpiring, 7, expiry), true},
				{"the same expiry again", add("hook1", NoticeExpiring, 7, expiry), false},
				{"the exemption extended", add("hook1", NoticeExpiring, 7, expiry.Add(24*time.Hour)), true},
			}
			for _, st := range steps {
				if st.got != st.want {
					t.Errorf("%s: added %v, want %v", st.name, st.got, st.want)
				}
			}
			pending, err := s.Notices(ctx, "hook1", NoticePending)
			if err != nil || len(pending) != 3 {
				t.Fatalf("pending: %d, %v; want 3", len(pending), err)
			}
			if pending[1].Kind != NoticeExpiring || !pending[1].Instant.Equal(expiry.Truncate(time.Millisecond)) {
				t.Errorf("second notice %+v", pending[1])
			}
			claim := func(id int64) bool {
				t.Helper()
				ok, err := s.ClaimNotice(ctx, id, time.Minute)
				if err != nil {
					t.Fatal(err)
				}
				return ok
			}
			scan := pending[0].ID
			if !claim(scan) || claim(scan) {
				t.Fatal("a pending notice should be claimed once")
			}
			c.Add(2 * time.Minute) // the claim's lease ran out: its holder died
			if !claim(scan) {
				t.Fatal("an expired claim should be taken")
			}
			if err := s.NoticeFailed(ctx, scan, "503 Service Unavailable", false); err != nil {
				t.Fatal(err)
			}
			if !claim(scan) {
				t.Fatal("a failed notice should be released")
			}
			if err := s.NoticeSent(ctx, scan); err != nil {
				t.Fatal(err)
			}
			if claim(scan) {
				t.Fatal("a sent notice should not be claimed")
			}
			if err := s.NoticeFailed(ctx, pending[2].ID, "404 Not Found", true); err != nil {
				t.Fatal(err)
			}
			all, err := s.Notices(ctx, "hook1", "")
			if err != nil {
				t.Fatal(err)
			}
			var states []string
			for _, n := range all {
				states = append(states, fmt.Sprintf("%s %d %s %d %q sent=%v", n.Kind, n.Subject, n.Status, n.Attempts, n.LastError, !n.Sent.IsZero()))
			}
			want := []string{
				`findings.new-high 7 sent 2 "" sent=true`,
				`exemption.expiring 7 pending 0 "" sent=false`,
				`exemption.expiring 7 abandoned 1 "404 Not Found" sent=false`,
			}
			if diff := cmp.Diff(want, states); diff != "" {
				t.Errorf("outbox (-want +got):\n%s", diff)
			}
			// Pruning keeps the pending and anything whose expiry is not past.
			c.Add(24 * time.Hour)
			n, err := s.PruneNotices(ctx, c.Now())
			if err != nil || n != 1 {
				t.Errorf("prune: %d, %v; want 1 (the sent scan event)", n, err)
			}
			c.Add(72 * time.Hour)
			if n, err := s.PruneNotices(ctx, c.Now()); err != nil || n != 1 {
				t.Errorf("prune after the expiry: %d, %v; want 1 (the abandoned one)", n, err)
			}
			if left, _ := s.Notices(ctx, "hook1", ""); len(left) != 1 || left[0].Status != NoticePending {
				t.Errorf("left: %+v", left)
			}
		})
	}
}
