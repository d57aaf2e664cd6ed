# Diagnostic settings on a vault (audit logs to Log Analytics) and a
# managed HSM.
# Expected: vault "kv-diag" RBAC Healthy, soft delete Healthy, firewall
# Unhealthy (public, no ACLs), private link Unhealthy. The diagnostic
# setting is read and linked to the vault, and the managed HSM is read,
# but none of the six recommendations judges resource logs or managed
# HSMs, so neither gets a verdict of its own.

resource "azurerm_key_vault" "kv" {
  name                       = "kv-diag"
  location                   = "westeurope"
  resource_group_name        = "rg-kvguard"
  tenant_id                  = "00000000-0000-0000-0000-000000000001"
  sku_name                   = "standard"
  rbac_authorization_enabled = true
}

resource "azurerm_monitor_diagnostic_setting" "kv" {
  name                       = "audit-to-la"
  target_resource_id         = azurerm_key_vault.kv.id
  log_analytics_workspace_id = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-mon/providers/Microsoft.OperationalInsights/workspaces/law"

  enabled_log {
    category_group = "allLogs"
  }

  enabled_metric {
    category = "AllMetrics"
  }
}

resource "azurerm_key_vault_managed_hardware_security_module" "hsm" {
  name                       = "hsm-kvguard"
  location                   = "westeurope"
  resource_group_name        = "rg-kvguard"
  sku_name                   = "Standard_B1"
  tenant_id                  = "00000000-0000-0000-0000-000000000001"
  admin_object_ids           = ["00000000-0000-0000-0000-0000000000aa"]
  purge_protection_enabled   = true
  soft_delete_retention_days = 90
}
