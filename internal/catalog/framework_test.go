package catalog

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// initiative is the part of a policy set definition the frameworks
// follow.
type initiative struct {
	Name       string `json:"name"`
	Properties struct {
		DisplayName string `json:"displayName"`
		Metadata    struct {
			Version string `json:"version"`
		} `json:"metadata"`
		Parameters        map[string]struct{ DefaultValue any } `json:"parameters"`
		PolicyDefinitions []struct {
			PolicyDefinitionID          string                         `json:"policyDefinitionId"`
			PolicyDefinitionReferenceID string                         `json:"policyDefinitionReferenceId"`
			Parameters                  map[string]struct{ Value any } `json:"parameters"`
			GroupNames                  []string                       `json:"groupNames"`
		} `json:"policyDefinitions"`
	} `json:"properties"`
}

// TestFrameworksFollowInitiatives checks every framework against
// Microsoft's initiative: the same Key Vault policies, reference IDs,
// controls and parameter values, each policy mapped to the
// recommendation that mirrors it, and the control counts that say
// whether Key Vault covers a control alone.
func TestFrameworksFollowInitiatives(t *testing.T) {
	t.Parallel()
	fws, err := Benchmarks()
	if err != nil {
		t.Fatal(err)
	}
	all, err := All(Options{})
	if err != nil {
		t.Fatal(err)
	}
	keyVault := map[string]bool{}
	for _, e := range readIndex(t) {
		keyVault[e.GUID] = true
	}
	want := []string{"cis-azure-2.0.0", "cis-azure-2.1.0", "cis-azure-3.0.0", "mcsb", "mcsb-v2-preview"}
	var got []string
	for _, fw := range fws {
		got = append(got, fw.ID)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("frameworks %v, want %v", got, want)
	}
	for _, fw := range fws {
		t.Run(fw.ID, func(t *testing.T) {
			t.Parallel()
			matches, _ := filepath.Glob(filepath.Join(builtinDir(t), "initiatives", fw.Initiative.ID+"_*.json"))
			if len(matches) != 1 {
				t.Fatalf("initiative %s: %d files", fw.Initiative.ID, len(matches))
			}
			data, err := os.ReadFile(matches[0])
			if err != nil {
				t.Fatal(err)
			}
			var in initiative
			if err := json.Unmarshal(data, &in); err != nil {
				t.Fatal(err)
			}
			if in.Properties.DisplayName != fw.Initiative.DisplayName || in.Properties.Metadata.Version != fw.Initiative.Version {
				t.Errorf("initiative %q %s, framework says %q %s", in.Properties.DisplayName, in.Properties.Metadata.Version, fw.Initiative.DisplayName, fw.Initiative.Version)
			}
			prefix := strings.TrimSuffix(fw.Controls[0].Group, fw.Controls[0].ID)
			perGroup := map[string][2]int{}
			i := 0
			for _, pd := range in.Properties.PolicyDefinitions {
				guid := pd.PolicyDefinitionID[strings.LastIndexByte(pd.PolicyDefinitionID, '/')+1:]
				for _, g := range pd.GroupNames {
					c := perGroup[g]
					c[0]++
					if keyVault[guid] {
						c[1]++
					}
					perGroup[g] = c
				}
				if !keyVault[guid] {
					continue
				}
				if i >= len(fw.Policies) {
					t.Errorf("policy %s (%s) is missing", guid, pd.PolicyDefinitionReferenceID)
					continue
				}
				p := fw.Policies[i]
				i++
				if p.Policy != guid || p.ReferenceID != pd.PolicyDefinitionReferenceID {
					t.Errorf("policy %d is %s %s, the initiative's %s %s", i, p.Policy, p.ReferenceID, guid, pd.PolicyDefinitionReferenceID)
				}
				var controls []string
				for _, g := range pd.GroupNames {
					controls = append(controls, strings.TrimPrefix(g, prefix))
				}
				if !reflect.DeepEqual(controls, p.Controls) {
					t.Errorf("%s: controls %v, the initiative's %v", p.ReferenceID, p.Controls, controls)
				}
				params := map[string]any{}
				for name, v := range pd.Parameters {
					value := v.Value
					if s, ok := value.(string); ok && strings.HasPrefix(s, "[parameters('") {
						value = in.Properties.Parameters[strings.TrimSuffix(strings.TrimPrefix(s, "[parameters('"), "')]")].DefaultValue
					}
					if strings.Contains(strings.ToLower(name), "effect") {
						if !strings.EqualFold(p.Effect, value.(string)) {
							t.Errorf("%s: effect %q, the initiative's %q", p.ReferenceID, p.Effect, value)
						}
						continue
					}
					params[name] = normaliseNumbers(value)
				}
				if len(params) == 0 {
					params = nil
				}
				if !reflect.DeepEqual(params, p.Parameters) {
					t.Errorf("%s: parameters %v, the initiative's %v", p.ReferenceID, p.Parameters, params)
				}
				r, ok := all.Lookup(guid)
				switch {
				case ok && p.Recommendation != r.ID:
					t.Errorf("%s maps to %q, want %s", guid, p.Recommendation, r.ID)
				case !ok && (p.Recommendation != "" || p.NotJudged == ""):
					t.Errorf("%s has no recommendation; the framework must say why it is not judged", guid)
				}
			}
			if i != len(fw.Policies) {
				t.Errorf("%d policies, the initiative has %d Key Vault ones", len(fw.Policies), i)
			}
			for _, c := range fw.Controls {
				n := perGroup[c.Group]
				if c.InitiativePolicies != n[0] || c.KeyVaultPolicies != n[1] {
					t.Errorf("control %s: %d of %d policies, the initiative has %d of %d", c.ID, c.KeyVaultPolicies, c.InitiativePolicies, n[1], n[0])
				}
				if c.Title == "" {
					t.Errorf("control %s has no title", c.ID)
				}
			}
			// Every framework's parameters compile into its policies.
			if _, err := Build(BuildOptions{Framework: fw.ID}); err != nil {
				t.Errorf("build: %v", err)
			}
		})
	}
}
