resource "azurerm_key_vault" "auto" {
  name                = "kv-tf-ok"
  resource_group_name = "rg"
  location            = "westeurope"
  tenant_id           = "00000000-0000-0000-0000-000000000001"
  sku_name            = "standard"
}

resource "azurerm_key_vault" "manual" {
  name                = "kv-tf-manual-bad"
  resource_group_name = "rg"
  location            = "westeurope"
  tenant_id           = "00000000-0000-0000-0000-000000000001"
  sku_name            = "standard"
}

resource "azurerm_private_dns_zone" "vault" {
  name                = "privatelink.vaultcore.azure.net"
  resource_group_name = "rg"
}

resource "azurerm_private_endpoint" "dns" {
  name                = "pe-tf-dns-ok"
  resource_group_name = "rg"
  location            = "westeurope"
  subnet_id           = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/s"
  private_service_connection {
    name                           = "kv"
    private_connection_resource_id = azurerm_key_vault.auto.id
    subresource_names              = ["vault"]
    is_manual_connection           = false
  }
  private_dns_zone_group {
    name                 = "default"
    private_dns_zone_ids = [azurerm_private_dns_zone.vault.id]
  }
}

resource "azurerm_private_endpoint" "nodns" {
  name                = "pe-tf-nodns-bad"
  resource_group_name = "rg"
  location            = "westeurope"
  subnet_id           = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/s"
  private_service_connection {
    name                           = "kv"
    private_connection_resource_id = azurerm_key_vault.auto.id
    subresource_names              = ["vault"]
    is_manual_connection           = false
  }
}

resource "azurerm_private_endpoint" "manual" {
  name                = "pe-tf-manual"
  resource_group_name = "rg"
  location            = "westeurope"
  subnet_id           = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/s"
  private_service_connection {
    name                           = "kv"
    private_connection_resource_id = azurerm_key_vault.manual.id
    subresource_names              = ["vault"]
    is_manual_connection           = true
    request_message                = "please approve"
  }
}
