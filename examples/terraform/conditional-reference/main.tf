# A vault chosen by a conditional: a private endpoint (through a local) and
# a secret (directly) go to the shared vault or to the application's own,
# as var.use_shared_vault says. Terraform applies the branch the condition
# chooses.
# Expected: "kv-cond-shared" private link Healthy (the endpoint targets it),
# secret expiry Unhealthy ("api-key" lands in it, without expiry);
# "kv-cond-own" private link Unhealthy, secret expiry NotApplicable (no
# secrets).

variable "use_shared_vault" {
  type    = bool
  default = true
}

locals {
  vault_id = var.use_shared_vault ? azurerm_key_vault.shared.id : azurerm_key_vault.own.id
}

resource "azurerm_key_vault" "shared" {
  name                          = "kv-cond-shared"
  location                      = "westeurope"
  resource_group_name           = "rg-kvguard"
  tenant_id                     = "00000000-0000-0000-0000-000000000001"
  sku_name                      = "standard"
  rbac_authorization_enabled    = true
  public_network_access_enabled = false
}

resource "azurerm_key_vault" "own" {
  name                          = "kv-cond-own"
  location                      = "westeurope"
  resource_group_name           = "rg-kvguard"
  tenant_id                     = "00000000-0000-0000-0000-000000000001"
  sku_name                      = "standard"
  rbac_authorization_enabled    = true
  public_network_access_enabled = false
}

resource "azurerm_private_endpoint" "kv" {
  name                = "pe-kv-cond"
  location            = "westeurope"
  resource_group_name = "rg-kvguard"
  subnet_id           = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet/subnets/pe"

  private_service_connection {
    name                           = "psc-kv-cond"
    private_connection_resource_id = local.vault_id
    subresource_names              = ["vault"]
    is_manual_connection           = false
  }
}

resource "azurerm_key_vault_secret" "api_key" {
  name         = "api-key"
  key_vault_id = var.use_shared_vault ? azurerm_key_vault.shared.id : azurerm_key_vault.own.id
  value        = "not-a-real-secret"
}
