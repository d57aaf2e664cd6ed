package saved

import (
	"crypto/x509"
	"encoding/base64"
	"strings"
)

// issuerCommonName is the common name of the issuer of a certificate
// bundle's X.509 certificate: its "cer" member (base64 DER, as the data
// plane and az keyvault certificate show give it). It is what Azure
// Policy's Microsoft.KeyVault.Data/vaults/certificates/issuer.commonName
// reads (reference/policy-ground-truth.md §D2): the CA that signed it, not
// the policy's issuer name. "" when there is no parsable certificate (list
// items carry none).
func issuerCommonName(body map[string]any) string {
	cer, _ := body["cer"].(string)
	if cer == "" {
		return ""
	}
	cer = strings.TrimRight(cer, "=")
	for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
		der, err := enc.DecodeString(cer)
		if err != nil {
			continue
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return ""
		}
		return c.Issuer.CommonName
	}
	return ""
}
