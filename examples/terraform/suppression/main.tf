# A vault that keeps access policies on purpose, with a suppression that
# expires, and a secret suppressed on its header line.
# Expected: keyvault-rbac Exempt until 2027-06-30 (then Unhealthy, saying
# the suppression expired); secret expiry Exempt.

# kvguard:ignore keyvault-rbac legacy app needs access policies exp:2027-06-30
resource "azurerm_key_vault" "legacy" {
  name                          = "kv-suppressed"
  location                      = "westeurope"
  resource_group_name           = "rg-kvguard"
  tenant_id                     = "00000000-0000-0000-0000-000000000001"
  sku_name                      = "standard"
  public_network_access_enabled = false
}

resource "azurerm_key_vault_secret" "bootstrap" { // kvguard:ignore keyvault-secret-expiry rotated by the pipeline
  name         = "bootstrap"
  key_vault_id = azurerm_key_vault.legacy.id
  value        = "not-a-real-secret"
}
