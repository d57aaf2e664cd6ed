package armtemplate

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kvguard/kvguard/internal/resource"
)

// TestPropertyNames checks that property names which are expressions are
// evaluated (as Azure Resource Manager does, and as Bicep compiles
// '${id}': {}), and that "[[" escapes a literal name.
func TestPropertyNames(t *testing.T) {
	t.Parallel()
	content := `{
  "contentVersion": "1.0.0.0",
  "parameters": {"uami": {"type": "string", "defaultValue": "/subscriptions/s/uami"}, "later": {"type": "string"}},
  "resources": [
    {"type": "Microsoft.Resources/deploymentScripts", "apiVersion": "2023-08-01", "name": "ds",
     "identity": {"type": "UserAssigned", "userAssignedIdentities": {"[format('{0}', parameters('uami'))]": {}}},
     "tags": {"[[literal]": "a", "[toUpper('k')]": "[toLower('V')]", "plain": "b"},
     "properties": {"unknownKey": {"[parameters('later')]": 1}}},
    {"type": "Microsoft.Resources/deploymentScripts", "apiVersion": "2023-08-01", "name": "bad",
     "tags": {"[length('abc')]": "x"}}
  ]
}`
	docs, errs := run(t, content, Options{})
	if len(docs) != 2 {
		t.Fatalf("docs = %d, errs = %v", len(docs), errs)
	}
	ids, _ := docs[0].Get("identity", "userAssignedIdentities")
	if diff := cmp.Diff(map[string]any{"/subscriptions/s/uami": map[string]any{}}, ids); diff != "" {
		t.Errorf("expression key (-want +got):\n%s", diff)
	}
	tags, _ := docs[0].Get("tags")
	if diff := cmp.Diff(map[string]any{"[literal]": "a", "K": "v", "plain": "b"}, tags); diff != "" {
		t.Errorf("escaped and evaluated keys (-want +got):\n%s", diff)
	}
	if v, _ := docs[0].Get("properties", "unknownKey"); !resource.IsUnknown(v) {
		t.Errorf("an object whose property name is unknown is unknown: %#v", v)
	}
	var found bool
	for _, e := range hardErrors(errs) {
		if strings.Contains(e.Msg, "a property name must be a string, not Int") && e.Pos.Line == 10 {
			found = true
		}
	}
	if !found {
		t.Errorf("a key that is not a string is an error on its line: %v", errs)
	}
}

// TestTenantScope checks "scope": "/" (Bicep's scope: tenant()): the
// resource is deployed at the tenant, whatever the template's scope.
func TestTenantScope(t *testing.T) {
	t.Parallel()
	content := `{"$schema": "https://schema.management.azure.com/schemas/2019-08-01/managementGroupDeploymentTemplate.json#", "contentVersion": "1.0.0.0",
  "resources": [
    {"type": "Microsoft.Management/managementGroups", "apiVersion": "2021-04-01", "scope": "/", "name": "child", "properties": {}},
    {"type": "Microsoft.Authorization/policyDefinitions", "apiVersion": "2021-06-01", "name": "p", "properties": {}}
  ]}`
	docs, errs := run(t, content, Options{})
	if len(errs) > 0 || len(docs) != 2 {
		t.Fatalf("docs=%d errs=%v", len(docs), errs)
	}
	if docs[0].ID != "/providers/Microsoft.Management/managementGroups/child" || !docs[0].Parent.IsZero() {
		t.Errorf("tenant-scoped resource: %s parent %v", docs[0].ID, docs[0].Parent)
	}
	if docs[1].ID != "/providers/Microsoft.Management/managementGroups/kvguard-mg/providers/Microsoft.Authorization/policyDefinitions/p" {
		t.Errorf("management group resource: %s", docs[1].ID)
	}
}

// TestReferenceByName checks reference() of nested deployments that the
// Bicep compiler writes for module outputs: by a name holding a parameter
// without a value, and (languageVersion 2.0) by 'symbol[index]'.
func TestReferenceByName(t *testing.T) {
	t.Parallel()
	module := `"properties": {"mode": "Incremental", "expressionEvaluationOptions": {"scope": "inner"},
       "parameters": {"region": {"value": "[variables('regions')[copyIndex()]]"}},
       "template": {"contentVersion": "1.0.0.0", "parameters": {"region": {"type": "string"}},
         "resources": [], "outputs": {"out": {"type": "string", "value": "[parameters('region')]"}}}}`
	classic := `{"contentVersion": "1.0.0.0", "parameters": {"name": {"type": "string"}},
  "variables": {"regions": ["eastus", "westus"]},
  "resources": [
    {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "[format('mod-{0}-{1}', variables('regions')[copyIndex()], parameters('name'))]",
     "copy": {"name": "mods", "count": 2}, ` + module + `},
    {"type": "Microsoft.Storage/storageAccounts", "apiVersion": "2023-01-01", "name": "sa",
     "properties": {
       "fromOutput": "[reference(resourceId('Microsoft.Resources/deployments', format('mod-{0}-{1}', variables('regions')[1], parameters('name')))).outputs.out.value]",
       "withName": "[concat(parameters('name'), reference(resourceId('Microsoft.Resources/deployments', format('mod-{0}-{1}', 'eastus', parameters('name')))).outputs.out.value)]"}}
  ]}`
	docs, _ := run(t, classic, Options{})
	sa := docByID(docs, "/storageAccounts/sa")
	if got := mustGet(t, sa, "properties", "fromOutput"); got != "westus" {
		t.Errorf("output of a deployment named with an unknown parameter = %#v, want westus", got)
	}
	if got := mustGet(t, sa, "properties", "withName"); !resource.IsUnknown(got) {
		t.Errorf("a value built from the unknown parameter itself stays unknown: %#v", got)
	}

	symbolic := `{"languageVersion": "2.0", "contentVersion": "1.0.0.0", "parameters": {"name": {"type": "string"}},
  "variables": {"regions": ["eastus", "westus"]},
  "resources": {
    "mods": {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "[format('mod-{0}-{1}', variables('regions')[copyIndex()], parameters('name'))]",
     "copy": {"name": "mods", "count": 2}, ` + module + `},
    "sa": {"type": "Microsoft.Storage/storageAccounts", "apiVersion": "2023-01-01", "name": "sa",
     "properties": {"fromOutput": "[reference('mods[1]').outputs.out.value]"}}
  }}`
	docs, _ = run(t, symbolic, Options{})
	if got := mustGet(t, docByID(docs, "/storageAccounts/sa"), "properties", "fromOutput"); got != "westus" {
		t.Errorf("reference('mods[1]') = %#v, want westus", got)
	}
}

func TestLinkedTemplates(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	main := writeFile(t, dir, "main.json", `{"contentVersion": "1.0.0.0", "resources": [
  {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "a", "properties": {"templateLink": {"relativePath": "modules/a.json"}}},
  {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "b", "properties": {"templateLink": {"relativePath": "[variables('p')]"}}},
  {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "c", "properties": {"templateLink": {"uri": "https://example.com/c.json"}}}]}`)
	other := writeFile(t, dir, "other.json", `{"value": []}`)
	got := LinkedTemplates([]string{main, other, dir + "/missing.json"})
	if want := []string{dir + "/modules/a.json"}; !cmp.Equal(got, want) {
		t.Errorf("LinkedTemplates = %v, want %v", got, want)
	}
}
