# Diagnostic settings on a vault (audit logs to Log Analytics) and a
# managed HSM.
# Expected: vault "kv-diag" resource logs Healthy (allLogs enabled);
# managed HSM "hsm-kvguard" firewall Unhealthy (public, no ACLs), soft
# delete Healthy, purge protection Healthy.

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
