package saved

import (
	"github.com/kvguard/kvguard/internal/testcorpus"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kvguard/kvguard/internal/resource"
)

// corpusPSRule is a real export of live resources (PSRule for Azure's
// Export-AzRuleData, Azure PowerShell shape with nested child resources),
// kept in the shared corpus rather than copied here (see testcorpus).
func corpusPSRule(t *testing.T) string {
	t.Helper()
	p := testcorpus.Dir(t, testcorpus.Corpus) + "/PSRule.Rules.Azure/tests/PSRule.Rules.Azure.Tests/Resources.KeyVault.json"
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("the corpus lacks the PSRule export: %v", err)
	}
	return p
}

// TestCorpusPSRule reads the PSRule export: three vaults, each diagnostic
// setting linked to the vault its ID names (keyvault-C's export nests the
// setting of keyvault-B), PowerShell members turned back into ARM ones.
func TestCorpusPSRule(t *testing.T) {
	t.Parallel()
	path := corpusPSRule(t)
	r, docs := readAll(t, path, Options{})
	if len(r.Errors) > 0 || len(r.Warnings) > 0 {
		t.Fatalf("errors %q, warnings %q", r.Errors, r.Warnings)
	}
	const sub = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-test/providers/Microsoft.KeyVault/vaults/"
	const subLower = "/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/rg-test/providers/microsoft.keyvault/vaults/"
	type row struct {
		Type, Name, Parent string
		Lines              [2]int
		SoftDelete         any
		Purge              any
	}
	var got []row
	for _, d := range docs {
		checkInvariants(t, d)
		sd, _ := d.Get("properties", "enableSoftDelete")
		pp, _ := d.Get("properties", "enablePurgeProtection")
		got = append(got, row{d.Type, d.Name, d.Parent.ID, [2]int{d.Source.StartLine, d.Source.EndLine}, sd, pp})
		for _, k := range psOnly {
			if _, ok := d.Body[k]; ok {
				t.Errorf("%s: PowerShell member %s left in the body", d.ID, k)
			}
		}
	}
	want := []row{
		{resource.TypeDiagnosticSetting, "monitor", subLower + "keyvault-A", [2]int{52, 97}, nil, nil},
		{resource.TypeVault, "keyvault-A", "", [2]int{2, 99}, true, true},
		{resource.TypeVault, "keyvault-B", "", [2]int{100, 147}, false, nil},
		{resource.TypeDiagnosticSetting, "monitor", subLower + "keyvault-B", [2]int{178, 223}, nil, nil},
		{resource.TypeVault, "keyvault-C", "", [2]int{148, 225}, true, false},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if docs[1].ID != sub+"keyvault-A" || docs[1].Body["location"] != "region" {
		t.Errorf("keyvault-A: id %s, body %v", docs[1].ID, docs[1].Body)
	}
}
