package catalog

import (
	"encoding/json"
	"fmt"
	"github.com/kvguard/kvguard/internal/testcorpus"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kvguard/kvguard/internal/policy"
	"github.com/kvguard/kvguard/internal/resource"
)

func builtinDir(t testing.TB) string {
	t.Helper()
	return testcorpus.Dir(t, testcorpus.AzurePolicy)
}

func microsoft(t *testing.T, guid string, params map[string]any) *policy.Policy {
	t.Helper()
	f := filepath.Join(builtinDir(t), guid+".json")
	data, err := os.ReadFile(f)
	if err != nil {
		t.Skipf("Microsoft's definition %s is not available (set KVGUARD_AZURE_POLICY_DIR): %v", guid, err)
	}
	def, err := policy.ParseDefinition(data, f)
	if err != nil {
		t.Fatal(err)
	}
	p, err := policy.Compile(def, params)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCatalogMetadata(t *testing.T) {
	t.Parallel()
	c, err := Defender(Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ id, title, sev, guid string }{
		{"keyvault-rbac", "Role-Based Access Control should be used on Keyvault Services", "High", "12d4fa5e-1f9f-4c21-97a9-b99b3c6611b5"},
		{"keyvault-secret-expiry", "Key Vault secrets should have an expiration date", "High", "98728c90-32c7-4049-8429-847dc0f4fe37"},
		{"keyvault-key-expiry", "Key Vault keys should have an expiration date", "High", "152b15f7-8e1f-4c1f-ab71-8c010ba5dbc0"},
		{"keyvault-soft-delete", "Key vaults should have soft delete enabled", "High", "1e66c121-a66a-4b1f-9b83-0fd99bf0fc2d"},
		{"keyvault-firewall", "Azure Key Vault should have firewall enabled or public network access disabled", "Medium", "55615ac9-af46-4a59-874e-391cc3dfb490"},
		{"keyvault-private-link", "Azure Key Vaults should use private link", "Medium", "a6abeaec-4d90-4a02-805f-6b26c4d3fbe9"},
	}
	if len(c.Recommendations) != len(want) {
		t.Fatalf("%d recommendations, want %d", len(c.Recommendations), len(want))
	}
	for i, w := range want {
		r := c.Recommendations[i]
		if r.ID != w.id || r.Title != w.title || string(r.Severity) != w.sev || r.RelatedPolicy.ID != w.guid {
			t.Errorf("recommendation %d = %s %q %s %s, want %+v", i, r.ID, r.Title, r.Severity, r.RelatedPolicy.ID, w)
		}
		if r.Remediation.Portal == "" || r.Remediation.CLI == "" || r.Remediation.Terraform == "" || r.Remediation.Bicep == "" {
			t.Errorf("%s lacks remediation for a tool", r.ID)
		}
		if r.Description == "" || r.Rationale == "" || r.Logic == "" || r.Requirement == "" || len(r.Frameworks) == 0 {
			t.Errorf("%s lacks descriptive metadata", r.ID)
		}
		if byGUID, ok := c.Lookup(w.guid); !ok || byGUID != r {
			t.Errorf("lookup by policy GUID %s failed", w.guid)
		}
		// Our own words: the definition text must not be Microsoft's.
		if strings.EqualFold(r.Definition.DisplayName, r.RelatedPolicy.DisplayName) {
			t.Errorf("%s reuses Microsoft's display name for its definition", r.ID)
		}
	}
}

// vaultVariants is the cross product of the values each control-plane rule reads.
func vaultVariants() []*resource.Document {
	unk := resource.Unknown{Expr: "var.x"}
	absent := struct{}{}
	bools := []any{absent, true, false, "False", "TRUE", nil, unk}
	createModes := []any{absent, "recover", "Default"}
	actions := []any{absent, "Allow", "Deny", "deny", unk, "noacls"}
	pnas := []any{absent, "Enabled", "Disabled", "disabled", "SecuredByPerimeter", unk}
	conns := [][]any{nil, {}, {"Pending"}, {"Approved"}, {"Rejected", "approved"}, {unk}, {"Disconnected", unk}}
	var docs []*resource.Document
	n := 0
	for _, rbac := range bools {
		for _, sd := range bools {
			for _, cm := range createModes {
				for _, act := range actions {
					for _, pna := range pnas {
						for _, cs := range conns {
							props := map[string]any{}
							set := func(k string, v any) {
								if v != absent {
									props[k] = v
								}
							}
							set("enableRbacAuthorization", rbac)
							set("enableSoftDelete", sd)
							set("createMode", cm)
							set("publicNetworkAccess", pna)
							switch act {
							case absent:
							case "noacls":
								props["networkAcls"] = map[string]any{"bypass": "AzureServices"}
							default:
								props["networkAcls"] = map[string]any{"defaultAction": act, "ipRules": []any{map[string]any{"value": "52.1.2.3"}, map[string]any{"value": "10.1.0.0/24"}}}
							}
							if cs != nil {
								var list []any
								for _, st := range cs {
									list = append(list, map[string]any{"properties": map[string]any{"privateLinkServiceConnectionState": map[string]any{"status": st}}})
								}
								props["privateEndpointConnections"] = list
							}
							n++
							id := fmt.Sprintf("/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv%d", n)
							docs = append(docs, &resource.Document{ID: id, Type: resource.TypeVault, Name: fmt.Sprintf("kv%d", n),
								Body: map[string]any{"id": id, "type": resource.TypeVault, "location": "eastus", "properties": props}})
						}
					}
				}
			}
		}
	}
	return docs
}

func componentVariants() []*resource.Document {
	var docs []*resource.Document
	for _, typ := range []string{resource.TypeSecret, resource.TypeKey, resource.TypeCertificate} {
		for _, exp := range []any{nil, "2027-01-01T00:00:00Z", "2020-01-01T00:00:00Z", resource.Unknown{Expr: "timeadd(timestamp(), \"24h\")"}} {
			for _, en := range []any{nil, true, false} {
				docs = append(docs, resource.NewComponent(typ, resource.Ref{ID: "v"}, "id", "n", resource.ObjectAttributes{Enabled: en, Expires: exp}, nil))
			}
		}
	}
	return docs
}

// TestSameVerdictsAsMicrosoft compares every recommendation's definition
// with the built-in it mirrors, on every variant document.
func TestSameVerdictsAsMicrosoft(t *testing.T) {
	t.Parallel()
	docs := append(vaultVariants(), componentVariants()...)
	now := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	paramSets := map[string][]map[string]any{
		"keyvault-firewall": {
			nil,
			{"restrictIPAddresses": "Yes", "allowedIPAddresses": []any{"10.0.0.0/8"}},
			{"restrictIPAddresses": "Yes", "forbiddenIPAddresses": []any{"52.0.0.0/8"}},
			{"restrictIPAddresses": "Yes", "allowedIPAddresses": []any{"52.1.2.3", "10.1.0.0/16"}, "forbiddenIPAddresses": []any{"10.1.0.5"}},
		},
	}
	c, err := Defender(Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range c.Recommendations {
		sets := paramSets[r.ID]
		if sets == nil {
			sets = []map[string]any{nil}
		}
		for si, params := range sets {
			t.Run(fmt.Sprintf("%s/params%d", r.ID, si), func(t *testing.T) {
				ours, err := policy.Compile(r.Definition, params)
				if err != nil {
					t.Fatal(err)
				}
				theirs := microsoft(t, r.RelatedPolicy.ID, params)
				counts := map[policy.Outcome]int{}
				for _, d := range docs {
					a := ours.Evaluate(d, nil, policy.Options{Now: now})
					b := theirs.Evaluate(d, nil, policy.Options{Now: now})
					if a.Outcome != b.Outcome {
						t.Errorf("%s: kvguard %v, Microsoft %v on %v", r.ID, a.Outcome, b.Outcome, d.Body)
					}
					counts[a.Outcome]++
				}
				// The variants must exercise every verdict the rule can give.
				for _, o := range []policy.Outcome{policy.Compliant, policy.NonCompliant} {
					if counts[o] == 0 {
						t.Errorf("no variant came out %v: the test documents do not exercise the rule", o)
					}
				}
				t.Logf("%d documents: %v", len(docs), counts)
			})
		}
	}
}

// indexEntry is one line of the built-in definitions' index.json.
type indexEntry struct {
	GUID        string `json:"guid"`
	File        string `json:"file"`
	DisplayName string `json:"displayName"`
	Mode        string `json:"mode"`
	Version     string `json:"version"`
	Category    string `json:"category"`
	Preview     bool   `json:"preview"`
	Deprecated  bool   `json:"deprecated"`
}

func readIndex(t *testing.T) []indexEntry {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(builtinDir(t), "index.json"))
	if err != nil {
		t.Skipf("index.json of Microsoft's definitions is not available: %v", err)
	}
	var idx []indexEntry
	if err := json.Unmarshal(data, &idx); err != nil {
		t.Fatal(err)
	}
	return idx
}

// TestEveryBuiltinHasARecommendation: every public Key Vault built-in
// (and the Key Vault service endpoint one filed under Network) has a
// recommendation, with Microsoft's name, version, mode and status.
func TestEveryBuiltinHasARecommendation(t *testing.T) {
	t.Parallel()
	all, err := All(Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, e := range readIndex(t) {
		if strings.Contains(e.File, "azure-government") || (e.Category != "Key Vault" && e.GUID != "ea4d6841-2173-4317-9747-ff522a45120f") {
			continue
		}
		want++
		r, ok := all.Lookup(e.GUID)
		if !ok {
			t.Errorf("no recommendation for %s %q", e.GUID, e.DisplayName)
			continue
		}
		if r.RelatedPolicy.DisplayName != e.DisplayName || r.RelatedPolicy.Version != e.Version {
			t.Errorf("%s names %q %s, Microsoft's is %q %s", r.ID, r.RelatedPolicy.DisplayName, r.RelatedPolicy.Version, e.DisplayName, e.Version)
		}
		if !strings.EqualFold(r.Definition.Mode, e.Mode) {
			t.Errorf("%s has mode %s, Microsoft's %s", r.ID, r.Definition.Mode, e.Mode)
		}
		if r.Deprecated != e.Deprecated || r.Preview != e.Preview {
			t.Errorf("%s: deprecated %v preview %v, Microsoft's %v %v", r.ID, r.Deprecated, r.Preview, e.Deprecated, e.Preview)
		}
	}
	if len(all.Recommendations) != want {
		t.Errorf("%d recommendations, %d built-ins", len(all.Recommendations), want)
	}
}

func TestEveryRecommendationDescribed(t *testing.T) {
	t.Parallel()
	all, err := All(Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range all.Recommendations {
		if r.Remediation.Portal == "" || r.Remediation.CLI == "" || r.Remediation.Terraform == "" || r.Remediation.Bicep == "" {
			t.Errorf("%s lacks remediation for a tool", r.ID)
		}
		if r.Title == "" || r.Description == "" || r.Rationale == "" || r.Logic == "" || r.Requirement == "" || r.UnhealthyText == "" {
			t.Errorf("%s lacks descriptive metadata", r.ID)
		}
		if r.Severity.Rank() == 0 {
			t.Errorf("%s has severity %q", r.ID, r.Severity)
		}
		if r.Component != "" && (r.ComponentNoun == "" || r.ComponentUnhealthyText == "") {
			t.Errorf("%s judges components but does not phrase their findings", r.ID)
		}
		// Our own words: neither the definition's name nor its
		// description is Microsoft's.
		if strings.EqualFold(r.Definition.DisplayName, r.RelatedPolicy.DisplayName) || strings.EqualFold(r.Title, r.RelatedPolicy.DisplayName) && !r.Default {
			t.Errorf("%s reuses Microsoft's display name", r.ID)
		}
		if r.Judgeable() == (len(r.NeedsParams) > 0) {
			t.Errorf("%s: judgeable %v with parameters %v lacking values", r.ID, r.Judgeable(), r.NeedsParams)
		}
	}
}

func TestDescriptionsAreOurOwn(t *testing.T) {
	t.Parallel()
	all, err := All(Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range all.Recommendations {
		for _, f := range microsoftFiles(t, r.RelatedPolicy.ID) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			def, err := policy.ParseDefinition(data, f)
			if err != nil {
				t.Fatal(err)
			}
			for _, ours := range []string{r.Description, r.Definition.Description, r.Rationale, r.Logic} {
				if def.Description != "" && strings.Contains(ours, def.Description) {
					t.Errorf("%s copies Microsoft's description of %s", r.ID, r.RelatedPolicy.ID)
				}
			}
		}
	}
}
