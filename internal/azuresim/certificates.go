package azuresim

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"net/http"
	"strings"
	"time"

	"github.com/kvguard/kvguard/internal/resource"
)

// certificateBundle is GET /certificates/{name}[/{version}]: the
// certificate's metadata, its public X.509 certificate (cer), and its
// policy. Key Vault keeps the private key in the backing secret (sid),
// which the simulator never serves.
func (s *Simulator) certificateBundle(v *Vault, o *Object) map[string]any {
	base := "https://" + s.vaultHost(v)
	ver := version(v.ID, o.Name)
	b := map[string]any{
		"id":         base + "/certificates/" + o.Name + "/" + ver,
		"kid":        base + "/keys/" + o.Name + "/" + ver,
		"sid":        base + "/secrets/" + o.Name + "/" + ver,
		"attributes": attributes(o, true),
		"cer":        s.cer(v, o),
	}
	if o.X5t != "" {
		b["x5t"] = o.X5t
	}
	if p := s.policyBody(v, o); p != nil {
		b["policy"] = p
	}
	if t := tagsOf(o); t != nil {
		b["tags"] = t
	}
	return b
}

// policyBody is the certificate's policy as the data plane writes it
// (snake_case members), with its id; nil when the estate has none.
func (s *Simulator) policyBody(v *Vault, o *Object) map[string]any {
	if o.CertificatePolicy == nil {
		return nil
	}
	p := make(map[string]any, len(o.CertificatePolicy)+1)
	for k, e := range o.CertificatePolicy {
		p[k] = e
	}
	p["id"] = "https://" + s.vaultHost(v) + "/certificates/" + o.Name + "/policy"
	return p
}

// serveCertificate answers GET /certificates/{name}[/{version}] and
// /certificates/{name}/policy (segs lower-cased, segs[0] "certificates").
// Certificates share their vault's certificate permission: a forbidden
// certificate list forbids these too.
func (s *Simulator) serveCertificate(w http.ResponseWriter, v *Vault, segs []string) {
	if msg, ok := s.forbiddenPart(v, resource.TypeCertificate); ok {
		if code, message, ok := recordedAnswer(msg); ok {
			kvError(w, http.StatusForbidden, code, message, "")
			return
		}
		kvError(w, http.StatusForbidden, "Forbidden", "Caller is not authorized to perform action on resource ("+msg+").", "ForbiddenByRbac")
		return
	}
	name := segs[1]
	for i := range v.Certificates {
		o := &v.Certificates[i]
		if !strings.EqualFold(o.Name, name) {
			continue
		}
		if len(segs) == 3 && segs[2] == "policy" {
			if p := s.policyBody(v, o); p != nil {
				writeJSON(w, http.StatusOK, p)
				return
			}
			break
		}
		writeJSON(w, http.StatusOK, s.certificateBundle(v, o))
		return
	}
	kvError(w, http.StatusNotFound, "CertificateNotFound", "A certificate with (name/id) "+name+" was not found in this key vault.", "")
}

// certSigner signs the certificates the simulator serves. Ed25519 signs
// deterministically and the key comes from a fixed seed, so that the same
// estate serves the same bytes on every run.
var certSigner = ed25519.NewKeyFromSeed(func() []byte {
	sum := sha256.Sum256([]byte("kvguard azuresim certificate issuer"))
	return sum[:]
}())

// cer is the certificate's X.509 certificate, base64 DER as the data plane
// gives it: subject CN = its name, issuer CN = IssuerCN (the subject when
// empty: self-signed), valid from nbf (or creation) to exp. Only its issuer
// matters to kvguard (issuer.commonName); the rest is what a client
// parsing it expects to find.
func (s *Simulator) cer(v *Vault, o *Object) string {
	key := resource.Key(v.ID) + "/" + strings.ToLower(o.Name)
	if c, ok := s.cers.Load(key); ok {
		return c.(string)
	}
	issuer := o.IssuerCN
	if issuer == "" {
		issuer = o.Name
	}
	from := o.NotBefore
	if from == 0 {
		from = o.Created
	}
	to := o.Expires
	if to == 0 {
		to = from + 365*86400
	}
	sum := sha256.Sum256([]byte(key))
	leaf := &x509.Certificate{
		SerialNumber:          new(big.Int).SetBytes(sum[:16]),
		Subject:               pkix.Name{CommonName: o.Name},
		NotBefore:             time.Unix(from, 0).UTC(),
		NotAfter:              time.Unix(to, 0).UTC(),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	parent := &x509.Certificate{Subject: pkix.Name{CommonName: issuer}}
	der, err := x509.CreateCertificate(nil, leaf, parent, certSigner.Public(), certSigner)
	if err != nil {
		// Only a bad template fails, and the template is fixed: serve
		// no certificate rather than a broken one.
		return ""
	}
	c := base64.StdEncoding.EncodeToString(der)
	s.cers.Store(key, c)
	return c
}

// issuerOf reads the issuer CN of a base64 DER certificate ("" when it
// does not parse), so that an estate loaded from a snapshot serves the
// issuer it recorded.
func issuerOf(cer string) string {
	der, err := base64.StdEncoding.DecodeString(cer)
	if err != nil {
		if der, err = base64.RawURLEncoding.DecodeString(strings.TrimRight(cer, "=")); err != nil {
			return ""
		}
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return ""
	}
	return c.Issuer.CommonName
}
