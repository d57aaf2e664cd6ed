package armtemplate

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kvguard/kvguard/internal/resource"
)

// exampleFiles lists the templates under examples/arm (parameter files and
// linked modules are read through their templates).
func exampleFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(examplesDir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "modules" {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".json") && !strings.HasSuffix(p, ".parameters.json") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples under %s: %v", examplesDir, err)
	}
	return files
}

// TestExamples reads every example template and compares its documents
// with testdata/TestExamples/<name>.golden.
func TestExamples(t *testing.T) {
	t.Parallel()
	for _, f := range exampleFiles(t) {
		rel, _ := filepath.Rel(examplesDir, f)
		name := strings.ReplaceAll(strings.TrimSuffix(filepath.ToSlash(rel), ".json"), "/", "_")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			docs, errs := readAll(t, f, Options{})
			if hard := hardErrors(errs); len(hard) > 0 {
				t.Errorf("errors: %v", hard)
			}
			golden(t, name, renderDocs(t, docs, errs))
			// No secret value ever reaches a document.
			for _, d := range docs {
				b, _ := json.Marshal(d.Body)
				if strings.Contains(string(b), "not-a-real-secret") {
					t.Errorf("%s: a secret value reached the document: %s", d.ID, b)
				}
			}
		})
	}
}

// TestExampleVerdictInputs checks the fields each recommendation reads,
// example by example: what the golden files hold, said plainly.
func TestExampleVerdictInputs(t *testing.T) {
	t.Parallel()
	get := func(t *testing.T, docs []*resource.Document, suffix string, path ...string) any {
		t.Helper()
		d := docByID(docs, suffix)
		if d == nil {
			t.Fatalf("no document ending in %s", suffix)
		}
		v, _ := d.Get(path...)
		return v
	}
	tests := []struct {
		file   string
		suffix string
		path   []string
		want   any // resource.Unknown{} means "any unknown"
	}{
		{"rbac-unhealthy.json", "", []string{"properties", "enableRbacAuthorization"}, false},
		{"rbac-healthy.json", "/kv-rbac-explicit", []string{"properties", "enableRbacAuthorization"}, true},
		{"rbac-default-2026.json", "/kv-rbac-by-default", []string{"properties", "enableRbacAuthorization"}, true},
		{"rbac-default-2026.json", "/kv-rbac-by-default", []string{"properties", "enableSoftDelete"}, true},
		{"soft-delete-unhealthy.json", "/kv-no-soft-delete", []string{"properties", "enableSoftDelete"}, false},
		{"soft-delete-unhealthy.json", "/kv-soft-delete-default", []string{"properties", "enableSoftDelete"}, true},
		{"soft-delete-unhealthy.json", "/kv-soft-delete-default", []string{"properties", "softDeleteRetentionInDays"}, int64(90)},
		{"firewall.json", "/kv-fw-deny", []string{"properties", "networkAcls", "defaultAction"}, "Deny"},
		{"firewall.json", "/kv-fw-pna-off", []string{"properties", "publicNetworkAccess"}, "Disabled"},
		{"firewall.json", "/kv-fw-open", []string{"properties", "networkAcls", "defaultAction"}, "Allow"},
		{"firewall.json", "/kv-fw-open", []string{"properties", "publicNetworkAccess"}, "Enabled"},
		{"secrets-expiry.json", "/secrets/nested-with-expiry", []string{"attributes", "expiresOn"}, "2027-01-01T00:00:00Z"},
		{"secrets-expiry.json", "/secrets/rotating", []string{"attributes", "expiresOn"}, resource.Unknown{}},
		{"secrets-expiry.json", "/secrets/top-level-no-expiry", []string{"attributes", "expiresOn"}, nil},
		{"secrets-expiry.json", "/secrets/db-password", []string{"attributes", "expiresOn"}, "2027-01-01T00:00:00Z"},
		{"secrets-expiry.json", "/secrets/api-key", []string{"attributes", "expiresOn"}, nil},
		{"secrets-expiry.json", "/secrets/cert-pass", []string{"attributes", "expiresOn"}, "2028-01-01T00:00:00Z"},
		{"secrets-expiry.json", "/secrets/nested-with-expiry", []string{"contentType"}, "text/plain"},
		{"keys-expiry.json", "/keys/signing", []string{"attributes", "expiresOn"}, "2027-06-30T00:00:00Z"},
		{"keys-expiry.json", "/keys/signing", []string{"keyType"}, "EC-HSM"},
		{"keys-expiry.json", "/keys/signing", []string{"ellipticCurveName"}, "P-256"},
		{"keys-expiry.json", "/keys/rotated-only", []string{"attributes", "expiresOn"}, nil},
		{"keys-expiry.json", "/keys/rotated-only", []string{"keySize"}, int64(3072)},
		{"keys-expiry.json", "/kv-keys-expiring/keys/cmk", []string{"attributes", "expiresOn"}, "2028-01-01T00:00:00Z"},
		{"private-link.json", "/privateEndpoints/pe-kv-pl-auto", []string{"properties", "privateLinkServiceConnections"}, []any{map[string]any{
			"name": "kv", "properties": map[string]any{
				"privateLinkServiceId":              "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/kvguard-rg/providers/Microsoft.KeyVault/vaults/kv-pl-auto",
				"groupIds":                          []any{"vault"},
				"privateLinkServiceConnectionState": map[string]any{"status": "Approved"},
			}}}},
		{"nested-deployment.json", "/privateEndpoints/pe-nested-inner", []string{"properties", "privateLinkServiceConnections"}, []any{map[string]any{
			"name": "kv", "properties": map[string]any{
				"privateLinkServiceId":              "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/kvguard-rg/providers/Microsoft.KeyVault/vaults/kv-nested-inner",
				"groupIds":                          []any{"vault"},
				"privateLinkServiceConnectionState": map[string]any{"status": "Approved"},
			}}}},
		{"nested-deployment.json", "/resourceGroups/kv-other-rg/providers/Microsoft.KeyVault/vaults/kv-nested-outer", []string{"properties", "publicNetworkAccess"}, "Enabled"},
		{"symbolic-names.json", "/keys/legacy", []string{"attributes", "expiresOn"}, nil},
		{"symbolic-names.json", "/keys/cmk", []string{"attributes", "expiresOn"}, "2028-01-01T00:00:00Z"},
		{"with-parameters/azuredeploy.json", "/vaults/kv-from-params", []string{"properties", "enableRbacAuthorization"}, true},
		{"with-parameters/azuredeploy.json", "/vaults/kv-from-params", []string{"properties", "networkAcls", "defaultAction"}, "Deny"},
		{"with-parameters/azuredeploy.json", "/secrets/storage-connection", []string{"attributes", "expiresOn"}, "2027-01-01T00:00:00Z"},
		{"linked/main.json", "/vaults/kv-linked", []string{"properties", "enableRbacAuthorization"}, true},
	}
	cache := map[string][]*resource.Document{}
	for _, tt := range tests {
		docs, ok := cache[tt.file]
		if !ok {
			docs, _ = readAll(t, filepath.Join(examplesDir, filepath.FromSlash(tt.file)), Options{})
			cache[tt.file] = docs
		}
		got := get(t, docs, tt.suffix, tt.path...)
		if _, wantUnknown := tt.want.(resource.Unknown); wantUnknown {
			if !resource.IsUnknown(got) {
				t.Errorf("%s %s %v = %#v, want unknown", tt.file, tt.suffix, tt.path, got)
			}
			continue
		}
		if !jsonEqual(got, tt.want) {
			t.Errorf("%s %s %v = %#v, want %#v", tt.file, tt.suffix, tt.path, got, tt.want)
		}
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// TestExampleLinks checks parents: children of a vault (nested, top level,
// copied, in a nested deployment, of an existing vault) name the vault's
// document ID; diagnostic settings name the vault they extend.
func TestExampleLinks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file, child, parent string
	}{
		{"secrets-expiry.json", "/secrets/nested-with-expiry", "/vaults/kv-secrets"},
		{"keys-expiry.json", "/keys/cmk", "/vaults/kv-keys-expiring"},
		{"secrets-expiry.json", "/secrets/top-level-no-expiry", "/vaults/kv-secrets"},
		{"secrets-expiry.json", "/secrets/api-key", "/vaults/kv-secrets"},
		{"nested-deployment.json", "/secrets/app-secret", "/vaults/kv-nested-inner"},
		{"symbolic-names.json", "/secrets/team-token", "/vaults/kv-shared-platform"},
		{"symbolic-names.json", "/diagnosticSettings/audit", "/vaults/kv-prod-kdrunf"},
	}
	for _, tt := range tests {
		docs, _ := readAll(t, filepath.Join(examplesDir, tt.file), Options{})
		c := docByID(docs, tt.child)
		if c == nil {
			t.Errorf("%s: no %s", tt.file, tt.child)
			continue
		}
		if !strings.HasSuffix(c.Parent.ID, tt.parent) {
			t.Errorf("%s: %s parent = %q, want ...%s", tt.file, tt.child, c.Parent.ID, tt.parent)
		}
		if p := docByID(docs, tt.parent); p != nil && p.ID != c.Parent.ID {
			t.Errorf("%s: parent %q is not the vault document's ID %q", tt.file, c.Parent.ID, p.ID)
		}
	}
}
