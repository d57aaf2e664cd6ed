package assess

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kvguard/kvguard/internal/catalog"
	"github.com/kvguard/kvguard/internal/resource"
)

var now = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

const sub = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/"

func vault(name string, props map[string]any) *resource.Document {
	id := sub + "Microsoft.KeyVault/vaults/" + name
	return &resource.Document{ID: id, Type: resource.TypeVault, Name: name,
		Body: map[string]any{"id": id, "name": name, "type": resource.TypeVault, "location": "eastus", "properties": props}}
}

func healthyProps(name string) map[string]any {
	return map[string]any{
		"enableRbacAuthorization": true, "enableSoftDelete": true, "publicNetworkAccess": "Disabled",
		"vaultUri":                   "https://" + name + ".vault.azure.net/",
		"privateEndpointConnections": []any{map[string]any{"properties": map[string]any{"privateLinkServiceConnectionState": map[string]any{"status": "Approved"}}}},
	}
}

func secret(parent resource.Ref, name string, attrs resource.ObjectAttributes) *resource.Document {
	id := parent.ID + "/secrets/" + name
	if parent.ID == "" {
		id = "https://" + parent.Host + "/secrets/" + name
	}
	return resource.NewComponent(resource.TypeSecret, parent, id, name, attrs, nil)
}

// defender is the Defender catalog the tests judge with.
func defender(tb testing.TB) *catalog.Catalog {
	tb.Helper()
	cat, err := catalog.Defender(catalog.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	return cat
}

func run(t *testing.T, opts Options, docs ...*resource.Document) *Result {
	t.Helper()
	cat := defender(t)
	opts.Now = now
	a := New(cat, opts)
	for _, d := range docs {
		a.Add(d)
	}
	return a.Finish(context.Background())
}

// find returns the assessment of a recommendation on a resource name.
func find(t *testing.T, r *Result, rec, name string) *Assessment {
	t.Helper()
	for _, a := range r.Assessments {
		if a.Recommendation.ID == rec && a.Resource.Name == name {
			return a
		}
	}
	t.Fatalf("no %s assessment for %s; have %d assessments", rec, name, len(r.Assessments))
	return nil
}

func TestResourceRecommendations(t *testing.T) {
	t.Parallel()
	r := run(t, Options{}, vault("good", healthyProps("good")), vault("bare", map[string]any{}))
	for _, rec := range []string{"keyvault-rbac", "keyvault-soft-delete", "keyvault-firewall", "keyvault-private-link"} {
		if a := find(t, r, rec, "good"); a.Status != Healthy {
			t.Errorf("%s on good: %s (%s)", rec, a.Status, a.Reason)
		}
		if a := find(t, r, rec, "bare"); a.Status != Unhealthy {
			t.Errorf("%s on bare: %s (%s)", rec, a.Status, a.Reason)
		}
	}
	rbac := find(t, r, "keyvault-rbac", "bare")
	if !strings.Contains(rbac.Reason, "enableRbacAuthorization: (absent)") {
		t.Errorf("RBAC reason does not show the value: %q", rbac.Reason)
	}
	hasPath := false
	for _, d := range rbac.Details {
		hasPath = hasPath || (d.Path == "properties.enableRbacAuthorization" && d.Operator == "exists" && d.Actual == nil)
	}
	if !hasPath {
		t.Errorf("RBAC details lack the alias path: %+v", rbac.Details)
	}
	fw := find(t, r, "keyvault-firewall", "bare")
	if !strings.Contains(fw.Reason, "networkAcls.defaultAction: (absent)") || !strings.Contains(fw.Reason, "publicNetworkAccess: (absent)") {
		t.Errorf("firewall reason: %q", fw.Reason)
	}
	if got := find(t, r, "keyvault-private-link", "bare").Reason; !strings.Contains(got, "status: none") {
		t.Errorf("private link reason: %q", got)
	}
	// Data-plane recommendations on vaults without secrets or keys.
	for _, rec := range []string{"keyvault-secret-expiry", "keyvault-key-expiry"} {
		if a := find(t, r, rec, "good"); a.Status != NotApplicable {
			t.Errorf("%s without components: %s", rec, a.Status)
		}
	}
	if r.Summary.Inventory.Found != 2 || r.Summary.Inventory.Judged != 2 || r.Summary.Inventory.Unreadable != 0 {
		t.Errorf("inventory %+v", r.Summary.Inventory)
	}
}

func TestRollUp(t *testing.T) {
	t.Parallel()
	v := vault("kv", healthyProps("kv"))
	ref := resource.Ref{ID: v.ID}
	exp := resource.ObjectAttributes{Enabled: true, Expires: "2027-01-01T00:00:00Z"}
	cases := []struct {
		name       string
		opts       Options
		secrets    []*resource.Document
		want       Status
		reasonPart string
	}{
		{"all with expiry", Options{}, []*resource.Document{secret(ref, "a", exp), secret(ref, "b", exp)}, Healthy, "all 2 secrets pass"},
		{"one without", Options{}, []*resource.Document{secret(ref, "b", exp), secret(ref, "a", resource.ObjectAttributes{Enabled: true})}, Unhealthy, "1 of 2 secrets has no expiration date: a"},
		{"disabled without expiry counts", Options{}, []*resource.Document{secret(ref, "a", exp), secret(ref, "off", resource.ObjectAttributes{Enabled: false})}, Unhealthy, "off"},
		{"enabled-only skips disabled", Options{EnabledOnly: true}, []*resource.Document{secret(ref, "a", exp), secret(ref, "off", resource.ObjectAttributes{Enabled: false})}, Healthy, "the only secret passes"},
		{"enabled-only with only disabled", Options{EnabledOnly: true}, []*resource.Document{secret(ref, "off", resource.ObjectAttributes{Enabled: false})}, NotApplicable, "disabled"},
		{"unknown expiry is set", Options{}, []*resource.Document{secret(ref, "a", resource.ObjectAttributes{Expires: resource.Unknown{Expr: "var.exp"}})}, Healthy, ""},
		{"two without", Options{}, []*resource.Document{secret(ref, "x", resource.ObjectAttributes{}), secret(ref, "y", resource.ObjectAttributes{})}, Unhealthy, "2 of 2 secrets have no expiration date: x, y"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			docs := append([]*resource.Document{vault("kv", healthyProps("kv"))}, c.secrets...)
			r := run(t, c.opts, docs...)
			a := find(t, r, "keyvault-secret-expiry", "kv")
			if a.Status != c.want || !strings.Contains(a.Reason, c.reasonPart) {
				t.Fatalf("got %s %q, want %s containing %q", a.Status, a.Reason, c.want, c.reasonPart)
			}
			if len(a.Components) != len(c.secrets) {
				t.Errorf("%d components listed, want %d", len(a.Components), len(c.secrets))
			}
			for i := 1; i < len(a.Components); i++ {
				if a.Components[i-1].Name > a.Components[i].Name {
					t.Errorf("components not sorted: %v", a.Components)
				}
			}
		})
	}
}

func TestComponentsOfVaultsNotInTheInput(t *testing.T) {
	t.Parallel()
	missingID := sub + "Microsoft.KeyVault/vaults/elsewhere"
	r := run(t, Options{},
		vault("known", healthyProps("known")),
		secret(resource.Ref{ID: missingID}, "s1", resource.ObjectAttributes{}),
		secret(resource.Ref{Host: "known.vault.azure.net"}, "viaurl", resource.ObjectAttributes{}),
		secret(resource.Ref{Host: "stranger.vault.azure.net"}, "s2", resource.ObjectAttributes{Expires: "2027-01-01T00:00:00Z"}),
	)
	if a := find(t, r, "keyvault-secret-expiry", "elsewhere"); a.Status != Unhealthy || !a.Resource.Placeholder || a.Resource.ID != missingID {
		t.Errorf("vault named by ID: %+v", a)
	}
	if a := find(t, r, "keyvault-secret-expiry", "known"); a.Status != Unhealthy || !strings.Contains(a.Reason, "viaurl") {
		t.Errorf("secret linked by vaultUri host: %s %q", a.Status, a.Reason)
	}
	if a := find(t, r, "keyvault-secret-expiry", "stranger"); a.Status != Healthy || a.Resource.ID != "https://stranger.vault.azure.net/" {
		t.Errorf("vault named by host: %+v", a.Resource)
	}
	for _, a := range r.Assessments {
		if a.Resource.Placeholder && a.Recommendation.Component == "" {
			t.Errorf("placeholder judged on a control-plane recommendation: %s", a.Recommendation.ID)
		}
	}
	if r.HasErrors() {
		t.Errorf("components of absent vaults are not errors: %v", r.Errors)
	}
}

func TestPrivateEndpointLinking(t *testing.T) {
	t.Parallel()
	pe := func(name, target string, manual bool) *resource.Document {
		key := "privateLinkServiceConnections"
		if manual {
			key = "manualPrivateLinkServiceConnections"
		}
		id := sub + "Microsoft.Network/privateEndpoints/" + name
		return &resource.Document{ID: id, Type: resource.TypePrivateEndpoint, Name: name, Body: map[string]any{
			"id": id, "location": "eastus", "properties": map[string]any{key: []any{map[string]any{"name": "c", "properties": map[string]any{"privateLinkServiceId": target, "groupIds": []any{"vault"}}}}}}}
	}
	a, b, c := vault("auto", map[string]any{}), vault("manual", map[string]any{}), vault("unknowntarget", map[string]any{})
	r := run(t, Options{}, a, b, c, pe("pe1", strings.ToUpper(a.ID), false), pe("pe2", b.ID, true),
		&resource.Document{ID: sub + "Microsoft.Network/privateEndpoints/pe3", Type: resource.TypePrivateEndpoint, Name: "pe3", Body: map[string]any{"properties": map[string]any{
			"privateLinkServiceConnections": []any{map[string]any{"properties": map[string]any{"privateLinkServiceId": resource.Unknown{Expr: "module.kv.id"}}}}}}})
	if got := find(t, r, "keyvault-private-link", "auto").Status; got != Healthy {
		t.Errorf("automatic approval: %s", got)
	}
	if got := find(t, r, "keyvault-private-link", "manual"); got.Status != Unhealthy || !strings.Contains(got.Reason, "Pending") {
		t.Errorf("manual approval: %s %q", got.Status, got.Reason)
	}
	warned := false
	for _, e := range r.Errors {
		if e.Warning && strings.Contains(e.Msg, "module.kv.id") {
			warned = true
		}
	}
	if !warned {
		t.Errorf("an endpoint with an unknown target is not reported: %v", r.Errors)
	}
	// A live vault that already lists the endpoint does not get it twice.
	live := vault("live", map[string]any{"privateEndpointConnections": []any{map[string]any{"properties": map[string]any{
		"privateEndpoint": map[string]any{"id": sub + "Microsoft.Network/privateEndpoints/pe9"}, "privateLinkServiceConnectionState": map[string]any{"status": "Rejected"}}}}})
	run(t, Options{}, live, pe("pe9", live.ID, false))
	if conns := live.Body["properties"].(map[string]any)["privateEndpointConnections"].([]any); len(conns) != 1 {
		t.Errorf("connection duplicated: %d", len(conns))
	}
}

func TestGapsGiveUnknown(t *testing.T) {
	t.Parallel()
	locked := vault("locked", healthyProps("locked"))
	locked.Gaps = []resource.Gap{{Part: resource.TypeSecret, Err: "403 Forbidden"}}
	unreadable := &resource.Document{ID: sub + "Microsoft.KeyVault/vaults/dark", Type: resource.TypeVault, Name: "dark",
		Gaps: []resource.Gap{{Part: "properties", Err: "timeout"}}}
	r := run(t, Options{}, locked, unreadable, secret(resource.Ref{ID: locked.ID}, "seen", resource.ObjectAttributes{}))
	if a := find(t, r, "keyvault-secret-expiry", "locked"); a.Status != Unknown || !strings.Contains(a.Reason, "403 Forbidden") || !strings.Contains(a.Reason, "seen") {
		t.Errorf("secrets gap: %s %q", a.Status, a.Reason)
	}
	if a := find(t, r, "keyvault-key-expiry", "locked"); a.Status != NotApplicable {
		t.Errorf("keys were readable: %s", a.Status)
	}
	for _, rec := range []string{"keyvault-rbac", "keyvault-soft-delete", "keyvault-firewall", "keyvault-private-link"} {
		if a := find(t, r, rec, "dark"); a.Status != Unknown || !strings.Contains(a.Reason, "timeout") {
			t.Errorf("%s on unreadable vault: %s %q", rec, a.Status, a.Reason)
		}
	}
	inv := r.Summary.Inventory
	if inv.Found != 2 || inv.Unreadable != 2 || inv.Judged != 0 || inv.Found != inv.Judged+inv.Unreadable {
		t.Errorf("inventory %+v", inv)
	}
}

func TestUnknownValuesNameTheExpression(t *testing.T) {
	t.Parallel()
	r := run(t, Options{}, vault("iac", map[string]any{"enableRbacAuthorization": resource.Unknown{Expr: "var.rbac"}}))
	a := find(t, r, "keyvault-rbac", "iac")
	if a.Status != Unknown || !strings.Contains(a.Reason, "var.rbac") {
		t.Errorf("got %s %q", a.Status, a.Reason)
	}
}

func TestSuppressions(t *testing.T) {
	t.Parallel()
	pos := resource.Position{File: "main.tf", Line: 3}
	v := vault("kv", map[string]any{"enableRbacAuthorization": true})
	v.Suppressions = []resource.Suppression{
		{RuleID: "keyvault-firewall", Reason: "behind app gateway", Pos: pos},
		{RuleID: "keyvault-soft-delete", Reason: "legacy", Expires: now.AddDate(0, 0, -1), Pos: pos},
		{RuleID: "keyvault-rbac", Pos: pos},     // healthy: unused
		{RuleID: "keyvault-nonsense", Pos: pos}, // unknown id
		{RuleID: "a6abeaec-4d90-4a02-805f-6b26c4d3fbe9", Reason: "by policy GUID", Pos: pos},
	}
	s := secret(resource.Ref{ID: v.ID}, "tmp", resource.ObjectAttributes{})
	s.Suppressions = []resource.Suppression{{RuleID: "keyvault-secret-expiry", Reason: "rotated by job", Pos: pos}}
	r := run(t, Options{}, v, s)
	if a := find(t, r, "keyvault-firewall", "kv"); a.Status != Exempt || a.Exemption == nil || !strings.Contains(a.Reason, "behind app gateway") {
		t.Errorf("active suppression: %s %q", a.Status, a.Reason)
	}
	if a := find(t, r, "keyvault-soft-delete", "kv"); a.Status != Unhealthy || a.Exemption == nil || !a.Exemption.Expired || !strings.Contains(a.Reason, "expired") {
		t.Errorf("expired suppression: %s %q %+v", a.Status, a.Reason, a.Exemption)
	}
	if a := find(t, r, "keyvault-private-link", "kv"); a.Status != Exempt {
		t.Errorf("suppression by policy GUID: %s", a.Status)
	}
	if a := find(t, r, "keyvault-secret-expiry", "kv"); a.Status != Exempt || a.Components[0].Status != Exempt {
		t.Errorf("component suppression: %s %+v", a.Status, a.Components)
	}
	var unused, unknown bool
	for _, e := range r.Errors {
		unused = unused || (e.Warning && strings.Contains(e.Msg, "keyvault-rbac") && strings.Contains(e.Msg, "unused"))
		unknown = unknown || (e.Warning && strings.Contains(e.Msg, "keyvault-nonsense"))
	}
	if !unused || !unknown {
		t.Errorf("unused %v, unknown %v: %v", unused, unknown, r.Errors)
	}
	if r.HasErrors() {
		t.Errorf("suppression warnings must not be errors")
	}
}

func TestDuplicateIDs(t *testing.T) {
	t.Parallel()
	a := vault("kv", map[string]any{})
	a.Source = resource.Provenance{File: "list.json", StartLine: 2}
	a.Gaps = []resource.Gap{{Part: "properties", Err: "az keyvault list output"}}
	b := vault("KV", map[string]any{"enableRbacAuthorization": true})
	b.ID = strings.ToUpper(b.ID)
	b.Source = resource.Provenance{File: "show.json", StartLine: 1}
	r := run(t, Options{}, a, b)
	// The list item adds nothing to the shown vault: a warning, not an
	// error (az keyvault list beside az keyvault show is how people save).
	if r.HasErrors() || len(r.Errors) != 1 || !r.Errors[0].Warning || !strings.Contains(r.Errors[0].Error(), "show.json:1") || !strings.Contains(r.Errors[0].Msg, "list.json:2") {
		t.Fatalf("errors: %v", r.Errors)
	}
	n := 0
	for _, x := range r.Assessments {
		if x.Recommendation.ID == "keyvault-rbac" {
			n++
			if x.Status != Healthy {
				t.Errorf("the copy with properties should be judged: %s", x.Status)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d RBAC assessments for one vault", n)
	}
}

func TestFailOnThreshold(t *testing.T) {
	t.Parallel()
	// Only medium findings: the private link and firewall recommendations.
	props := healthyProps("kv")
	delete(props, "privateEndpointConnections")
	r := run(t, Options{}, vault("kv", props))
	if err := r.Check(High); err != nil {
		t.Errorf("--fail-on high with only medium findings: %v", err)
	}
	if err := r.Check(Medium); err != ErrFindings {
		t.Errorf("--fail-on medium: %v", err)
	}
}

// TestDeploymentsKeptApart: two deployments of one template declare the
// same (placeholder) vault ID; each keeps its own verdicts, secrets and
// private endpoint, and no duplicate is reported. The same ID twice in
// saved data is still a duplicate.
func TestDeploymentsKeptApart(t *testing.T) {
	t.Parallel()
	mk := func(dep string, rbac bool, withPE bool, secretExp any) []*resource.Document {
		v := vault("kv-app", map[string]any{"enableRbacAuthorization": rbac})
		v.Deployment, v.Source = dep, resource.Provenance{Kind: "bicep", File: dep, StartLine: 1, Address: "kv"}
		s := secret(resource.Ref{ID: v.ID}, "db", resource.ObjectAttributes{Expires: secretExp})
		s.Deployment = dep
		docs := []*resource.Document{v, s}
		if withPE {
			id := sub + "Microsoft.Network/privateEndpoints/pe"
			docs = append(docs, &resource.Document{ID: id, Type: resource.TypePrivateEndpoint, Name: "pe", Deployment: dep, Body: map[string]any{
				"properties": map[string]any{"privateLinkServiceConnections": []any{map[string]any{"properties": map[string]any{"privateLinkServiceId": v.ID}}}}}})
		}
		return docs
	}
	docs := append(mk("prod/main.bicep", true, true, "2027-01-01T00:00:00Z"), mk("dev/main.bicep", false, false, nil)...)
	r := run(t, Options{}, docs...)
	if r.HasErrors() {
		t.Fatalf("deployments of one template are not duplicates: %v", r.Errors)
	}
	got := map[string]Status{}
	for _, a := range r.Assessments {
		got[a.Recommendation.ID+"@"+a.Resource.Source.File] = a.Status
	}
	want := map[string]Status{
		"keyvault-rbac@prod/main.bicep": Healthy, "keyvault-rbac@dev/main.bicep": Unhealthy,
		"keyvault-private-link@prod/main.bicep": Healthy, "keyvault-private-link@dev/main.bicep": Unhealthy,
		"keyvault-secret-expiry@prod/main.bicep": Healthy, "keyvault-secret-expiry@dev/main.bicep": Unhealthy,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s, want %s (all: %v)", k, got[k], v, got)
		}
	}
	// Saved data: the same ID twice is reported; copies that disagree are
	// an input error, since only one is judged; identical ones a warning.
	r = run(t, Options{}, vault("kv-app", map[string]any{"enableRbacAuthorization": true}), vault("kv-app", map[string]any{}))
	if !r.HasErrors() {
		t.Error("disagreeing copies of an existing resource must be an error")
	}
	r = run(t, Options{}, vault("kv-app", map[string]any{}), vault("kv-app", map[string]any{}))
	if r.HasErrors() || len(r.Errors) != 1 || !r.Errors[0].Warning {
		t.Errorf("identical copies of an existing resource: want one warning, got %v", r.Errors)
	}
}

// TestAmbiguousHostIsDeterministic: a secret listed by host belongs to
// the first (in file order) of two vaults sharing that host, whatever
// order they arrive in, and a warning names both.
func TestAmbiguousHostIsDeterministic(t *testing.T) {
	t.Parallel()
	mk := func(sub, file string) *resource.Document {
		v := vault("kv-pay", healthyProps("kv-pay"))
		v.ID = strings.Replace(v.ID, "00000000-0000-0000-0000-000000000001", sub, 1)
		v.Source = resource.Provenance{Kind: "azure-json", File: file, StartLine: 3}
		return v
	}
	first, second := mk("aaaaaaaa-0000-0000-0000-000000000001", "a.json"), mk("bbbbbbbb-0000-0000-0000-000000000001", "b.json")
	s := secret(resource.Ref{Host: "kv-pay.vault.azure.net"}, "db", resource.ObjectAttributes{})
	for _, order := range [][]*resource.Document{{first, second, s}, {s, second, first}} {
		r := run(t, Options{}, order...)
		for _, a := range r.Assessments {
			if a.Recommendation.ID != "keyvault-secret-expiry" {
				continue
			}
			want := Unknown // saved JSON with no secret list for it
			if a.Resource.Source.File == "a.json" {
				want = Unhealthy
			}
			if a.Status != want {
				t.Errorf("%s: %s, want %s", a.Resource.Source.File, a.Status, want)
			}
		}
		warned := false
		for _, e := range r.Errors {
			warned = warned || (e.Warning && strings.Contains(e.Msg, "a.json:3") && strings.Contains(e.Msg, "b.json:3"))
		}
		if !warned {
			t.Errorf("no warning names both vaults: %v", r.Errors)
		}
	}
}

// TestSecretsNeverListed: saved Azure JSON cannot show that a vault has no
// secrets or keys (an empty az keyvault secret list names no vault), so a
// vault read from it with no list of its own is Unknown on secret and key
// expiry, saying how to supply one. A live scan and a kvguard snapshot
// record the lists they read, and IaC declares what it creates: there no
// secrets means NotApplicable.
func TestSecretsNeverListed(t *testing.T) {
	t.Parallel()
	cases := []struct {
		kind      string
		want      Status
		inReasons []string
	}{
		{"azure-json", Unknown, []string{"az keyvault secret list --vault-name kv-saved -o json", "--azure"}},
		{"snapshot", NotApplicable, []string{"no secrets in the input"}},
		{"azure", NotApplicable, []string{"no secrets in the input"}},
		{"terraform", NotApplicable, []string{"no secrets in the input"}},
	}
	for _, c := range cases {
		t.Run(c.kind, func(t *testing.T) {
			t.Parallel()
			v := vault("kv-saved", healthyProps("kv-saved"))
			v.Source = resource.Provenance{Kind: c.kind, File: "in.json", StartLine: 1}
			r := run(t, Options{}, v)
			a := find(t, r, "keyvault-secret-expiry", "kv-saved")
			if a.Status != c.want {
				t.Fatalf("secret expiry: %s (%s), want %s", a.Status, a.Reason, c.want)
			}
			for _, w := range c.inReasons {
				if !strings.Contains(a.Reason, w) {
					t.Errorf("reason %q lacks %q", a.Reason, w)
				}
			}
			if k := find(t, r, "keyvault-key-expiry", "kv-saved"); c.kind == "azure-json" && !strings.Contains(k.Reason, "az keyvault key list --vault-name kv-saved") {
				t.Errorf("key expiry reason %q", k.Reason)
			}
		})
	}
	// With its secrets listed, the saved vault is judged on them.
	v := vault("kv-saved", healthyProps("kv-saved"))
	v.Source = resource.Provenance{Kind: "azure-json", File: "in.json", StartLine: 1}
	s := secret(resource.Ref{ID: v.ID}, "db", resource.ObjectAttributes{Enabled: true, Expires: "2027-01-01T00:00:00Z"})
	if a := find(t, run(t, Options{}, v, s), "keyvault-secret-expiry", "kv-saved"); a.Status != Healthy {
		t.Errorf("listed secrets: %s (%s)", a.Status, a.Reason)
	}
}
