# network_acls written as a dynamic block from an optional object
# variable, the pattern of the Azure Verified Module.
# Expected: "kv-dyn-on" firewall Healthy (Deny); "kv-dyn-off" firewall
# Unhealthy (no networkAcls, public network access Enabled).

variable "network_acls" {
  type = object({
    bypass         = optional(string, "None")
    default_action = optional(string, "Deny")
    ip_rules       = optional(list(string), [])
  })
  default = {}
}

resource "azurerm_key_vault" "on" {
  name                       = "kv-dyn-on"
  location                   = "westeurope"
  resource_group_name        = "rg-kvguard"
  tenant_id                  = "00000000-0000-0000-0000-000000000001"
  sku_name                   = "standard"
  rbac_authorization_enabled = true

  dynamic "network_acls" {
    for_each = var.network_acls != null ? { this = var.network_acls } : {}
    content {
      bypass         = network_acls.value.bypass
      default_action = network_acls.value.default_action
      ip_rules       = network_acls.value.ip_rules
    }
  }
}

resource "azurerm_key_vault" "off" {
  name                       = "kv-dyn-off"
  location                   = "westeurope"
  resource_group_name        = "rg-kvguard"
  tenant_id                  = "00000000-0000-0000-0000-000000000001"
  sku_name                   = "standard"
  rbac_authorization_enabled = true

  dynamic "network_acls" {
    for_each = []
    content {
      default_action = "Deny"
      bypass         = "None"
    }
  }
}
