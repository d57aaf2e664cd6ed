package saved

import (
	"encoding/base64"
	"math/big"
	"strings"

	"github.com/kvguard/kvguard/internal/jsonpos"
	"github.com/kvguard/kvguard/internal/resource"
)

// dataPlane maps a Key Vault data-plane object to its component document:
// a REST list item or bundle (attributes in Unix seconds), or az keyvault
// secret/key/certificate list or show output (attributes as ISO strings,
// attributes.expires). The vault is known by its host only.
func (fr *fileReader) dataPlane(o *rawObject, sc scope, rawID string, idPos jsonpos.Pos, via idMember) {
	u, ok := parseObjectURL(rawID)
	if !ok {
		fr.problem(fr.pos(idPos), "", "id %q is not a Key Vault object URL (https://<vault>/secrets|keys|certificates/<name>[/<version>])", rawID)
		return
	}
	if u.what == urlRotationPolicy && !u.deleted {
		fr.rotationPolicy(o, sc, u)
		return
	}
	if !fr.isObject(o, u, via, idPos) {
		return
	}
	var errs []*resource.InputError
	attrs := map[string]any{}
	if av, ak, ok := lookup(o.body, "attributes"); ok && av != nil {
		m, isMap := av.(map[string]any)
		if !isMap {
			p, _ := o.pos(inRoot, ak)
			errs = append(errs, resource.Errorf(fr.pos(p), "%s: expected an object, found %s", ak, resource.Describe(av)))
		} else {
			attrs = m
		}
	}
	oa, aerrs := fr.attributes(fr.attrEntries(o, attrs, inAttrs), "")
	errs = append(errs, aerrs...)
	if av, _, ok := lookup(o.body, "attributes"); !ok || av == nil {
		fr.note(noteNoAttributes, o.start, u.id)
	}

	fields := fr.getMap()
	var typ string
	switch u.collection {
	case "secrets":
		typ = resource.TypeSecret
		fr.copyField(o, &errs, o.body, inRoot, "", "contentType", fields, "contentType", wantString)
		fr.copyField(o, &errs, o.body, inRoot, "", "managed", fields, "managed", wantBool)
	case "keys":
		typ = resource.TypeKey
		if u.hsm {
			typ = resource.TypeHSMKey
		}
		fr.keyFields(o, &errs, fields)
	case "certificates":
		typ = resource.TypeCertificate
		certificateFields(o.body, fields)
	}
	fr.copyField(o, &errs, o.body, inRoot, "", "tags", fields, "tags", wantObject)

	name := u.name
	if n, ok := o.body["name"].(string); ok && n != "" && strings.EqualFold(n, u.name) {
		name = n
	}
	doc := resource.NewComponent(typ, resource.Ref{Host: u.host}, u.id, name, oa, fields)
	fr.recycle(fields, attrs, o.body)
	fr.finish(o, sc, doc, errs)
}

// rotationPolicy emits a key's rotation policy saved apart from the key
// (az keyvault key rotation-policy show, the REST GET body) as a
// resource.TypeKeyRotationPolicy document, which the assessment joins to
// the key of that vault and name (estate.RotationPolicies): the key's
// own document, from a key list, has no policy. Both shapes are kept as
// given (az flattens the actions: {"action": "Rotate", "timeAfterCreate":
// …}); resource.ScheduledRotationDate reads either.
func (fr *fileReader) rotationPolicy(o *rawObject, sc scope, u objectURL) {
	body := make(map[string]any, len(o.body))
	for k, v := range o.body {
		if !strings.EqualFold(k, "id") {
			body[k] = v
		}
	}
	doc := &resource.Document{ID: u.id + "/rotationpolicy", Type: resource.TypeKeyRotationPolicy, Name: u.name,
		Parent: resource.Ref{Host: u.host}, Body: body}
	fr.finish(o, sc, doc, nil)
}

// keyFields maps a data-plane key's type, size and curve: top-level kty
// and crv (REST), or the JSON web key under "key" (az keyvault key show),
// whose RSA modulus gives the size.
func (fr *fileReader) keyFields(o *rawObject, errs *[]*resource.InputError, fields map[string]any) {
	src := o.body
	in := inRoot
	if k, ok := o.body["key"].(map[string]any); ok {
		src, in = k, inKey
	}
	fr.copyField(o, errs, src, in, "", "kty", fields, "keyType", wantString)
	fr.copyField(o, errs, src, in, "", "crv", fields, "ellipticCurveName", wantString)
	fr.copyField(o, errs, o.body, inRoot, "", "managed", fields, "managed", wantBool)
	fr.copyField(o, errs, o.body, inRoot, "", "rotationPolicy", fields, "rotationPolicy", wantObject)
	if n, ok := src["n"].(string); ok {
		if bits := modulusBits(n); bits > 0 {
			fields["keySize"] = int64(bits)
		}
	}
}

// modulusBits is the bit length of a base64 (standard or URL) RSA modulus:
// the key size Azure Policy's keySize alias reads.
func modulusBits(n string) int {
	n = strings.TrimRight(n, "=")
	for _, enc := range []*base64.Encoding{base64.RawURLEncoding, base64.RawStdEncoding} {
		if b, err := enc.DecodeString(n); err == nil {
			return new(big.Int).SetBytes(b).BitLen()
		}
	}
	return 0
}

// certificateFields maps a certificate's policy, as the data plane (REST
// snake_case) or az (camelCase) gives it, to the fields the certificate
// aliases read: resource.CertificateFields, the mapping live shares, plus
// what a saved body may lack. A list item carries no policy, and a body
// without a parsable cer has no issuer common name: unknown, not absent.
func certificateFields(body, fields map[string]any) {
	pol, ok := body["policy"].(map[string]any)
	if !ok {
		// A list item (az keyvault certificate list, the data plane's
		// list) carries no policy: what the certificate rules read is
		// unknown, not absent (an absent key type is not an allowed one).
		resource.UnknownCertificatePolicy(fields, noPolicy)
		return
	}
	resource.CertificateFields(body, fields)
	if props, ok := fields["issuer"].(map[string]any); ok {
		if _, known := props["commonName"]; !known {
			if cn := selfSignedCN(pol, props); cn != "" {
				props["commonName"] = cn
			} else {
				props["commonName"] = resource.Unknown{Expr: noIssuerCN}
			}
		}
	}
}

// What a saved certificate without its policy, or without its X.509
// certificate, cannot say.
const (
	noPolicy   = "the certificate's policy, which the input does not carry (az keyvault certificate list has none: save az keyvault certificate show)"
	noIssuerCN = "the issuing CA's common name: the input has no parsable certificate (cer)"
)

// selfSignedCN is the issuer's common name of a self-signed certificate
// (policy issuer Self): its own subject's CN; "" otherwise.
func selfSignedCN(pol, issuer map[string]any) string {
	if n, _ := issuer["name"].(string); !strings.EqualFold(n, "Self") {
		return ""
	}
	xp := firstMap(pol, "x509_props", "x509CertificateProperties")
	subject, _ := firstValue(xp, "subject").(string)
	for _, part := range strings.Split(subject, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), "CN") {
			return strings.TrimSpace(v)
		}
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

// objectURL is a Key Vault object URL taken apart.
type objectURL struct {
	id         string // https://host/collection/name, without version or port 443
	host       string // lower-cased
	collection string // secrets, keys or certificates
	name       string
	what       urlKind
	hsm        bool
	deleted    bool
}

// urlKind is what a Key Vault data-plane URL names: an object, one of its
// versions, or something beside objects under the same collection.
type urlKind uint8

const (
	urlObject         urlKind = iota // /secrets/<name>
	urlVersion                       // /secrets/<name>/<version>
	urlRotationPolicy                // /keys/<name>/rotationpolicy
	urlCertPolicy                    // /certificates/<name>/policy
	urlCertPending                   // /certificates/<name>/pending
	urlCertIssuer                    // /certificates/issuers/<name>
	urlCertContacts                  // /certificates/contacts
)

// parseObjectURL takes apart https://<vault>.vault.azure.net[:443]/
// {secrets|keys|certificates|deleted...}/<name>[/<version>], and the
// URLs of what sits beside objects (a key's rotation policy, a
// certificate's policy, pending operation, issuers and contacts). A third
// segment that is none of those must be a version (32 hexadecimal digits,
// as Key Vault writes them).
func parseObjectURL(s string) (objectURL, bool) {
	var u objectURL
	rest, ok := strings.CutPrefix(s, "https://")
	if !ok {
		if rest, ok = strings.CutPrefix(s, "http://"); !ok {
			return u, false
		}
	}
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		rest = rest[:i]
	}
	slash := strings.IndexByte(rest, '/')
	if slash <= 0 {
		return u, false
	}
	host := strings.ToLower(strings.TrimSuffix(rest[:slash], ":443"))
	hostname, port, hasPort := strings.Cut(host, ":")
	if hostname == "" || strings.ContainsAny(hostname, "@ \\[]") || (hasPort && !allDigits(port)) {
		return u, false
	}
	parts := strings.Split(strings.Trim(rest[slash:], "/"), "/")
	if len(parts) < 2 || len(parts) > 3 || parts[1] == "" {
		return u, false
	}
	coll := strings.ToLower(parts[0])
	if trimmed, ok := strings.CutPrefix(coll, "deleted"); ok {
		u.deleted = true
		coll = trimmed
	}
	switch coll {
	case "secrets", "keys", "certificates":
	default:
		return u, false
	}
	if u.what, ok = subKind(coll, parts); !ok {
		return u, false
	}
	// The vault is named by its host name without a port, as
	// resource.VaultHost names it; the ID keeps a port other than 443
	// (a local simulator's).
	u.host = hostname
	u.collection = coll
	u.name = parts[1]
	u.hsm = strings.Contains(u.host, ".managedhsm.")
	// Reuse the input string when it already is the canonical ID, so a
	// million list items do not each allocate a copy.
	if len(parts) == 2 && parts[0] == coll && !u.deleted && strings.HasPrefix(s, "https://"+host+"/") &&
		len(s) == len("https://")+len(host)+1+len(coll)+1+len(u.name) {
		u.id = s
	} else {
		u.id = "https://" + host + "/" + coll + "/" + u.name
	}
	return u, true
}

// subKind classifies the segments after the collection.
func subKind(coll string, parts []string) (urlKind, bool) {
	if coll == "certificates" {
		switch {
		case len(parts) == 2 && strings.EqualFold(parts[1], "contacts"):
			return urlCertContacts, true
		case len(parts) == 3 && strings.EqualFold(parts[1], "issuers"):
			return urlCertIssuer, true
		}
	}
	if len(parts) == 2 {
		return urlObject, true
	}
	switch sub := parts[2]; {
	case coll == "keys" && strings.EqualFold(sub, "rotationpolicy"):
		return urlRotationPolicy, true
	case coll == "certificates" && strings.EqualFold(sub, "policy"):
		return urlCertPolicy, true
	case coll == "certificates" && strings.EqualFold(sub, "pending"):
		return urlCertPending, true
	case isVersion(sub):
		return urlVersion, true
	}
	return 0, false
}

// isVersion reports whether s is a Key Vault object version: 32
// hexadecimal digits.
func isVersion(s string) bool {
	if len(s) != 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func hasKey(m map[string]any, key string) bool {
	_, _, ok := lookup(m, key)
	return ok
}
