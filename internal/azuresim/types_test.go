package azuresim

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/keyvault/armkeyvault"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/monitor/armmonitor"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azcertificates"
	"github.com/google/go-cmp/cmp"

	"github.com/kvguard/kvguard/internal/resource"
)

func typesEstate() *Estate {
	return Generate(GenOptions{Subscriptions: 1, Vaults: 2, ManagedHSMs: 2, CertificatesPerVault: 3, KeysPerHSM: 4, Seed: 12})
}

// TestCertificatesWithSDK reads certificates and their policies with
// azcertificates' real client: the bundle's policy is the estate's, its
// cer's issuer is the CA the estate names, and an unknown or forbidden
// certificate answers 404 or 403.
func TestCertificatesWithSDK(t *testing.T) {
	t.Parallel()
	e := typesEstate()
	v := e.Vaults()[0]
	if v.Type != resource.TypeVault {
		t.Fatalf("first vault is a %s", v.Type)
	}
	other := e.Vaults()[1]
	other.Forbidden = map[string]string{resource.TypeCertificate: "no certificates/get"}
	s := start(t, e, Options{TrustedNetwork: true})
	client := func(vault *Vault) *azcertificates.Client {
		c, err := azcertificates.NewClient("https://"+vault.Name+s.KeyVaultDNSSuffix()+"/", credential(t, s, ""),
			&azcertificates.ClientOptions{ClientOptions: azcore.ClientOptions{Transport: s.Client(), Retry: policy.RetryOptions{MaxRetries: -1}}})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	c := client(v)
	for _, o := range v.Certificates {
		got, err := c.GetCertificate(t.Context(), o.Name, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		kp := o.CertificatePolicy["key_props"].(map[string]any)
		if p := got.Policy; p == nil || p.KeyProperties == nil || string(*p.KeyProperties.KeyType) != kp["kty"] ||
			int64(*p.X509CertificateProperties.ValidityInMonths) != o.CertificatePolicy["x509_props"].(map[string]any)["validity_months"] {
			t.Errorf("%s: policy %+v does not match %v", o.Name, got.Policy, o.CertificatePolicy)
		}
		want := o.IssuerCN
		if want == "" {
			want = o.Name
		}
		if cn := resource.CertificateIssuerCN(map[string]any{"cer": bytesB64(got.CER)}); cn != want {
			t.Errorf("%s: cer issuer %q, want %q", o.Name, cn, want)
		}
		pol, err := c.GetCertificatePolicy(t.Context(), o.Name, nil)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(got.Policy, &pol.CertificatePolicy); diff != "" {
			t.Errorf("%s: GET policy differs from the bundle's (-bundle +policy):\n%s", o.Name, diff)
		}
	}
	if _, err := c.GetCertificate(t.Context(), "nope", "", nil); err == nil || !strings.Contains(err.Error(), "CertificateNotFound") {
		t.Errorf("unknown certificate: %v", err)
	}
	if _, err := client(other).GetCertificate(t.Context(), other.Certificates[0].Name, "", nil); err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("forbidden certificate: %v", err)
	}
}

func bytesB64(b []byte) string {
	out, _ := json.Marshal(b) // a []byte marshals as standard base64
	return strings.Trim(string(out), `"`)
}

// TestHSMKeysAndDiagnosticsWithSDK lists a managed HSM's keys through
// armkeyvault's ManagedHsmKeysClient and its diagnostic settings through
// armmonitor; a forbidden key list answers 403.
func TestHSMKeysAndDiagnosticsWithSDK(t *testing.T) {
	t.Parallel()
	e := typesEstate()
	var hsms []*Vault
	for _, v := range e.Vaults() {
		if v.Type == resource.TypeManagedHSM {
			hsms = append(hsms, v)
		}
	}
	hsms[1].Forbidden = map[string]string{resource.TypeHSMKey: "no keys/read"}
	hsms[0].DiagnosticSettings = []map[string]any{genDiagnostic(hsms[0].ID, true)}
	s := start(t, e, Options{})
	cred := credential(t, s, "")
	f, err := armkeyvault.NewClientFactory(hsms[0].Subscription, cred, armOptions(s))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for p := f.NewManagedHsmKeysClient().NewListPager(hsms[0].ResourceGroup, hsms[0].Name, nil); p.More(); {
		page, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range page.Value {
			names = append(names, *k.Name)
			if *k.Type != resource.TypeARMHSMKey || k.Properties.Kty == nil || !strings.HasSuffix(*k.Properties.KeyURI, ".managedhsm.azuresim.test/keys/"+*k.Name) {
				t.Errorf("key %s: type %s, kty %v, uri %v", *k.Name, *k.Type, k.Properties.Kty, k.Properties.KeyURI)
			}
		}
	}
	if len(names) != 4 {
		t.Errorf("%d keys, want 4", len(names))
	}
	_, err = f.NewManagedHsmKeysClient().NewListPager(hsms[1].ResourceGroup, hsms[1].Name, nil).NextPage(t.Context())
	if err == nil || !strings.Contains(err.Error(), "AuthorizationFailed") {
		t.Errorf("forbidden HSM keys: %v", err)
	}
	diag, err := armmonitor.NewDiagnosticSettingsClient(cred, armOptions(s))
	if err != nil {
		t.Fatal(err)
	}
	page, err := diag.NewListPager(hsms[0].ID, nil).NextPage(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Value) != 1 || *page.Value[0].Properties.Logs[0].Category != "AuditEvent" {
		t.Errorf("HSM diagnostic settings %+v", page.Value)
	}
}

// TestSnapshotBundlesLoad: a snapshot's certificate bundle (with policy
// and cer) and managed HSM keys load into the estate they were read from.
func TestSnapshotBundlesLoad(t *testing.T) {
	t.Parallel()
	e := typesEstate()
	s := start(t, e, Options{})
	v, h := e.Vaults()[0], e.Vaults()[2]
	o := v.Certificates[0]
	bundle := s.certificateBundle(v, &o)
	key := s.armHSMKey(h, &h.Keys[0])
	snap := map[string]any{
		"kvguardSnapshot": map[string]any{"version": "1", "scope": map[string]any{"subscriptions": []any{v.Subscription}}},
		"resources":       []any{s.vaultBody(v, true), s.vaultBody(h, true), bundle, key},
		"gaps":            []any{},
	}
	b, err := json.Marshal(snap)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ReadEstate(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	var gv, gh *Vault
	for _, x := range got.Vaults() {
		if x.Name == v.Name {
			gv = x
		}
		if x.Name == h.Name {
			gh = x
		}
	}
	if gv == nil || gh == nil || len(gv.Certificates) != 1 || len(gh.Keys) != 1 {
		t.Fatalf("loaded %+v / %+v", gv, gh)
	}
	gc := gv.Certificates[0]
	wantCN := o.IssuerCN
	if wantCN == "" {
		wantCN = o.Name
	}
	if gc.IssuerCN != wantCN || gc.CertificatePolicy == nil || gc.CertificatePolicy["id"] != nil {
		t.Errorf("certificate loaded as %+v", gc)
	}
	if k := gh.Keys[0]; k.KeyType != h.Keys[0].KeyType || k.Name != h.Keys[0].Name {
		t.Errorf("HSM key loaded as %+v, want %+v", k, h.Keys[0])
	}
}
