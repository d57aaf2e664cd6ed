package cli

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
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

func typesDay(y int, m time.Month, d int) int64 {
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix()
}

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

// typesParams make the recommendations whose defaults accept every case
// tell the cases apart (and give issuer-cn its required parameter).
var typesParams = []string{
	"--param", `keyvault-certificate-ec-curve.allowedECNames=["P-256","P-384"]`,
	"--param", "keyvault-certificate-issuer-cn.caCommonName=DigiCert",
	"--param", `keyvault-certificate-issuer-cns.caCommonNames=["DigiCert Global G2 TLS RSA SHA256 2020 CA1"]`,
	"--param", `managedhsm-key-ec-curve.allowedECNames=["P-256","P-384"]`,
	"--param", "managedhsm-key-aes-size.minimumOCTKeySize=256",
}

// TestLiveNewTypesVerdicts: every certificate, managed HSM key and
// resource-log recommendation gives the expected verdict on the vault or
// HSM built to pass it, the one built to fail it, and Unknown on the one
// whose part answers 403.
func TestLiveNewTypesVerdicts(t *testing.T) {
	sim, cloud := startSimulator(t, typesEstate(), azuresim.Options{})
	args := append([]string{"scan", "--azure", "--cloud", cloud, "--auth", "client-secret", "--data-plane", "--all",
		"--format", "json", "--fail-on", "none"}, typesParams...)
	code, out, stderr := runTypes(t, args...)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "3 vaults found, 2 judged, 1 unreadable, 3 managed HSMs found, 2 judged, 1 unreadable") {
		t.Errorf("stderr lacks the summary counting HSMs apart:\n%s", stderr)
	}
	got := readVerdicts(t, []byte(out)).Status
	const (
		H = "Healthy"
		U = "Unhealthy"
		X = "Unknown"
	)
	// Statuses on the bad, the good and the locked vault (HSM).
	cases := map[string][3]string{
		"keyvault-certificate-ec-curve":        {U, H, X},
		"keyvault-certificate-expiring":        {U, H, X},
		"keyvault-certificate-integrated-ca":   {U, H, X},
		"keyvault-certificate-issuer-cn":       {U, H, X},
		"keyvault-certificate-issuer-cns":      {U, H, X},
		"keyvault-certificate-key-type":        {U, H, X},
		"keyvault-certificate-lifetime-action": {U, H, X},
		"keyvault-certificate-rsa-size":        {U, H, X},
		"keyvault-certificate-validity":        {U, H, X},
		"keyvault-resource-logs":               {U, H, U},
		"managedhsm-key-aes-size":              {U, H, X},
		"managedhsm-key-ec-curve":              {U, H, X},
		"managedhsm-key-expiring":              {U, H, X},
		"managedhsm-key-expiry":                {U, H, X},
		"managedhsm-key-rsa-size":              {U, H, X},
		"managedhsm-key-type":                  {H, H, X},
		"managedhsm-purge-protection":          {U, H, H},
		"managedhsm-resource-logs":             {U, H, X},
		"managedhsm-diagnostics-event-hub":     {U, U, X},
	}
	for rec, want := range cases {
		kind, names := "vaults", [3]string{"kv-certs-bad", "kv-certs-good", "kv-certs-locked"}
		if strings.HasPrefix(rec, "managedhsm-") {
			kind, names = "managedHSMs", [3]string{"hsm-bad", "hsm-good", "hsm-locked"}
		}
		for i, name := range names {
			k := rec + "|" + strings.ToLower(typesID(kind, name))
			if got[k] != want[i] {
				t.Errorf("%s on %s: %q, want %s", rec, name, got[k], want[i])
			}
		}
	}
	for _, r := range sim.Requests() {
		if r.ValueRequest() {
			t.Errorf("request for a secret value: %s %s%s", r.Method, r.Host, r.Path)
		}
	}
}

// TestLiveNewTypesMatchSaved: the verdicts of every recommendation on the
// certificates, HSMs, HSM keys and diagnostic settings read live equal
// those of the --save snapshot judged offline, for the hand-built estate
// and a generated one under faults.
func TestLiveNewTypesMatchSaved(t *testing.T) {
	gen := azuresim.Generate(azuresim.GenOptions{Subscriptions: 2, Vaults: 10, ManagedHSMs: 4, KeysPerVault: 2,
		CertificatesPerVault: 5, KeysPerHSM: 6, Seed: 31})
	cases := []struct {
		name   string
		estate *azuresim.Estate
		sim    azuresim.Options
		// want are verdicts the live scan must give somewhere, so that
		// the comparison covers them.
		want []string
	}{
		{"hand-built", typesEstate(), azuresim.Options{}, []string{
			"keyvault-certificate-validity=Unhealthy", "keyvault-certificate-validity=Healthy", "keyvault-certificate-validity=Unknown",
			"managedhsm-key-rsa-size=Unhealthy", "managedhsm-key-rsa-size=Healthy", "managedhsm-key-rsa-size=Unknown",
			"managedhsm-resource-logs=Healthy", "managedhsm-resource-logs=Unhealthy",
			"keyvault-certificate-issuer-cn=Healthy", "keyvault-certificate-issuer-cn=Unhealthy",
		}},
		{"generated with faults", gen, azuresim.Options{FailRate: 0.05, DropRate: 0.03, ThrottleRate: 0.1, Seed: 6,
			ForbiddenVaults: []string{"kvsim-00002", "hsmsim-001"}}, []string{
			"keyvault-certificate-validity=Unhealthy", "keyvault-certificate-rsa-size=Unhealthy", "keyvault-certificate-validity=Unknown",
			"keyvault-certificate-lifetime-action=Unhealthy", "keyvault-certificate-integrated-ca=Unhealthy",
			"managedhsm-key-expiry=Unhealthy", "managedhsm-key-ec-curve=Unhealthy", "managedhsm-key-type=Unknown",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, cloud := startSimulator(t, tc.estate, tc.sim)
			snap := filepath.Join(t.TempDir(), "snapshot.json")
			args := append([]string{"scan", "--azure", "--cloud", cloud, "--auth", "client-secret", "--data-plane", "--all",
				"--save", snap, "--format", "json", "--fail-on", "none"}, typesParams...)
			code, live, stderr := runTypes(t, args...)
			if code != ExitOK {
				t.Fatalf("live scan exit %d\n%s", code, stderr)
			}
			args = append([]string{"scan", snap, "--all", "--format", "json", "--fail-on", "none"}, typesParams...)
			code, saved, stderr := runTypes(t, args...)
			if code != ExitOK {
				t.Fatalf("offline scan exit %d\n%s", code, stderr)
			}
			lv, ov := readVerdicts(t, []byte(live)), readVerdicts(t, []byte(saved))
			seen := map[string]bool{}
			for k, st := range lv.Status {
				rec, _, _ := strings.Cut(k, "|")
				if strings.HasPrefix(rec, "keyvault-certificate-") || strings.HasPrefix(rec, "managedhsm-") {
					seen[rec+"="+st] = true
				}
			}
			for _, want := range tc.want {
				if !seen[want] {
					t.Errorf("no %s in the live scan: the estate does not exercise it (%v)", want, seen)
				}
			}
			if diff := cmp.Diff(ov, lv); diff != "" {
				t.Errorf("live verdicts differ from the snapshot's (-offline +live):\n%s", diff)
			}
		})
	}
}

// restSaver saves what `az rest` gives for the estate's resources: the
// Resource Manager's vault and managed HSM lists, each vault's ARM-plane
// keys and each HSM's keys, diagnostic settings, and each certificate's
// bundle from the vault's data plane.
type restSaver struct {
	t     *testing.T
	sim   *azuresim.Simulator
	dir   string
	cred  azcore.TokenCredential
	files int
}

func (r *restSaver) save(name, url, audience string) {
	r.t.Helper()
	tok, err := r.cred.GetToken(r.t.Context(), policy.TokenRequestOptions{Scopes: []string{audience + "/.default"}})
	if err != nil {
		r.t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(r.t.Context(), http.MethodGet, url, nil)
	if err != nil {
		r.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	resp, err := r.sim.Client().Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		r.t.Fatalf("GET %s: %d %v\n%s", url, resp.StatusCode, err, b)
	}
	writeFile(r.t, filepath.Join(r.dir, name+".json"), b)
	r.files++
}

// TestLiveNewTypesMatchRESTOutputs: the REST bodies a user saves with az
// rest (certificate bundles with their policies, managed HSMs and their
// keys, diagnostic settings) judge as the live scan does.
func TestLiveNewTypesMatchRESTOutputs(t *testing.T) {
	est := typesEstate()
	for _, v := range est.Vaults() {
		v.Forbidden = nil // a 403 leaves nothing to save
	}
	sim, cloud := startSimulator(t, est, azuresim.Options{})
	tenant, id, secret := sim.Credentials()
	cred, err := azidentity.NewClientSecretCredential(tenant, id, secret, &azidentity.ClientSecretCredentialOptions{
		ClientOptions: azcore.ClientOptions{Cloud: sim.Cloud(), Transport: sim.Client()}, DisableInstanceDiscovery: true})
	if err != nil {
		t.Fatal(err)
	}
	r := &restSaver{t: t, sim: sim, dir: t.TempDir(), cred: cred}
	arm, vaultAudience := strings.TrimRight(sim.URL(), "/"), "https://"+strings.TrimPrefix(sim.KeyVaultDNSSuffix(), ".")
	armAudience := strings.TrimRight(sim.ARMAudience(), "/")
	for _, sub := range est.Subscriptions {
		base := arm + "/subscriptions/" + sub.ID + "/providers/Microsoft.KeyVault/"
		r.save("vaults-"+sub.ID, base+"vaults?api-version=2024-11-01", armAudience)
		r.save("hsms-"+sub.ID, base+"managedHSMs?api-version=2024-11-01", armAudience)
		for _, v := range sub.Vaults {
			r.save("diag-"+v.Name, arm+v.ID+"/providers/Microsoft.Insights/diagnosticSettings?api-version=2021-05-01-preview", armAudience)
			if v.Type == resource.TypeManagedHSM {
				r.save("keys-"+v.Name, arm+v.ID+"/keys?api-version=2024-11-01", armAudience)
				continue
			}
			for _, c := range v.Certificates {
				r.save("cert-"+v.Name+"-"+c.Name, "https://"+v.Name+sim.KeyVaultDNSSuffix()+"/certificates/"+c.Name+"?api-version=7.6", vaultAudience)
			}
		}
	}
	args := append([]string{"scan", "--azure", "--cloud", cloud, "--auth", "client-secret", "--data-plane", "--all",
		"--format", "json", "--fail-on", "none"}, typesParams...)
	code, live, stderr := runTypes(t, args...)
	if code != ExitOK {
		t.Fatalf("live scan exit %d\n%s", code, stderr)
	}
	args = append([]string{"scan", r.dir, "--all", "--format", "json", "--fail-on", "none"}, typesParams...)
	code, saved, stderr := runTypes(t, args...)
	if code != ExitOK {
		t.Fatalf("scan of the REST outputs: exit %d\n%s", code, stderr)
	}
	lv, ov := readVerdicts(t, []byte(live)).Status, readVerdicts(t, []byte(saved)).Status
	compared := 0
	for k, st := range lv {
		rec, _, _ := strings.Cut(k, "|")
		if !strings.HasPrefix(rec, "keyvault-certificate-") && !strings.HasPrefix(rec, "managedhsm-") && rec != "keyvault-resource-logs" {
			continue
		}
		compared++
		if ov[k] != st {
			t.Errorf("%s: live %s, saved REST outputs %q", k, st, ov[k])
		}
	}
	if compared < 3*9+3*11 {
		t.Errorf("%d verdicts compared", compared)
	}
}
