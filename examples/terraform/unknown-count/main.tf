# A vault whose count depends on a variable without value, and a name
# from a data source: kvguard judges it once, as azurerm_key_vault.kv[*],
# with a warning, under the ID terraform:azurerm_key_vault.kv[*].
# Expected: rbac Healthy; firewall Unknown (public_network_access_enabled
# comes from a variable without value).

variable "vault_count" {
  type = number
}

variable "public_access" {
  type = bool
}

data "azurerm_resource_group" "rg" {
  name = "rg-existing"
}

resource "azurerm_key_vault" "kv" {
  count = var.vault_count

  name                          = "kv-unknown-${count.index}"
  location                      = "westeurope"
  resource_group_name           = data.azurerm_resource_group.rg.name
  tenant_id                     = "00000000-0000-0000-0000-000000000001"
  sku_name                      = "standard"
  rbac_authorization_enabled    = true
  public_network_access_enabled = var.public_access
}
