package arm

import (
	"math"
	"strconv"
	"strings"

	"github.com/kvguard/kvguard/internal/armexpr"
	"github.com/kvguard/kvguard/internal/resource"
)

// objectAttributes reads properties.attributes of a secret or key.
func objectAttributes(props map[string]any) resource.ObjectAttributes {
	var a resource.ObjectAttributes
	a.Enabled = true
	attrs, _ := resource.LookupFold(props, "attributes")
	switch m := attrs.(type) {
	case map[string]any:
		if v, ok := resource.LookupFold(m, "enabled"); ok && v != nil {
			a.Enabled = v
		}
		a.Expires = unixAttr(m, "exp")
		a.NotBefore = unixAttr(m, "nbf")
	case resource.Unknown:
		a.Enabled = resource.Unknown{Expr: m.Expr + ".enabled"}
		a.Expires = resource.Unknown{Expr: m.Expr + ".exp"}
		a.NotBefore = resource.Unknown{Expr: m.Expr + ".nbf"}
	}
	return a
}

// unixAttr converts a Key Vault Unix-seconds attribute to an instant.
func unixAttr(m map[string]any, key string) any {
	v, ok := resource.LookupFold(m, key)
	if !ok || v == nil {
		return nil
	}
	switch x := v.(type) {
	case int64:
		return resource.UnixTime(x)
	case float64:
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			return resource.UnixTime(int64(x))
		}
	case string:
		if n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64); err == nil {
			return resource.UnixTime(n)
		}
		return x // set, though not the integer Azure expects
	case resource.Unknown:
		return x
	}
	return armexpr.Stringify(v)
}

// componentAttributes reads the attributes of a secret or key body whose
// properties may be unknown as a whole.
func componentAttributes(body map[string]any) (map[string]any, resource.ObjectAttributes) {
	props, _ := resource.LookupFold(body, "properties")
	pm, _ := props.(map[string]any)
	attrs := objectAttributes(pm)
	if u, ok := props.(resource.Unknown); ok {
		attrs = resource.ObjectAttributes{Enabled: resource.Unknown{Expr: u.Expr + ".attributes.enabled"}, Expires: resource.Unknown{Expr: u.Expr + ".attributes.exp"}}
	}
	return pm, attrs
}

// createdAt is a secret's or key's creation time: the instant the
// deployment creates it, which the template cannot say. Rules that count
// from it (maximum validity, active days, a rotation timeAfterCreate) are
// then unknown, rather than judged against a guessed date.
func createdAt(res *Resource, attrs *resource.ObjectAttributes) {
	if attrs.Created == nil {
		attrs.Created = resource.Unknown{Expr: "the creation time of " + LastSegment(res.Name) + " (known after deployment)"}
	}
}

// secretDocument is the component document of a vaults/secrets resource:
// metadata only, never the value.
func secretDocument(res *Resource, body map[string]any) *resource.Document {
	pm, attrs := componentAttributes(body)
	createdAt(res, &attrs)
	fields := map[string]any{}
	if ct, ok := resource.LookupFold(pm, "contentType"); ok {
		fields["contentType"] = ct
	}
	if tags, ok := resource.LookupFold(body, "tags"); ok {
		fields["tags"] = tags
	}
	return resource.NewComponent(resource.TypeSecret, resource.Ref{ID: resource.ParentID(res.ID)}, res.ID, LastSegment(res.Name), attrs, fields)
}

// keyDocument is the component document of a vaults/keys (or managed
// HSM key) resource.
func keyDocument(res *Resource, body map[string]any, typ string) *resource.Document {
	pm, attrs := componentAttributes(body)
	createdAt(res, &attrs)
	fields := map[string]any{}
	for src, dst := range map[string]string{"kty": "keyType", "keySize": "keySize", "curveName": "ellipticCurveName", "rotationPolicy": "rotationPolicy"} {
		if v, ok := resource.LookupFold(pm, src); ok {
			fields[dst] = v
		}
	}
	if tags, ok := resource.LookupFold(body, "tags"); ok {
		fields["tags"] = tags
	}
	return resource.NewComponent(typ, resource.Ref{ID: resource.ParentID(res.ID)}, res.ID, LastSegment(res.Name), attrs, fields)
}

// approveConnections sets the state Azure gives a private endpoint's
// connections: automatic ones are Approved, manual ones Pending; unknown
// (saying why) when the endpoint may not exist at all.
func approveConnections(body map[string]any, maybe string) {
	props, _ := resource.LookupFold(body, "properties")
	pm, ok := props.(map[string]any)
	if !ok {
		return
	}
	for key, status := range map[string]string{"privateLinkServiceConnections": "Approved", "manualPrivateLinkServiceConnections": "Pending"} {
		var st any = status
		if maybe != "" {
			st = resource.Unknown{Expr: maybe}
		}
		conns, _ := resource.LookupFold(pm, key)
		arr, _ := conns.([]any)
		for _, c := range arr {
			if cm, ok := c.(map[string]any); ok {
				setConnectionStatus(cm, st)
			}
		}
	}
}

// setConnectionStatus sets properties.privateLinkServiceConnectionState.
// status of a connection (an endpoint's, or a vault's
// privateEndpointConnections child).
func setConnectionStatus(conn map[string]any, status any) {
	cp, _ := resource.LookupFold(conn, "properties")
	cpm, ok := cp.(map[string]any)
	if !ok {
		return
	}
	st, _ := resource.LookupFold(cpm, "privateLinkServiceConnectionState")
	stm, ok := st.(map[string]any)
	if !ok {
		stm = map[string]any{}
		setFold(cpm, "privateLinkServiceConnectionState", stm)
	}
	setFold(stm, "status", status)
}

// SetLinkServiceID sets privateLinkServiceId in the connections of a
// private endpoint body where the evaluated value is unknown and the
// front end could build the ID with placeholders (a vault whose name is
// a parameter without a value), so that the endpoint still names the
// vault document. id gives the placeholder ID of connection i of the n
// in the list key (privateLinkServiceConnections or
// manualPrivateLinkServiceConnections), or "" to leave it.
func SetLinkServiceID(body map[string]any, id func(key string, i, n int) string) {
	props, _ := resource.LookupFold(body, "properties")
	pm, ok := props.(map[string]any)
	if !ok {
		return
	}
	for _, key := range []string{"privateLinkServiceConnections", "manualPrivateLinkServiceConnections"} {
		conns, _ := resource.LookupFold(pm, key)
		arr, _ := conns.([]any)
		for i := range arr {
			cm, _ := arr[i].(map[string]any)
			cp, _ := resource.LookupFold(cm, "properties")
			cpm, ok := cp.(map[string]any)
			if !ok {
				continue
			}
			if cur, _ := resource.LookupFold(cpm, "privateLinkServiceId"); !resource.IsUnknown(cur) {
				continue
			}
			if s := id(key, i, len(arr)); strings.HasPrefix(s, "/") {
				setDefault(cpm, "privateLinkServiceId", nil)
				cpm["privateLinkServiceId"] = s
			}
		}
	}
}
