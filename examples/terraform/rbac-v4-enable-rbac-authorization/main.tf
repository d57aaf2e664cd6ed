# azurerm v3/v4 argument name enable_rbac_authorization = true.
# Expected: keyvault-rbac Healthy (enableRbacAuthorization true).

resource "azurerm_resource_group" "rg" {
  name     = "rg-kvguard-rbac-v4"
  location = "West Europe"
}

resource "azurerm_key_vault" "kv" {
  name                      = "kv-rbac-v4"
  location                  = azurerm_resource_group.rg.location
  resource_group_name       = azurerm_resource_group.rg.name
  tenant_id                 = "00000000-0000-0000-0000-000000000001"
  sku_name                  = "standard"
  enable_rbac_authorization = true
  purge_protection_enabled  = true

  public_network_access_enabled = false
}
