package store

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const vaultInC = "/subscriptions/00000000-0000-0000-0000-00000000000c/resourceGroups/rg-c/providers/Microsoft.KeyVault/vaults/kv-c"

// TestManagementGroupFilter: a resource matches a management group when
// its subscription is below it at any depth (names compared as Azure
// does, without case), in the summary (whichever counts it reads), the
// resource and finding lists; a new ancestry replaces the old one.
func TestManagementGroupFilter(t *testing.T) {
	t.Parallel()
	for _, e := range engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			s := open(t, e.DSN, newClock())
			scanOnce(t, s, "tenant", []verdict{
				{vaultA, "r1", "", "Unhealthy", "no"}, {vaultA, "r1", "s1", "Unhealthy", "no expiry"},
				{vaultB, "r1", "", "Healthy", "ok"},
				{vaultInC, "r1", "", "Unknown", "unreadable"},
			})
			root := ManagementGroup{Name: "tenant-root", DisplayName: "Tenant Root Group"}
			platform := ManagementGroup{Name: "Platform", DisplayName: "Platform"}
			if err := s.PutAncestry(ctx, []SubscriptionAncestry{
				{Subscription: "00000000-0000-0000-0000-00000000000A", Groups: []ManagementGroup{{Name: "prod", DisplayName: "Production"}, platform, root}},
				{Subscription: "00000000-0000-0000-0000-00000000000b", Groups: []ManagementGroup{{Name: "dev", DisplayName: "Development"}, platform, root}},
				{Subscription: "00000000-0000-0000-0000-00000000000c", Groups: []ManagementGroup{root}},
			}); err != nil {
				t.Fatal(err)
			}
			resources := func(f ListFilter) []string {
				t.Helper()
				rows, _, err := s.ResourcesPage(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				var out []string
				for _, r := range rows {
					out = append(out, r.Name)
				}
				return out
			}
			findings := func(f ListFilter) []string {
				t.Helper()
				rows, _, err := s.FindingsPage(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				var out []string
				for _, r := range rows {
					out = append(out, strings.TrimSpace(r.Name+" "+r.Component))
				}
				return out
			}
			for _, tc := range []struct {
				f                  ViewFilter
				summary, resources []string
			}{
				{ViewFilter{ManagementGroup: "prod"}, []string{"r1 0/1/0/0/0"}, []string{"kv-a"}},
				{ViewFilter{ManagementGroup: "PLATFORM"}, []string{"r1 1/1/0/0/0"}, []string{"kv-a", "kv-b"}},
				{ViewFilter{ManagementGroup: "tenant-root"}, []string{"r1 1/1/1/0/0"}, []string{"kv-a", "kv-b", "kv-c"}},
				{ViewFilter{ManagementGroup: "nowhere"}, nil, nil},
				// With another place filter, and with a tag (the findings are counted).
				{ViewFilter{ManagementGroup: "platform", Subscription: "00000000-0000-0000-0000-00000000000b"}, []string{"r1 1/0/0/0/0"}, []string{"kv-b"}},
				{ViewFilter{ManagementGroup: "platform", TagKey: "env"}, nil, nil},
				{ViewFilter{ManagementGroup: "platform", Status: "Unhealthy"}, []string{"r1 0/1/0/0/0"}, []string{"kv-a"}},
			} {
				t.Run(fmt.Sprintf("mg=%s,sub=%s,tag=%s,status=%s", tc.f.ManagementGroup, tc.f.Subscription, tc.f.TagKey, tc.f.Status), func(t *testing.T) {
					if diff := cmp.Diff(tc.summary, summaryOf(t, s, tc.f)); diff != "" {
						t.Errorf("summary (-want +got):\n%s", diff)
					}
					if diff := cmp.Diff(tc.resources, resources(ListFilter{ViewFilter: tc.f})); diff != "" {
						t.Errorf("resources (-want +got):\n%s", diff)
					}
				})
			}
			if diff := cmp.Diff([]string{"kv-a", "kv-a s1"}, findings(ListFilter{ViewFilter: ViewFilter{ManagementGroup: "prod"}, Components: true})); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			groups, err := s.ManagementGroups(ctx, 10)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, g := range groups {
				names = append(names, g.Name+"="+g.DisplayName)
			}
			if diff := cmp.Diff([]string{"dev=Development", "platform=Platform", "prod=Production", "tenant-root=Tenant Root Group"}, names); diff != "" {
				t.Errorf("groups (-want +got):\n%s", diff)
			}
			// kv-b's subscription moves below prod: the old chain is gone.
			if err := s.PutAncestry(ctx, []SubscriptionAncestry{
				{Subscription: "00000000-0000-0000-0000-00000000000b", Groups: []ManagementGroup{{Name: "prod", DisplayName: "Production"}, root}},
			}); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{"kv-a", "kv-b"}, resources(ListFilter{ViewFilter: ViewFilter{ManagementGroup: "prod"}})); diff != "" {
				t.Errorf("after the move, prod (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"kv-a"}, resources(ListFilter{ViewFilter: ViewFilter{ManagementGroup: "platform"}})); diff != "" {
				t.Errorf("after the move, platform (-want +got):\n%s", diff)
			}
			if err := s.PutAncestry(ctx, []SubscriptionAncestry{{Subscription: "x", Groups: []ManagementGroup{{DisplayName: "nameless"}}}}); err == nil {
				t.Error("a group without a name was recorded")
			}
		})
	}
}

// TestComponentDetails: a vault's page lists its recorded components
// (kind, enabled, expiry) with their verdicts, components with verdicts
// but no record after them, a cleared listing drops what it no longer
// holds, and a pushed resource of the same ID shows no live record.
func TestComponentDetails(t *testing.T) {
	t.Parallel()
	for _, e := range engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			c := newClock()
			s := open(t, e.DSN, c)
			scanOnce(t, s, "tenant", []verdict{
				{vaultA, "secret-expiry", "", "Unhealthy", "1 of 2"},
				{vaultA, "secret-expiry", "db", "Healthy", "expires"},
				{vaultA, "secret-expiry", "api", "Unhealthy", "no expiry"},
				{vaultA, "key-expiry", "", "Healthy", "ok"},
				{vaultA, "key-expiry", "signing", "Healthy", "expires"},
				{vaultA, "key-expiry", "orphan", "Healthy", "expires"},
			})
			yes, no := true, false
			exp := c.Now().Add(10*24*time.Hour + time.Hour)
			if err := s.PutComponentDetails(ctx, []ComponentListing{{vaultA, KindSecret}, {vaultA, KindKey}}, []ComponentDetail{
				{Vault: vaultA, Kind: KindSecret, Name: "db", Enabled: &yes, Expires: exp},
				{Vault: strings.ToUpper(vaultA), Kind: KindSecret, Name: "api", Enabled: &no},
				{Vault: vaultA, Kind: KindSecret, Name: "stale"},
				{Vault: vaultA, Kind: KindKey, Name: "signing", Expires: c.Now().Add(-36 * time.Hour)},
			}); err != nil {
				t.Fatal(err)
			}
			// The next listing of secrets no longer has "stale".
			if err := s.PutComponentDetails(ctx, []ComponentListing{{vaultA, KindSecret}}, []ComponentDetail{
				{Vault: vaultA, Kind: KindSecret, Name: "db", Enabled: &yes, Expires: exp},
				{Vault: vaultA, Kind: KindSecret, Name: "api", Enabled: &no},
			}); err != nil {
				t.Fatal(err)
			}
			res, _, err := s.ResourcesPage(ctx, ListFilter{})
			if err != nil || len(res) != 1 {
				t.Fatalf("resources %v, %v", res, err)
			}
			d, err := s.Resource(ctx, res[0].Ref)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, x := range d.Components {
				line := fmt.Sprintf("%s %s listed=%v", x.Kind, x.Name, x.Listed)
				if x.Enabled != nil {
					line += fmt.Sprintf(" enabled=%v", *x.Enabled)
				}
				if days, ok := x.ExpiresIn(d.Resource.LastSeen); ok {
					line += fmt.Sprintf(" %s (%d days)", x.Expires.Format("2006-01-02 15:04"), days)
				}
				for _, f := range x.Findings {
					line += " " + f.Recommendation + ":" + string(f.Effective)
				}
				got = append(got, line)
			}
			day := func(h time.Duration) string { return c.Now().Add(h).Format("2006-01-02 15:04") }
			want := []string{
				"key signing listed=true " + day(-36*time.Hour) + " (-2 days) key-expiry:Healthy",
				"secret api listed=true enabled=false secret-expiry:Unhealthy",
				"secret db listed=true enabled=true " + day(10*24*time.Hour+time.Hour) + " (10 days) secret-expiry:Healthy",
				" orphan listed=false key-expiry:Healthy",
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("components (-want +got):\n%s", diff)
			}
			if err := s.PutComponentDetails(ctx, nil, []ComponentDetail{{Vault: vaultA, Kind: "blob", Name: "x"}}); err == nil {
				t.Error("a component of an unknown kind was recorded")
			}
			// A pushed report's resource of the same ID: no live record.
			sc, err := s.Begin(ctx, "repo:infra", Repository, Labels{Repository: "org/infra"})
			if err != nil {
				t.Fatal(err)
			}
			ri := &ResourceInfo{ID: vaultA, Name: filepath.Base(vaultA), SourceKind: "terraform", File: "main.tf"}
			if err := sc.IngestRows(ctx, func(y func(Row) bool) {
				_ = y(Row{Resource: ri, Recommendation: "secret-expiry", Component: "db", Status: "Healthy"}) &&
					y(Row{Resource: ri, Recommendation: "secret-expiry", Status: "Healthy"})
			}, nil, nil); err != nil {
				t.Fatal(err)
			}
			if err := sc.Complete(context.Background()); err != nil {
				t.Fatal(err)
			}
			res, _, err = s.ResourcesPage(ctx, ListFilter{ViewFilter: ViewFilter{Source: "repository"}})
			if err != nil || len(res) != 1 {
				t.Fatalf("repository resources %v, %v", res, err)
			}
			d, err = s.Resource(ctx, res[0].Ref)
			if err != nil {
				t.Fatal(err)
			}
			if len(d.Components) != 1 || d.Components[0].Listed || d.Components[0].Name != "db" {
				t.Errorf("the pushed resource's components: %+v", d.Components)
			}
		})
	}
}

// TestExpiresIn: whole days from the scan, rounded towards the past.
func TestExpiresIn(t *testing.T) {
	at := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		exp  time.Duration
		want int
	}{{0, 0}, {time.Hour, 0}, {24 * time.Hour, 1}, {47 * time.Hour, 1}, {-time.Hour, -1}, {-24 * time.Hour, -1}, {-25 * time.Hour, -2}} {
		c := ComponentRow{Expires: at.Add(tc.exp)}
		if got, ok := c.ExpiresIn(at); !ok || got != tc.want {
			t.Errorf("%v: %d %v, want %d", tc.exp, got, ok, tc.want)
		}
	}
	if _, ok := (&ComponentRow{}).ExpiresIn(at); ok {
		t.Error("no expiry has days")
	}
}
