package cli

import (
	"context"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kvguard/kvguard/internal/azuresim"
	"github.com/kvguard/kvguard/internal/resource"
)

// The certificates, key rotation policies, managed HSMs (and their keys)
// and diagnostic settings of vaults and HSMs, read live (--data-plane)
// and judged by every recommendation (--all).

// typesNow is the scan's clock: expiry verdicts are judged against it.
var typesNow = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

const typesSub = "0b1e55ed-0000-4000-8000-000000000001"

func typesDay(y int, m time.Month, d int) int64 { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() }

func typesID(kind, name string) string {
	return "/subscriptions/" + typesSub + "/resourceGroups/rg-types/providers/Microsoft.KeyVault/" + kind + "/" + name
}

// typesVault is a key vault that passes the vault-level recommendations,
// so that the certificate verdicts are what tells vaults apart.
func typesVault(name string, certs ...azuresim.Object) *azuresim.Vault {
	id := typesID("vaults", name)
	return &azuresim.Vault{ID: id, Type: resource.TypeVault, Name: name, ResourceGroup: "rg-types", Subscription: typesSub,
		Body: map[string]any{"id": id, "name": name, "type": resource.TypeVault, "location": "westeurope",
			"properties": map[string]any{
				"tenantId": "72f988bf-0000-4000-8000-00000000c0de", "sku": map[string]any{"family": "A", "name": "standard"},
				"enableRbacAuthorization": true, "enableSoftDelete": true, "softDeleteRetentionInDays": int64(90),
				"enablePurgeProtection": true, "publicNetworkAccess": "Disabled",
				"networkAcls":                map[string]any{"bypass": "AzureServices", "defaultAction": "Deny", "ipRules": []any{}, "virtualNetworkRules": []any{}},
				"privateEndpointConnections": []any{}, "vaultUri": "https://" + name + ".vault.azure.net/",
			}},
		Certificates: certs,
	}
}

func typesHSM(name string, purge bool, keys ...azuresim.Object) *azuresim.Vault {
	id := typesID("managedHSMs", name)
	return &azuresim.Vault{ID: id, Type: resource.TypeManagedHSM, Name: name, ResourceGroup: "rg-types", Subscription: typesSub,
		Body: map[string]any{"id": id, "name": name, "type": resource.TypeManagedHSM, "location": "westeurope",
			"sku": map[string]any{"family": "B", "name": "Standard_B1"},
			"properties": map[string]any{
				"tenantId": "72f988bf-0000-4000-8000-00000000c0de", "enableSoftDelete": true, "softDeleteRetentionInDays": int64(90),
				"enablePurgeProtection": purge, "publicNetworkAccess": "Disabled",
				"networkAcls": map[string]any{"bypass": "AzureServices", "defaultAction": "Deny"},
				"hsmUri":      "https://" + name + ".managedhsm.azure.net/",
			}},
		Keys: keys,
	}
}

// typesCert is a certificate with a policy in the data plane's shape.
func typesCert(name string, key map[string]any, months int64, issuer, issuerCN string, actions ...any) azuresim.Object {
	return azuresim.Object{Name: name, Enabled: true, Created: typesDay(2026, 1, 1), Expires: typesDay(2027, 1, 1),
		IssuerCN: issuerCN,
		CertificatePolicy: map[string]any{
			"key_props":        key,
			"x509_props":       map[string]any{"subject": "CN=" + name, "validity_months": months},
			"lifetime_actions": append([]any{}, actions...),
			"issuer":           map[string]any{"name": issuer},
		}}
}

func typesAction(trigger string, n int64, action string) map[string]any {
	return map[string]any{"trigger": map[string]any{trigger: n}, "action": map[string]any{"action_type": action}}
}

func typesHSMKey(name, kty string, size int, curve string, expires int64) azuresim.Object {
	return azuresim.Object{Name: name, Enabled: true, Created: typesDay(2026, 1, 1), Expires: expires, KeyType: kty, KeySize: size, Curve: curve}
}

func typesDiagnostic(target string, enabled bool) map[string]any {
	return map[string]any{
		"id": target + "/providers/microsoft.insights/diagnosticSettings/audit", "name": "audit", "type": resource.TypeDiagnosticSetting,
		"properties": map[string]any{
			"workspaceId": "/subscriptions/" + typesSub + "/resourceGroups/rg-log/providers/Microsoft.OperationalInsights/workspaces/law",
			"logs": []any{map[string]any{"category": "AuditEvent", "enabled": enabled,
				"retentionPolicy": map[string]any{"enabled": false, "days": int64(0)}}},
			"metrics": []any{map[string]any{"category": "AllMetrics", "enabled": true,
				"retentionPolicy": map[string]any{"enabled": false, "days": int64(0)}}},
		},
	}
}

// typesEstate holds one resource per case: certificates that pass every
// certificate recommendation and ones that fail them, a vault whose
// certificates answer 403, and managed HSMs with good and bad keys and
// logs, and one whose keys and diagnostic settings answer 403.
func typesEstate() *azuresim.Estate {
	rsa := func(n int64) map[string]any { return map[string]any{"kty": "RSA", "key_size": n} }
	good := typesVault("kv-certs-good", typesCert("web", rsa(2048), 12, "DigiCert", "DigiCert Global G2 TLS RSA SHA256 2020 CA1",
		typesAction("lifetime_percentage", 80, "AutoRenew")))
	bad := typesVault("kv-certs-bad",
		typesCert("weak", rsa(1024), 36, "Self", "", typesAction("days_before_expiry", 10, "EmailContacts")),
		typesCert("curve", map[string]any{"kty": "EC", "crv": "P-256K"}, 12, "Unknown", "Contoso Issuing CA",
			typesAction("lifetime_percentage", 99, "AutoRenew")))
	bad.Certificates[0].Expires = typesDay(2026, 6, 10) // expires within 30 days of typesNow
	good.DiagnosticSettings = []map[string]any{typesDiagnostic(good.ID, true)}
	locked := typesVault("kv-certs-locked", typesCert("hidden", rsa(2048), 12, "DigiCert", "DigiCert CA"))
	locked.Forbidden = map[string]string{resource.TypeCertificate: "the identity lacks Microsoft.KeyVault/vaults/certificates/read"}

	hsmGood := typesHSM("hsm-good", true,
		typesHSMKey("rsa", "RSA-HSM", 3072, "", typesDay(2027, 6, 1)),
		typesHSMKey("ec", "EC-HSM", 0, "P-384", typesDay(2027, 6, 1)),
		typesHSMKey("aes", "oct-HSM", 256, "", typesDay(2027, 6, 1)))
	hsmGood.DiagnosticSettings = []map[string]any{typesDiagnostic(hsmGood.ID, true)}
	hsmBad := typesHSM("hsm-bad", false,
		typesHSMKey("rsa", "RSA-HSM", 1024, "", 0),
		typesHSMKey("ec", "EC-HSM", 0, "P-256K", typesDay(2026, 6, 5)),
		typesHSMKey("aes", "oct-HSM", 128, "", typesDay(2027, 6, 1)))
	hsmBad.DiagnosticSettings = []map[string]any{typesDiagnostic(hsmBad.ID, false)}
	hsmLocked := typesHSM("hsm-locked", true, typesHSMKey("rsa", "RSA-HSM", 2048, "", typesDay(2027, 6, 1)))
	hsmLocked.Forbidden = map[string]string{
		resource.TypeHSMKey:            "the identity lacks Microsoft.KeyVault/managedHSMs/keys/read",
		resource.TypeDiagnosticSetting: "the identity lacks microsoft.insights/diagnosticSettings/read",
	}
	return &azuresim.Estate{
		TenantID: "72f988bf-0000-4000-8000-00000000c0de",
		Subscriptions: []*azuresim.Subscription{{ID: typesSub, DisplayName: "types",
			Vaults: []*azuresim.Vault{bad, good, locked, hsmBad, hsmGood, hsmLocked}}},
	}
}

// runTypes runs kvguard at typesNow.
func runTypes(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb strings.Builder
	code = Run(withClock(context.Background(), typesNow), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestLiveNewTypesVerdicts(t *testing.T) {
	_, cloud := startSimulator(t, typesEstate(), azuresim.Options{})
	code, out, stderr := runTypes(t, "scan", "--azure", "--cloud", cloud, "--auth", "client-secret", "--data-plane", "--all",
		"--format", "json", "--fail-on", "none")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	got := readVerdicts(t, []byte(out)).Status
	var keys []string
	for k := range got {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Logf("%s %s", k, got[k])
	}
	_ = filepath.Join
	_ = cmp.Diff
}
