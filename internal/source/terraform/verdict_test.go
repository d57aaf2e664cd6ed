package terraform_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kvguard/kvguard/internal/catalog"
	"github.com/kvguard/kvguard/internal/policy"
	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/source/terraform"
)

// judge reads a main.tf and evaluates every control-plane recommendation
// of the catalog on the vault it declares, as the assessor does.
func judge(t *testing.T, src string) (map[string]policy.Result, []error) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	var vault *resource.Document
	err := terraform.New(terraform.Options{}).Read(context.Background(), dir, func(d *resource.Document) {
		if d.IsType(resource.TypeVault) {
			vault = d
		}
	})
	var errs []error
	if err != nil {
		errs = append(errs, err)
	}
	if vault == nil {
		t.Fatalf("no vault read: %v", err)
	}
	cat, err := catalog.Defender(catalog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]policy.Result{}
	for _, r := range cat.Recommendations {
		if r.Policy.Mode() != "indexed" && r.Policy.Mode() != "all" {
			continue
		}
		out[r.ID] = r.Policy.Evaluate(vault, noRelated{}, policy.Options{})
	}
	return out, errs
}

// noRelated stands for a scan in which the vault has no private endpoint
// or diagnostic setting.
type noRelated struct{}

func (noRelated) Related(*resource.Document, policy.RelatedQuery) ([]*resource.Document, bool, string) {
	return nil, true, ""
}

// TestSparseVaultIsJudged: a vault declared with only a name and
// network_acls gets a verdict on every control-plane recommendation (it
// has no location, so Indexed mode used to leave it out of all of them),
// and the missing required arguments are reported.
func TestSparseVaultIsJudged(t *testing.T) {
	t.Parallel()
	got, errs := judge(t, `resource "azurerm_key_vault" "kv" {
  name = "kv-sparse"
  network_acls {
    default_action = "Deny"
    bypass         = "AzureServices"
  }
}
`)
	want := map[string]policy.Outcome{
		"keyvault-rbac":         policy.NonCompliant,
		"keyvault-soft-delete":  policy.Compliant,
		"keyvault-firewall":     policy.Compliant,
		"keyvault-private-link": policy.NonCompliant,
	}
	for id, w := range want {
		if got[id].Outcome != w {
			t.Errorf("%s: %v, want %v", id, got[id].Outcome, w)
		}
	}
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), `the required arguments "location", "resource_group_name", "sku_name", "tenant_id" are not set`) {
		t.Errorf("errors %v", errs)
	}
}

// TestDynamicNetworkAclsVerdict: a dynamic "network_acls" whose for_each
// is not known is either absent (Azure stores no firewall: all networks
// allowed) or the block its content gives. When both possibilities allow
// all networks the vault is non-compliant for every value; when they
// differ the verdict is Unknown and says which value decides it.
func TestDynamicNetworkAclsVerdict(t *testing.T) {
	t.Parallel()
	const expr = `dynamic "network_acls" for_each = var.acls`
	src := func(action string) string {
		return `variable "acls" {}
resource "azurerm_key_vault" "kv" {
  name                = "kv-dyn"
  location            = "westeurope"
  resource_group_name = "rg"
  tenant_id           = "00000000-0000-0000-0000-000000000001"
  sku_name            = "standard"
  dynamic "network_acls" {
    for_each = var.acls
    content {
      bypass         = "AzureServices"
      default_action = "` + action + `"
    }
  }
}
`
	}
	tests := []struct {
		action string
		want   policy.Outcome
		note   string
	}{
		{"Allow", policy.NonCompliant, "the same for every value of " + expr},
		{"Deny", policy.Unknown, "the verdict depends on " + expr + ": NonCompliant when " + expr + " = (absent); Compliant when " + expr + ` = {"bypass":"AzureServices","defaultAction":"Deny","ipRules":[],"virtualNetworkRul…`},
	}
	for _, tc := range tests {
		got, errs := judge(t, src(tc.action))
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		r := got["keyvault-firewall"]
		if r.Outcome != tc.want || r.Note() != tc.note {
			t.Errorf("default_action %s: %v, %q; want %v, %q", tc.action, r.Outcome, r.Note(), tc.want, tc.note)
		}
	}
}
