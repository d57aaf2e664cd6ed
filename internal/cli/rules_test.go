package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kvguard/kvguard/internal/testcorpus"
)

// TestRulesAllListsEveryBuiltin: kvguard rules --all names every Key
// Vault and Managed HSM built-in of Microsoft's index, with its mode and
// status, and nothing Microsoft does not have.
func TestRulesAllListsEveryBuiltin(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join(testcorpus.Dir(t, testcorpus.AzurePolicy), "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var index []struct {
		GUID, File, DisplayName, Mode, Category string
		Deprecated                              bool
	}
	if err := json.Unmarshal(data, &index); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, []string{"rules", "--all", "--format", "json"}, "")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rules []struct {
		ID            string
		Mode          string
		Deprecated    bool
		Severity      string
		RelatedPolicy struct{ ID string }
		Parameters    []struct{ Name string }
	}
	if err := json.Unmarshal([]byte(out), &rules); err != nil {
		t.Fatal(err)
	}
	listed := map[string]int{}
	for i, r := range rules {
		listed[r.RelatedPolicy.ID] = i
		if r.Severity == "" || r.Mode == "" || len(r.Parameters) == 0 {
			t.Errorf("%s is listed without severity, mode or parameters", r.ID)
		}
	}
	want := map[string]bool{}
	for _, e := range index {
		keyVault := e.Category == "Key Vault" || strings.Contains(e.DisplayName, "Key Vault should use a virtual network service endpoint")
		if strings.HasPrefix(e.File, "azure-government/") || !keyVault {
			continue
		}
		want[e.GUID] = true
		i, ok := listed[e.GUID]
		if !ok {
			t.Errorf("kvguard rules --all does not list %s %q", e.GUID, e.DisplayName)
			continue
		}
		if r := rules[i]; !strings.EqualFold(r.Mode, e.Mode) || r.Deprecated != e.Deprecated {
			t.Errorf("%s: mode %s deprecated %v, Microsoft's %s %v", r.ID, r.Mode, r.Deprecated, e.Mode, e.Deprecated)
		}
	}
	for _, r := range rules {
		if !want[r.RelatedPolicy.ID] {
			t.Errorf("%s mirrors %s, which is not a Key Vault built-in of the index", r.ID, r.RelatedPolicy.ID)
		}
	}
	if len(want) < 49 {
		t.Errorf("the index has %d Key Vault built-ins, want at least 49", len(want))
	}
}
