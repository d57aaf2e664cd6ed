# Certificates with their issuance policies, and the certificate issuer
# one of them uses. Judged with --all (the certificate recommendations are
# not among the six Defender ones).
# Expected for vault "kv-certs":
#   keyvault-certificate-validity        Unhealthy (api-ec: 24 months > 12)
#   keyvault-certificate-key-type        Unhealthy (api-ec: EC, allowed RSA, RSA-HSM)
#   keyvault-certificate-rsa-size        Healthy   (web-self 2048 by default, public-tls 4096)
#   keyvault-certificate-ec-curve        Healthy   (api-ec: P-384)
#   keyvault-certificate-lifetime-action Unhealthy (api-ec renews at 90% of its lifetime)
#   keyvault-certificate-integrated-ca   Unhealthy (web-self and api-ec are self-signed)
#   keyvault-certificate-expiring        Unknown   (a certificate's notAfter is known only once issued)

resource "azurerm_key_vault" "kv" {
  name                       = "kv-certs"
  location                   = "westeurope"
  resource_group_name        = "rg-kvguard"
  tenant_id                  = "00000000-0000-0000-0000-000000000001"
  sku_name                   = "standard"
  rbac_authorization_enabled = true
  purge_protection_enabled   = true
}

# A self-signed certificate: RSA without key_size (Key Vault makes it
# 2048 bits), 12 months, renewed 30 days before expiry.
resource "azurerm_key_vault_certificate" "web_self" {
  name         = "web-self"
  key_vault_id = azurerm_key_vault.kv.id

  certificate_policy {
    issuer_parameters {
      name = "Self"
    }
    key_properties {
      exportable = true
      key_type   = "RSA"
      reuse_key  = false
    }
    lifetime_action {
      action {
        action_type = "AutoRenew"
      }
      trigger {
        days_before_expiry = 30
      }
    }
    secret_properties {
      content_type = "application/x-pkcs12"
    }
    x509_certificate_properties {
      key_usage          = ["digitalSignature", "keyEncipherment"]
      subject            = "CN=web.example.com"
      validity_in_months = 12
    }
  }
}

# A self-signed EC certificate valid for two years, renewed late.
resource "azurerm_key_vault_certificate" "api_ec" {
  name         = "api-ec"
  key_vault_id = azurerm_key_vault.kv.id

  certificate_policy {
    issuer_parameters {
      name = "Self"
    }
    key_properties {
      exportable = false
      key_type   = "EC"
      curve      = "P-384"
      reuse_key  = true
    }
    lifetime_action {
      action {
        action_type = "AutoRenew"
      }
      trigger {
        lifetime_percentage = 90
      }
    }
    secret_properties {
      content_type = "application/x-pem-file"
    }
    x509_certificate_properties {
      key_usage          = ["digitalSignature"]
      subject            = "CN=api.example.com"
      validity_in_months = 24
    }
  }
}

# The integrated CA DigiCert, configured as a certificate issuer of the
# vault; the certificate below names it.
resource "azurerm_key_vault_certificate_issuer" "digicert" {
  name          = "DigiCert"
  key_vault_id  = azurerm_key_vault.kv.id
  provider_name = "DigiCert"
  account_id    = "0000"
  org_id        = "ExampleOrg"
  password      = var.digicert_api_key
}

variable "digicert_api_key" {
  type      = string
  sensitive = true
}

resource "azurerm_key_vault_certificate" "public_tls" {
  name         = "public-tls"
  key_vault_id = azurerm_key_vault.kv.id

  certificate_policy {
    issuer_parameters {
      name = azurerm_key_vault_certificate_issuer.digicert.name
    }
    key_properties {
      exportable = true
      key_type   = "RSA"
      key_size   = 4096
      reuse_key  = false
    }
    lifetime_action {
      action {
        action_type = "AutoRenew"
      }
      trigger {
        lifetime_percentage = 80
      }
    }
    secret_properties {
      content_type = "application/x-pkcs12"
    }
    x509_certificate_properties {
      key_usage          = ["digitalSignature", "keyEncipherment"]
      subject            = "CN=www.example.com"
      validity_in_months = 12
    }
  }
}
