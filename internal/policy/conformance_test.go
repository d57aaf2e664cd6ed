package policy

import (
	"fmt"
	"github.com/kvguard/kvguard/internal/testcorpus"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kvguard/kvguard/internal/resource"
)

// builtinDir locates Microsoft's built-in definitions:
// $KVGUARD_AZURE_POLICY_DIR, else ../shared/azure-policy beside the
// repository; the test is skipped, saying so, when they are absent.
func builtinDir(t testing.TB) string {
	t.Helper()
	return testcorpus.Dir(t, testcorpus.AzurePolicy)
}

// builtinFiles lists every definition file (initiatives and the index aside).
func builtinFiles(t testing.TB) []string {
	t.Helper()
	dir := builtinDir(t)
	var files []string
	for _, sub := range []string{"", "related", "azure-government"} {
		m, err := filepath.Glob(filepath.Join(dir, sub, "*.json"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range m {
			if filepath.Base(f) != "index.json" {
				files = append(files, f)
			}
		}
	}
	sort.Strings(files)
	return files
}

// placeholderParams supplies values for parameters that have no default,
// as an assignment must.
func placeholderParams(d *Definition) map[string]any {
	out := map[string]any{}
	for _, p := range d.Parameters {
		if p.HasDefault {
			continue
		}
		if len(p.AllowedValues) > 0 {
			if strings.EqualFold(p.Type, "array") {
				out[p.Name] = []any{p.AllowedValues[0]}
			} else {
				out[p.Name] = p.AllowedValues[0]
			}
			continue
		}
		switch strings.ToLower(p.Type) {
		case "array":
			out[p.Name] = []any{"placeholder"}
		case "object":
			out[p.Name] = map[string]any{}
		case "boolean":
			out[p.Name] = false
		case "integer", "float":
			out[p.Name] = int64(30)
		default:
			out[p.Name] = "30"
		}
	}
	return out
}

const vaultID = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv1"

// conformanceDocs is a spread of documents of every type the definitions read.
func conformanceDocs() []*resource.Document {
	vault := func(name string, props map[string]any) *resource.Document {
		id := strings.Replace(vaultID, "kv1", name, 1)
		return &resource.Document{ID: id, Type: resource.TypeVault, Name: name, Body: map[string]any{
			"id": id, "name": name, "type": resource.TypeVault, "location": "westeurope", "properties": props}}
	}
	exp := resource.FormatTime(time.Now().AddDate(0, 6, 0))
	docs := []*resource.Document{
		vault("kv1", map[string]any{}),
		vault("kv2", map[string]any{
			"enableRbacAuthorization": true, "enableSoftDelete": true, "enablePurgeProtection": true,
			"publicNetworkAccess":        "Disabled",
			"networkAcls":                map[string]any{"defaultAction": "Deny", "bypass": "AzureServices", "ipRules": []any{map[string]any{"value": "10.0.0.0/24"}}, "virtualNetworkRules": []any{map[string]any{"id": "/subscriptions/x/vnet"}}},
			"privateEndpointConnections": []any{map[string]any{"properties": map[string]any{"privateLinkServiceConnectionState": map[string]any{"status": "Approved"}}}},
		}),
		vault("kv3", map[string]any{"enableRbacAuthorization": "False", "enableSoftDelete": false, "networkAcls": map[string]any{"defaultAction": "Allow"}}),
		vault("kv4", map[string]any{"enableRbacAuthorization": resource.Unknown{Expr: "var.rbac"}}),
		{ID: "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.KeyVault/managedHSMs/hsm1", Type: resource.TypeManagedHSM, Name: "hsm1",
			Body: map[string]any{"type": resource.TypeManagedHSM, "location": "westeurope", "sku": map[string]any{"name": "Standard_B1"},
				"properties": map[string]any{"enableSoftDelete": true, "enablePurgeProtection": false, "publicNetworkAccess": "Enabled", "networkAcls": map[string]any{"defaultAction": "Allow"}}}},
		resource.NewComponent(resource.TypeSecret, resource.Ref{ID: vaultID}, vaultID+"/secrets/s1", "s1", resource.ObjectAttributes{Enabled: true, Created: "2025-01-01T00:00:00Z"}, nil),
		resource.NewComponent(resource.TypeSecret, resource.Ref{ID: vaultID}, vaultID+"/secrets/s2", "s2", resource.ObjectAttributes{Enabled: true, Expires: exp, Created: resource.FormatTime(time.Now().AddDate(-1, 0, 0))}, map[string]any{"contentType": "text/plain"}),
		resource.NewComponent(resource.TypeKey, resource.Ref{ID: vaultID}, vaultID+"/keys/k1", "k1", resource.ObjectAttributes{Enabled: false, Created: "2025-01-01T00:00:00Z"}, map[string]any{"keyType": "RSA", "keySize": int64(2048)}),
		resource.NewComponent(resource.TypeKey, resource.Ref{ID: vaultID}, vaultID+"/keys/k2", "k2", resource.ObjectAttributes{Enabled: true, Expires: exp, Created: resource.FormatTime(time.Now())}, map[string]any{"keyType": "EC-HSM", "ellipticCurveName": "P-256"}),
		resource.NewComponent(resource.TypeCertificate, resource.Ref{ID: vaultID}, vaultID+"/certificates/c1", "c1", resource.ObjectAttributes{Enabled: true, Expires: exp},
			map[string]any{"keyProperties": map[string]any{"keyType": "RSA", "keySize": int64(2048)}, "properties": map[string]any{"validityInMonths": int64(12)},
				"lifetimeActions": []any{map[string]any{"daysBeforeExpiry": int64(30)}}, "issuer": map[string]any{"name": "Self", "commonName": "CN=test"}}),
		resource.NewComponent(resource.TypeHSMKey, resource.Ref{ID: "hsm1"}, "hsm1/keys/k", "k", resource.ObjectAttributes{}, map[string]any{"keyType": "oct-HSM", "keySize": int64(256)}),
		{ID: vaultID + "/providers/microsoft.insights/diagnosticSettings/d1", Type: resource.TypeDiagnosticSetting, Name: "d1", Parent: resource.Ref{ID: vaultID},
			Body: map[string]any{"properties": map[string]any{"workspaceId": "/subscriptions/x/ws", "logs": []any{map[string]any{"category": "AuditEvent", "enabled": true, "retentionPolicy": map[string]any{"enabled": false, "days": int64(0)}}},
				"metrics": []any{map[string]any{"category": "AllMetrics", "enabled": true}}}}},
		{ID: "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Network/privateEndpoints/pe1", Type: resource.TypePrivateEndpoint, Name: "pe1",
			Body: map[string]any{"location": "westeurope", "properties": map[string]any{"privateLinkServiceConnections": []any{map[string]any{"properties": map[string]any{"privateLinkServiceId": vaultID, "groupIds": []any{"vault"}}}}}}},
		{ID: "/subscriptions/00000000-0000-0000-0000-000000000001", Type: resource.TypeSubscription, Name: "00000000-0000-0000-0000-000000000001", Body: map[string]any{}},
	}
	return docs
}

// sliceRelated finds related documents by parent ID and type.
type sliceRelated []*resource.Document

func (s sliceRelated) Related(doc *resource.Document, q RelatedQuery) ([]*resource.Document, bool, string) {
	var out []*resource.Document
	for _, d := range s {
		if d.IsType(q.Type) && (resource.SameID(d.Parent.ID, doc.ID) || resource.SameID(resource.ParentID(d.ID), doc.ID)) {
			out = append(out, d)
		}
	}
	return out, true, ""
}

func TestConformanceBuiltins(t *testing.T) {
	t.Parallel()
	files := builtinFiles(t)
	if len(files) != 88 {
		t.Errorf("found %d definition files under %s, want 88", len(files), builtinDir(t))
	}
	docs := conformanceDocs()
	outcomes := map[Outcome]int{}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(filepath.Dir(f))+"/"+filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			def, err := ParseDefinition(data, f)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			p, err := Compile(def, placeholderParams(def))
			if err != nil {
				t.Fatalf("compile: %v", err)
			}
			for _, d := range docs {
				r := p.Evaluate(d, sliceRelated(docs), Options{})
				if r.Outcome == Error {
					t.Errorf("%s on %s: evaluation error: %v", def.DisplayName, d.Name, r.Err)
				}
				outcomes[r.Outcome]++
			}
		})
	}
	t.Logf("outcomes over %d definitions × %d documents: %v", len(files), len(docs), fmt.Sprint(outcomes))
}

// TestDataPlaneAliasesListed: every Microsoft.KeyVault.Data and
// Microsoft.ManagedHSM.Data alias Microsoft's definitions read has its
// document path in dataPlaneAliases, and every entry there is read by
// one of them, so that the component shapes are a decision, not a
// default.
func TestDataPlaneAliasesListed(t *testing.T) {
	t.Parallel()
	used := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if s, ok := e.(string); ok && strings.EqualFold(k, "field") {
					used[strings.ToLower(s)] = true
				}
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		case string:
			for _, fn := range []string{"field('", "current('"} {
				rest := x
				for {
					i := strings.Index(rest, fn)
					if i < 0 {
						break
					}
					rest = rest[i+len(fn):]
					if j := strings.IndexByte(rest, '\''); j > 0 {
						used[strings.ToLower(rest[:j])] = true
					}
				}
			}
		}
	}
	for _, f := range builtinFiles(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		def, err := ParseDefinition(data, f)
		if err != nil {
			t.Fatal(err)
		}
		walk(def.Rule())
	}
	for a := range used {
		if strings.Contains(a, ".data/") {
			if _, ok := dataPlaneAliases[a]; !ok {
				t.Errorf("data-plane alias %s has no document path in dataPlaneAliases", a)
			}
		}
	}
	for a := range dataPlaneAliases {
		if !used[a] {
			t.Errorf("dataPlaneAliases lists %s, which no built-in reads", a)
		}
	}
}
