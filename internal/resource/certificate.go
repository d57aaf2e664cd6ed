package resource

import (
	"crypto/x509"
	"encoding/base64"
	"strings"
)

// CertificateFields maps a certificate bundle's policy, as the data plane
// (snake_case: key_props, x509_props, lifetime_actions, issuer) or az
// keyvault certificate show (camelCase: keyProperties,
// x509CertificateProperties, lifetimeActions, issuerParameters) writes it,
// to the fields the Microsoft.KeyVault.Data certificate aliases read
// (NewComponent's fields): keyProperties {keyType, keySize,
// ellipticCurveName}, properties {validityInMonths}, lifetimeActions
// [{daysBeforeExpiry, lifetimePercentage, action}], issuer {name,
// commonName}. The issuer's common name is that of the CA that signed the
// bundle's X.509 certificate (its cer), which nothing else records. A
// body without a policy (a list item) adds nothing. The certificate and
// its key are never copied.
func CertificateFields(body, fields map[string]any) {
	pol, ok := body["policy"].(map[string]any)
	if !ok {
		return
	}
	if kp := firstMap(pol, "key_props", "keyProperties"); kp != nil {
		props := map[string]any{}
		copyFirst(kp, props, "keyType", "kty", "keyType")
		copyFirst(kp, props, "keySize", "key_size", "keySize")
		copyFirst(kp, props, "ellipticCurveName", "crv", "curve")
		fields["keyProperties"] = props
	}
	if xp := firstMap(pol, "x509_props", "x509CertificateProperties"); xp != nil {
		props := map[string]any{}
		copyFirst(xp, props, "validityInMonths", "validity_months", "validityInMonths")
		if len(props) > 0 {
			fields["properties"] = props
		}
	}
	if la, ok := firstValue(pol, "lifetime_actions", "lifetimeActions").([]any); ok {
		var out []any
		for _, e := range la {
			m, ok := e.(map[string]any)
			if !ok {
				continue
			}
			a := map[string]any{}
			if tr := firstMap(m, "trigger"); tr != nil {
				copyFirst(tr, a, "daysBeforeExpiry", "days_before_expiry", "daysBeforeExpiry")
				copyFirst(tr, a, "lifetimePercentage", "lifetime_percentage", "lifetimePercentage")
			}
			if ac := firstMap(m, "action"); ac != nil {
				copyFirst(ac, a, "action", "action_type", "actionType")
			}
			out = append(out, a)
		}
		fields["lifetimeActions"] = out
	}
	if is := firstMap(pol, "issuer", "issuerParameters"); is != nil {
		props := map[string]any{}
		copyFirst(is, props, "name", "name")
		if cn := CertificateIssuerCN(body); cn != "" {
			props["commonName"] = cn
		}
		fields["issuer"] = props
	}
}

// CertificateIssuerCN is the common name of the issuer of a certificate
// bundle's X.509 certificate: its "cer" member (base64 DER). It is what
// Microsoft.KeyVault.Data/vaults/certificates/issuer.commonName reads
// (reference/policy-ground-truth.md §D2): the CA that signed it, not the
// policy's issuer name. "" when there is no parsable certificate.
func CertificateIssuerCN(body map[string]any) string {
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

func firstMap(m map[string]any, keys ...string) map[string]any {
	v, _ := firstValue(m, keys...).(map[string]any)
	return v
}

func firstValue(m map[string]any, keys ...string) any {
	for _, k := range keys {
		if v, ok := m[k]; ok && v != nil {
			return v
		}
	}
	return nil
}

func copyFirst(from, to map[string]any, dst string, keys ...string) {
	if v := firstValue(from, keys...); v != nil {
		to[dst] = v
	}
}

// UnknownCertificatePolicy sets the fields a certificate's policy gives
// (key properties, validity, lifetime actions, issuer) to Unknown{expr}:
// for a certificate read without its policy (a list item, or a GET that
// failed), what the certificate rules read is unknown, not absent (an
// absent key type is not an allowed one and would fail them).
func UnknownCertificatePolicy(fields map[string]any, expr string) {
	u := Unknown{Expr: expr}
	fields["keyProperties"] = u
	fields["properties"] = map[string]any{"validityInMonths": u}
	fields["lifetimeActions"] = u
	fields["issuer"] = map[string]any{"name": u, "commonName": u}
}
