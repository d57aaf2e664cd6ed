package cli

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kvguard/kvguard/internal/azuresim"
)

// TestServeRecordsMetadata: kvguard serve's live scan of the demo estate
// (jobs, simulator) records each subscription's management groups, which
// the views filter on, and each vault's secrets, keys and certificates
// with their expiry, which the resource endpoint and page list.
func TestServeRecordsMetadata(t *testing.T) {
	t.Parallel()
	s := serveDemo(t)
	s.scanDone(t)
	est := s.demo.Simulator().Estate()

	type item struct {
		Ref  int64
		Name string
	}
	resources := func(query string) []item {
		t.Helper()
		var page struct{ Items []item }
		if err := json.Unmarshal([]byte(s.get(t, "/api/v1/resources?limit=500&"+query)), &page); err != nil {
			t.Fatal(err)
		}
		return page.Items
	}
	names := func(items []item) []string {
		var out []string
		for _, it := range items {
			out = append(out, it.Name)
		}
		sort.Strings(out)
		return out
	}
	vaultsOf := func(subs ...*azuresim.Subscription) []string {
		var out []string
		for _, sub := range subs {
			for _, v := range sub.Vaults {
				out = append(out, v.Name)
			}
		}
		sort.Strings(out)
		return out
	}
	subs := est.Subscriptions
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"managementGroup=demo-production", vaultsOf(subs[0], subs[1])},
		{"management_group=demo-development", vaultsOf(subs[2])},
		{"managementGroup=kvguard-demo", vaultsOf(subs...)},
		{"managementGroup=" + est.TenantID, vaultsOf(subs...)},
	} {
		if diff := cmp.Diff(tc.want, names(resources(tc.query))); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.query, diff)
		}
	}
	if n := len(vaultsOf(subs[2])); n == 0 || n == 24 {
		t.Fatalf("development holds %d of the 24 vaults", n)
	}

	// A vault's components as the estate has them: kind, name, expiry.
	v := subs[0].Vaults[0]
	var want []string
	add := func(kind string, objs []azuresim.Object) {
		for _, o := range objs {
			exp := "none"
			if o.Expires != 0 {
				exp = time.Unix(o.Expires, 0).UTC().Format(time.RFC3339)
			}
			want = append(want, fmt.Sprintf("%s %s enabled=%v %s", kind, o.Name, o.Enabled, exp))
		}
	}
	add("certificate", v.Certificates)
	add("key", v.Keys)
	add("secret", v.Secrets)
	sort.Strings(want)
	var ref int64
	for _, it := range resources("managementGroup=demo-production") {
		if it.Name == v.Name {
			ref = it.Ref
		}
	}
	var d struct {
		Resource         struct{ LastSeen time.Time }
		ManagementGroups []struct{ Name, DisplayName string }
		Components       []struct {
			Name, Kind    string
			Listed        bool
			Enabled       *bool
			Expires       *time.Time
			ExpiresInDays *int
		}
	}
	if err := json.Unmarshal([]byte(s.get(t, fmt.Sprintf("/api/v1/resources/%d", ref))), &d); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range d.Components {
		exp := "none"
		if c.Expires != nil {
			exp = c.Expires.Format(time.RFC3339)
			days := int(c.Expires.Sub(d.Resource.LastSeen).Hours() / 24)
			if c.ExpiresInDays == nil || (*c.ExpiresInDays != days && *c.ExpiresInDays != days-1) {
				t.Errorf("%s expires %s, %v days after %s", c.Name, exp, c.ExpiresInDays, d.Resource.LastSeen)
			}
		}
		if !c.Listed || c.Enabled == nil {
			t.Errorf("%s: listed %v, enabled %v", c.Name, c.Listed, c.Enabled)
			continue
		}
		got = append(got, fmt.Sprintf("%s %s enabled=%v %s", c.Kind, c.Name, *c.Enabled, exp))
	}
	sort.Strings(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("components of %s (-want +got):\n%s", v.Name, diff)
	}
	var chain []string
	for _, g := range d.ManagementGroups {
		chain = append(chain, g.Name+"="+g.DisplayName)
	}
	if diff := cmp.Diff([]string{"demo-production=Production", "kvguard-demo=kvguard demo", est.TenantID + "=Tenant Root Group"}, chain); diff != "" {
		t.Errorf("management groups (-want +got):\n%s", diff)
	}
	page := text(s.get(t, fmt.Sprintf("/resources/%d", ref)))
	if !strings.Contains(page, "Management groups Production ‹ kvguard demo ‹ Tenant Root Group") || !strings.Contains(page, "Components") {
		t.Errorf("the resource page lacks the groups or the components:\n%s", page)
	}
}
