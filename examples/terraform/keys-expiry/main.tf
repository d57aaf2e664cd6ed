# Keys with and without an expiration date. rotation_policy.expire_after
# gives rotated versions an expiry, not the current key.
# Expected: "with-expiry" Healthy, "rotation-only" Unhealthy, "ec-no-expiry" Unhealthy.

resource "azurerm_key_vault" "kv" {
  name                       = "kv-keys"
  location                   = "westeurope"
  resource_group_name        = "rg-kvguard"
  tenant_id                  = "00000000-0000-0000-0000-000000000001"
  sku_name                   = "premium"
  rbac_authorization_enabled = true
}

resource "azurerm_key_vault_key" "with_expiry" {
  name            = "with-expiry"
  key_vault_id    = azurerm_key_vault.kv.id
  key_type        = "RSA-HSM"
  key_size        = 3072
  key_opts        = ["wrapKey", "unwrapKey"]
  expiration_date = "2027-12-31T23:59:59Z"
}

resource "azurerm_key_vault_key" "rotation_only" {
  name         = "rotation-only"
  key_vault_id = azurerm_key_vault.kv.id
  key_type     = "RSA"
  key_size     = 2048
  key_opts     = ["sign", "verify"]

  rotation_policy {
    expire_after         = "P90D"
    notify_before_expiry = "P29D"

    automatic {
      time_before_expiry = "P30D"
    }
  }
}

resource "azurerm_key_vault_key" "ec_no_expiry" {
  name         = "ec-no-expiry"
  key_vault_id = azurerm_key_vault.kv.id
  key_type     = "EC"
  key_opts     = ["sign", "verify"]
}
