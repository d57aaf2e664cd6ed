package armtemplate

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kvguard/kvguard/internal/resource"
)

func docAt(docs []*resource.Document, addr string) *resource.Document {
	for _, d := range docs {
		if d.Source.Address == addr {
			return d
		}
	}
	return nil
}

func hasMsg(errs []*resource.InputError, substr string, line int) bool {
	for _, e := range errs {
		if strings.Contains(e.Msg, substr) && (line == 0 || e.Pos.Line == line) {
			return true
		}
	}
	return false
}

const trustVault = `{"type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-07-01", "name": "kv1", "location": "eastus",
     "properties": {"tenantId": "t", "sku": {"family": "A", "name": "standard"}}}`

// TestCopyOverUnknown checks that a copy whose count has no value gives
// one placeholder copy addressed [*]: a secret without expiry, and an
// endpoint or diagnostic setting that may not exist and proves nothing.
func TestCopyOverUnknown(t *testing.T) {
	t.Parallel()
	docs, errs := run(t, `{"contentVersion": "1.0.0.0", "parameters": {"names": {"type": "array"}}, "resources": [
    `+trustVault+`,
    {"type": "Microsoft.KeyVault/vaults/secrets", "apiVersion": "2023-07-01", "name": "[format('kv1/{0}', parameters('names')[copyIndex()])]",
     "copy": {"name": "s", "count": "[length(parameters('names'))]"}, "properties": {"value": "x"}},
    {"type": "Microsoft.Network/privateEndpoints", "apiVersion": "2023-04-01", "name": "[format('pe{0}', copyIndex())]", "location": "eastus",
     "copy": {"name": "p", "count": "[length(parameters('names'))]"},
     "properties": {"privateLinkServiceConnections": [{"name": "c", "properties": {"privateLinkServiceId": "[resourceId('Microsoft.KeyVault/vaults', 'kv1')]", "groupIds": ["vault"]}}]}},
    {"type": "Microsoft.KeyVault/vaults/providers/diagnosticSettings", "apiVersion": "2021-05-01-preview", "name": "[format('kv1/Microsoft.Insights/d{0}', copyIndex())]",
     "copy": {"name": "d", "count": "[length(parameters('names'))]"}, "properties": {"logs": [{"categoryGroup": "audit", "enabled": true}]}}
  ]}`, Options{})
	s := docAt(docs, "resources[1][*]")
	if s == nil || s.Type != resource.TypeSecret || !strings.HasSuffix(s.Parent.ID, "/vaults/kv1") {
		t.Fatalf("no placeholder secret under kv1: %v %v", docs, errs)
	}
	if v, _ := s.Get("attributes", "expiresOn"); v != nil {
		t.Errorf("expiresOn = %v", v)
	}
	pe := docAt(docs, "resources[2][*]")
	if pe == nil {
		t.Fatal("no placeholder endpoint")
	}
	conns, _ := pe.Get("properties", "privateLinkServiceConnections")
	st := conns.([]any)[0].(map[string]any)["properties"].(map[string]any)["privateLinkServiceConnectionState"].(map[string]any)["status"]
	if !resource.IsUnknown(st) {
		t.Errorf("status = %#v, want unknown", st)
	}
	d := docAt(docs, "resources[3][*]")
	if logs, _ := d.Get("properties", "logs"); d == nil || !resource.IsUnknown(logs) {
		t.Errorf("diagnostic setting that may not exist: %v", d)
	}
}

// TestMalformedChildResources checks the templates: "name":
// "fail" and a vault name built from reference(): input errors at the
// resource, the component judged against the one vault dependsOn names,
// and no vault named "" or https:///.
func TestMalformedChildResources(t *testing.T) {
	t.Parallel()
	docs, errs := run(t, `{"contentVersion": "1.0.0.0", "resources": [
    `+trustVault+`,
    {"type": "Microsoft.KeyVault/vaults/secrets", "apiVersion": "2023-07-01", "name": "fail", "dependsOn": ["[resourceId('Microsoft.KeyVault/vaults', 'kv1')]"], "properties": {"value": "x"}},
    {"type": "Microsoft.KeyVault/vaults/secrets", "apiVersion": "2023-07-01", "name": "alone", "properties": {"value": "x"}},
    {"type": "Microsoft.KeyVault/vaults/keys", "apiVersion": "2023-07-01", "name": "[concat(reference('x').vaultUri, '/k')]", "properties": {}},
    {"type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-07-01", "name": "", "properties": {}}
  ]}`, Options{})
	for _, d := range docs {
		if d.IsType(resource.TypeVault) && d.Name != "kv1" {
			t.Errorf("a vault named %q", d.Name)
		}
		if d.Parent.ID != "" && !strings.HasSuffix(d.Parent.ID, "/vaults/kv1") {
			t.Errorf("%s hangs from %q", d.Source.Address, d.Parent.ID)
		}
	}
	if f := docAt(docs, "resources[1]"); f == nil || !strings.HasSuffix(f.ID, "/vaults/kv1/secrets/fail") {
		t.Errorf("fail is judged as kv1's: %v", f)
	}
	if docAt(docs, "resources[2]") != nil || docAt(docs, "resources[3]") != nil {
		t.Error("a child that names no vault is not judged")
	}
	for line, want := range map[int]string{4: "incorrect segment lengths", 5: "neither parent nor dependsOn", 6: "cannot resolve", 7: "incorrect segment lengths"} {
		if !hasMsg(hardErrors(errs), want, line) {
			t.Errorf("no error %q on line %d: %v", want, line, errs)
		}
	}
}

// TestWrongTypesInTemplates checks the types Azure checks at deployment:
// an input error at the value, the value Unknown.
func TestWrongTypesInTemplates(t *testing.T) {
	t.Parallel()
	docs, errs := run(t, `{"contentVersion": "1.0.0.0", "resources": [
    {"type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-07-01", "name": "kv1", "location": "eastus",
     "properties": {"enableRbacAuthorization": "yes", "enableSoftDelete": 1, "publicNetworkAccess": false}},
    {"type": "Microsoft.KeyVault/vaults/keys", "apiVersion": "2023-07-01", "name": "kv1/k", "properties": {"attributes": {"exp": "2027-01-01"}}}
  ]}`, Options{})
	kv, k := docAt(docs, "resources[0]"), docAt(docs, "resources[1]")
	if kv == nil || k == nil {
		t.Fatalf("docs %v", docs)
	}
	for _, p := range []string{"enableRbacAuthorization", "enableSoftDelete", "publicNetworkAccess"} {
		if v, _ := kv.Get("properties", p); !resource.IsUnknown(v) {
			t.Errorf("%s = %#v, want unknown", p, v)
		}
	}
	if v, _ := kv.Get("properties", "enableRbacAuthorization"); v.(resource.Unknown).Expr != `enableRbacAuthorization = "yes" (not a boolean)` {
		t.Errorf("unknown = %v (the saved-JSON reader's wording)", v)
	}
	if v, _ := k.Get("attributes", "expiresOn"); !resource.IsUnknown(v) {
		t.Errorf("expiresOn = %#v", v)
	}
	if !hasMsg(errs, `properties.enableRbacAuthorization: expected a boolean, found the string "yes"`, 3) ||
		!hasMsg(errs, "properties.attributes.exp: expected a number (Unix seconds)", 4) {
		t.Errorf("errors: %v", errs)
	}
}

// TestExpansionCap checks that copies multiplied through nested
// deployments stop at the cap, fast, with one input error; and that a
// count of 1e8 is refused before anything is expanded.
func TestExpansionCap(t *testing.T) {
	t.Parallel()
	inner := `{"contentVersion": "1.0.0.0", "resources": [{"type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-07-01",
        "name": "[format('kv{0}{1}', deployment().name, copyIndex())]", "copy": {"name": "v", "count": 800}}]}`
	docs, errs := run(t, `{"contentVersion": "1.0.0.0", "resources": [
    {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "[format('d{0}', copyIndex())]",
     "copy": {"name": "d", "count": 800}, "properties": {"mode": "Incremental", "expressionEvaluationOptions": {"scope": "inner"}, "template": `+inner+`}}
  ]}`, Options{MaxInstances: 3000})
	if len(docs) > 3000 {
		t.Errorf("%d documents above the cap", len(docs))
	}
	n := 0
	for _, e := range errs {
		if strings.Contains(e.Msg, "more than 3000 resource instances") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("cap errors = %d: %v", n, errs[:min(3, len(errs))])
	}
	docs, errs = run(t, `{"contentVersion": "1.0.0.0", "resources": [{"type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-07-01",
    "name": "[format('kv{0}', copyIndex())]", "copy": {"name": "v", "count": 100000000}}]}`, Options{})
	if len(docs) > MaxCopyCountForTest || !hasMsg(errs, "above Azure's limit", 0) {
		t.Errorf("count 1e8: %d documents, %v", len(docs), errs)
	}
}

// MaxCopyCountForTest is Azure's copy limit, as the evaluation applies it.
const MaxCopyCountForTest = 800

// TestLinkedTemplateCycle checks that templates linking each other are an
// input error naming the cycle, not a nesting-depth error.
func TestLinkedTemplateCycle(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	link := func(to string) string {
		return `{"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "l", "properties": {"mode": "Incremental", "templateLink": {"relativePath": "` + to + `"}}}`
	}
	a := writeFile(t, dir, "a.json", `{"contentVersion": "1.0.0.0", "resources": [`+link("b.json")+`, `+vaultOK+`]}`)
	writeFile(t, dir, "b.json", `{"contentVersion": "1.0.0.0", "resources": [`+link("a.json")+`]}`)
	docs, errs := readAll(t, a, Options{})
	want := "linked template cycle: " + a + " → " + dir + "/b.json → " + a
	if !hasMsg(hardErrors(errs), want, 1) || hasMsg(errs, "nested more than", 0) {
		t.Errorf("no error %q: %v", want, errs)
	}
	if len(docs) != 1 {
		t.Errorf("docs = %d", len(docs))
	}
}

// TestLinkedByURIMarksVaults checks that a template linked by URI (not
// read) marks the vaults its parameters hand it, and only those.
func TestLinkedByURIMarksVaults(t *testing.T) {
	t.Parallel()
	docs, errs := run(t, `{"contentVersion": "1.0.0.0", "resources": [
    `+trustVault+`,
    {"type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-07-01", "name": "kv2", "location": "eastus"},
    {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "pe",
     "properties": {"mode": "Incremental", "templateLink": {"uri": "https://example.com/pe.json"},
       "parameters": {"target": {"value": "[resourceId('Microsoft.KeyVault/vaults', 'kv1')]"}}}}
  ]}`, Options{})
	kv1, kv2 := docAt(docs, "resources[0]"), docAt(docs, "resources[1]")
	if kv1 == nil || !strings.Contains(kv1.Unfollowed(), "https://example.com/pe.json") {
		t.Errorf("kv1 is handed to the unread template: %v", kv1)
	}
	if kv2 == nil || kv2.Unfollowed() != "" {
		t.Errorf("kv2 is not: %v", kv2)
	}
	if !hasMsg(errs, "is not read", 6) {
		t.Errorf("no warning: %v", errs)
	}
}

// TestUnknownParametersWithFewValues checks allowedValues, bool
// parameters and if() over an unknown condition: unknowns that say which
// values they can take.
func TestUnknownParametersWithFewValues(t *testing.T) {
	t.Parallel()
	docs, _ := run(t, `{"contentVersion": "1.0.0.0",
  "parameters": {"action": {"type": "string", "allowedValues": ["Allow", "Deny"]}, "private": {"type": "bool"}, "region": {"type": "string"}},
  "resources": [{"type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-07-01", "name": "kv1", "location": "eastus",
    "properties": {"networkAcls": {"defaultAction": "[parameters('action')]", "bypass": "[if(equals(parameters('region'), 'west'), 'AzureServices', 'None')]"},
      "publicNetworkAccess": "[if(parameters('private'), 'Disabled', 'Enabled')]",
      "enableRbacAuthorization": "[equals(parameters('action'), 'Deny')]"}}]}`, Options{})
	if len(docs) != 1 {
		t.Fatalf("docs = %v", docs)
	}
	for _, c := range []struct {
		path []string
		want []any
	}{
		{[]string{"properties", "networkAcls", "defaultAction"}, []any{"Allow", "Deny"}},
		{[]string{"properties", "networkAcls", "bypass"}, []any{"AzureServices", "None"}},
		{[]string{"properties", "publicNetworkAccess"}, []any{"Disabled", "Enabled"}},
		{[]string{"properties", "enableRbacAuthorization"}, []any{false, true}},
	} {
		v, _ := docs[0].Get(c.path...)
		u, ok := v.(resource.Unknown)
		if !ok || u.Choices == nil || !cmp.Equal(u.Choices.Values, c.want) {
			t.Errorf("%v = %#v, want one of %v", c.path, v, c.want)
		}
	}
}
