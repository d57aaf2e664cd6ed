# count and for_each: one vault per environment, keys per vault, and a
# count = 0 vault that is not deployed.
# Expected: azurerm_key_vault.env["dev"] (RBAC false: Unhealthy) and
# azurerm_key_vault.env["prod"] (RBAC true: Healthy); no document for
# azurerm_key_vault.disabled; key azurerm_key_vault_key.cmk[0] and [1]
# in their own vaults, with expiry Healthy.

variable "environments" {
  type = map(object({
    rbac = bool
  }))
  default = {
    dev  = { rbac = false }
    prod = { rbac = true }
  }
}

variable "create_legacy" {
  type    = bool
  default = false
}

locals {
  envs = sort(keys(var.environments))
}

resource "azurerm_key_vault" "env" {
  for_each = var.environments

  name                       = "kv-fe-${each.key}"
  location                   = "westeurope"
  resource_group_name        = "rg-${each.key}"
  tenant_id                  = "00000000-0000-0000-0000-000000000001"
  sku_name                   = "standard"
  rbac_authorization_enabled = each.value.rbac
}

resource "azurerm_key_vault" "disabled" {
  count = var.create_legacy ? 1 : 0

  name                = "kv-fe-legacy"
  location            = "westeurope"
  resource_group_name = "rg-legacy"
  tenant_id           = "00000000-0000-0000-0000-000000000001"
  sku_name            = "standard"
}

resource "azurerm_key_vault_key" "cmk" {
  count = length(local.envs)

  name            = "cmk-${local.envs[count.index]}"
  key_vault_id    = azurerm_key_vault.env[local.envs[count.index]].id
  key_type        = "RSA"
  key_size        = 4096
  key_opts        = ["wrapKey", "unwrapKey"]
  expiration_date = formatdate("YYYY-MM-DD'T'hh:mm:ss'Z'", "2027-01-01T00:00:00Z")
}
