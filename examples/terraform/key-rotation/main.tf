# Keys with and without rotation policies. Judged with --all
# (keyvault-key-rotation and the other key recommendations beyond the six).
# A key's creation time is known only after apply, so a rotation counted
# from it (time_after_creation) cannot be judged before: kvguard says so.
# Expected for vault "kv-rotation":
#   keyvault-key-rotation     Unhealthy (no-rotation has no Rotate action;
#                             rotate-30d and rotate-before-expiry are unknown until created)
#   keyvault-key-expiry       Unhealthy (no-rotation has no expiration date)
#   keyvault-key-hsm-backed   Unhealthy (rotate-30d and no-rotation are software keys)
#   keyvault-key-active-days  Unknown   (counted from the creation time)

resource "azurerm_key_vault" "kv" {
  name                       = "kv-rotation"
  location                   = "westeurope"
  resource_group_name        = "rg-kvguard"
  tenant_id                  = "00000000-0000-0000-0000-000000000001"
  sku_name                   = "premium"
  rbac_authorization_enabled = true
  purge_protection_enabled   = true
}

# Rotated 30 days after creation (the most keyvault-key-rotation allows by
# default); new versions expire after a year.
resource "azurerm_key_vault_key" "rotate_30d" {
  name            = "rotate-30d"
  key_vault_id    = azurerm_key_vault.kv.id
  key_type        = "RSA"
  key_size        = 3072
  key_opts        = ["wrapKey", "unwrapKey"]
  expiration_date = "2028-06-30T00:00:00Z"

  rotation_policy {
    expire_after         = "P1Y"
    notify_before_expiry = "P30D"

    automatic {
      time_after_creation = "P30D"
    }
  }
}

# Rotated 30 days before it expires: on 2027-12-02.
resource "azurerm_key_vault_key" "rotate_before_expiry" {
  name            = "rotate-before-expiry"
  key_vault_id    = azurerm_key_vault.kv.id
  key_type        = "EC-HSM"
  curve           = "P-256"
  key_opts        = ["sign", "verify"]
  expiration_date = "2028-01-01T00:00:00Z"

  rotation_policy {
    automatic {
      time_before_expiry = "P30D"
    }
  }
}

resource "azurerm_key_vault_key" "no_rotation" {
  name         = "no-rotation"
  key_vault_id = azurerm_key_vault.kv.id
  key_type     = "RSA"
  key_size     = 2048
  key_opts     = ["sign", "verify"]
}
