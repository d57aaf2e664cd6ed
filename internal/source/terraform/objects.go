package terraform

import (
	"strings"

	"github.com/kvguard/kvguard/internal/resource"
)

// component builds a Key Vault object document under the vault that
// parentPath refers to.
func component(in *input, typ, parentPath, segment string, attrs resource.ObjectAttributes, fields map[string]any) *built {
	parent := in.ref(parentPath)
	name, known := in.attrs["name"].(string)
	id, suffix := "terraform:"+in.address, ""
	ref := resource.Ref{ID: parent}
	if parent == "" {
		// azurerm 1.x named the vault by its URL (vault_uri).
		if u, ok := in.attrs["vault_uri"].(string); ok {
			ref = resource.Ref{Host: resource.VaultHost(u)}
			if known && name != "" && ref.Host != "" {
				id = "https://" + ref.Host + "/" + segment + "/" + name
			}
		}
	}
	if parent != "" && known && name != "" {
		suffix = "/" + segment + "/" + name
		id = parent + suffix
	}
	d := resource.NewComponent(typ, ref, id, nameOf(in.attrs["name"], in.address), attrs, fields)
	if !known {
		d.Body["name"] = in.attrs["name"]
	}
	return &built{doc: d, suffix: suffix}
}

// created is an object's creation time: the instant apply creates it,
// which the code cannot say. Rules that count from it (maximum validity,
// active days, a rotation timeAfterCreate) are then unknown, not judged
// against a guessed date or failing on an absent one.
func created(in *input) resource.Unknown {
	return resource.Unknown{Expr: in.address + " creation time (known after apply)"}
}

func mapSecret(in *input) *built {
	a := in.attrs
	attrs := resource.ObjectAttributes{
		// Terraform cannot create a disabled secret.
		Enabled:   true,
		Expires:   instant(a["expiration_date"]),
		NotBefore: instant(a["not_before_date"]),
		Created:   created(in),
	}
	fields := map[string]any{"contentType": a["content_type"], "managed": false, "tags": a["tags"]}
	return component(in, resource.TypeSecret, "key_vault_id", "secrets", attrs, fields)
}

func keyFields(a map[string]any) map[string]any {
	fields := map[string]any{"keyType": a["key_type"], "keySize": a["key_size"], "tags": a["tags"]}
	curve := a["curve"]
	if kt, ok := a["key_type"].(string); ok && curve == nil && strings.HasPrefix(kt, "EC") {
		curve = "P-256" // the service's default curve
	}
	fields["ellipticCurveName"] = curve
	fields["keyOps"] = a["key_opts"]
	if rp := rotationPolicy(a); rp != nil {
		fields["rotationPolicy"] = rp
	}
	return fields
}

// rotationPolicy maps rotation_policy. Its expire_after is the expiry the
// policy gives new versions; it does not set the current version's
// expiry, which only expiration_date does.
func rotationPolicy(a map[string]any) any {
	rp, unk := first(a, "rotation_policy")
	if unk != nil {
		return unk
	}
	if rp == nil {
		return nil
	}
	actions := []any{}
	auto, unk := first(rp, "automatic")
	if unk != nil {
		actions = append(actions, map[string]any{"trigger": unk, "action": map[string]any{"type": "Rotate"}})
	}
	if auto != nil {
		trigger := map[string]any{}
		put(trigger, "timeAfterCreate", auto["time_after_creation"])
		put(trigger, "timeBeforeExpiry", auto["time_before_expiry"])
		if len(trigger) > 0 {
			actions = append(actions, map[string]any{"trigger": trigger, "action": map[string]any{"type": "Rotate"}})
		}
	}
	if v, ok := get(rp, "notify_before_expiry"); ok {
		actions = append(actions, map[string]any{"trigger": map[string]any{"timeBeforeExpiry": v}, "action": map[string]any{"type": "Notify"}})
	}
	out := map[string]any{"lifetimeActions": actions}
	if v, ok := get(rp, "expire_after"); ok {
		out["attributes"] = map[string]any{"expiryTime": v}
	}
	return out
}

func mapKey(in *input) *built {
	a := in.attrs
	attrs := resource.ObjectAttributes{Enabled: true, Expires: instant(a["expiration_date"]), NotBefore: instant(a["not_before_date"]), Created: created(in)}
	return component(in, resource.TypeKey, "key_vault_id", "keys", attrs, keyFields(a))
}

func mapHSMKey(in *input) *built {
	a := in.attrs
	attrs := resource.ObjectAttributes{Enabled: true, Expires: instant(a["expiration_date"]), NotBefore: instant(a["not_before_date"]), Created: created(in)}
	return component(in, resource.TypeHSMKey, "managed_hsm_id", "keys", attrs, keyFields(a))
}

// Expiry of certificates: an X.509 certificate always has a notAfter, set
// when the certificate is issued or imported, so the expiry is set but
// not known before apply.
const (
	certIssuedExpiry   = "certificate notAfter, known after issuance"
	certImportedExpiry = "certificate notAfter, known after import"
	// certIssuerCN is the common name of the CA that signs a certificate
	// issued by a CA (not Self): Key Vault's policy names the issuer, the
	// signing CA's CN is only in the certificate it returns.
	certIssuerCN = "the issuing CA's common name, known after issuance"
	// certImported* stand for what Key Vault derives from an imported
	// certificate when certificate_policy is left out (the provider's
	// certificate_policy is Optional+Computed): its key, validity and
	// issuer come from the certificate's contents, which kvguard never
	// reads.
	certImportedKey      = "the imported certificate's key, known after import"
	certImportedValidity = "the imported certificate's validity, known after import"
	certImportedIssuer   = "the imported certificate's issuer, known after import"
)

func mapCertificate(in *input) *built {
	a := in.attrs
	fields := map[string]any{"tags": a["tags"]}
	policy, unk := first(a, "certificate_policy")
	imported, _ := blocks(a, "certificate")
	switch {
	case unk != nil:
		fields["keyProperties"] = unk
	case policy != nil:
		certificatePolicy(policy, fields)
	case len(imported) > 0:
		fields["keyProperties"] = resource.Unknown{Expr: certImportedKey}
		fields["properties"] = map[string]any{"validityInMonths": resource.Unknown{Expr: certImportedValidity}}
		fields["issuer"] = map[string]any{"name": resource.Unknown{Expr: certImportedIssuer}, "commonName": resource.Unknown{Expr: certImportedIssuer}}
	}
	expiry := resource.Unknown{Expr: certIssuedExpiry}
	if len(imported) > 0 {
		expiry = resource.Unknown{Expr: certImportedExpiry}
	}
	attrs := resource.ObjectAttributes{Enabled: true, Expires: expiry, Created: created(in)}
	return component(in, resource.TypeCertificate, "key_vault_id", "certificates", attrs, fields)
}

// certificatePolicy maps certificate_policy into the certificate's fields.
func certificatePolicy(policy, fields map[string]any) {
	kp, kunk := first(policy, "key_properties")
	switch {
	case kunk != nil:
		fields["keyProperties"] = kunk
	case kp != nil:
		fields["keyProperties"] = certKeyProperties(kp)
	}
	if x, xunk := first(policy, "x509_certificate_properties"); xunk != nil {
		fields["properties"] = map[string]any{"validityInMonths": xunk}
	} else if x != nil {
		fields["properties"] = map[string]any{"validityInMonths": x["validity_in_months"]}
	}
	fields["lifetimeActions"] = lifetimeActions(policy)
	fields["issuer"] = certIssuer(policy)
	if sp, _ := first(policy, "secret_properties"); sp != nil {
		fields["contentType"] = sp["content_type"]
	}
}

// certKeyProperties maps key_properties. key_size and curve are
// Optional+Computed in the provider: left out, Key Vault chooses them, as
// for keys: 2048 bits for RSA, P-256 for EC (its defaults for a
// certificate's key_props).
func certKeyProperties(kp map[string]any) map[string]any {
	k := map[string]any{}
	put(k, "keyType", kp["key_type"])
	put(k, "keySize", kp["key_size"])
	put(k, "ellipticCurveName", kp["curve"])
	put(k, "exportable", kp["exportable"])
	put(k, "reuseKey", kp["reuse_key"])
	if kt, ok := kp["key_type"].(string); ok {
		switch {
		case strings.HasPrefix(kt, "RSA") && k["keySize"] == nil:
			k["keySize"] = int64(2048)
		case strings.HasPrefix(kt, "EC") && k["ellipticCurveName"] == nil:
			k["ellipticCurveName"] = "P-256"
		}
	}
	return k
}

// certIssuer maps issuer_parameters. commonName is the CN of the CA that
// signs the certificate: the subject's own CN when it is self-signed,
// else the CA's, which only the issued certificate shows.
func certIssuer(policy map[string]any) map[string]any {
	issuer := map[string]any{}
	ip, iunk := first(policy, "issuer_parameters")
	switch {
	case iunk != nil:
		issuer["name"] = iunk
		issuer["commonName"] = iunk
	case ip != nil:
		put(issuer, "name", ip["name"])
		switch n := ip["name"].(type) {
		case string:
			if !strings.EqualFold(n, "Self") {
				issuer["commonName"] = resource.Unknown{Expr: certIssuerCN}
				break
			}
			x, xunk := first(policy, "x509_certificate_properties")
			if xunk != nil {
				issuer["commonName"] = xunk
			} else if x != nil {
				switch s := x["subject"].(type) {
				case string:
					put(issuer, "commonName", commonName(s))
				case resource.Unknown:
					issuer["commonName"] = s
				}
			}
		case resource.Unknown:
			issuer["commonName"] = n
		}
	}
	return issuer
}

func lifetimeActions(policy map[string]any) any {
	list, unk := blocks(policy, "lifetime_action")
	if unk != nil {
		return unk
	}
	out := make([]any, 0, len(list))
	for _, la := range list {
		e := map[string]any{}
		if tr, u := first(la, "trigger"); u != nil {
			e["trigger"] = u
		} else if tr != nil {
			put(e, "daysBeforeExpiry", tr["days_before_expiry"])
			put(e, "lifetimePercentage", tr["lifetime_percentage"])
		}
		if ac, u := first(la, "action"); u != nil {
			e["action"] = u
		} else if ac != nil {
			put(e, "action", ac["action_type"])
		}
		out = append(out, e)
	}
	return out
}

// commonName returns the CN of an X.500 subject such as "CN=example.com,O=x".
func commonName(subject string) any {
	for _, part := range strings.Split(subject, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), "CN") {
			return strings.TrimSpace(v)
		}
	}
	return nil
}
