package live_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/google/go-cmp/cmp"

	"github.com/kvguard/kvguard/internal/azuresim"
	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/source/live"
)

// typesEstate has certificates with policies, and managed HSMs with keys
// and diagnostic settings.
func typesEstate() *azuresim.Estate {
	return azuresim.Generate(azuresim.GenOptions{Subscriptions: 2, Vaults: 6, ManagedHSMs: 3, KeysPerVault: 1,
		CertificatesPerVault: 4, KeysPerHSM: 5, Seed: 17})
}

// TestCertificatesAndHSMKeys: a --data-plane scan turns each certificate's
// bundle into the fields the certificate aliases read (key type, size or
// curve, validity, issuer name and the CN of the CA that signed it,
// lifetime actions), never keeping its policy or X.509 certificate as
// such; each managed HSM's keys (through ARM) become HSM key components,
// and its diagnostic settings are read.
func TestCertificatesAndHSMKeys(t *testing.T) {
	t.Parallel()
	est := typesEstate()
	sim := startSim(t, est, azuresim.Options{})
	opts := baseOptions(t, sim)
	opts.DataPlane = true
	var c collector
	sum, err := live.Scan(t.Context(), opts, c.emit)
	if err != nil {
		t.Fatal(err)
	}
	if sum.VaultsFound != 6 || sum.ManagedHSMsFound != 3 || sum.VaultsUnreadable+sum.ManagedHSMsUnreadable != 0 {
		t.Errorf("summary %+v: want 6 vaults and 3 managed HSMs, all read", sum)
	}
	certs := map[string]*resource.Document{}
	for _, d := range c.byType(resource.TypeCertificate) {
		certs[strings.ToLower(resource.VaultHost(d.ID)+"/"+d.Name)] = d
	}
	hsmKeys := map[string]*resource.Document{}
	for _, d := range c.byType(resource.TypeHSMKey) {
		hsmKeys[resource.Key(d.ID)] = d
	}
	diags := map[string]int{}
	for _, d := range c.byType(resource.TypeDiagnosticSetting) {
		diags[resource.Key(d.Parent.ID)]++
	}
	for _, v := range est.Vaults() {
		if v.Type == resource.TypeManagedHSM {
			checkHSM(t, v, hsmKeys)
		} else {
			checkCertificates(t, sim, v, certs)
		}
		if diags[resource.Key(v.ID)] != len(v.DiagnosticSettings) {
			t.Errorf("%s: %d diagnostic settings, want %d", v.Name, diags[resource.Key(v.ID)], len(v.DiagnosticSettings))
		}
	}
	if len(certs) != 6*4 || len(hsmKeys) != 3*5 {
		t.Errorf("%d certificates and %d HSM keys, want 24 and 15", len(certs), len(hsmKeys))
	}
	if v := sim.ValueRequests(); len(v) > 0 {
		t.Errorf("value requests: %+v", v)
	}
}

func checkCertificates(t *testing.T, sim *azuresim.Simulator, v *azuresim.Vault, certs map[string]*resource.Document) {
	t.Helper()
	for _, o := range v.Certificates {
		d := certs[strings.ToLower(v.Name+sim.KeyVaultDNSSuffix()+"/"+o.Name)]
		if d == nil {
			t.Errorf("%s: certificate %s not emitted", v.Name, o.Name)
			continue
		}
		pol := o.CertificatePolicy
		kp := pol["key_props"].(map[string]any)
		wantKey := map[string]any{"keyType": kp["kty"]}
		if n, ok := kp["key_size"]; ok {
			wantKey["keySize"] = n
		}
		if crv, ok := kp["crv"]; ok {
			wantKey["ellipticCurveName"] = crv
		}
		cn := o.IssuerCN
		if cn == "" {
			cn = o.Name // self-signed
		}
		var actions []any
		for _, a := range pol["lifetime_actions"].([]any) {
			am := a.(map[string]any)
			got := map[string]any{"action": am["action"].(map[string]any)["action_type"]}
			for k, e := range am["trigger"].(map[string]any) {
				got[map[string]string{"lifetime_percentage": "lifetimePercentage", "days_before_expiry": "daysBeforeExpiry"}[k]] = e
			}
			actions = append(actions, got)
		}
		want := map[string]any{
			"keyProperties":   wantKey,
			"properties":      map[string]any{"validityInMonths": pol["x509_props"].(map[string]any)["validity_months"]},
			"issuer":          map[string]any{"name": pol["issuer"].(map[string]any)["name"], "commonName": cn},
			"lifetimeActions": actions,
		}
		got := map[string]any{}
		for k := range want {
			got[k] = d.Body[k]
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s/%s fields (-want +got):\n%s", v.Name, o.Name, diff)
		}
		for _, k := range []string{"cer", "policy", "sid", "kid"} {
			if _, ok := d.Body[k]; ok {
				t.Errorf("%s/%s: the document keeps %s", v.Name, o.Name, k)
			}
		}
		if strings.Count(d.ID, "/") != 4 {
			t.Errorf("certificate ID %s is not the versionless object", d.ID)
		}
	}
}

func checkHSM(t *testing.T, v *azuresim.Vault, hsmKeys map[string]*resource.Document) {
	t.Helper()
	for _, o := range v.Keys {
		d := hsmKeys[resource.Key(v.ID+"/keys/"+o.Name)]
		if d == nil {
			t.Errorf("%s: key %s not emitted", v.Name, o.Name)
			continue
		}
		if !resource.SameID(d.Parent.ID, v.ID) || d.Body["keyType"] != o.KeyType {
			t.Errorf("%s/%s: parent %v, keyType %v; want %s, %s", v.Name, o.Name, d.Parent, d.Body["keyType"], v.ID, o.KeyType)
		}
		_, hasExp := d.Body["attributes"].(map[string]any)["expiresOn"]
		if hasExp != (o.Expires != 0) {
			t.Errorf("%s/%s: expiresOn present %v, want %v", v.Name, o.Name, hasExp, o.Expires != 0)
		}
	}
}

// refuseCertificateGets answers 403 to every GET of one certificate (the
// bundle), as a vault whose access policy grants list but not get does.
type refuseCertificateGets struct{ next policy.Transporter }

func (r refuseCertificateGets) Do(req *http.Request) (*http.Response, error) {
	parts := strings.Split(strings.Trim(req.URL.Path, "/"), "/")
	if len(parts) >= 2 && parts[0] == "certificates" && strings.Contains(req.URL.Host, ".vault.") && req.Header.Get("Authorization") != "" {
		body := `{"error":{"code":"Forbidden","message":"The user does not have certificates get permission on key vault","innererror":{"code":"AccessDenied"}}}`
		return &http.Response{StatusCode: http.StatusForbidden, Status: "403 Forbidden", Request: req,
			Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader(body))}, nil
	}
	return r.next.Do(req)
}

// TestUnreadableNewParts: a certificate list or bundle, a managed HSM's
// key list or its diagnostic settings answering 403 is a gap on the vault
// or HSM naming the part, with the status, never an empty healthy list. A
// bundle (the certificate's policy) is a partial gap: the listed
// certificates are kept, only the rules reading their policies are
// Unknown (resource.PartCertificatePolicy).
func TestUnreadableNewParts(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		forbid    func(*azuresim.Estate) *azuresim.Vault
		transport func(policy.Transporter) policy.Transporter
		wantPart  string
	}{
		{"certificate list", func(e *azuresim.Estate) *azuresim.Vault {
			v := keyVaults(e)[1]
			v.Forbidden = map[string]string{resource.TypeCertificate: "no certificates/list"}
			return v
		}, nil, resource.TypeCertificate},
		{"certificate bundle", func(e *azuresim.Estate) *azuresim.Vault { return keyVaults(e)[2] },
			func(next policy.Transporter) policy.Transporter { return refuseCertificateGets{next} }, resource.PartCertificatePolicy},
		{"HSM keys", func(e *azuresim.Estate) *azuresim.Vault {
			v := hsms(e)[0]
			v.Forbidden = map[string]string{resource.TypeHSMKey: "no managedHSMs/keys/read"}
			return v
		}, nil, resource.TypeHSMKey},
		{"HSM diagnostic settings", func(e *azuresim.Estate) *azuresim.Vault {
			v := hsms(e)[1]
			v.Forbidden = map[string]string{resource.TypeDiagnosticSetting: "no diagnosticSettings/read"}
			return v
		}, nil, resource.TypeDiagnosticSetting},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			est := typesEstate()
			v := tc.forbid(est)
			sim := startSim(t, est, azuresim.Options{})
			opts := baseOptions(t, sim)
			opts.DataPlane = true
			if tc.transport != nil {
				opts.Transport = tc.transport(opts.Transport)
			}
			var c collector
			sum, err := live.Scan(t.Context(), opts, c.emit)
			if err != nil {
				t.Fatal(err)
			}
			d := c.vault(v.Name)
			g, ok := d.GapFor(tc.wantPart)
			if !ok || !strings.Contains(g.Err, "403") {
				t.Fatalf("%s: gaps %+v, want a 403 gap for %s", v.Name, d.Gaps, tc.wantPart)
			}
			unreadable := sum.VaultsUnreadable + sum.ManagedHSMsUnreadable
			if tc.transport == nil && unreadable != 1 {
				t.Errorf("summary %+v: want one unreadable vault or HSM", sum)
			}
		})
	}
}

func hsms(e *azuresim.Estate) []*azuresim.Vault {
	var out []*azuresim.Vault
	for _, v := range e.Vaults() {
		if v.Type == resource.TypeManagedHSM {
			out = append(out, v)
		}
	}
	return out
}
