package saved

import (
	"crypto/ed25519"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kvguard/kvguard/internal/resource"
)

// TestCertificateIssuerCommonName: az keyvault certificate show output
// carries the certificate (cer); its issuer's common name is what the
// non-integrated CA rules read (issuer.commonName), beside the policy's
// issuer name. A cer that is not a certificate leaves the common name
// unknown; a list item, without policy or cer, leaves the policy's fields
// unknown too (never absent: an absent key type or issuer would fail the
// rules that read them).
func TestCertificateIssuerCommonName(t *testing.T) {
	t.Parallel()
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "Contoso Issuing CA 1"},
		NotBefore:    time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	der, err := x509.CreateCertificate(nil, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cer := base64.StdEncoding.EncodeToString(der)
	show := func(name, cer string) string {
		return `{"attributes": {"enabled": true, "expires": "2027-01-01T00:00:00+00:00"}, "cer": "` + cer + `",
 "id": "https://kv1.vault.azure.net/certificates/` + name + `/5e1f0d2c3b4a49f8a7e6d5c4b3a29180", "name": "` + name + `",
 "policy": {"id": "https://kv1.vault.azure.net/certificates/` + name + `/policy", "issuerParameters": {"name": "Unknown"},
  "keyProperties": {"keySize": 2048, "keyType": "RSA"}, "x509CertificateProperties": {"validityInMonths": 12}}}`
	}
	in := "[" + show("web", cer) + ",\n" + show("bad", "bm90IGEgY2VydA==") + ",\n" +
		`{"attributes": {"enabled": true}, "id": "https://kv1.vault.azure.net/certificates/listed", "x509Thumbprint": "fLi3U52HunIVNXubkEnf8tP6Wbo"}]`
	got := map[string]any{}
	err = New(Options{}).ReadFrom(t.Context(), strings.NewReader(in), "f.json", func(d *resource.Document) {
		checkInvariants(t, d)
		got[d.Name] = d.Body["issuer"]
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"web":    map[string]any{"name": "Unknown", "commonName": "Contoso Issuing CA 1"},
		"bad":    map[string]any{"name": "Unknown", "commonName": resource.Unknown{Expr: noIssuerCN}},
		"listed": map[string]any{"name": resource.Unknown{Expr: noPolicy}, "commonName": resource.Unknown{Expr: noPolicy}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("issuer (-want +got):\n%s", diff)
	}
}
