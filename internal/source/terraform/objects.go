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

func mapSecret(in *input) *built {
	a := in.attrs
	attrs := resource.ObjectAttributes{
		// Terraform cannot create a disabled secret.
		Enabled:   true,
		Expires:   instant(a["expiration_date"]),
		NotBefore: instant(a["not_before_date"]),
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
	attrs := resource.ObjectAttributes{Enabled: true, Expires: instant(a["expiration_date"]), NotBefore: instant(a["not_before_date"])}
	return component(in, resource.TypeKey, "key_vault_id", "keys", attrs, keyFields(a))
}

func mapHSMKey(in *input) *built {
	a := in.attrs
	attrs := resource.ObjectAttributes{Enabled: true, Expires: instant(a["expiration_date"]), NotBefore: instant(a["not_before_date"])}
	return component(in, resource.TypeHSMKey, "managed_hsm_id", "keys", attrs, keyFields(a))
}

// Expiry of certificates: an X.509 certificate always has a notAfter, set
// when the certificate is issued or imported, so the expiry is set but
// not known before apply.
const (
	certIssuedExpiry   = "certificate notAfter, known after issuance"
	certImportedExpiry = "certificate notAfter, known after import"
)

func mapCertificate(in *input) *built {
	a := in.attrs
	fields := map[string]any{"tags": a["tags"]}
	policy, unk := first(a, "certificate_policy")
	if unk != nil {
		fields["keyProperties"] = unk
	}
	if policy != nil {
		kp, kunk := first(policy, "key_properties")
		switch {
		case kunk != nil:
			fields["keyProperties"] = kunk
		case kp != nil:
			k := map[string]any{}
			put(k, "keyType", kp["key_type"])
			put(k, "keySize", kp["key_size"])
			put(k, "ellipticCurveName", kp["curve"])
			put(k, "exportable", kp["exportable"])
			put(k, "reuseKey", kp["reuse_key"])
			fields["keyProperties"] = k
		}
		if x, xunk := first(policy, "x509_certificate_properties"); xunk != nil {
			fields["properties"] = map[string]any{"validityInMonths": xunk}
		} else if x != nil {
			fields["properties"] = map[string]any{"validityInMonths": x["validity_in_months"]}
		}
		fields["lifetimeActions"] = lifetimeActions(policy)
		issuer := map[string]any{}
		if ip, iunk := first(policy, "issuer_parameters"); iunk != nil {
			issuer["name"] = iunk
		} else if ip != nil {
			put(issuer, "name", ip["name"])
			if n, ok := ip["name"].(string); ok && strings.EqualFold(n, "Self") {
				if x, _ := first(policy, "x509_certificate_properties"); x != nil {
					if s, ok := x["subject"].(string); ok {
						put(issuer, "commonName", commonName(s))
					}
				}
			}
		}
		fields["issuer"] = issuer
		if sp, _ := first(policy, "secret_properties"); sp != nil {
			fields["contentType"] = sp["content_type"]
		}
	}
	expiry := resource.Unknown{Expr: certIssuedExpiry}
	if imp, _ := blocks(a, "certificate"); len(imp) > 0 {
		expiry = resource.Unknown{Expr: certImportedExpiry}
	}
	attrs := resource.ObjectAttributes{Enabled: true, Expires: expiry}
	return component(in, resource.TypeCertificate, "key_vault_id", "certificates", attrs, fields)
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
