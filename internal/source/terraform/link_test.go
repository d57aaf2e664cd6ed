package terraform

import "testing"

// TestConditionalLinks: a reference chosen by a conditional whose
// condition is known links to the vault chosen, as Terraform applies it.
// HCL marks a conditional's result with the marks of both branches, so
// without narrowing the id carried two vaults and linked to neither: a
// private endpoint's Approved connection, a secret or a key was then
// missing from the vault Azure would give it to.
func TestConditionalLinks(t *testing.T) {
	t.Parallel()
	const (
		idA = "/subscriptions/{subscription}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/a"
		idB = "/subscriptions/{subscription}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/b"
	)
	dir := writeTree(t, map[string]string{
		"main.tf": `
variable "shared" {
  type    = bool
  default = true
}
variable "unknown" { type = bool }
locals {
  kv_id = var.shared ? azurerm_key_vault.b.id : azurerm_key_vault.a.id
}
` + vault("a", "") + vault("b", "") + `
resource "azurerm_key_vault_secret" "direct" {
  name         = "direct"
  key_vault_id = var.shared ? azurerm_key_vault.a.id : azurerm_key_vault.b.id
  value        = "x"
}
resource "azurerm_key_vault_secret" "paren" {
  name         = "paren"
  key_vault_id = (!var.shared ? azurerm_key_vault.a.id : azurerm_key_vault.b.id)
  value        = "x"
}
resource "azurerm_key_vault_secret" "local" {
  name         = "local"
  key_vault_id = local.kv_id
  value        = "x"
}
resource "azurerm_key_vault_secret" "nested" {
  name         = "nested"
  key_vault_id = var.shared ? (false ? azurerm_key_vault.b.id : azurerm_key_vault.a.id) : azurerm_key_vault.b.id
  value        = "x"
}
resource "azurerm_key_vault_secret" "unknown" {
  name         = "unknown"
  key_vault_id = var.unknown ? azurerm_key_vault.a.id : azurerm_key_vault.b.id
  value        = "x"
}
resource "azurerm_key_vault_key" "module" {
  name         = "module"
  key_vault_id = module.pick.id
  key_type     = "RSA"
}
module "pick" {
  source = "./pick"
  first  = false
  a      = azurerm_key_vault.a.id
  b      = azurerm_key_vault.b.id
}
resource "azurerm_private_endpoint" "pe" {
  count               = 2
  name                = "pe-${count.index}"
  location            = "westeurope"
  resource_group_name = "rg"
  subnet_id           = "/subnets/pe"
  private_service_connection {
    name                           = "psc"
    private_connection_resource_id = count.index == 0 ? azurerm_key_vault.a.id : azurerm_key_vault.b.id
    subresource_names              = ["vault"]
    is_manual_connection           = false
  }
}
`,
		"pick/main.tf": `
variable "first" { type = bool }
variable "a" { type = string }
variable "b" { type = string }
output "id" {
  value = var.first ? var.a : var.b
}
`,
	})
	docs, errs, _ := read(t, dir, Options{})
	for _, e := range errs {
		t.Errorf("unexpected error: %v", e)
	}
	for addr, want := range map[string]string{
		"azurerm_key_vault_secret.direct":  idA,
		"azurerm_key_vault_secret.paren":   idB,
		"azurerm_key_vault_secret.local":   idB,
		"azurerm_key_vault_secret.nested":  idA,
		"azurerm_key_vault_secret.unknown": "terraform:var.unknown ? azurerm_key_vault.a.id : azurerm_key_vault.b.id",
		"azurerm_key_vault_key.module":     idB,
	} {
		if got := byAddress(t, docs, addr).Parent.ID; got != want {
			t.Errorf("%s: parent = %q, want %q", addr, got, want)
		}
	}
	for addr, want := range map[string]string{
		"azurerm_private_endpoint.pe[0]": idA,
		"azurerm_private_endpoint.pe[1]": idB,
	} {
		d := byAddress(t, docs, addr)
		if got := at(t, d, "properties.privateLinkServiceConnections.0.properties.privateLinkServiceId"); got != want {
			t.Errorf("%s: privateLinkServiceId = %v, want %s", addr, got, want)
		}
	}
}
