package assess

import (
	"context"
	"strings"
	"testing"

	"github.com/kvguard/kvguard/internal/policy"
	"github.com/kvguard/kvguard/internal/resource"
)

// diagnosticsDefinition is an auditIfNotExists rule: a vault needs a
// diagnostic setting with some log enabled.
const diagnosticsDefinition = `{"name": "kv-diagnostics", "properties": {"displayName": "Vaults send logs", "mode": "Indexed",
  "policyRule": {"if": {"field": "type", "equals": "Microsoft.KeyVault/vaults"},
    "then": {"effect": "auditIfNotExists", "details": {"type": "Microsoft.Insights/diagnosticSettings",
      "existenceCondition": {"count": {"field": "Microsoft.Insights/diagnosticSettings/logs[*]", "where": {"field": "Microsoft.Insights/diagnosticSettings/logs[*].enabled", "equals": "true"}}, "greater": 0}}}}}}`

// runWithDiagnostics judges docs with the Defender catalog plus
// diagnosticsDefinition.
func runWithDiagnostics(t *testing.T, docs ...*resource.Document) *Result {
	t.Helper()
	cat := defender(t)
	def, err := policy.ParseDefinition([]byte(diagnosticsDefinition), "kv-diagnostics.json")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cat.AddDefinition(def, nil); err != nil {
		t.Fatal(err)
	}
	a := New(cat, Options{Now: now})
	for _, d := range docs {
		a.Add(d)
	}
	return a.Finish(context.Background())
}

func diagnosticSetting(parent *resource.Document, enabled bool) *resource.Document {
	id := parent.ID + "/providers/Microsoft.Insights/diagnosticSettings/audit"
	return &resource.Document{ID: id, Type: resource.TypeDiagnosticSetting, Name: "audit", Parent: resource.Ref{ID: parent.ID},
		Deployment: parent.Deployment, Body: map[string]any{"id": id, "name": "audit", "type": resource.TypeDiagnosticSetting,
			"properties": map[string]any{"logs": []any{map[string]any{"categoryGroup": "audit", "enabled": enabled}}}}}
}

// TestUnfollowedModules: a vault handed to a module that was not read is
// judged (not unreadable). Its own settings are judged as usual; what the
// module could create (secrets, keys, private endpoints, diagnostic
// settings) decides only when what is known already decides: a failing
// known secret, a known approved endpoint, a known matching diagnostic
// setting. Otherwise the verdict is Unknown and names the module.
func TestUnfollowedModules(t *testing.T) {
	t.Parallel()
	const module = `module "pe" (br/public:avm/res/network/private-endpoint:0.7.0)`
	approved := []any{map[string]any{"properties": map[string]any{"privateLinkServiceConnectionState": map[string]any{"status": "Approved"}}}}
	mk := func(name string, props map[string]any) *resource.Document {
		v := vault(name, props)
		v.Deployment = "main.bicep"
		v.MarkUnfollowed(module, "not in the Bicep restore cache")
		return v
	}
	bare := mk("kv-bare", map[string]any{"enableRbacAuthorization": true, "publicNetworkAccess": "Enabled"})
	linked := mk("kv-linked", map[string]any{"enableRbacAuthorization": false, "privateEndpointConnections": approved})
	failing := mk("kv-failing", map[string]any{})
	passing := mk("kv-passing", map[string]any{})
	comp := func(v *resource.Document, name string, attrs resource.ObjectAttributes) *resource.Document {
		s := secret(resource.Ref{ID: v.ID}, name, attrs)
		s.Deployment = v.Deployment
		return s
	}
	r := runWithDiagnostics(t, bare, linked, failing, passing,
		diagnosticSetting(linked, true), diagnosticSetting(failing, false),
		comp(failing, "no-expiry", resource.ObjectAttributes{Enabled: true}),
		comp(passing, "expires", resource.ObjectAttributes{Enabled: true, Expires: "2027-01-01T00:00:00Z"}))
	cases := []struct {
		rec, vault string
		want       Status
	}{
		{"keyvault-rbac", "kv-bare", Healthy},       // the vault's own setting
		{"keyvault-firewall", "kv-bare", Unhealthy}, // the vault's own setting
		{"keyvault-rbac", "kv-linked", Unhealthy},
		{"keyvault-private-link", "kv-bare", Unknown},
		{"keyvault-private-link", "kv-linked", Healthy},
		{"kv-diagnostics", "kv-bare", Unknown},
		{"kv-diagnostics", "kv-linked", Healthy},
		{"kv-diagnostics", "kv-failing", Unknown}, // a known setting that does not match: the module may add one
		{"keyvault-secret-expiry", "kv-bare", Unknown},
		{"keyvault-secret-expiry", "kv-failing", Unhealthy},
		{"keyvault-secret-expiry", "kv-passing", Unknown},
		{"keyvault-key-expiry", "kv-passing", Unknown},
	}
	for _, c := range cases {
		a := find(t, r, c.rec, c.vault)
		if a.Status != c.want {
			t.Errorf("%s on %s: %s (%s), want %s", c.rec, c.vault, a.Status, a.Reason, c.want)
		}
		if a.Status == Unknown && !strings.Contains(a.Reason, module) {
			t.Errorf("%s on %s: Unknown without naming the module: %q", c.rec, c.vault, a.Reason)
		}
	}
	if inv := r.Summary.Inventory; inv.Found != 4 || inv.Judged != 4 || inv.Unreadable != 0 {
		t.Errorf("inventory %+v: a vault with an unfollowed module is judged, not unreadable", inv)
	}
	// Without the module, the same vault is Unhealthy where nothing was found.
	plain := vault("kv-plain", map[string]any{})
	r = runWithDiagnostics(t, plain)
	for _, rec := range []string{"keyvault-private-link", "kv-diagnostics"} {
		if a := find(t, r, rec, "kv-plain"); a.Status != Unhealthy {
			t.Errorf("%s without an unfollowed module: %s", rec, a.Status)
		}
	}
}
