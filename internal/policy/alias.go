package policy

import (
	"fmt"
	"strings"

	"github.com/kvguard/kvguard/internal/resource"
)

// aliasPaths maps aliases whose JSON path is not the default
// properties.<property path> of their resource type. Everything else
// follows the rule in defaultAliasPath. The engine knows nothing of Key
// Vault beyond this table.
//
// Sources: Get-AzPolicyAlias dumps for Microsoft.KeyVault, Microsoft.Network
// and Microsoft.Insights; data-plane aliases from the Key Vault REST model
// (reference/policy-ground-truth.md §D).
var aliasPaths = map[string]string{
	// privateEndpointConnections elements hide a properties level.
	"microsoft.keyvault/vaults/privateendpointconnections[*].privatelinkserviceconnectionstate.status":      "properties.privateEndpointConnections[*].properties.privateLinkServiceConnectionState.status",
	"microsoft.keyvault/vaults/privateendpointconnections[*].privateendpoint.id":                            "properties.privateEndpointConnections[*].properties.privateEndpoint.id",
	"microsoft.keyvault/vaults/privateendpointconnections[*].provisioningstate":                             "properties.privateEndpointConnections[*].properties.provisioningState",
	"microsoft.keyvault/managedhsms/privateendpointconnections[*].privatelinkserviceconnectionstate.status": "properties.privateEndpointConnections[*].properties.privateLinkServiceConnectionState.status",
	"microsoft.keyvault/managedhsms/privateendpointconnections[*].privateendpoint.id":                       "properties.privateEndpointConnections[*].properties.privateEndpoint.id",
	// A vault's sku sits under properties, unlike most resources' (and a
	// managed HSM's).
	"microsoft.keyvault/vaults/sku.name":   "properties.sku.name",
	"microsoft.keyvault/vaults/sku.family": "properties.sku.family",
	// Managed HSM sku is top-level.
	"microsoft.keyvault/managedhsms/sku.name":   "sku.name",
	"microsoft.keyvault/managedhsms/sku.family": "sku.family",
	// Legacy diagnostic settings aliases: array paths without [*] in their names.
	"microsoft.insights/diagnosticsettings/logs.enabled":                    "properties.logs[*].enabled",
	"microsoft.insights/diagnosticsettings/logs.category":                   "properties.logs[*].category",
	"microsoft.insights/diagnosticsettings/logs.categorygroup":              "properties.logs[*].categoryGroup",
	"microsoft.insights/diagnosticsettings/logs.retentionpolicy.enabled":    "properties.logs[*].retentionPolicy.enabled",
	"microsoft.insights/diagnosticsettings/logs.retentionpolicy.days":       "properties.logs[*].retentionPolicy.days",
	"microsoft.insights/diagnosticsettings/metrics.enabled":                 "properties.metrics[*].enabled",
	"microsoft.insights/diagnosticsettings/metrics.category":                "properties.metrics[*].category",
	"microsoft.insights/diagnosticsettings/metrics.retentionpolicy.enabled": "properties.metrics[*].retentionPolicy.enabled",
	"microsoft.insights/diagnosticsettings/metrics.retentionpolicy.days":    "properties.metrics[*].retentionPolicy.days",
	// Private endpoint connection elements hide a properties level too.
	"microsoft.network/privateendpoints/privatelinkserviceconnections[*].groupids[*]":                "properties.privateLinkServiceConnections[*].properties.groupIds[*]",
	"microsoft.network/privateendpoints/privatelinkserviceconnections[*].groupids":                   "properties.privateLinkServiceConnections[*].properties.groupIds",
	"microsoft.network/privateendpoints/privatelinkserviceconnections[*].privatelinkserviceid":       "properties.privateLinkServiceConnections[*].properties.privateLinkServiceId",
	"microsoft.network/privateendpoints/manualprivatelinkserviceconnections[*].groupids[*]":          "properties.manualPrivateLinkServiceConnections[*].properties.groupIds[*]",
	"microsoft.network/privateendpoints/manualprivatelinkserviceconnections[*].privatelinkserviceid": "properties.manualPrivateLinkServiceConnections[*].properties.privateLinkServiceId",
}

// dataPlaneAliases are the Microsoft.KeyVault.Data and
// Microsoft.ManagedHSM.Data aliases the built-ins read, with the path of
// each in a component document (resource.NewComponent; the Shapes in
// docs/architecture.md). Microsoft publishes no mapping for them: the
// paths follow the alias names, which follow the Key Vault REST model
// (policy-ground-truth.md §D2), so that every input builds the same
// shape. Listing them, rather than leaving them to defaultAliasPath,
// makes an alias a new definition reads a decision (TestDataPlaneAliasesListed).
var dataPlaneAliases = map[string]string{
	// Secrets: the SecretBundle's attributes (exp, nbf, created as ISO
	// 8601 instants) and contentType.
	"microsoft.keyvault.data/vaults/secrets/attributes.expireson": "attributes.expiresOn",
	"microsoft.keyvault.data/vaults/secrets/attributes.notbefore": "attributes.notBefore",
	"microsoft.keyvault.data/vaults/secrets/attributes.createdon": "attributes.createdOn",
	"microsoft.keyvault.data/vaults/secrets/contenttype":          "contentType",
	// Keys: attributes, the JWK's kty, its size in bits and crv, and the
	// next rotation the rotation policy schedules (createdOn +
	// timeAfterCreate, or expiresOn - timeBeforeExpiry, of its Rotate
	// action; absent without one).
	"microsoft.keyvault.data/vaults/keys/attributes.expireson":  "attributes.expiresOn",
	"microsoft.keyvault.data/vaults/keys/attributes.notbefore":  "attributes.notBefore",
	"microsoft.keyvault.data/vaults/keys/attributes.createdon":  "attributes.createdOn",
	"microsoft.keyvault.data/vaults/keys/keytype":               "keyType",
	"microsoft.keyvault.data/vaults/keys/keysize":               "keySize",
	"microsoft.keyvault.data/vaults/keys/ellipticcurvename":     "ellipticCurveName",
	"microsoft.keyvault.data/vaults/keys/scheduledrotationdate": "scheduledRotationDate",
	// Certificates: attributes, and the certificate policy's key_props,
	// x509_props.validity_months and issuer; the issuer's common name is
	// the X.509 issuer's CN.
	"microsoft.keyvault.data/vaults/certificates/attributes.expireson":            "attributes.expiresOn",
	"microsoft.keyvault.data/vaults/certificates/keyproperties.keytype":           "keyProperties.keyType",
	"microsoft.keyvault.data/vaults/certificates/keyproperties.keysize":           "keyProperties.keySize",
	"microsoft.keyvault.data/vaults/certificates/keyproperties.ellipticcurvename": "keyProperties.ellipticCurveName",
	"microsoft.keyvault.data/vaults/certificates/properties.validityinmonths":     "properties.validityInMonths",
	"microsoft.keyvault.data/vaults/certificates/issuer.name":                     "issuer.name",
	"microsoft.keyvault.data/vaults/certificates/issuer.commonname":               "issuer.commonName",
	// The lifetime action aliases have no [*] but read every action.
	"microsoft.keyvault.data/vaults/certificates/lifetimeaction.daysbeforeexpiry":   "lifetimeActions[*].daysBeforeExpiry",
	"microsoft.keyvault.data/vaults/certificates/lifetimeaction.lifetimepercentage": "lifetimeActions[*].lifetimePercentage",
	// Managed HSM keys: as vault keys.
	"microsoft.managedhsm.data/managedhsms/keys/attributes.expireson": "attributes.expiresOn",
	"microsoft.managedhsm.data/managedhsms/keys/keytype":              "keyType",
	"microsoft.managedhsm.data/managedhsms/keys/keysize":              "keySize",
	"microsoft.managedhsm.data/managedhsms/keys/ellipticcurvename":    "ellipticCurveName",
}

// dataPlanePrefixes are the resource-provider-mode namespaces whose aliases
// read the component body directly, without a properties level.
var dataPlanePrefixes = []string{"microsoft.keyvault.data/", "microsoft.managedhsm.data/"}

// fieldRef is a compiled `field` operand: a special field (type, name, …)
// or an alias resolved to a path, with the resource type it belongs to.
type fieldRef struct {
	text    string // as written
	special string // "type", "name", "fullname", "kind", "location", "id", "identity.type", "tags", "tag" (one tag)
	tag     string
	aliasTy string // lower-case resource type the alias belongs to
	path    path
}

type pathSeg struct {
	key      string
	wildcard bool // [*]
}

type path []pathSeg

func (p path) String() string {
	var b strings.Builder
	for i, s := range p {
		if s.wildcard {
			b.WriteString("[*]")
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s.key)
	}
	return b.String()
}

func (p path) hasWildcard() bool {
	for _, s := range p {
		if s.wildcard {
			return true
		}
	}
	return false
}

// hasPrefix reports whether q is a prefix of p, comparing keys
// case-insensitively.
func (p path) hasPrefix(q path) bool {
	if len(q) > len(p) {
		return false
	}
	for i := range q {
		if q[i].wildcard != p[i].wildcard || !strings.EqualFold(q[i].key, p[i].key) {
			return false
		}
	}
	return true
}

// parsePath reads a dotted path with [*] wildcards and ['key'] indexers.
func parsePath(s string) (path, error) {
	var p path
	i := 0
	for i < len(s) {
		switch s[i] {
		case '.':
			i++
		case '[':
			j := strings.IndexByte(s[i:], ']')
			if j < 0 {
				return nil, fmt.Errorf("unclosed '[' in %q", s)
			}
			inner := s[i+1 : i+j]
			i += j + 1
			if inner == "*" {
				p = append(p, pathSeg{wildcard: true})
				continue
			}
			p = append(p, pathSeg{key: strings.Trim(inner, `'"`)})
		default:
			j := i
			for j < len(s) && s[j] != '.' && s[j] != '[' {
				j++
			}
			p = append(p, pathSeg{key: s[i:j]})
			i = j
		}
	}
	if len(p) == 0 {
		return nil, fmt.Errorf("empty field path")
	}
	return p, nil
}

// resolveField compiles a `field` name: a special field, a tag reference,
// or an alias.
func resolveField(name string) (fieldRef, error) {
	lower := strings.ToLower(name)
	switch lower {
	case "type", "name", "fullname", "kind", "location", "id", "identity.type", "tags":
		return fieldRef{text: name, special: lower}, nil
	}
	if t, ok, err := tagName(name); err != nil {
		return fieldRef{}, err
	} else if ok {
		return fieldRef{text: name, special: "tag", tag: t}, nil
	}
	slash := strings.LastIndexByte(name, '/')
	if slash <= 0 || !strings.Contains(name[:slash], ".") {
		return fieldRef{}, fmt.Errorf("field %q is neither a policy alias (Namespace/type/property) nor a resource field (type, name, kind, location, id, tags, …)", name)
	}
	typ := strings.ToLower(name[:slash])
	raw, ok := aliasPaths[lower]
	if !ok {
		raw, ok = dataPlaneAliases[lower]
	}
	if !ok {
		raw = defaultAliasPath(typ, name[slash+1:])
	}
	p, err := parsePath(raw)
	if err != nil {
		return fieldRef{}, fmt.Errorf("alias %q: %w", name, err)
	}
	return fieldRef{text: name, aliasTy: typ, path: p}, nil
}

// defaultAliasPath is the path most ARM aliases map to: the property path
// under properties. Resource-provider-mode aliases read the component body
// itself.
func defaultAliasPath(typ, prop string) string {
	for _, pre := range dataPlanePrefixes {
		if strings.HasPrefix(typ, pre) {
			return prop
		}
	}
	// Top-level ARM members keep their place.
	switch strings.ToLower(strings.SplitN(strings.SplitN(prop, ".", 2)[0], "[", 2)[0]) {
	case "sku", "identity", "kind", "location", "tags", "zones", "plan", "extendedlocation":
		return prop
	}
	return "properties." + prop
}

// tagName reads a tag reference: tags['name'], tags[name] or tags.name.
// ok is false for fields that are not tag references; err names a tag
// reference that is malformed (an unclosed quote, no name).
func tagName(name string) (tag string, ok bool, err error) {
	lower := strings.ToLower(name)
	switch {
	case strings.HasPrefix(lower, "tags['"):
		if len(name) < len("tags['x']") || !strings.HasSuffix(name, "']") {
			return "", true, fmt.Errorf("field %q: a tag reference is tags['name'] with a name and a closing ']", name)
		}
		return name[6 : len(name)-2], true, nil
	case strings.HasPrefix(lower, "tags[") && strings.HasSuffix(name, "]"):
		if len(name) == len("tags[]") {
			return "", true, fmt.Errorf("field %q names no tag", name)
		}
		return name[5 : len(name)-1], true, nil
	case strings.HasPrefix(lower, "tags."):
		if len(name) == len("tags.") {
			return "", true, fmt.Errorf("field %q names no tag", name)
		}
		return name[5:], true, nil
	}
	return "", false, nil
}

// read returns the field's value on doc: a single value (or missing), or,
// for paths with [*], the collection of selected values (many is true).
func (f *fieldRef) read(doc *resource.Document, c *evalCtx) (v any, many []any, isMany bool) {
	if f.special != "" {
		return readSpecial(f, doc), nil, false
	}
	// Inside a count, a path under the counted array reads the current element.
	if c != nil {
		for i := len(c.scopes) - 1; i >= 0; i-- {
			s := &c.scopes[i]
			if s.prefix != nil && s.doc == doc && f.path.hasPrefix(s.prefix) {
				rest := f.path[len(s.prefix):]
				if len(rest) == 0 {
					return s.item, nil, false
				}
				if rest.hasWildcard() {
					return nil, collect(s.item, rest), true
				}
				return walk(s.item, rest), nil, false
			}
		}
	}
	if doc == nil || !strings.EqualFold(doc.Type, f.aliasTy) {
		// An alias of another resource type selects nothing on this one.
		if f.path.hasWildcard() {
			return nil, nil, true
		}
		return missing, nil, false
	}
	if doc.Body == nil {
		return missing, nil, false
	}
	if f.path.hasWildcard() {
		return nil, collect(doc.Body, f.path), true
	}
	return walk(doc.Body, f.path), nil, false
}

func readSpecial(f *fieldRef, doc *resource.Document) any {
	if doc == nil {
		return missing
	}
	body := doc.Body
	get := func(k string) any {
		if body == nil {
			return missing
		}
		v, ok := lookupFold(body, k)
		if !ok || v == nil {
			return missing
		}
		return v
	}
	switch f.special {
	case "type":
		return resource.TypeValue(doc.Type) // not boxed anew for every document
	case "name":
		if doc.Name == "" {
			return missing
		}
		return doc.Name
	case "fullname":
		return fullName(doc)
	case "id":
		return doc.ID
	case "kind":
		return get("kind")
	case "location":
		return get("location")
	case "identity.type":
		id, ok := get("identity").(map[string]any)
		if !ok {
			return missing
		}
		v, ok := lookupFold(id, "type")
		if !ok || v == nil {
			return missing
		}
		return v
	case "tags":
		return get("tags")
	case "tag":
		tags, ok := get("tags").(map[string]any)
		if !ok {
			return missing
		}
		v, ok := lookupFold(tags, f.tag)
		if !ok || v == nil {
			return missing
		}
		return v
	}
	return missing
}

// fullName is parent/child for child resources, as Azure Policy's fullName.
func fullName(doc *resource.Document) any {
	id, ok := resource.ParseID(doc.ID)
	if !ok || len(id.Names) == 0 {
		if doc.Name == "" {
			return missing
		}
		return doc.Name
	}
	return strings.Join(id.Names, "/")
}

// walk follows a path without wildcards.
func walk(v any, p path) any {
	for _, s := range p {
		if u, ok := v.(unknownValue); ok {
			return u
		}
		m, ok := v.(map[string]any)
		if !ok {
			return missing
		}
		next, ok := lookupFold(m, s.key)
		if !ok || next == nil {
			return missing
		}
		v = next
	}
	return v
}

// collect follows a path with wildcards and returns every selected value
// (missing leaves are included as missing, so that conditions see them).
// A missing array selects nothing.
func collect(v any, p path) []any {
	var out []any
	var rec func(v any, p path)
	rec = func(v any, p path) {
		if len(p) == 0 {
			out = append(out, v)
			return
		}
		if u, ok := v.(unknownValue); ok {
			out = append(out, u)
			return
		}
		s := p[0]
		if s.wildcard {
			arr, ok := v.([]any)
			if !ok {
				return
			}
			for _, e := range arr {
				rec(e, p[1:])
			}
			return
		}
		m, ok := v.(map[string]any)
		if !ok {
			out = append(out, missing)
			return
		}
		next, ok := lookupFold(m, s.key)
		if !ok || next == nil {
			if p[1:].hasWildcard() {
				return // a missing array under the path selects nothing
			}
			out = append(out, missing)
			return
		}
		rec(next, p[1:])
	}
	rec(v, p)
	return out
}
