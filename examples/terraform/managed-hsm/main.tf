# Managed HSMs, their keys and resource logs. Judged with --all (none of
# the six Defender recommendations judges managed HSMs).
# Expected:
#   hsm-guarded  purge protection Healthy; public network access Healthy
#                (networkAcls denies by default); resource logs Healthy
#                (AuditEvent to Log Analytics); HSM key expiry Unhealthy
#                (hsm-signing has none); key type, RSA size, curve Healthy;
#                private link Healthy (an automatically approved private
#                endpoint, pe-hsm-guarded)
#   hsm-open     purge protection Unhealthy (the provider sends false when
#                purge_protection_enabled is left out); public network access
#                Unhealthy; resource logs Unhealthy (no diagnostic setting);
#                private link Unhealthy (no private endpoint);
#                HSM keys close to expiry Unhealthy (hsm-aes expires on
#                2027-01-15, within 90 days of the equivalence test's date)

resource "azurerm_key_vault_managed_hardware_security_module" "guarded" {
  name                       = "hsm-guarded"
  location                   = "westeurope"
  resource_group_name        = "rg-kvguard"
  sku_name                   = "Standard_B1"
  tenant_id                  = "00000000-0000-0000-0000-000000000001"
  admin_object_ids           = ["00000000-0000-0000-0000-0000000000aa"]
  purge_protection_enabled   = true
  soft_delete_retention_days = 30

  network_acls {
    bypass         = "AzureServices"
    default_action = "Deny"
  }
}

# A private endpoint to the HSM (subresource managedhsm), approved
# automatically: the HSM's privateEndpointConnections holds it Approved.
resource "azurerm_private_endpoint" "guarded" {
  name                = "pe-hsm-guarded"
  location            = "westeurope"
  resource_group_name = "rg-kvguard"
  subnet_id           = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-hub/subnets/private-endpoints"

  private_service_connection {
    name                           = "hsm-guarded"
    private_connection_resource_id = azurerm_key_vault_managed_hardware_security_module.guarded.id
    subresource_names              = ["managedhsm"]
    is_manual_connection           = false
  }
}

resource "azurerm_monitor_diagnostic_setting" "guarded" {
  name                       = "hsm-audit"
  target_resource_id         = azurerm_key_vault_managed_hardware_security_module.guarded.id
  log_analytics_workspace_id = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-mon/providers/Microsoft.OperationalInsights/workspaces/law"

  enabled_log {
    category = "AuditEvent"
  }
}

resource "azurerm_key_vault_managed_hardware_security_module_key" "cmk" {
  name            = "hsm-cmk"
  managed_hsm_id  = azurerm_key_vault_managed_hardware_security_module.guarded.id
  key_type        = "RSA-HSM"
  key_size        = 3072
  key_opts        = ["wrapKey", "unwrapKey"]
  expiration_date = "2028-06-30T00:00:00Z"
}

# The key's rotation policy, a resource of its own for managed HSM keys:
# rotated 30 days before it expires, new versions valid two years. No
# built-in policy judges HSM key rotation; kvguard maps it as it maps a
# vault key's rotation_policy (the key's rotationPolicy and
# scheduledRotationDate, here 2028-05-31).
resource "azurerm_key_vault_managed_hardware_security_module_key_rotation_policy" "cmk" {
  managed_hsm_key_id = azurerm_key_vault_managed_hardware_security_module_key.cmk.id
  expire_after       = "P2Y"
  time_before_expiry = "P30D"
}

resource "azurerm_key_vault_managed_hardware_security_module_key" "signing" {
  name           = "hsm-signing"
  managed_hsm_id = azurerm_key_vault_managed_hardware_security_module.guarded.id
  key_type       = "EC-HSM"
  curve          = "P-384"
  key_opts       = ["sign", "verify"]
}

resource "azurerm_key_vault_managed_hardware_security_module" "open" {
  name                = "hsm-open"
  location            = "westeurope"
  resource_group_name = "rg-kvguard"
  sku_name            = "Standard_B1"
  tenant_id           = "00000000-0000-0000-0000-000000000001"
  admin_object_ids    = ["00000000-0000-0000-0000-0000000000aa"]
}

resource "azurerm_key_vault_managed_hardware_security_module_key" "aes" {
  name            = "hsm-aes"
  managed_hsm_id  = azurerm_key_vault_managed_hardware_security_module.open.id
  key_type        = "oct-HSM"
  key_size        = 256
  key_opts        = ["encrypt", "decrypt"]
  expiration_date = "2027-01-15T00:00:00Z"
}
