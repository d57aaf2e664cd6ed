package resource

import (
	"encoding/json"
	"math"
	"net/url"
	"strings"
)

// This file turns Azure REST bodies into documents. It is shared by the
// inputs that read what Azure returns (live Azure, saved snapshots and az
// CLI output) so that the same body gives the same document whichever way
// it arrived: a snapshot judged offline must give the verdicts of the live
// scan that wrote it.

// NormalizeNumbers replaces the json.Number values of v (as decoded with
// json.Decoder.UseNumber) by int64 when the number is integral and fits, and
// by float64 otherwise, in place; it returns the new value of v. Bodies keep
// Azure's integers as int64 this way (Key Vault's Unix timestamps overflow
// nothing and stay exact).
func NormalizeNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		if f, err := x.Float64(); err == nil {
			return f
		}
		return x.String()
	case map[string]any:
		for k, e := range x {
			x[k] = NormalizeNumbers(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = NormalizeNumbers(e)
		}
		return x
	default:
		return v
	}
}

// StripSecretValues deletes the fields that could carry a secret's value
// from an ARM or data-plane body (properties.value of
// Microsoft.KeyVault/vaults/secrets, value of a data-plane secret bundle).
// Azure never returns them from the list operations kvguard uses; this is
// the belt to that pair of braces, applied before anything is kept.
func StripSecretValues(body map[string]any) {
	delete(body, "value")
	if p, ok := body["properties"].(map[string]any); ok {
		delete(p, "value")
	}
}

// FromAzureBody builds the document for one body as Azure returns it:
//
//   - an ARM resource (its id starts with /subscriptions/...): vaults,
//     managed HSMs, private endpoints and diagnostic settings become
//     documents with the body as is; ARM-plane secrets and keys
//     (Microsoft.KeyVault/vaults/secrets, .../keys) become components
//     (NewComponent) whose parent is the vault;
//   - a Key Vault data-plane list item (its id or kid is
//     https://<vault host>/secrets|keys|certificates/<name>...): a component
//     whose parent is the vault's host.
//
// ok is false when the body is neither. Secret values are never copied.
// Numbers must already be normalised (NormalizeNumbers). The caller sets
// Source.
func FromAzureBody(body map[string]any) (doc *Document, ok bool) {
	id, _ := body["id"].(string)
	if id == "" {
		id, _ = body["kid"].(string)
	}
	if strings.HasPrefix(id, "/") {
		return fromARMBody(id, body)
	}
	if VaultHost(id) != "" {
		return fromDataPlaneItem(id, body)
	}
	return nil, false
}

func fromARMBody(id string, body map[string]any) (*Document, bool) {
	typ, _ := body["type"].(string)
	if typ == "" {
		if pid, ok := ParseID(id); ok {
			typ = pid.FullType()
		}
	}
	typ = CanonicalType(typ)
	name, _ := body["name"].(string)
	if name == "" {
		if pid, ok := ParseID(id); ok {
			name = pid.Name()
		}
	}
	props, _ := body["properties"].(map[string]any)
	switch typ {
	case TypeARMSecret:
		fields := map[string]any{
			"contentType": props["contentType"],
			"tags":        body["tags"],
		}
		return NewComponent(TypeSecret, Ref{ID: ParentID(id)}, id, name, attributesOf(props), fields), true
	case TypeARMKey:
		fields := map[string]any{
			"keyType":           props["kty"],
			"keySize":           props["keySize"],
			"ellipticCurveName": props["curveName"],
			"rotationPolicy":    props["rotationPolicy"],
			"tags":              body["tags"],
		}
		return NewComponent(TypeKey, Ref{ID: ParentID(id)}, id, name, attributesOf(props), fields), true
	case TypeDiagnosticSetting:
		// An extension resource: its scope is the resource it is about.
		parent := ""
		if pid, ok := ParseID(id); ok {
			parent = pid.Scope
		}
		return &Document{ID: id, Type: typ, Name: name, Body: body, Parent: Ref{ID: parent}}, true
	default:
		return &Document{ID: id, Type: typ, Name: name, Body: body}, true
	}
}

func fromDataPlaneItem(id string, body map[string]any) (*Document, bool) {
	u, err := url.Parse(id)
	if err != nil {
		return nil, false
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(parts) < 2 {
		return nil, false
	}
	parent := Ref{Host: VaultHost(id)}
	name := parts[1]
	fields := map[string]any{"tags": body["tags"]}
	switch strings.ToLower(parts[0]) {
	case "secrets":
		fields["contentType"] = body["contentType"]
		fields["managed"] = body["managed"]
		return NewComponent(TypeSecret, parent, id, name, attributesOf(body), fields), true
	case "keys":
		fields["managed"] = body["managed"]
		if kty, ok := body["kty"]; ok {
			fields["keyType"] = kty
		}
		return NewComponent(TypeKey, parent, id, name, attributesOf(body), fields), true
	case "certificates":
		return NewComponent(TypeCertificate, parent, id, name, attributesOf(body), fields), true
	}
	return nil, false
}

// attributesOf reads Key Vault's attributes object (Unix seconds) from
// holder["attributes"].
func attributesOf(holder map[string]any) ObjectAttributes {
	a, _ := holder["attributes"].(map[string]any)
	if a == nil {
		return ObjectAttributes{}
	}
	return ObjectAttributes{
		Enabled:   a["enabled"],
		Expires:   instant(a["exp"]),
		NotBefore: instant(a["nbf"]),
		Created:   instant(a["created"]),
		Updated:   instant(a["updated"]),
	}
}

// instant converts a Key Vault timestamp to TimeLayout. Unix seconds come
// as int64 (or float64 from a decoder without UseNumber); a string is
// already an instant and is kept; an Unknown stays unknown.
func instant(v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case int64:
		return UnixTime(x)
	case int:
		return UnixTime(int64(x))
	case float64:
		if x != math.Trunc(x) || math.IsInf(x, 0) {
			return nil
		}
		return UnixTime(int64(x))
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return UnixTime(i)
		}
		return nil
	default:
		return v
	}
}

// PartKeyRotationPolicy is the Gap.Part of a vault whose keys' rotation
// policies could not be read from its data plane: the key components are
// there, their rotationPolicy may not be.
const PartKeyRotationPolicy = TypeKey + "/rotationPolicy"
