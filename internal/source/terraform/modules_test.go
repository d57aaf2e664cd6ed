package terraform

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestModuleCycle: modules that call each other through local sources
// give an input error naming the cycle, and the read ends.
func TestModuleCycle(t *testing.T) {
	t.Parallel()
	tree := writeTree(t, map[string]string{
		"a/main.tf": "module \"b\" {\n  source = \"../b\"\n}\n" + vault("kv_a", ""),
		"b/main.tf": "module \"a\" {\n  source = \"../a\"\n}\n" + vault("kv_b", ""),
	})
	a, b := filepath.Join(tree, "a"), filepath.Join(tree, "b")
	for _, root := range []string{a, b} {
		docs, errs, _ := read(t, root, Options{})
		msgs := messages(errs)
		other := a
		if root == a {
			other = b
		}
		want := "module cycle: " + root + " → " + other + " → " + root
		if len(errs) != 1 || !strings.Contains(msgs, want) || !strings.Contains(msgs, "main.tf:2:") {
			t.Errorf("errors %q, want one naming %q", msgs, want)
		}
		if len(docs) != 2 {
			t.Errorf("%d documents, want both vaults", len(docs))
		}
	}
}

// TestUnfollowedModules: a vault handed to a module that was not read (a
// registry module not on disk), by any value derived from it, or named
// by such a module, is marked: what the module creates is unknown. A
// vault not handed to it, or handed to a module that was read, is not.
func TestUnfollowedModules(t *testing.T) {
	t.Parallel()
	const pe = `module.pe ("Azure/avm-res-network-privateendpoint/azurerm" version 0.2.0)`
	dir := writeTree(t, map[string]string{
		"main.tf": vault("by_id", "") + vault("by_name", "") + vault("by_local", "") + vault("by_each", "") +
			vault("through_local_module", "") + vault("kept", "") + vault("to_fetched", "") + `
locals {
  kv = azurerm_key_vault.by_local
}
module "pe" {
  source                         = "Azure/avm-res-network-privateendpoint/azurerm"
  version                        = "0.2.0"
  private_connection_resource_id = azurerm_key_vault.by_id.id
  tags                           = { vault = "${azurerm_key_vault.by_name.name}-pe" }
  vault                          = local.kv
}
module "diag" {
  source   = "git::https://example.com/diag.git"
  for_each = { a = azurerm_key_vault.by_each.id }
  target   = each.value
}
module "wrap" {
  source = "./wrap"
  kv_id  = azurerm_key_vault.through_local_module.id
}
module "fetched" {
  source = "Azure/fetched/azurerm"
  kv_id  = azurerm_key_vault.to_fetched.id
}
module "naming" {
  source = "Azure/naming/azurerm"
}
resource "azurerm_key_vault" "named" {
  name                = module.naming.key_vault.name_unique
  resource_group_name = "rg"
}
`,
		"wrap/main.tf":                       "variable \"kv_id\" {}\nmodule \"secrets\" {\n  source = \"app.terraform.io/org/secrets/azurerm\"\n  key_vault_id = var.kv_id\n}\n",
		".terraform/modules/modules.json":    `{"Modules":[{"Key":"fetched","Dir":".terraform/modules/fetched"}]}`,
		".terraform/modules/fetched/main.tf": "variable \"kv_id\" {}\n",
	})
	docs, errs, _ := read(t, dir, Options{})
	if len(errs) > 0 {
		t.Fatal(messages(errs))
	}
	tests := []struct {
		addr string
		want []string // substrings of Unfollowed(); none: not marked
	}{
		{"azurerm_key_vault.by_id", []string{pe + " was not read (not on disk: run terraform init to fetch it)"}},
		{"azurerm_key_vault.by_name", []string{pe}},
		{"azurerm_key_vault.by_local", []string{pe}},
		{"azurerm_key_vault.by_each", []string{`module.diag ("git::https://example.com/diag.git")`}},
		{"azurerm_key_vault.through_local_module", []string{`module.wrap.module.secrets ("app.terraform.io/org/secrets/azurerm")`}},
		{"azurerm_key_vault.named", []string{`module.naming ("Azure/naming/azurerm")`}},
		{"azurerm_key_vault.kept", nil},
		{"azurerm_key_vault.to_fetched", nil},
	}
	for _, tc := range tests {
		got := byAddress(t, docs, tc.addr).Unfollowed()
		if len(tc.want) == 0 && got != "" {
			t.Errorf("%s marked: %s", tc.addr, got)
		}
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: Unfollowed() = %q, want it to contain %q", tc.addr, got, w)
			}
		}
	}
}

// TestModuleCycleThroughSymlink: a module that calls itself through a
// symlink to its own directory is a cycle too, not 2^32 instances.
func TestModuleCycleThroughSymlink(t *testing.T) {
	t.Parallel()
	dir := writeTree(t, map[string]string{
		"main.tf":   "module \"m\" {\n  source = \"./m\"\n}\n",
		"m/main.tf": "module \"a\" {\n  source = \"./self\"\n}\nmodule \"b\" {\n  source = \"./self\"\n}\n" + vault("kv", ""),
	})
	if err := os.Symlink(".", filepath.Join(dir, "m", "self")); err != nil {
		t.Skip("symlinks not available:", err)
	}
	docs, errs, _ := read(t, dir, Options{})
	if len(docs) != 1 || len(errs) != 2 || !strings.Contains(messages(errs), "module.m.module.a: module cycle: ") {
		t.Errorf("%d documents, errors %q", len(docs), messages(errs))
	}
}
