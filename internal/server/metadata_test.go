package server

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kvguard/kvguard/internal/store"
	"github.com/kvguard/kvguard/internal/testsupport/pgtest"
	"github.com/kvguard/kvguard/internal/testsupport/testclock"
)

// addMetadata records what a live scan would beside estate()'s verdicts:
// subA below Production, subB below Development, both below the tenant
// root; kv-1's secrets and a key, one expiring 10 days after the scan,
// one expired 2 days before it, one without expiry.
func addMetadata(t *testing.T, f *fixture) {
	t.Helper()
	ctx := t.Context()
	root := store.ManagementGroup{Name: "tenant-root", DisplayName: "Tenant Root Group"}
	if err := f.st.PutAncestry(ctx, []store.SubscriptionAncestry{
		{Subscription: subA, Groups: []store.ManagementGroup{{Name: "mg-prod", DisplayName: "Production"}, root}},
		{Subscription: subB, Groups: []store.ManagementGroup{{Name: "mg-dev", DisplayName: "Development"}, root}},
	}); err != nil {
		t.Fatal(err)
	}
	yes, no := true, false
	scanned := f.clock.Now() // the fixture's scan completed at this instant
	kv1 := vaultID(subA, "rg-1", "kv-1")
	if err := f.st.PutComponentDetails(ctx, []store.ComponentListing{{Vault: kv1, Kind: store.KindSecret}, {Vault: kv1, Kind: store.KindKey}},
		[]store.ComponentDetail{
			{Vault: kv1, Kind: store.KindSecret, Name: "db-password", Enabled: &yes, Expires: scanned.Add(10*24*time.Hour + time.Hour)},
			{Vault: kv1, Kind: store.KindSecret, Name: "api-token", Enabled: &no},
			{Vault: kv1, Kind: store.KindKey, Name: "signing", Enabled: &yes, Expires: scanned.Add(-2 * 24 * time.Hour)},
		}); err != nil {
		t.Fatal(err)
	}
}

// newFixtureOn is newFixture on a database of the engine's.
func newFixtureOn(t *testing.T, e pgtest.Engine) *fixture {
	t.Helper()
	c := testclock.At(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
	st, err := store.Open(context.Background(), e.DSN, store.Options{Now: c.Now, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	scanRows(t, st, "tenant", estate())
	fs := &fakeScanner{st: st}
	srv, err := New(Options{Store: st, Scanner: fs, Now: c.Now, CSRFKey: []byte("test-key")})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return &fixture{st: st, clock: c, srv: srv, ts: ts, scanner: fs}
}

// TestManagementGroupViews: the pages and the API filter by management
// group (either spelling of the parameter), the form offers the groups,
// and the resource page and endpoint show the subscription's groups and
// the vault's components with their expiry counted from the scan.
func TestManagementGroupViews(t *testing.T) {
	t.Parallel()
	for _, e := range pgtest.Engines(t, "kvguard_server_") {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			f := newFixtureOn(t, e)
			addMetadata(t, f)
			// The clock moves on: the page counts from the scan, not from now.
			f.clock.Add(5 * 24 * time.Hour)
			for _, tc := range []struct {
				path      string
				want, not []string
			}{
				{"/?managementGroup=mg-dev", []string{"deletion protection enabled Medium 1 1 0 0", "expiration date High 0 1 1 0"}, nil},
				{"/?management_group=MG-PROD", []string{"deletion protection enabled Medium 2 2 0 0", "expiration date High 1 3 0 0"}, nil},
				{"/?managementGroup=tenant-root", []string{"Total 4 7 1 0"}, nil},
				{"/resources?managementGroup=mg-prod", []string{"kv-0", "kv-1", "kv-2", "kv-3"}, []string{"kv-4", "kv-5"}},
				{"/findings?managementGroup=mg-dev&status=Unknown", []string{"kv-5"}, []string{"kv-1", "kv-4"}},
				{"/resources/" + f.ref(t, "kv-1"), []string{
					"Management groups Production ‹ Tenant Root Group",
					"api-token secret no none none",
					"db-password secret yes 2026-11-12 expires in 10 days Unhealthy keyvault-secret-expiry",
					"signing key yes 2026-10-31 expired 2 days ago none",
				}, nil},
			} {
				t.Run(tc.path, func(t *testing.T) {
					checkPage(t, f, tc.path, tc.want, tc.not)
				})
			}
			_, form := f.get(t, "/?managementGroup=mg-dev", "")
			if !strings.Contains(form, `<option value="mg-dev" selected>Development (mg-dev)</option>`) ||
				!strings.Contains(form, `<option value="mg-prod">Production (mg-prod)</option>`) {
				t.Errorf("the filter form does not offer the groups:\n%s", form)
			}

			names := func(path string) []string {
				t.Helper()
				code, body := f.get(t, path, "")
				if code != http.StatusOK {
					t.Fatalf("%s: %d %s", path, code, body)
				}
				var page struct{ Items []struct{ Name string } }
				if err := json.Unmarshal([]byte(body), &page); err != nil {
					t.Fatal(err)
				}
				var out []string
				for _, it := range page.Items {
					out = append(out, it.Name)
				}
				return out
			}
			if diff := cmp.Diff([]string{"kv-4", "kv-5"}, names("/api/v1/resources?managementGroup=mg-dev")); diff != "" {
				t.Errorf("API resources (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"kv-0", "kv-2"}, names("/api/v1/findings?management_group=mg-prod&status=Unhealthy&recommendation=keyvault-purge-protection")); diff != "" {
				t.Errorf("API findings (-want +got):\n%s", diff)
			}
			if got := names("/api/v1/resources?managementGroup=nowhere"); len(got) != 0 {
				t.Errorf("an unknown group matched %v", got)
			}
			_, body := f.get(t, "/api/v1/summary?managementGroup=mg-dev", "")
			var sum struct{ Recommendations []apiCount }
			if err := json.Unmarshal([]byte(body), &sum); err != nil {
				t.Fatal(err)
			}
			if len(sum.Recommendations) != 2 || sum.Recommendations[0].Healthy+sum.Recommendations[0].Unhealthy+sum.Recommendations[0].Unknown != 2 {
				t.Errorf("API summary: %s", body)
			}

			_, body = f.get(t, "/api/v1/resources/"+f.ref(t, "kv-1"), "")
			var d struct {
				ManagementGroups []store.ManagementGroup
				Components       []struct {
					Name, Kind    string
					Listed        bool
					Enabled       *bool
					Expires       *time.Time
					ExpiresInDays *int
					Findings      []struct{ Recommendation, Status string }
				}
			}
			if err := json.Unmarshal([]byte(body), &d); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range d.Components {
				line := c.Kind + " " + c.Name
				if c.Expires != nil && c.ExpiresInDays != nil {
					line += " " + c.Expires.Format(time.DateOnly) + " " + time.Duration(*c.ExpiresInDays*24*int(time.Hour)).String()
				}
				for _, x := range c.Findings {
					line += " " + x.Recommendation + "=" + x.Status
				}
				got = append(got, line)
			}
			want := []string{"key signing 2026-10-31 -48h0m0s", "secret api-token",
				"secret db-password 2026-11-12 240h0m0s keyvault-secret-expiry=Unhealthy"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("API components (-want +got):\n%s", diff)
			}
			if len(d.ManagementGroups) != 2 || d.ManagementGroups[0].Name != "mg-prod" {
				t.Errorf("API management groups: %+v", d.ManagementGroups)
			}
		})
	}
}
