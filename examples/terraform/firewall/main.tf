# Firewall or public network access disabled.
# Expected: "kv-fw-deny" Healthy (defaultAction Deny), "kv-fw-private"
# Healthy (public network access disabled), "kv-fw-allow" Unhealthy
# (Allow: the IP list restricts nothing), "kv-fw-none" Unhealthy.

locals {
  common = {
    location            = "westeurope"
    resource_group_name = "rg-kvguard"
    tenant_id           = "00000000-0000-0000-0000-000000000001"
  }
}

resource "azurerm_key_vault" "deny" {
  name                       = "kv-fw-deny"
  location                   = local.common.location
  resource_group_name        = local.common.resource_group_name
  tenant_id                  = local.common.tenant_id
  sku_name                   = "standard"
  rbac_authorization_enabled = true

  network_acls {
    bypass                     = "None"
    default_action             = "Deny"
    virtual_network_subnet_ids = ["/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet/subnets/app"]
  }
}

resource "azurerm_key_vault" "private" {
  name                          = "kv-fw-private"
  location                      = local.common.location
  resource_group_name           = local.common.resource_group_name
  tenant_id                     = local.common.tenant_id
  sku_name                      = "standard"
  rbac_authorization_enabled    = true
  public_network_access_enabled = false
}

resource "azurerm_key_vault" "allow" {
  name                       = "kv-fw-allow"
  location                   = local.common.location
  resource_group_name        = local.common.resource_group_name
  tenant_id                  = local.common.tenant_id
  sku_name                   = "standard"
  rbac_authorization_enabled = true

  network_acls {
    bypass         = "AzureServices"
    default_action = "Allow"
    ip_rules       = ["198.51.100.7/32"]
  }
}

resource "azurerm_key_vault" "none" {
  name                       = "kv-fw-none"
  location                   = local.common.location
  resource_group_name        = local.common.resource_group_name
  tenant_id                  = local.common.tenant_id
  sku_name                   = "standard"
  rbac_authorization_enabled = true
}
