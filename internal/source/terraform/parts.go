package terraform

import (
	"fmt"
	"strings"

	"github.com/kvguard/kvguard/internal/resource"
)

// Resources that are parts of another's document rather than documents
// of their own: a vault's certificate issuer (what a certificate's
// issuer_parameters.name names) and a managed HSM key's rotation policy
// (a resource apart from the key in azurerm). They are mapped like the
// others, to a document of one of these types, and joined into the
// document they belong to by joinParts once every instance is mapped; no
// document of these types is emitted.
const (
	typeCertIssuer     = "kvguard/terraform/azurerm_key_vault_certificate_issuer"
	typeHSMKeyRotation = "kvguard/terraform/azurerm_key_vault_managed_hardware_security_module_key_rotation_policy"
)

// mapCertIssuer maps azurerm_key_vault_certificate_issuer: its name, its
// provider_name (DigiCert, GlobalSign, OneCertV2-PublicCA,
// OneCertV2-PrivateCA) and its vault. Its account_id, org_id, password and
// admins are never kept: no rule reads them and the password is a secret.
func mapCertIssuer(in *input) *built {
	a := in.attrs
	d := &resource.Document{ID: "terraform:" + in.address, Type: typeCertIssuer, Name: nameOf(a["name"], in.address),
		Parent: resource.Ref{ID: in.ref("key_vault_id")},
		Body:   map[string]any{"name": a["name"], "provider": a["provider_name"]}}
	return &built{doc: d}
}

// mapHSMKeyRotation maps
// azurerm_key_vault_managed_hardware_security_module_key_rotation_policy
// (managed_hsm_key_id, expire_after, time_after_creation,
// time_before_expiry) to the rotationPolicy a key's rotation_policy block
// gives (rotationPolicy in objects.go): a Rotate action triggered
// time_after_creation after creation or time_before_expiry before expiry,
// and expire_after as the policy's expiryTime.
func mapHSMKeyRotation(in *input) *built {
	a := in.attrs
	trigger := map[string]any{}
	put(trigger, "timeAfterCreate", a["time_after_creation"])
	put(trigger, "timeBeforeExpiry", a["time_before_expiry"])
	actions := []any{}
	if len(trigger) > 0 {
		actions = append(actions, map[string]any{"trigger": trigger, "action": map[string]any{"type": "Rotate"}})
	}
	policy := map[string]any{"lifetimeActions": actions}
	if v, ok := get(a, "expire_after"); ok {
		policy["attributes"] = map[string]any{"expiryTime": v}
	}
	key := a["managed_hsm_key_id"]
	if u, ok := key.(resource.Unknown); ok {
		// The reference, as the configuration (a plan's references) or
		// the evaluation names it, is what rotationTarget matches.
		if l, ok := in.links["managed_hsm_key_id"]; ok {
			key = resource.Unknown{Expr: u.Expr + " " + strings.TrimPrefix(l, "terraform:")}
		}
	}
	d := &resource.Document{ID: "terraform:" + in.address, Type: typeHSMKeyRotation, Name: nameOf(nil, in.address),
		Body: map[string]any{"key": key, "rotationPolicy": policy}}
	return &built{doc: d}
}

// joinParts joins the issuers and HSM key rotation policies among bs into
// the certificates and keys they belong to, and returns bs without them.
// It runs after linkLiterals, so that vault references are final.
func joinParts(bs []*built) []*built {
	var issuers, rotations []*resource.Document
	out := bs[:0]
	for _, b := range bs {
		switch b.doc.Type {
		case typeCertIssuer:
			issuers = append(issuers, b.doc)
		case typeHSMKeyRotation:
			rotations = append(rotations, b.doc)
		default:
			out = append(out, b)
		}
	}
	clear(bs[len(out):])
	if len(issuers) > 0 {
		for _, b := range out {
			if b.doc.Type == resource.TypeCertificate {
				resolveIssuer(b.doc, issuers)
			}
		}
	}
	for _, r := range rotations {
		if k := rotationTarget(r, out); k != nil {
			resource.SetRotationPolicy(k, r.Body["rotationPolicy"])
		}
	}
	return out
}

// resolveIssuer replaces a certificate's issuer.name, when it names a
// certificate issuer of its vault declared in the same code, by that
// issuer's provider: the integrated-CA rule compares the issuer with
// the CA providers (DigiCert, GlobalSign). When the issuer's name and
// provider differ (an issuer "corp-ca" of provider DigiCert), or the
// provider is unknown, what Azure Policy's issuer.name reads cannot be
// told from the code: it is Unknown, saying why. Self and Unknown are Key
// Vault's own issuer names, never a declared issuer's.
func resolveIssuer(cert *resource.Document, issuers []*resource.Document) {
	iss, _ := cert.Body["issuer"].(map[string]any)
	name, ok := iss["name"].(string)
	if !ok || strings.EqualFold(name, "Self") || strings.EqualFold(name, "Unknown") {
		return
	}
	var match *resource.Document
	for _, d := range issuers {
		n, known := d.Body["name"].(string)
		if known && strings.EqualFold(n, name) && sameRef(d.Parent.ID, cert.Parent.ID) {
			match = d
			break
		}
	}
	if match == nil {
		return // an issuer configured outside this code: its name is all there is
	}
	switch p := match.Body["provider"].(type) {
	case string:
		if strings.EqualFold(p, name) {
			iss["name"] = p
			return
		}
		iss["name"] = resource.Unknown{Expr: fmt.Sprintf("the issuer %q of %s is of provider %q: whether the integrated-CA check reads the issuer's name or its provider is not known", name, match.Source.Address, p)}
	case resource.Unknown:
		iss["name"] = resource.Unknown{Expr: fmt.Sprintf("the provider of issuer %q (%s): %s", name, match.Source.Address, p.Expr)}
	default:
		iss["name"] = resource.Unknown{Expr: fmt.Sprintf("the provider of issuer %q (%s), which is not set", name, match.Source.Address)}
	}
}

// sameRef reports whether two vault references name the same vault.
func sameRef(a, b string) bool { return a != "" && resource.Key(a) == resource.Key(b) }

// rotationTarget finds the HSM key a rotation policy's managed_hsm_key_id
// names: a reference to a key of the code (an unknown id whose
// expression names the key's address), or a literal data-plane URL
// (https://<hsm>.managedhsm.azure.net/keys/<name>) of a key whose HSM has
// that name. nil when the key is not in the code.
func rotationTarget(r *resource.Document, bs []*built) *resource.Document {
	var expr, host, name string
	switch v := r.Body["key"].(type) {
	case resource.Unknown:
		expr = v.Expr
	case string:
		host = resource.VaultHost(v)
		if i := strings.Index(strings.ToLower(v), "/keys/"); i >= 0 {
			name, _, _ = strings.Cut(v[i+len("/keys/"):], "/")
		}
	}
	var best *resource.Document
	bestLen := 0
	for _, b := range bs {
		k := b.doc
		if k.Type != resource.TypeHSMKey {
			continue
		}
		switch {
		case expr != "" && k.Source.Address != "":
			// The longest address wins: module.a.x.k contains x.k.
			if ref := k.Source.Address + ".id"; containsRef(expr, ref) && len(ref) > bestLen {
				best, bestLen = k, len(ref)
			}
		case host != "" && name != "" && strings.EqualFold(k.Name, name):
			hsm, _, _ := strings.Cut(host, ".")
			if id, ok := resource.ParseID(k.Parent.ID); ok && strings.EqualFold(id.Name(), hsm) {
				return k
			}
		}
	}
	return best
}

// containsRef reports whether expr names ref as a whole reference, not as
// the tail of a longer name (x.k.id in x.k.idx, or in y_x.k.id).
func containsRef(expr, ref string) bool {
	for i := 0; ; {
		j := strings.Index(expr[i:], ref)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(ref)
		before := start == 0 || !isRefByte(expr[start-1])
		after := end == len(expr) || !isRefByte(expr[end])
		if before && after {
			return true
		}
		i = start + 1
	}
}

func isRefByte(c byte) bool {
	return c == '_' || c == '-' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}
