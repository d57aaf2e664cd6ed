package terraform

import (
	"strings"
	"testing"

	"github.com/kvguard/kvguard/internal/resource"
)

// certWithIssuer is a certificate of vault kv whose policy names issuer.
func certWithIssuer(issuer string) string {
	return `resource "azurerm_key_vault_certificate" "c" {
  name         = "c"
  key_vault_id = azurerm_key_vault.kv.id
  certificate_policy {
    issuer_parameters { name = ` + issuer + ` }
    key_properties {
      exportable = true
      key_type   = "RSA"
      key_size   = 2048
      reuse_key  = false
    }
    secret_properties { content_type = "application/x-pkcs12" }
    x509_certificate_properties {
      subject            = "CN=c"
      validity_in_months = 12
      key_usage          = ["digitalSignature"]
    }
  }
}
`
}

// issuerBlock is an azurerm_key_vault_certificate_issuer of vault kv.
func issuerBlock(name, provider string) string {
	return `resource "azurerm_key_vault_certificate_issuer" "i" {
  name          = "` + name + `"
  key_vault_id  = azurerm_key_vault.kv.id
  provider_name = ` + provider + `
  account_id    = "0000"
  password      = "not-kept"
}
`
}

// TestCertificateIssuerProvider: a certificate naming an issuer declared
// in its vault gets the issuer's provider as issuer.name; a provider that
// differs from the name, or is unknown, makes it Unknown with the reason;
// issuers of another vault, and Self, are not joined; no issuer document
// is emitted and its password is never kept.
func TestCertificateIssuerProvider(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		src      string
		want     any    // a string, or nil for an Unknown
		wantExpr string // in the Unknown's expression
	}{
		{"name is the provider", issuerBlock("digicert", `"DigiCert"`) + certWithIssuer(`azurerm_key_vault_certificate_issuer.i.name`), "DigiCert", ""},
		{"name differs from the provider", issuerBlock("corp-ca", `"GlobalSign"`) + certWithIssuer(`"corp-ca"`), nil, `of provider "GlobalSign"`},
		{"provider unknown", issuerBlock("DigiCert", `var.provider`) + "variable \"provider\" {}\n" + certWithIssuer(`"DigiCert"`), nil, "var.provider"},
		{"issuer not declared", certWithIssuer(`"OneCertV2-PublicCA"`), "OneCertV2-PublicCA", ""},
		{"self-signed", issuerBlock("Self", `"DigiCert"`) + certWithIssuer(`"Self"`), "Self", ""},
		{"issuer of another vault", vault("other", "") + strings.ReplaceAll(issuerBlock("corp-ca", `"DigiCert"`), "azurerm_key_vault.kv.id", "azurerm_key_vault.other.id") +
			certWithIssuer(`"corp-ca"`), "corp-ca", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			docs := readHCL(t, vault("kv", "")+tt.src)
			for _, d := range docs {
				if strings.HasPrefix(d.Type, "kvguard/") || strings.Contains(mustJSON(t, d.Body), "not-kept") {
					t.Errorf("document %s (%s) emitted", d.Source.Address, d.Type)
				}
			}
			got := at(t, byAddress(t, docs, "azurerm_key_vault_certificate.c"), "issuer.name")
			if tt.want != nil {
				if got != tt.want {
					t.Errorf("issuer.name = %v, want %v", got, tt.want)
				}
				return
			}
			u, ok := got.(resource.Unknown)
			if !ok || !strings.Contains(u.Expr, tt.wantExpr) {
				t.Errorf("issuer.name = %v, want an Unknown naming %q", got, tt.wantExpr)
			}
		})
	}
}

// hsmAndKey is a managed HSM "hsm" with the key "cmk".
const hsmAndKey = `resource "azurerm_key_vault_managed_hardware_security_module" "hsm" {
  name                = "hsm-one"
  location            = "westeurope"
  resource_group_name = "rg"
  sku_name            = "Standard_B1"
  tenant_id           = "00000000-0000-0000-0000-000000000001"
  admin_object_ids    = ["00000000-0000-0000-0000-0000000000aa"]
}

resource "azurerm_key_vault_managed_hardware_security_module_key" "cmk" {
  name            = "cmk"
  managed_hsm_id  = azurerm_key_vault_managed_hardware_security_module.hsm.id
  key_type        = "RSA-HSM"
  key_size        = 3072
  key_opts        = ["wrapKey"]
  expiration_date = "2028-06-30T00:00:00Z"
}
`

// TestHSMKeyRotationPolicy: the azurerm HSM key rotation policy resource
// gives its key the rotationPolicy a vault key's rotation_policy block
// gives (the same alias fields), by reference or by literal key ID; a
// policy of a key not in the code changes nothing and is not emitted.
func TestHSMKeyRotationPolicy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		keyID    string
		wantDate any // scheduledRotationDate; nil: none
		joined   bool
	}{
		{"by reference", `azurerm_key_vault_managed_hardware_security_module_key.cmk.id`, "2028-05-31T00:00:00Z", true},
		{"by literal ID", `"https://hsm-one.managedhsm.azure.net/keys/cmk"`, "2028-05-31T00:00:00Z", true},
		{"another HSM's key", `"https://hsm-two.managedhsm.azure.net/keys/cmk"`, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			docs := readHCL(t, hsmAndKey+`
resource "azurerm_key_vault_managed_hardware_security_module_key_rotation_policy" "cmk" {
  managed_hsm_key_id = `+tt.keyID+`
  expire_after       = "P2Y"
  time_before_expiry = "P30D"
}
`)
			if len(docs) != 2 {
				t.Errorf("%d documents, want the HSM and its key", len(docs))
			}
			k := byAddress(t, docs, "azurerm_key_vault_managed_hardware_security_module_key.cmk")
			if got := at(t, k, "scheduledRotationDate"); got != tt.wantDate {
				t.Errorf("scheduledRotationDate = %v, want %v", got, tt.wantDate)
			}
			rp := at(t, k, "rotationPolicy")
			if (rp != nil) != tt.joined {
				t.Fatalf("rotationPolicy = %v, joined want %v", rp, tt.joined)
			}
			if !tt.joined {
				return
			}
			want := `{"attributes":{"expiryTime":"P2Y"},"lifetimeActions":[{"action":{"type":"Rotate"},"trigger":{"timeBeforeExpiry":"P30D"}}]}`
			if got := mustJSON(t, rp); got != want {
				t.Errorf("rotationPolicy = %s, want %s", got, want)
			}
		})
	}
}

// TestPlanHSMKeyRotationPolicy: in a plan, the rotation policy's unknown
// managed_hsm_key_id is joined to its key through the configuration's
// reference.
func TestPlanHSMKeyRotationPolicy(t *testing.T) {
	t.Parallel()
	const hsm = "azurerm_key_vault_managed_hardware_security_module"
	const key = hsm + "_key"
	const rot = key + "_rotation_policy"
	p := writePlan(t, map[string]any{
		"format_version": "1.2",
		"resource_changes": []any{
			change(hsm+".h", "", hsm, "h", map[string]any{"name": "hsm-one", "resource_group_name": "rg", "sku_name": "Standard_B1"}, map[string]any{"id": true}),
			change(key+".k", "", key, "k", map[string]any{"name": "cmk", "key_type": "RSA-HSM", "key_size": 3072, "expiration_date": "2028-06-30T00:00:00Z"},
				map[string]any{"id": true, "managed_hsm_id": true}),
			change(rot+".r", "", rot, "r", map[string]any{"expire_after": "P2Y", "time_before_expiry": "P30D"}, map[string]any{"id": true, "managed_hsm_key_id": true}),
		},
		"configuration": map[string]any{"root_module": map[string]any{"resources": []any{
			map[string]any{"address": key + ".k", "mode": "managed", "type": key, "name": "k",
				"expressions": map[string]any{"managed_hsm_id": refs(hsm+".h.id", hsm+".h")}},
			map[string]any{"address": rot + ".r", "mode": "managed", "type": rot, "name": "r",
				"expressions": map[string]any{"managed_hsm_key_id": refs(key+".k.id", key+".k")}},
		}}},
	})
	docs, errs, _ := read(t, p, Options{})
	if len(errs) > 0 {
		t.Fatal(messages(errs))
	}
	if len(docs) != 2 {
		t.Errorf("%d documents, want the HSM and its key", len(docs))
	}
	if got := at(t, byAddress(t, docs, key+".k"), "scheduledRotationDate"); got != "2028-05-31T00:00:00Z" {
		t.Errorf("scheduledRotationDate = %v", got)
	}
}
