# A reusable vault module: secure defaults, firewall from its inputs.

variable "name" {
  type = string
}

variable "resource_group_name" {
  type = string
}

variable "location" {
  type    = string
  default = "westeurope"
}

variable "allowed_ips" {
  type    = list(string)
  default = []
}

variable "network" {
  type = object({
    bypass         = optional(string, "AzureServices")
    default_action = optional(string, "Deny")
  })
  default = {}
}

resource "azurerm_key_vault" "this" {
  name                       = var.name
  location                   = var.location
  resource_group_name        = var.resource_group_name
  tenant_id                  = "00000000-0000-0000-0000-000000000001"
  sku_name                   = "premium"
  rbac_authorization_enabled = true
  purge_protection_enabled   = true

  network_acls {
    bypass         = var.network.bypass
    default_action = var.network.default_action
    ip_rules       = var.allowed_ips
  }
}

output "id" {
  value = azurerm_key_vault.this.id
}
