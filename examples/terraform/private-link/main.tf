# Private link: an automatically approved endpoint, a manual one (which
# waits Pending for the vault owner), and a vault without an endpoint.
# Expected: "kv-pl-auto" Healthy, "kv-pl-manual" Unhealthy (its only
# connection is Pending), "kv-pl-none" Unhealthy.

resource "azurerm_key_vault" "auto" {
  name                          = "kv-pl-auto"
  location                      = "westeurope"
  resource_group_name           = "rg-kvguard"
  tenant_id                     = "00000000-0000-0000-0000-000000000001"
  sku_name                      = "standard"
  rbac_authorization_enabled    = true
  public_network_access_enabled = false
}

resource "azurerm_key_vault" "manual" {
  name                          = "kv-pl-manual"
  location                      = "westeurope"
  resource_group_name           = "rg-kvguard"
  tenant_id                     = "00000000-0000-0000-0000-000000000001"
  sku_name                      = "standard"
  rbac_authorization_enabled    = true
  public_network_access_enabled = false
}

resource "azurerm_key_vault" "none" {
  name                          = "kv-pl-none"
  location                      = "westeurope"
  resource_group_name           = "rg-kvguard"
  tenant_id                     = "00000000-0000-0000-0000-000000000001"
  sku_name                      = "standard"
  rbac_authorization_enabled    = true
  public_network_access_enabled = false
}

resource "azurerm_private_endpoint" "auto" {
  name                = "pe-kv-pl-auto"
  location            = "westeurope"
  resource_group_name = "rg-kvguard"
  subnet_id           = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet/subnets/pe"

  private_service_connection {
    name                           = "psc-kv-pl-auto"
    private_connection_resource_id = azurerm_key_vault.auto.id
    subresource_names              = ["vault"]
    is_manual_connection           = false
  }

  private_dns_zone_group {
    name                 = "default"
    private_dns_zone_ids = ["/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-net/providers/Microsoft.Network/privateDnsZones/privatelink.vaultcore.azure.net"]
  }
}

resource "azurerm_private_endpoint" "manual" {
  name                = "pe-kv-pl-manual"
  location            = "westeurope"
  resource_group_name = "rg-kvguard"
  subnet_id           = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet/subnets/pe"

  private_service_connection {
    name                           = "psc-kv-pl-manual"
    private_connection_resource_id = azurerm_key_vault.manual.id
    subresource_names              = ["vault"]
    is_manual_connection           = true
    request_message                = "Please approve: kvguard example"
  }
}
