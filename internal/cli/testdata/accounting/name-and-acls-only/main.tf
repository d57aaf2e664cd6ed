resource "azurerm_key_vault" "kv" {
  name = "kv-min"
  network_acls {
    default_action = "Deny"
    bypass         = "AzureServices"
  }
}
