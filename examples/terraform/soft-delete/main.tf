# Soft delete is always on since azurerm 3.0; only a 2.x configuration
# could say soft_delete_enabled = false.
# Expected: "kv-soft-default" Healthy; "kv-soft-legacy-off" Unhealthy.

resource "azurerm_key_vault" "default" {
  name                       = "kv-soft-default"
  location                   = "westeurope"
  resource_group_name        = "rg-kvguard"
  tenant_id                  = "00000000-0000-0000-0000-000000000001"
  sku_name                   = "standard"
  rbac_authorization_enabled = true
  soft_delete_retention_days = 7
}

resource "azurerm_key_vault" "legacy_off" {
  name                = "kv-soft-legacy-off"
  location            = "westeurope"
  resource_group_name = "rg-kvguard"
  tenant_id           = "00000000-0000-0000-0000-000000000001"
  sku_name            = "standard"
  soft_delete_enabled = false
}
