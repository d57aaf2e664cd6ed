# Secrets with and without an expiration date.
# Expected: secret "with-expiry" Healthy, "from-variable" Healthy (set,
# value unknown before apply), "rolling" Healthy (timeadd(timestamp()) is
# set, unknown), "no-expiry" Unhealthy. The vault rolls up Unhealthy.

variable "secret_expiry" {
  type        = string
  description = "Expiry of the database password; given at apply time."
}

resource "azurerm_key_vault" "kv" {
  name                       = "kv-secrets"
  location                   = "westeurope"
  resource_group_name        = "rg-kvguard"
  tenant_id                  = "00000000-0000-0000-0000-000000000001"
  sku_name                   = "standard"
  rbac_authorization_enabled = true
}

resource "azurerm_key_vault_secret" "with_expiry" {
  name            = "with-expiry"
  key_vault_id    = azurerm_key_vault.kv.id
  value           = "not-a-real-secret"
  content_type    = "text/plain"
  expiration_date = "2027-06-30T00:00:00Z"
}

resource "azurerm_key_vault_secret" "from_variable" {
  name            = "from-variable"
  key_vault_id    = azurerm_key_vault.kv.id
  value           = "not-a-real-secret"
  expiration_date = var.secret_expiry
}

resource "azurerm_key_vault_secret" "rolling" {
  name            = "rolling"
  key_vault_id    = azurerm_key_vault.kv.id
  value           = "not-a-real-secret"
  expiration_date = timeadd(timestamp(), "8760h")
}

resource "azurerm_key_vault_secret" "no_expiry" {
  name         = "no-expiry"
  key_vault_id = azurerm_key_vault.kv.id
  value        = "not-a-real-secret"
}
