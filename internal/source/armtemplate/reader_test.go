package armtemplate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kvguard/kvguard/internal/armexpr"
	"github.com/kvguard/kvguard/internal/resource"
)

// run reads a template given as text.
func run(t *testing.T, content string, opts Options) ([]*resource.Document, []*resource.InputError) {
	t.Helper()
	p := writeFile(t, t.TempDir(), "template.json", content)
	return readAll(t, p, opts)
}

func mustGet(t *testing.T, d *resource.Document, path ...string) any {
	t.Helper()
	if d == nil {
		t.Fatalf("no document")
	}
	v, _ := d.Get(path...)
	return v
}

func TestIsTemplate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		head           string
		template, pars bool
	}{
		{`{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", "contentVersion": "1.0.0.0"`, true, false},
		{`{"$schema": "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#"`, true, false},
		{`{"$schema": "https://schema.management.azure.com/schemas/2019-08-01/managementGroupDeploymentTemplate.json#"`, true, false},
		{`{"$schema": "https://schema.management.azure.com/schemas/2019-08-01/tenantDeploymentTemplate.json#"`, true, false},
		{`{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#", "parameters": {}}`, false, true},
		{`{"contentVersion": "1.0.0.0", "resources": []}`, true, false},
		{`{"parameters": {"a": {"value": 1}}}`, false, true},
		{`[{"id": "/subscriptions/x", "type": "Microsoft.KeyVault/vaults"}]`, false, false},
		{`{"value": [{"id": "/subscriptions/x"}]}`, false, false},
	}
	for _, tt := range tests {
		if got := IsTemplate([]byte(tt.head)); got != tt.template {
			t.Errorf("IsTemplate(%s) = %v", tt.head, got)
		}
		if got := IsParameters([]byte(tt.head)); got != tt.pars {
			t.Errorf("IsParameters(%s) = %v", tt.head, got)
		}
	}
}

const paramTemplate = `{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "parameters": {
    "name": {"type": "string"},
    "rbac": {"type": "bool", "defaultValue": false},
    "pna": {"type": "string", "defaultValue": "Enabled"}
  },
  "resources": [
    {"type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-07-01", "name": "[parameters('name')]",
     "properties": {"enableRbacAuthorization": "[parameters('rbac')]", "publicNetworkAccess": "[parameters('pna')]"}}
  ]
}`

func TestParameterFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tp := writeFile(t, dir, "azuredeploy.json", paramTemplate)
	p1 := writeFile(t, dir, "one.json", `{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#", "parameters": {"name": {"value": "kv-one"}, "rbac": {"value": true}}}`)
	p2 := writeFile(t, dir, "two.json", `{"name": {"value": "kv-two"}, "pna": {"reference": {"keyVault": {"id": "/x"}, "secretName": "s"}}}`)

	docs, errs := readAll(t, tp, Options{ParameterFiles: []string{p1, p2}})
	if len(errs) != 0 || len(docs) != 1 {
		t.Fatalf("docs=%d errs=%v", len(docs), errs)
	}
	d := docs[0]
	if d.Name != "kv-two" || mustGet(t, d, "properties", "enableRbacAuthorization") != true {
		t.Errorf("later files win, earlier values stay: %s %v", d.Name, d.Body)
	}
	if u, ok := mustGet(t, d, "properties", "publicNetworkAccess").(resource.Unknown); !ok || u.Expr != "parameters('pna')" {
		t.Errorf("a Key Vault reference is unknown: %#v", mustGet(t, d, "properties", "publicNetworkAccess"))
	}

	// Without --parameters, <base>.parameters.json beside the template is used, and logged.
	writeFile(t, dir, "azuredeploy.parameters.json", `{"parameters": {"name": {"value": "kv-sibling"}}}`)
	var log bytes.Buffer
	docs, _ = readAll(t, tp, Options{Logger: slog.New(slog.NewTextHandler(&log, nil))})
	if len(docs) != 1 || docs[0].Name != "kv-sibling" {
		t.Errorf("sibling parameter file not used: %v", docs)
	}
	if !strings.Contains(log.String(), "azuredeploy.parameters.json") {
		t.Errorf("sibling parameter file not logged: %q", log.String())
	}

	// A broken parameter file is an error at its position; the template is still read.
	bad := writeFile(t, dir, "bad.json", "{\"parameters\": {\n  \"name\": 5\n}}")
	docs, errs = readAll(t, tp, Options{ParameterFiles: []string{bad}})
	if len(docs) != 1 || len(errs) == 0 || errs[0].Pos.File != bad || errs[0].Pos.Line != 2 {
		t.Errorf("bad parameter file: docs=%d errs=%v", len(docs), errs)
	}
}

func TestRBACDefault(t *testing.T) {
	t.Parallel()
	tests := []struct {
		api, explicit string
		want          any
	}{
		{"2019-09-01", "", false},
		{"2025-05-01", "", false},
		{"2026-01-31-preview", "", false},
		{"2026-02-01", "", true},
		{"2026-02-01-preview", "", true},
		{"2027-01-01", "", true},
		{"2026-02-01", `"enableRbacAuthorization": false,`, false},
		{"2023-07-01", `"enableRbacAuthorization": null,`, false},
		// A bool parameter without a value is one of true and false.
		{"2026-02-01", `"enableRbacAuthorization": "[parameters('rbac')]",`, resource.UnknownOneOf("parameters('rbac')", true, false)},
	}
	for _, tt := range tests {
		t.Run(tt.api+tt.explicit, func(t *testing.T) {
			t.Parallel()
			docs, _ := run(t, fmt.Sprintf(`{"contentVersion": "1.0.0.0", "parameters": {"rbac": {"type": "bool"}},
  "resources": [{"type": "Microsoft.KeyVault/vaults", "apiVersion": %q, "name": "kv", "properties": {%s "sku": {"name": "standard"}}}]}`, tt.api, tt.explicit), Options{})
			if len(docs) != 1 {
				t.Fatalf("%d docs", len(docs))
			}
			if got := mustGet(t, docs[0], "properties", "enableRbacAuthorization"); !cmp.Equal(got, tt.want) {
				t.Errorf("enableRbacAuthorization = %#v, want %#v", got, tt.want)
			}
			if docs[0].Source.APIVersion != tt.api {
				t.Errorf("APIVersion = %q", docs[0].Source.APIVersion)
			}
		})
	}
}

func TestScopes(t *testing.T) {
	t.Parallel()
	sub := `{
  "$schema": "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "resources": [
    {"type": "Microsoft.Resources/resourceGroups", "apiVersion": "2022-09-01", "name": "app-rg", "location": "westeurope"},
    {"type": "Microsoft.Authorization/roleDefinitions", "apiVersion": "2022-04-01", "name": "[guid('role')]", "properties": {"roleName": "r"}},
    {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "kv", "resourceGroup": "app-rg",
     "properties": {"mode": "Incremental", "expressionEvaluationOptions": {"scope": "inner"},
       "template": {"contentVersion": "1.0.0.0", "resources": [
         {"type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-07-01", "name": "[format('kv-{0}', uniqueString(resourceGroup().id))]"}],
         "outputs": {"rg": {"type": "string", "value": "[resourceGroup().name]"}}}}},
    {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "other-sub", "subscriptionId": "11111111-1111-1111-1111-111111111111", "resourceGroup": "x-rg",
     "properties": {"mode": "Incremental", "template": {"contentVersion": "1.0.0.0", "resources": [
         {"type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-07-01", "name": "kv-cross"}]}}}
  ]
}`
	docs, errs := run(t, sub, Options{})
	if len(hardErrors(errs)) > 0 {
		t.Fatal(errs)
	}
	wantIDs := []string{
		"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/app-rg",
		"/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Authorization/roleDefinitions/" + armexpr.GUID("role"),
		"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/app-rg/providers/Microsoft.KeyVault/vaults/kv-" + armexpr.UniqueString("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/app-rg"),
		"/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/x-rg/providers/Microsoft.KeyVault/vaults/kv-cross",
	}
	var got []string
	for _, d := range docs {
		got = append(got, d.ID)
	}
	if strings.Join(got, "\n") != strings.Join(wantIDs, "\n") {
		t.Errorf("IDs:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantIDs, "\n"))
	}

	mg := `{"$schema": "https://schema.management.azure.com/schemas/2019-08-01/managementGroupDeploymentTemplate.json#", "contentVersion": "1.0.0.0",
  "resources": [{"type": "Microsoft.Authorization/policyDefinitions", "apiVersion": "2021-06-01", "name": "p", "properties": {}},
    {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "d", "scope": "[format('Microsoft.Management/managementGroups/{0}', 'child')]",
     "properties": {"mode": "Incremental", "expressionEvaluationOptions": {"scope": "inner"}, "template": {"contentVersion": "1.0.0.0", "resources": [
       {"type": "Microsoft.Authorization/policyDefinitions", "apiVersion": "2021-06-01", "name": "q", "properties": {"mg": "[managementGroup().name]"}}]}}}]}`
	docs, _ = run(t, mg, Options{Deployment: armexpr.Deployment{ManagementGroup: "root"}})
	if len(docs) != 2 || docs[0].ID != "/providers/Microsoft.Management/managementGroups/root/providers/Microsoft.Authorization/policyDefinitions/p" ||
		docs[1].ID != "/providers/Microsoft.Management/managementGroups/child/providers/Microsoft.Authorization/policyDefinitions/q" ||
		mustGet(t, docs[1], "properties", "mg") != "child" {
		for _, d := range docs {
			t.Errorf("management group scope: %s %v", d.ID, d.Body)
		}
	}

	tenant := `{"$schema": "https://schema.management.azure.com/schemas/2019-08-01/tenantDeploymentTemplate.json#", "contentVersion": "1.0.0.0",
  "resources": [{"type": "Microsoft.Management/managementGroups", "apiVersion": "2021-04-01", "name": "mg1", "properties": {}}]}`
	docs, _ = run(t, tenant, Options{})
	if len(docs) != 1 || docs[0].ID != "/providers/Microsoft.Management/managementGroups/mg1" {
		t.Errorf("tenant scope: %v", docs)
	}
}

func TestResourceForms(t *testing.T) {
	t.Parallel()
	content := `{
  "contentVersion": "1.0.0.0",
  "parameters": {"deploy": {"type": "bool", "defaultValue": false}, "vaultName": {"type": "string"}},
  "variables": {
    "copy": [{"name": "names", "count": 2, "input": "[format('s{0}', copyIndex('names'))]"}]
  },
  "resources": [
    {"type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-07-01", "name": "[parameters('vaultName')]",
     "resources": [
       {"type": "secrets", "apiVersion": "2023-07-01", "name": "[variables('names')[0]]", "properties": {"attributes": {"exp": 1798761600}}},
       {"type": "Microsoft.KeyVault/vaults/keys", "apiVersion": "2023-07-01", "name": "k", "properties": {"kty": "RSA"}},
       {"type": "privateEndpointConnections", "apiVersion": "2023-07-01", "name": "pec",
        "properties": {"privateEndpoint": {"id": "/x/pe"}, "privateLinkServiceConnectionState": {"status": "Approved"}}}
     ]},
    {"condition": "[parameters('deploy')]", "type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-07-01", "name": "kv-skipped",
     "resources": [{"type": "secrets", "apiVersion": "2023-07-01", "name": "never", "properties": {}}]},
    {"type": "Microsoft.KeyVault/vaults/providers/diagnosticSettings", "apiVersion": "2021-05-01-preview",
     "name": "[format('{0}/Microsoft.Insights/{1}', parameters('vaultName'), 'legacy')]", "properties": {"logs": []}},
    {"type": "Microsoft.Network/privateEndpoints", "apiVersion": "2023-09-01", "name": "pe",
     "properties": {"privateLinkServiceConnections": [{"name": "c", "properties": {"privateLinkServiceId": "[resourceId('Microsoft.KeyVault/vaults', parameters('vaultName'))]"}}]}},
    {"type": "Microsoft.KeyVault/managedHSMs", "apiVersion": "2023-07-01", "name": "hsm", "properties": {}},
    {"type": "Microsoft.KeyVault/managedHSMs/keys", "apiVersion": "2023-07-01", "name": "hsm/k1", "properties": {"kty": "RSA-HSM", "attributes": {"exp": 1798761600}}},
    {"type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-07-01", "name": "[parameters('vaultName')]", "existing": true}
  ]
}`
	docs, errs := run(t, content, Options{})
	if len(hardErrors(errs)) > 0 {
		t.Fatal(errs)
	}
	rg := "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/kvguard-rg/providers/"
	vaultID := rg + "Microsoft.KeyVault/vaults/[parameters('vaultName')]"
	type want struct{ id, typ, parent, addr string }
	wants := []want{
		{vaultID, resource.TypeVault, "", "resources[0]"},
		{vaultID + "/secrets/s0", resource.TypeSecret, vaultID, "resources[0].resources[0]"},
		{vaultID + "/keys/k", resource.TypeKey, vaultID, "resources[0].resources[1]"},
		{vaultID + "/providers/Microsoft.Insights/diagnosticSettings/legacy", resource.TypeDiagnosticSetting, vaultID, "resources[2]"},
		{rg + "Microsoft.Network/privateEndpoints/pe", resource.TypePrivateEndpoint, "", "resources[3]"},
		{rg + "Microsoft.KeyVault/managedHSMs/hsm", resource.TypeManagedHSM, "", "resources[4]"},
		{rg + "Microsoft.KeyVault/managedHSMs/hsm/keys/k1", resource.TypeHSMKey, rg + "Microsoft.KeyVault/managedHSMs/hsm", "resources[5]"},
	}
	if len(docs) != len(wants) {
		for _, d := range docs {
			t.Log(d.ID)
		}
		t.Fatalf("%d documents, want %d", len(docs), len(wants))
	}
	for i, w := range wants {
		d := docs[i]
		if d.ID != w.id || d.Type != w.typ || d.Parent.ID != w.parent || d.Source.Address != w.addr {
			t.Errorf("doc %d = %s %s parent=%s addr=%s; want %+v", i, d.ID, d.Type, d.Parent.ID, d.Source.Address, w)
		}
	}
	// The connection child is merged into its vault.
	conns, _ := docs[0].Get("properties", "privateEndpointConnections")
	if arr, _ := conns.([]any); len(arr) != 1 {
		t.Errorf("privateEndpointConnections = %v", conns)
	}
	// An endpoint to a vault whose name is unknown still names the vault document.
	pe := docs[4]
	c := mustGet(t, pe, "properties", "privateLinkServiceConnections").([]any)[0].(map[string]any)["properties"].(map[string]any)
	if c["privateLinkServiceId"] != vaultID || c["privateLinkServiceConnectionState"].(map[string]any)["status"] != "Approved" {
		t.Errorf("endpoint connection = %v", c)
	}
	if mustGet(t, docs[5], "properties", "enableSoftDelete") != true {
		t.Errorf("managed HSM soft delete default: %v", docs[5].Body)
	}
	if mustGet(t, docs[6], "attributes", "expiresOn") != "2027-01-01T00:00:00Z" {
		t.Errorf("HSM key expiry: %v", docs[6].Body)
	}
	if u, ok := docs[0].Body["name"].(resource.Unknown); !ok || u.Expr != "parameters('vaultName')" {
		t.Errorf("an unknown name stays unknown in the body: %#v", docs[0].Body["name"])
	}
}

func TestNestedScopes(t *testing.T) {
	t.Parallel()
	content := `{
  "contentVersion": "1.0.0.0",
  "parameters": {"p": {"type": "string", "defaultValue": "outer-value"}},
  "resources": [
    {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "outer",
     "properties": {"mode": "Incremental", "template": {"contentVersion": "1.0.0.0",
       "parameters": {"p": {"type": "string", "defaultValue": "ignored"}},
       "resources": [{"type": "Microsoft.Storage/storageAccounts", "apiVersion": "2023-01-01", "name": "[parameters('p')]"}]}}},
    {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "inner",
     "properties": {"mode": "Incremental", "expressionEvaluationOptions": {"scope": "inner"},
       "parameters": {"p": {"value": "[concat(parameters('p'), '-passed')]"}},
       "template": {"contentVersion": "1.0.0.0", "parameters": {"p": {"type": "string"}},
         "resources": [{"type": "Microsoft.Storage/storageAccounts", "apiVersion": "2023-01-01", "name": "[parameters('p')]"}]}}},
    {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "[format('loop{0}', copyIndex())]",
     "copy": {"name": "mods", "count": 2},
     "properties": {"mode": "Incremental", "expressionEvaluationOptions": {"scope": "inner"},
       "parameters": {"i": {"value": "[copyIndex()]"}},
       "template": {"contentVersion": "1.0.0.0", "parameters": {"i": {"type": "int"}},
         "resources": [{"type": "Microsoft.Storage/storageAccounts", "apiVersion": "2023-01-01", "name": "[format('sa{0}', parameters('i'))]"}]}}},
    {"condition": false, "type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "off",
     "properties": {"mode": "Incremental", "template": {"contentVersion": "1.0.0.0", "resources": [{"type": "Microsoft.Storage/storageAccounts", "apiVersion": "2023-01-01", "name": "never"}]}}}
  ]
}`
	docs, errs := run(t, content, Options{})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	var names, addrs []string
	for _, d := range docs {
		names = append(names, d.Name)
		addrs = append(addrs, d.Source.Address)
	}
	if got := strings.Join(names, ","); got != "outer-value,outer-value-passed,sa0,sa1" {
		t.Errorf("names = %s", got)
	}
	if got := strings.Join(addrs, ","); got != "resources[0].properties.template.resources[0],resources[1].properties.template.resources[0],resources[2].properties.template.resources[0],resources[2].properties.template.resources[0]" {
		t.Errorf("addresses = %s", got)
	}
	if docs[0].Source.StartLine != 8 || docs[0].Source.File != filepath.Join(filepath.Dir(docs[0].Source.File), "template.json") {
		t.Errorf("nested resource provenance = %+v", docs[0].Source)
	}
}

// TestSecureValues checks secure parameter values never reach documents:
// a securestring is unknown, and the strings of a secureObject (known, for
// loops over secret lists) are scrubbed from bodies.
func TestSecureValues(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tp := writeFile(t, dir, "t.json", `{"contentVersion": "1.0.0.0",
  "parameters": {"pw": {"type": "securestring"}, "secrets": {"type": "secureObject"}},
  "resources": [
    {"type": "Microsoft.Compute/virtualMachines", "apiVersion": "2023-03-01", "name": "vm",
     "properties": {"osProfile": {"adminPassword": "[parameters('pw')]", "customData": "[base64(parameters('secrets').list[0].value)]",
       "other": "[concat(parameters('secrets').list[0].value, reference('x').y)]", "plain": "[parameters('secrets').list[0].value]"}}},
    {"type": "Microsoft.KeyVault/vaults/secrets", "apiVersion": "2023-07-01", "name": "[format('kv/{0}', parameters('secrets').list[copyIndex()].name)]",
     "copy": {"name": "s", "count": "[length(parameters('secrets').list)]"},
     "properties": {"value": "[parameters('secrets').list[copyIndex()].value]"}}
  ]}`)
	pf := writeFile(t, dir, "p.json", `{"parameters": {"pw": {"value": "Sup3rSecret!"}, "secrets": {"value": {"list": [{"name": "db", "value": "hunter2-db"}, {"name": "api", "value": "hunter2-api"}]}}}}`)
	docs, errs := readAll(t, tp, Options{ParameterFiles: []string{pf}})
	if len(errs) > 0 || len(docs) != 3 {
		t.Fatalf("docs=%d errs=%v", len(docs), errs)
	}
	for _, d := range docs {
		b, _ := json.Marshal(d.Body)
		for _, secret := range []string{"Sup3rSecret", "hunter2"} {
			if strings.Contains(string(b), secret) {
				t.Errorf("%s holds a secret: %s", d.ID, b)
			}
		}
	}
	if docs[1].Name != "db" || docs[2].Name != "api" {
		t.Errorf("loops over secure lists still run: %s %s", docs[1].Name, docs[2].Name)
	}
}
