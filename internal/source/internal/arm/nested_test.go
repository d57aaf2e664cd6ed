package arm

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kvguard/kvguard/internal/armexpr"
	"github.com/kvguard/kvguard/internal/resource"
)

const rgPrefix = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/kvguard-rg/providers/"

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func mustGet(t *testing.T, d *resource.Document, path ...string) any {
	t.Helper()
	if d == nil {
		t.Fatalf("no document")
	}
	v, _ := d.Get(path...)
	return v
}

// TestNest checks the API other front ends use to evaluate a template as
// a nested deployment: a file with parameter values, or a template given
// as data, into a shared Mapper.
func TestNest(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := writeFile(t, dir, "vault.json", `{
  "contentVersion": "1.0.0.0",
  "parameters": {"vaultName": {"type": "string"}, "rbac": {"type": "bool", "defaultValue": false}},
  "resources": [
    {"type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-07-01", "name": "[parameters('vaultName')]",
     "properties": {"enableRbacAuthorization": "[parameters('rbac')]", "rg": "[resourceGroup().name]", "dep": "[deployment().name]"}},
    {"type": "Microsoft.KeyVault/vaults/secrets", "apiVersion": "2023-07-01", "name": "[format('{0}/s', parameters('vaultName'))]",
     "properties": {"attributes": {"exp": 1798761600}}}
  ],
  "outputs": {"id": {"type": "string", "value": "[resourceId('Microsoft.KeyVault/vaults', parameters('vaultName'))]"},
    "uri": {"type": "string", "value": "[reference(parameters('vaultName')).vaultUri]"}}
}`)
	m := NewMapper(nil, nil)
	var problems []*resource.InputError
	report := func(e *resource.InputError) { problems = append(problems, e) }
	ctx := armexpr.DefaultDeployment()
	ctx.ResourceGroup, ctx.DeploymentName = "other-rg", "vaultModule"
	n, err := New(Options{}).Nest(t.Context(), Deployment{
		Path: path, Parameters: map[string]any{"vaultName": resource.Unknown{Expr: "name"}, "rbac": true},
		NameParameters: map[string]string{"vaultName": "kv-[parameters('name')]"},
		Context:        ctx, Address: "vaultModule::",
	}, m, report)
	if err != nil {
		t.Fatal(err)
	}
	outs := n.Outputs()
	vaultID := "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/other-rg/providers/Microsoft.KeyVault/vaults/kv-[parameters('name')]"
	if !resource.IsUnknown(outs["id"]) || !resource.IsUnknown(outs["uri"]) {
		t.Errorf("outputs = %#v", outs)
	}
	if mode := n.Properties()["mode"]; mode != "Incremental" {
		t.Errorf("mode = %v", mode)
	}
	n.Deploy()
	n.Deploy() // once
	// The caller's own resources share the Mapper: an endpoint of the
	// caller links to the module's vault.
	m.Add(&Resource{Type: resource.TypeVault, Name: "kv-main", ID: rgPrefix + "Microsoft.KeyVault/vaults/kv-main", APIVersion: "2026-02-01"})
	var docs []*resource.Document
	m.Finish(func(d *resource.Document) { docs = append(docs, d) })
	if len(problems) > 0 || len(docs) != 3 {
		t.Fatalf("docs=%d problems=%v", len(docs), problems)
	}
	v, s := docs[0], docs[1]
	if v.ID != vaultID || v.Source.Address != "vaultModule::resources[0]" || v.Source.File != path || v.Source.Kind != "arm" {
		t.Errorf("vault = %s %+v", v.ID, v.Source)
	}
	for key, want := range map[string]any{"enableRbacAuthorization": true, "rg": "other-rg", "dep": "vaultModule", "enableSoftDelete": true} {
		if got := mustGet(t, v, "properties", key); got != want {
			t.Errorf("vault properties.%s = %#v, want %#v", key, got, want)
		}
	}
	if !resource.IsUnknown(v.Body["name"]) {
		t.Errorf("the vault's name is unknown: %#v", v.Body["name"])
	}
	if s.Parent.ID != vaultID || mustGet(t, s, "attributes", "expiresOn") != "2027-01-01T00:00:00Z" {
		t.Errorf("secret = parent %s body %v", s.Parent.ID, s.Body)
	}
	if docs[2].Name != "kv-main" || mustGet(t, docs[2], "properties", "enableRbacAuthorization") != true {
		t.Errorf("the caller's vault = %v", docs[2].Body)
	}

	// A template given as data: its strings are literals, its unknowns stay.
	m = NewMapper(nil, nil)
	n, err = New(Options{}).Nest(t.Context(), Deployment{
		Path: "main.bicep", Line: 7, EndLine: 9, Context: armexpr.DefaultDeployment(), Kind: "bicep",
		Template: map[string]any{"contentVersion": "1.0.0.0", "resources": []any{
			map[string]any{"type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-07-01", "name": "[not-an-expression]",
				"properties": map[string]any{"publicNetworkAccess": resource.Unknown{Expr: "pna"}, "[key]": "[value]"}},
		}, "outputs": map[string]any{"o": map[string]any{"type": "string", "value": "[x]"}}},
	}, m, report)
	if err != nil {
		t.Fatal(err)
	}
	if got := n.Outputs()["o"]; got != "[x]" {
		t.Errorf("a literal output = %#v", got)
	}
	n.Deploy()
	docs = nil
	m.Finish(func(d *resource.Document) { docs = append(docs, d) })
	if len(docs) != 1 || docs[0].Name != "[not-an-expression]" || docs[0].Source.StartLine != 7 || docs[0].Source.EndLine != 9 || docs[0].Source.Kind != "bicep" {
		t.Fatalf("docs = %v", docs)
	}
	if u, ok := mustGet(t, docs[0], "properties", "publicNetworkAccess").(resource.Unknown); !ok || u.Expr != "pna" {
		t.Errorf("an unknown in the data stays unknown: %#v", mustGet(t, docs[0], "properties", "publicNetworkAccess"))
	}
	if mustGet(t, docs[0], "properties", "[key]") != "[value]" {
		t.Errorf("literal key and value: %v", docs[0].Body)
	}

	// A template that cannot be read is an error, not reported.
	problems = nil
	if _, err := New(Options{}).Nest(t.Context(), Deployment{Path: dir + "/missing.json"}, NewMapper(nil, nil), report); err == nil || len(problems) > 0 {
		t.Errorf("missing template: err=%v problems=%v", err, problems)
	}
	bad := writeFile(t, dir, "bad.json", `{"contentVersion": "1.0.0.0"}`)
	if _, err := New(Options{}).Nest(t.Context(), Deployment{Path: bad}, NewMapper(nil, nil), report); err == nil || !strings.Contains(err.Msg, "not an ARM template") {
		t.Errorf("not a template: err=%v", err)
	}
}

// TestMapper checks the mapping rules on resources given directly, as
// the Bicep reader gives them.
func TestMapper(t *testing.T) {
	t.Parallel()
	vault := rgPrefix + "Microsoft.KeyVault/vaults/kv"
	shared := rgPrefix + "Microsoft.KeyVault/vaults/Shared"
	m := NewMapper(nil, nil)
	adds := []*Resource{
		{Type: resource.TypeVault, APIVersion: "2026-02-01", Name: "kv", ID: vault, Body: map[string]any{"location": "x", "properties": map[string]any{"enableSoftDelete": false}}},
		{Type: resource.TypeVault, Name: "Shared", ID: shared, Existing: true},
		{Type: resource.TypeARMSecret, APIVersion: "2023-07-01", Name: "shared/s", ID: rgPrefix + "Microsoft.KeyVault/vaults/shared/secrets/s",
			Body: map[string]any{"properties": map[string]any{"value": "hunter2-value", "contentType": "text/plain", "attributes": map[string]any{"exp": int64(1798761600), "enabled": false}}}},
		{Type: resource.TypeARMKey, Name: "kv/k", ID: vault + "/keys/k", Body: map[string]any{"properties": resource.Unknown{Expr: "p"}}},
		{Type: resource.TypeVaultPEConnection, Name: "kv/c", ID: vault + "/privateEndpointConnections/c",
			Body: map[string]any{"properties": map[string]any{"privateLinkServiceConnectionState": map[string]any{"status": "Approved"}}}},
		{Type: resource.TypePrivateEndpoint, Name: "pe", ID: rgPrefix + "Microsoft.Network/privateEndpoints/pe",
			Body: map[string]any{"properties": map[string]any{"manualPrivateLinkServiceConnections": []any{map[string]any{"properties": map[string]any{"privateLinkServiceId": vault}}}}}},
		{Type: resource.TypeVault, APIVersion: "2023-07-01", Name: "kv", ID: vault, Body: map[string]any{"properties": map[string]any{"tenantId": "[parameters('t')]"}}},
	}
	m.Secret("[parameters('t')]")
	for _, r := range adds {
		m.Add(r)
	}
	var docs []*resource.Document
	m.Finish(func(d *resource.Document) { docs = append(docs, d) })
	if len(docs) != 5 {
		t.Fatalf("%d documents", len(docs))
	}
	// The existing vault is a placeholder with its declaration's
	// provenance: found, its properties not in the input.
	if ph := docs[1]; ph.ID != shared || ph.Body != nil || ph.Type != resource.TypeVault {
		t.Errorf("existing vault = %+v", ph)
	} else if g, ok := ph.GapFor(resource.PartProperties); !ok || !strings.Contains(g.Err, "declared existing") {
		t.Errorf("existing vault gaps = %v", ph.Gaps)
	}
	docs = append(docs[:1], docs[2:]...)
	// The later declaration of kv replaces the first, in place; defaults
	// follow its API version; the connection is merged into it.
	kv := docs[0]
	wantProps := map[string]any{
		"tenantId": resource.Unknown{Expr: "a secure parameter's value"}, "enableSoftDelete": true, "enableRbacAuthorization": false,
		"publicNetworkAccess": "Enabled", "softDeleteRetentionInDays": int64(90),
		"privateEndpointConnections": []any{map[string]any{"id": vault + "/privateEndpointConnections/c", "name": "c", "type": resource.TypeVaultPEConnection,
			"properties": map[string]any{"privateLinkServiceConnectionState": map[string]any{"status": "Approved"}}}},
	}
	if diff := cmp.Diff(wantProps, kv.Body["properties"]); diff != "" {
		t.Errorf("vault properties (-want +got):\n%s", diff)
	}
	s := docs[1]
	if s.Type != resource.TypeSecret || s.Parent.ID != shared || mustGet(t, s, "attributes", "expiresOn") != "2027-01-01T00:00:00Z" ||
		mustGet(t, s, "attributes", "enabled") != false || mustGet(t, s, "contentType") != "text/plain" {
		t.Errorf("secret = parent %s body %v", s.Parent.ID, s.Body)
	}
	if b, _ := json.Marshal(s.Body); strings.Contains(string(b), "hunter2") {
		t.Errorf("a secret value reached the document: %s", b)
	}
	if k := docs[2]; k.Type != resource.TypeKey || !resource.IsUnknown(mustGet(t, k, "attributes", "expiresOn")) {
		t.Errorf("key with unknown properties: %v", k.Body)
	}
	st := mustGet(t, docs[3], "properties", "manualPrivateLinkServiceConnections").([]any)[0].(map[string]any)["properties"].(map[string]any)["privateLinkServiceConnectionState"]
	if diff := cmp.Diff(map[string]any{"status": "Pending"}, st); diff != "" {
		t.Errorf("manual connection state (-want +got):\n%s", diff)
	}
}

// TestHSMDefaults: a managed HSM gets the REST specification's defaults
// for what its request leaves out, listed as service defaults (the
// request does not carry them, so a Deny preview judges without them);
// written values, false and unknown ones included, are kept.
func TestHSMDefaults(t *testing.T) {
	t.Parallel()
	hsm := rgPrefix + "Microsoft.KeyVault/managedHSMs/h"
	tests := []struct {
		name      string
		props     map[string]any
		want      map[string]any
		defaulted []string
	}{
		{
			name:  "all left out",
			props: map[string]any{},
			want: map[string]any{"enableSoftDelete": true, "softDeleteRetentionInDays": int64(90), "enablePurgeProtection": true,
				"publicNetworkAccess": "Enabled"},
			defaulted: []string{"properties.enableSoftDelete", "properties.softDeleteRetentionInDays", "properties.enablePurgeProtection",
				"properties.publicNetworkAccess"},
		},
		{
			name:  "written kept",
			props: map[string]any{"enablePurgeProtection": false, "softDeleteRetentionInDays": int64(7), "publicNetworkAccess": resource.Unknown{Expr: "p"}},
			want: map[string]any{"enableSoftDelete": true, "softDeleteRetentionInDays": int64(7), "enablePurgeProtection": false,
				"publicNetworkAccess": resource.Unknown{Expr: "p"}},
			defaulted: []string{"properties.enableSoftDelete"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := NewMapper(nil, nil)
			m.Add(&Resource{Type: resource.TypeManagedHSM, Name: "h", ID: hsm, Body: map[string]any{"properties": tc.props}})
			var docs []*resource.Document
			m.Finish(func(d *resource.Document) { docs = append(docs, d) })
			if len(docs) != 1 {
				t.Fatalf("%d documents", len(docs))
			}
			if diff := cmp.Diff(tc.want, docs[0].Body["properties"]); diff != "" {
				t.Errorf("properties (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.defaulted, docs[0].ServiceDefaults); diff != "" {
				t.Errorf("service defaults (-want +got):\n%s", diff)
			}
		})
	}
}

// TestComponentsCreatedAtDeployment: a template's secrets and keys are
// created by the deployment, at a time the template cannot say.
func TestComponentsCreatedAtDeployment(t *testing.T) {
	t.Parallel()
	vault := rgPrefix + "Microsoft.KeyVault/vaults/kv"
	m := NewMapper(nil, nil)
	m.Add(&Resource{Type: resource.TypeARMKey, Name: "kv/k", ID: vault + "/keys/k", Body: map[string]any{"properties": map[string]any{"kty": "RSA"}}})
	m.Add(&Resource{Type: resource.TypeARMSecret, Name: "kv/s", ID: vault + "/secrets/s", Body: map[string]any{"properties": map[string]any{}}})
	var got []any
	m.Finish(func(d *resource.Document) { got = append(got, mustGet(t, d, "attributes", "createdOn")) })
	want := []any{
		resource.Unknown{Expr: "the creation time of k (known after deployment)"},
		resource.Unknown{Expr: "the creation time of s (known after deployment)"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("createdOn (-want +got):\n%s", diff)
	}
}
