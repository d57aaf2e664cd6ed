package terraform

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kvguard/kvguard/internal/resource"
)

func TestVaultMapping(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		extra string
		pre   string // blocks before the vault
		want  map[string]any
		gone  []string // paths that must be absent
	}{
		{
			name: "defaults",
			want: map[string]any{
				"properties.enableRbacAuthorization":   false,
				"properties.enableSoftDelete":          true,
				"properties.softDeleteRetentionInDays": int64(90),
				"properties.enablePurgeProtection":     false,
				"properties.publicNetworkAccess":       "Enabled",
				"properties.sku.family":                "A",
				"properties.sku.name":                  "standard",
				"properties.tenantId":                  "00000000-0000-0000-0000-000000000001",
				"properties.vaultUri":                  "https://kv.vault.azure.net/",
				"location":                             "westeurope",
				"type":                                 resource.TypeVault,
				"id":                                   "/subscriptions/{subscription}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv",
			},
			gone: []string{"properties.networkAcls"},
		},
		{name: "v5 rbac_authorization_enabled", extra: "rbac_authorization_enabled = true", want: map[string]any{"properties.enableRbacAuthorization": true}},
		{name: "v3/v4 enable_rbac_authorization", extra: "enable_rbac_authorization = true", want: map[string]any{"properties.enableRbacAuthorization": true}},
		{name: "v4.42 both, new name wins", extra: "rbac_authorization_enabled = false\nenable_rbac_authorization = true", want: map[string]any{"properties.enableRbacAuthorization": false}},
		{name: "rbac null is unset", extra: "rbac_authorization_enabled = null", want: map[string]any{"properties.enableRbacAuthorization": false}},
		{
			name: "rbac from variable without value", pre: `variable "rbac" { type = bool }`, extra: "rbac_authorization_enabled = var.rbac",
			want: map[string]any{"properties.enableRbacAuthorization": resource.UnknownOneOf("var.rbac", true, false)},
		},
		{name: "soft delete legacy false kept", extra: "soft_delete_enabled = false", want: map[string]any{"properties.enableSoftDelete": false}},
		{name: "retention", extra: "soft_delete_retention_days = 7", want: map[string]any{"properties.softDeleteRetentionInDays": int64(7)}},
		{name: "purge protection", extra: "purge_protection_enabled = true", want: map[string]any{"properties.enablePurgeProtection": true}},
		{name: "public access disabled", extra: "public_network_access_enabled = false", want: map[string]any{"properties.publicNetworkAccess": "Disabled"}},
		{
			name: "public access unknown", pre: `variable "pna" {}`, extra: "public_network_access_enabled = var.pna",
			want: map[string]any{"properties.publicNetworkAccess": resource.Unknown{Expr: "var.pna"}},
		},
		{
			name:  "network acls",
			extra: "network_acls {\n bypass = \"AzureServices\"\n default_action = \"Deny\"\n ip_rules = [\"1.2.3.4/32\"]\n virtual_network_subnet_ids = [\"/subnets/a\"]\n}",
			want: map[string]any{
				"properties.networkAcls.bypass":                   "AzureServices",
				"properties.networkAcls.defaultAction":            "Deny",
				"properties.networkAcls.ipRules.0.value":          "1.2.3.4/32",
				"properties.networkAcls.virtualNetworkRules.0.id": "/subnets/a",
			},
		},
		{
			name:  "access policies",
			extra: "access_policy {\n tenant_id = \"t\"\n object_id = \"o\"\n key_permissions = [\"Get\"]\n}",
			want: map[string]any{
				"properties.accessPolicies.0.objectId":         "o",
				"properties.accessPolicies.0.permissions.keys": []any{"Get"},
			},
		},
		{name: "tags", extra: "tags = { env = \"prod\" }", want: map[string]any{"tags.env": "prod"}},
		{
			name: "subscription from the provider", pre: "provider \"azurerm\" {\n features {}\n subscription_id = \"11111111-1111-1111-1111-111111111111\"\n}",
			want: map[string]any{"id": "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			docs := readHCL(t, tc.pre+"\n"+vault("kv", tc.extra))
			d := byAddress(t, docs, "azurerm_key_vault.kv")
			if d.Type != resource.TypeVault || d.Name != "kv" {
				t.Errorf("type/name = %s/%s", d.Type, d.Name)
			}
			for path, want := range tc.want {
				if diff := cmp.Diff(want, at(t, d, path)); diff != "" {
					t.Errorf("%s (-want +got):\n%s", path, diff)
				}
			}
			for _, path := range tc.gone {
				if v := at(t, d, path); v != nil {
					t.Errorf("%s = %v, want absent", path, v)
				}
			}
			if d.Source.Kind != "terraform" || d.Source.StartLine == 0 || d.Source.EndLine < d.Source.StartLine {
				t.Errorf("provenance = %+v", d.Source)
			}
		})
	}
}

func TestVaultIDUnknownName(t *testing.T) {
	t.Parallel()
	docs := readHCL(t, `
variable "name" { type = string }
resource "azurerm_key_vault" "kv" {
  name                = var.name
  location            = "westeurope"
  resource_group_name = "rg"
  tenant_id           = "t"
  sku_name            = "standard"
}
resource "azurerm_key_vault_secret" "s" {
  name         = "s"
  key_vault_id = azurerm_key_vault.kv.id
  value        = "x"
}`)
	v := byAddress(t, docs, "azurerm_key_vault.kv")
	if v.ID != "terraform:azurerm_key_vault.kv" {
		t.Errorf("vault ID = %q", v.ID)
	}
	if diff := cmp.Diff(resource.Unknown{Expr: "var.name"}, v.Body["name"]); diff != "" {
		t.Errorf("name: %s", diff)
	}
	s := byAddress(t, docs, "azurerm_key_vault_secret.s")
	if s.Parent.ID != v.ID || s.ID != v.ID+"/secrets/s" {
		t.Errorf("secret parent/id = %q %q", s.Parent.ID, s.ID)
	}
}

func TestSecretMapping(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, attrs string
		want        map[string]any
		gone        []string
	}{
		{name: "expiry", attrs: `expiration_date = "2027-01-01T00:00:00Z"`, want: map[string]any{"attributes.expiresOn": "2027-01-01T00:00:00Z", "attributes.enabled": true}},
		{name: "expiry with offset normalised", attrs: `expiration_date = "2027-01-01T02:00:00+02:00"`, want: map[string]any{"attributes.expiresOn": "2027-01-01T00:00:00Z"}},
		{name: "no expiry", attrs: ``, gone: []string{"attributes.expiresOn"}, want: map[string]any{"attributes.enabled": true}},
		{name: "not before and content type", attrs: "not_before_date = \"2026-01-01T00:00:00Z\"\ncontent_type = \"text/plain\"", want: map[string]any{"attributes.notBefore": "2026-01-01T00:00:00Z", "contentType": "text/plain"}},
		{name: "expiry from timestamp", attrs: `expiration_date = timeadd(timestamp(), "720h")`, want: map[string]any{"attributes.expiresOn": resource.Unknown{Expr: `timeadd(timestamp(), "720h")`}}},
		{name: "expiry from another resource", attrs: `expiration_date = azuread_application_password.p.end_date`, want: map[string]any{"attributes.expiresOn": resource.Unknown{Expr: "azuread_application_password.p.end_date"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := vault("kv", "") + `
resource "azuread_application_password" "p" {
  application_id = "x"
}
resource "azurerm_key_vault_secret" "s" {
  name         = "db-password"
  key_vault_id = azurerm_key_vault.kv.id
  value        = "hunter2-do-not-store"
  ` + tc.attrs + `
}`
			docs := readHCL(t, src)
			d := byAddress(t, docs, "azurerm_key_vault_secret.s")
			if d.Type != resource.TypeSecret {
				t.Errorf("type = %s", d.Type)
			}
			if d.Parent.ID != "/subscriptions/{subscription}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv" {
				t.Errorf("parent = %q", d.Parent.ID)
			}
			for path, want := range tc.want {
				if diff := cmp.Diff(want, at(t, d, path)); diff != "" {
					t.Errorf("%s (-want +got):\n%s", path, diff)
				}
			}
			for _, path := range tc.gone {
				if v := at(t, d, path); v != nil {
					t.Errorf("%s = %v, want absent", path, v)
				}
			}
			if strings.Contains(mustJSON(t, d.Body), "hunter2") {
				t.Error("the secret value reached the document")
			}
		})
	}
}

func TestKeyMapping(t *testing.T) {
	t.Parallel()
	docs := readHCL(t, vault("kv", "")+`
resource "azurerm_key_vault_key" "rsa" {
  name            = "rsa"
  key_vault_id    = azurerm_key_vault.kv.id
  key_type        = "RSA-HSM"
  key_size        = 4096
  key_opts        = ["wrapKey"]
  expiration_date = "2027-01-01T00:00:00Z"
}
resource "azurerm_key_vault_key" "ec" {
  name         = "ec"
  key_vault_id = azurerm_key_vault.kv.id
  key_type     = "EC"
  key_opts     = ["sign"]
  rotation_policy {
    expire_after         = "P90D"
    notify_before_expiry = "P29D"
    automatic {
      time_after_creation = "P60D"
    }
  }
}`)
	rsa := byAddress(t, docs, "azurerm_key_vault_key.rsa")
	for path, want := range map[string]any{
		"keyType": "RSA-HSM", "keySize": int64(4096), "attributes.expiresOn": "2027-01-01T00:00:00Z",
		"id": "/subscriptions/{subscription}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv/keys/rsa",
	} {
		if diff := cmp.Diff(want, at(t, rsa, path)); diff != "" {
			t.Errorf("rsa %s: %s", path, diff)
		}
	}
	ec := byAddress(t, docs, "azurerm_key_vault_key.ec")
	want := map[string]any{
		"lifetimeActions": []any{
			map[string]any{"trigger": map[string]any{"timeAfterCreate": "P60D"}, "action": map[string]any{"type": "Rotate"}},
			map[string]any{"trigger": map[string]any{"timeBeforeExpiry": "P29D"}, "action": map[string]any{"type": "Notify"}},
		},
		"attributes": map[string]any{"expiryTime": "P90D"},
	}
	if diff := cmp.Diff(want, ec.Body["rotationPolicy"]); diff != "" {
		t.Errorf("rotationPolicy: %s", diff)
	}
	if ec.Body["ellipticCurveName"] != "P-256" {
		t.Errorf("curve = %v, want the service default P-256", ec.Body["ellipticCurveName"])
	}
	// expire_after applies to rotated versions; the key itself has no expiry.
	if v := at(t, ec, "attributes.expiresOn"); v != nil {
		t.Errorf("expiresOn = %v, want absent", v)
	}
}

func TestCertificateMapping(t *testing.T) {
	t.Parallel()
	dir := writeTree(t, map[string]string{
		"cert.pem": "-----BEGIN PRIVATE KEY-----\nsecret-key-material\n-----END PRIVATE KEY-----\n",
		"main.tf": vault("kv", "") + `
resource "azurerm_key_vault_certificate" "gen" {
  name         = "gen"
  key_vault_id = azurerm_key_vault.kv.id
  certificate_policy {
    issuer_parameters {
      name = "Self"
    }
    key_properties {
      exportable = true
      key_size   = 2048
      key_type   = "RSA"
      reuse_key  = true
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
      key_usage          = ["digitalSignature"]
      subject            = "CN=app.example.com, O=Example"
      validity_in_months = 12
    }
  }
}
resource "azurerm_key_vault_certificate" "imported" {
  name         = "imported"
  key_vault_id = azurerm_key_vault.kv.id
  certificate {
    contents = file("cert.pem")
    password = "pfx-password"
  }
}`,
	})
	docs, errs, _ := read(t, dir, Options{})
	if len(errs) > 0 {
		t.Fatal(messages(errs))
	}
	gen := byAddress(t, docs, "azurerm_key_vault_certificate.gen")
	for path, want := range map[string]any{
		"keyProperties.keyType":              "RSA",
		"keyProperties.keySize":              int64(2048),
		"keyProperties.reuseKey":             true,
		"properties.validityInMonths":        int64(12),
		"lifetimeActions.0.daysBeforeExpiry": int64(30),
		"lifetimeActions.0.action":           "AutoRenew",
		"issuer.name":                        "Self",
		"issuer.commonName":                  "app.example.com",
		"contentType":                        "application/x-pkcs12",
		"attributes.expiresOn":               resource.Unknown{Expr: certIssuedExpiry},
	} {
		if diff := cmp.Diff(want, at(t, gen, path)); diff != "" {
			t.Errorf("%s: %s", path, diff)
		}
	}
	imp := byAddress(t, docs, "azurerm_key_vault_certificate.imported")
	if diff := cmp.Diff(resource.Unknown{Expr: certImportedExpiry}, at(t, imp, "attributes.expiresOn")); diff != "" {
		t.Errorf("imported expiry: %s", diff)
	}
	all := mustJSON(t, []any{gen.Body, imp.Body})
	if strings.Contains(all, "secret-key-material") || strings.Contains(all, "pfx-password") {
		t.Error("certificate contents or password reached a document")
	}
}

// TestCertificatePolicyDefaults: what Key Vault fills in for a
// certificate policy that leaves it out (key size, curve), and what only
// issuance or import tells (the signing CA's CN, an imported
// certificate's key, validity and issuer; every object's creation time),
// which must be unknown, never absent.
func TestCertificatePolicyDefaults(t *testing.T) {
	t.Parallel()
	policy := func(issuer, key, subject string) string {
		return `certificate_policy {
    issuer_parameters {
      name = ` + issuer + `
    }
    key_properties {
      exportable = true
      reuse_key  = false
      ` + key + `
    }
    secret_properties {
      content_type = "application/x-pkcs12"
    }
    x509_certificate_properties {
      key_usage          = ["digitalSignature"]
      subject            = ` + subject + `
      validity_in_months = 12
    }
  }`
	}
	tests := []struct {
		name, pre, body string
		want            map[string]any
	}{
		{
			name: "RSA without key_size is 2048 bits",
			body: policy(`"Self"`, `key_type = "RSA"`, `"CN=a.example.com"`),
			want: map[string]any{"keyProperties.keySize": int64(2048), "issuer.commonName": "a.example.com"},
		},
		{
			name: "EC without curve is P-256",
			body: policy(`"Self"`, `key_type = "EC-HSM"`, `"CN=a.example.com"`),
			want: map[string]any{"keyProperties.ellipticCurveName": "P-256", "keyProperties.keySize": nil},
		},
		{
			name: "written values kept",
			body: policy(`"Self"`, `key_type = "EC"
      curve = "P-384"
      key_size = 384`, `"CN=a.example.com"`),
			want: map[string]any{"keyProperties.ellipticCurveName": "P-384", "keyProperties.keySize": int64(384)},
		},
		{
			name: "a CA's common name is known after issuance",
			body: policy(`"DigiCert"`, `key_type = "RSA"`, `"CN=a.example.com"`),
			want: map[string]any{"issuer.name": "DigiCert", "issuer.commonName": resource.Unknown{Expr: certIssuerCN}},
		},
		{
			name: "a self-signed subject from a variable",
			pre:  `variable "subject" { type = string }`,
			body: policy(`"Self"`, `key_type = "RSA"`, `var.subject`),
			want: map[string]any{"issuer.commonName": resource.Unknown{Expr: "var.subject"}},
		},
		{
			name: "imported without a policy",
			body: `certificate {
    contents = "MIIC"
  }`,
			want: map[string]any{
				"keyProperties":               resource.Unknown{Expr: certImportedKey},
				"properties.validityInMonths": resource.Unknown{Expr: certImportedValidity},
				"issuer.name":                 resource.Unknown{Expr: certImportedIssuer},
				"attributes.expiresOn":        resource.Unknown{Expr: certImportedExpiry},
			},
		},
		{
			name: "created at apply",
			body: policy(`"Self"`, `key_type = "RSA"`, `"CN=a"`),
			want: map[string]any{"attributes.createdOn": resource.Unknown{Expr: "azurerm_key_vault_certificate.c creation time (known after apply)"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			docs := readHCL(t, tc.pre+"\n"+vault("kv", "")+`
resource "azurerm_key_vault_certificate" "c" {
  name         = "c"
  key_vault_id = azurerm_key_vault.kv.id
  `+tc.body+`
}`)
			d := byAddress(t, docs, "azurerm_key_vault_certificate.c")
			for path, want := range tc.want {
				if diff := cmp.Diff(want, at(t, d, path)); diff != "" {
					t.Errorf("%s (-want +got):\n%s", path, diff)
				}
			}
		})
	}
}

func TestPrivateEndpointMapping(t *testing.T) {
	t.Parallel()
	pe := func(name, target, manual string) string {
		return `
resource "azurerm_private_endpoint" "` + name + `" {
  name                = "pe-` + name + `"
  location            = "westeurope"
  resource_group_name = "rg-net"
  subnet_id           = "/subnets/pe"
  private_service_connection {
    name                           = "psc"
    private_connection_resource_id = ` + target + `
    subresource_names              = ["vault"]
    ` + manual + `
  }
}`
	}
	const vaultID = "/subscriptions/{subscription}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv"
	src := `variable "manual" { type = bool }` + "\n" + vault("kv", "") +
		pe("auto", "azurerm_key_vault.kv.id", "is_manual_connection = false") +
		pe("implicit", "azurerm_key_vault.kv.id", "") +
		pe("manual", "azurerm_key_vault.kv.id", "is_manual_connection = true") +
		pe("unknown", "azurerm_key_vault.kv.id", "is_manual_connection = var.manual") +
		pe("literal", `"/subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups/RG/providers/Microsoft.KeyVault/vaults/KV"`, "is_manual_connection = false") +
		pe("other", `"/subscriptions/2/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/elsewhere"`, "is_manual_connection = false") +
		pe("data", `data.azurerm_key_vault.existing.id`, "is_manual_connection = false")
	docs := readHCL(t, src)
	tests := []struct {
		addr, list, status, target string
	}{
		{"auto", "privateLinkServiceConnections", "Approved", vaultID},
		{"implicit", "privateLinkServiceConnections", "Approved", vaultID},
		{"manual", "manualPrivateLinkServiceConnections", "Pending", vaultID},
		{"literal", "privateLinkServiceConnections", "Approved", vaultID},
		{"other", "privateLinkServiceConnections", "Approved", "/subscriptions/2/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/elsewhere"},
		{"data", "privateLinkServiceConnections", "Approved", "terraform:data.azurerm_key_vault.existing.id"},
	}
	for _, tc := range tests {
		d := byAddress(t, docs, "azurerm_private_endpoint."+tc.addr)
		if d.Type != resource.TypePrivateEndpoint || d.ID != "/subscriptions/{subscription}/resourceGroups/rg-net/providers/Microsoft.Network/privateEndpoints/pe-"+tc.addr {
			t.Errorf("%s: type/id = %s %s", tc.addr, d.Type, d.ID)
		}
		p := "properties." + tc.list + ".0.properties."
		if got := at(t, d, p+"privateLinkServiceConnectionState.status"); got != tc.status {
			t.Errorf("%s: status = %v, want %s", tc.addr, got, tc.status)
		}
		if got := at(t, d, p+"privateLinkServiceId"); got != tc.target {
			t.Errorf("%s: privateLinkServiceId = %v, want %s", tc.addr, got, tc.target)
		}
		if diff := cmp.Diff([]any{"vault"}, at(t, d, p+"groupIds")); diff != "" {
			t.Errorf("%s: groupIds %s", tc.addr, diff)
		}
	}
	u := byAddress(t, docs, "azurerm_private_endpoint.unknown")
	if diff := cmp.Diff(resource.UnknownOneOf("var.manual", "Pending", "Approved"), at(t, u, "properties.privateLinkServiceConnections.0.properties.privateLinkServiceConnectionState.status")); diff != "" {
		t.Errorf("unknown manual: %s", diff)
	}
}

func TestDiagnosticSettingMapping(t *testing.T) {
	t.Parallel()
	docs := readHCL(t, vault("kv", "")+`
resource "azurerm_monitor_diagnostic_setting" "new" {
  name                       = "diag"
  target_resource_id         = azurerm_key_vault.kv.id
  log_analytics_workspace_id = "/workspaces/law"
  enabled_log {
    category = "AuditEvent"
  }
  enabled_metric {
    category = "AllMetrics"
  }
}
resource "azurerm_monitor_diagnostic_setting" "v3" {
  name               = "diag-v3"
  target_resource_id = azurerm_key_vault.kv.id
  storage_account_id = "/storageAccounts/sa"
  log {
    category = "AuditEvent"
    enabled  = false
    retention_policy {
      enabled = true
      days    = 365
    }
  }
  metric {
    category = "AllMetrics"
  }
}`)
	const vaultID = "/subscriptions/{subscription}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv"
	n := byAddress(t, docs, "azurerm_monitor_diagnostic_setting.new")
	if n.Parent.ID != vaultID || n.ID != vaultID+"/providers/Microsoft.Insights/diagnosticSettings/diag" {
		t.Errorf("parent/id = %s %s", n.Parent.ID, n.ID)
	}
	wantLogs := []any{map[string]any{"category": "AuditEvent", "enabled": true, "retentionPolicy": map[string]any{"enabled": false, "days": int64(0)}}}
	if diff := cmp.Diff(wantLogs, at(t, n, "properties.logs")); diff != "" {
		t.Errorf("logs: %s", diff)
	}
	if at(t, n, "properties.workspaceId") != "/workspaces/law" || at(t, n, "properties.metrics.0.category") != "AllMetrics" {
		t.Errorf("workspace/metrics: %v", n.Body)
	}
	v3 := byAddress(t, docs, "azurerm_monitor_diagnostic_setting.v3")
	wantLogs = []any{map[string]any{"category": "AuditEvent", "enabled": false, "retentionPolicy": map[string]any{"enabled": true, "days": int64(365)}}}
	if diff := cmp.Diff(wantLogs, at(t, v3, "properties.logs")); diff != "" {
		t.Errorf("v3 logs: %s", diff)
	}
	if at(t, v3, "properties.metrics.0.enabled") != true || at(t, v3, "properties.storageAccountId") != "/storageAccounts/sa" {
		t.Errorf("v3 metrics/storage: %v", v3.Body)
	}
}

func TestManagedHSMMapping(t *testing.T) {
	t.Parallel()
	docs := readHCL(t, `
resource "azurerm_key_vault_managed_hardware_security_module" "hsm" {
  name                          = "hsm1"
  location                      = "westeurope"
  resource_group_name           = "rg"
  sku_name                      = "Standard_B1"
  tenant_id                     = "t"
  admin_object_ids              = ["a"]
  public_network_access_enabled = false
  network_acls {
    bypass         = "None"
    default_action = "Deny"
  }
}
resource "azurerm_key_vault_managed_hardware_security_module_key" "k" {
  name           = "k1"
  managed_hsm_id = azurerm_key_vault_managed_hardware_security_module.hsm.id
  key_type       = "EC-HSM"
  curve          = "P-384"
  key_opts       = ["sign"]
}`)
	h := byAddress(t, docs, "azurerm_key_vault_managed_hardware_security_module.hsm")
	const id = "/subscriptions/{subscription}/resourceGroups/rg/providers/Microsoft.KeyVault/managedHSMs/hsm1"
	for path, want := range map[string]any{
		"id": id, "sku.name": "Standard_B1", "sku.family": "B", "properties.enableSoftDelete": true,
		"properties.enablePurgeProtection": false, "properties.publicNetworkAccess": "Disabled",
		"properties.networkAcls.defaultAction": "Deny", "properties.softDeleteRetentionInDays": int64(90),
	} {
		if diff := cmp.Diff(want, at(t, h, path)); diff != "" {
			t.Errorf("%s: %s", path, diff)
		}
	}
	if _, ok := resource.LookupFold(h.Body["properties"].(map[string]any), "enableRbacAuthorization"); ok {
		t.Error("managed HSMs have no enableRbacAuthorization")
	}
	k := byAddress(t, docs, "azurerm_key_vault_managed_hardware_security_module_key.k")
	if k.Type != resource.TypeHSMKey || k.Parent.ID != id || k.Body["ellipticCurveName"] != "P-384" {
		t.Errorf("hsm key: %s %s %v", k.Type, k.Parent.ID, k.Body)
	}
}

func TestUnlinkedReferences(t *testing.T) {
	t.Parallel()
	docs := readHCL(t, `
variable "kv_id" { type = string }
data "azurerm_key_vault" "existing" {
  name                = "kv-existing"
  resource_group_name = "rg"
}
resource "azurerm_key_vault_secret" "from_data" {
  name         = "a"
  key_vault_id = data.azurerm_key_vault.existing.id
  value        = "x"
}
resource "azurerm_key_vault_secret" "from_var" {
  name         = "b"
  key_vault_id = var.kv_id
  value        = "x"
}
resource "azurerm_key_vault_secret" "literal" {
  name         = "c"
  key_vault_id = "/subscriptions/1/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-existing"
  value        = "x"
}`)
	for addr, want := range map[string]string{
		"azurerm_key_vault_secret.from_data": "terraform:data.azurerm_key_vault.existing.id",
		"azurerm_key_vault_secret.from_var":  "terraform:var.kv_id",
		"azurerm_key_vault_secret.literal":   "/subscriptions/1/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-existing",
	} {
		if got := byAddress(t, docs, addr).Parent.ID; got != want {
			t.Errorf("%s parent = %q, want %q", addr, got, want)
		}
	}
	if got := byAddress(t, docs, "azurerm_key_vault_secret.literal").ID; got != "/subscriptions/1/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-existing/secrets/c" {
		t.Errorf("literal secret ID = %q", got)
	}
}
