# azurerm v4.42+/v5 argument name rbac_authorization_enabled = true.
# Expected: keyvault-rbac Healthy.

resource "azurerm_key_vault" "kv" {
  name                       = "kv-rbac-v5"
  location                   = "westeurope"
  resource_group_name        = "rg-kvguard"
  tenant_id                  = "00000000-0000-0000-0000-000000000001"
  sku_name                   = "premium"
  rbac_authorization_enabled = true

  network_acls {
    bypass         = "AzureServices"
    default_action = "Deny"
    ip_rules       = ["203.0.113.0/24"]
  }
}
