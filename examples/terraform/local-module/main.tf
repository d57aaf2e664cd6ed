# A root module calling a local module for its vault, with inputs, and
# using the module's output to store a secret in that vault.
# Expected: vault module.vault.azurerm_key_vault.this: rbac Healthy,
# firewall Healthy (Deny from the module input), soft delete Healthy;
# secret "app-token" (in the root) is linked to the module's vault and is
# Healthy (expiry from terraform.tfvars).

variable "environment" {
  type = string
}

variable "token_expiry" {
  type    = string
  default = null
}

module "vault" {
  source = "./modules/vault"

  name                = "kv-app-${var.environment}"
  resource_group_name = "rg-app-${var.environment}"
  allowed_ips         = ["203.0.113.10/32"]
}

resource "azurerm_key_vault_secret" "token" {
  name            = "app-token"
  key_vault_id    = module.vault.id
  value           = "not-a-real-secret"
  expiration_date = var.token_expiry
}
