package live

import (
	"encoding/json"
	"math"
	"net/url"
	"strings"

	"github.com/kvguard/kvguard/internal/resource"
)

// This file turns the bodies Azure returns into documents. The saved-JSON
// reader does the same for the snapshot the live scan writes; the
// end-to-end tests hold both to the same verdicts.

// fromAzureBody builds the document for one body as Azure returns it:
//
//   - an ARM resource (its id starts with /subscriptions/...): vaults,
//     managed HSMs, private endpoints and diagnostic settings become
//     documents with the body as is; ARM-plane secrets and keys
//     (Microsoft.KeyVault/vaults/secrets, .../keys, and
//     Microsoft.KeyVault/managedHSMs/keys) become components
//     (resource.NewComponent) whose parent is the vault or HSM;
//   - a Key Vault data-plane list item or certificate bundle (its id or
//     kid is https://<vault host>/secrets|keys|certificates/<name>...): a
//     component whose parent is the vault's host; a certificate's policy
//     and the issuer of its X.509 certificate give the certificate
//     fields (resource.CertificateFields).
//
// ok is false when the body is neither. Secret values are never copied.
// Numbers must already be normalised (NormalizeNumbers). The caller sets
// Source.
func fromAzureBody(body map[string]any) (doc *resource.Document, ok bool) {
	id, _ := body["id"].(string)
	if id == "" {
		id, _ = body["kid"].(string)
	}
	if strings.HasPrefix(id, "/") {
		return fromARMBody(id, body)
	}
	if resource.VaultHost(id) != "" {
		return fromDataPlaneItem(id, body)
	}
	return nil, false
}

func fromARMBody(id string, body map[string]any) (*resource.Document, bool) {
	typ, _ := body["type"].(string)
	if typ == "" {
		if pid, ok := resource.ParseID(id); ok {
			typ = pid.FullType()
		}
	}
	typ = resource.CanonicalType(typ)
	name, _ := body["name"].(string)
	if name == "" {
		if pid, ok := resource.ParseID(id); ok {
			name = pid.Name()
		}
	}
	props, _ := body["properties"].(map[string]any)
	switch typ {
	case resource.TypeARMSecret:
		fields := map[string]any{
			"contentType": props["contentType"],
			"tags":        body["tags"],
		}
		return resource.NewComponent(resource.TypeSecret, resource.Ref{ID: resource.ParentID(id)}, id, name, attributesOf(props), fields), true
	case resource.TypeARMKey, resource.TypeARMHSMKey:
		fields := map[string]any{
			"keyType":           props["kty"],
			"keySize":           props["keySize"],
			"ellipticCurveName": props["curveName"],
			"rotationPolicy":    props["rotationPolicy"],
			"tags":              body["tags"],
		}
		ctyp := resource.TypeKey
		if typ == resource.TypeARMHSMKey {
			ctyp = resource.TypeHSMKey
		}
		return resource.NewComponent(ctyp, resource.Ref{ID: resource.ParentID(id)}, id, name, attributesOf(props), fields), true
	case resource.TypeDiagnosticSetting:
		// An extension resource: its scope is the resource it is about.
		parent := ""
		if pid, ok := resource.ParseID(id); ok {
			parent = pid.Scope
		}
		return &resource.Document{ID: id, Type: typ, Name: name, Body: body, Parent: resource.Ref{ID: parent}}, true
	default:
		return &resource.Document{ID: id, Type: typ, Name: name, Body: body}, true
	}
}

func fromDataPlaneItem(id string, body map[string]any) (*resource.Document, bool) {
	u, err := url.Parse(id)
	if err != nil {
		return nil, false
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(parts) < 2 {
		return nil, false
	}
	parent := resource.Ref{Host: resource.VaultHost(id)}
	name := parts[1]
	fields := map[string]any{"tags": body["tags"]}
	switch strings.ToLower(parts[0]) {
	case "secrets":
		fields["contentType"] = body["contentType"]
		fields["managed"] = body["managed"]
		return resource.NewComponent(resource.TypeSecret, parent, id, name, attributesOf(body), fields), true
	case "keys":
		fields["managed"] = body["managed"]
		if kty, ok := body["kty"]; ok {
			fields["keyType"] = kty
		}
		return resource.NewComponent(resource.TypeKey, parent, id, name, attributesOf(body), fields), true
	case "certificates":
		// A bundle (GET /certificates/{name}) names its version; the
		// certificate is the versionless object, as list items name it.
		if len(parts) > 2 {
			host := strings.TrimSuffix(strings.ToLower(u.Host), ":443")
			id = "https://" + host + "/" + parts[0] + "/" + name
		}
		if _, ok := body["policy"].(map[string]any); ok {
			resource.CertificateFields(body, fields)
		} else {
			// A list item whose GET was not made or failed (the vault
			// then has a PartCertificatePolicy gap).
			resource.UnknownCertificatePolicy(fields, certNoPolicy)
		}
		return resource.NewComponent(resource.TypeCertificate, parent, id, name, attributesOf(body), fields), true
	}
	return nil, false
}

// attributesOf reads Key Vault's attributes object (Unix seconds) from
// holder["attributes"].
func attributesOf(holder map[string]any) resource.ObjectAttributes {
	a, _ := holder["attributes"].(map[string]any)
	if a == nil {
		return resource.ObjectAttributes{}
	}
	return resource.ObjectAttributes{
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
		return resource.UnixTime(x)
	case int:
		return resource.UnixTime(int64(x))
	case float64:
		if x != math.Trunc(x) || math.IsInf(x, 0) {
			return nil
		}
		return resource.UnixTime(int64(x))
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return resource.UnixTime(i)
		}
		return nil
	default:
		return v
	}
}

// certNoPolicy names what a certificate read without its policy lacks.
const certNoPolicy = "the certificate's policy, which could not be read"
