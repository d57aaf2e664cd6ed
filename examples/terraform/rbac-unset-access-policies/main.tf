# Neither RBAC argument is set: the provider sends enableRbacAuthorization
# = false, and the vault uses access policies.
# Expected: keyvault-rbac Unhealthy; firewall Unhealthy (public, no ACLs).

resource "azurerm_key_vault" "kv" {
  name                = "kv-access-policies"
  location            = "westeurope"
  resource_group_name = "rg-kvguard"
  tenant_id           = "00000000-0000-0000-0000-000000000001"
  sku_name            = "standard"

  access_policy {
    tenant_id          = "00000000-0000-0000-0000-000000000001"
    object_id          = "00000000-0000-0000-0000-0000000000aa"
    secret_permissions = ["Get", "List"]
  }
}
