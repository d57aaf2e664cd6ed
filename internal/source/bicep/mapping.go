package bicep

import (
	"math"
	"strconv"
	"strings"

	"github.com/kvguard/kvguard/internal/armexpr"
	"github.com/kvguard/kvguard/internal/resource"
)

// Resource is one resource of a Bicep file evaluated as the compiled ARM
// template would deploy it: every expression evaluated, nested and
// parent: children given their full type and name.
type Resource struct {
	// Address is the resource's name in the code: kv, kv::secret,
	// secrets[2], kvModule::kv.
	Address    string
	Type       string
	APIVersion string
	// DocType is the type of its document (an extension type written
	// Microsoft.X/y/providers/Microsoft.Insights/diagnosticSettings is
	// Microsoft.Insights/diagnosticSettings).
	DocType string
	// Name is the full name (vault/secret) with the placeholders of
	// unknown parameters; NameValue the full name as evaluated (may be
	// unknown).
	Name      string
	NameValue any
	// ID is the resource ID, built from Name.
	ID string
	// ExtScope is, for an extension resource (scope: kv), the ID of the
	// resource it extends.
	ExtScope string
	Existing bool
	// Condition is true or an unknown (false ones are not deployed).
	Condition any
	// Body is what the template holds besides type, apiVersion, name,
	// scope and dependsOn: location, tags, sku, kind, properties, ...
	Body map[string]any
	// Source is the provenance of its documents.
	Source resource.Provenance
	// Suppressions are the kvguard:ignore annotations of the declaration.
	Suppressions []resource.Suppression
}

// Mapper turns evaluated resources into documents, with the rules the ARM
// template reader applies to the same resources (service defaults, Key
// Vault components, private endpoint connections), so that a Bicep file
// and its compiled template give equal documents. One Mapper serves one
// Read: Add each resource, then Finish.
//
// The ARM template reader does not export its mapping (yet); stdMapper
// follows its rules and can be swapped for it behind this interface.
type Mapper interface {
	Add(res *Resource)
	Finish(emit func(*resource.Document), warn func(*resource.InputError))
}

// rbacDefaultAPIVersion is the first Key Vault API version that creates
// vaults with RBAC authorization when enableRbacAuthorization is omitted.
const rbacDefaultAPIVersion = "2026-02-01"

// maxDocuments bounds the documents of one Read.
const maxDocuments = 200_000

// newMapper returns the mapping used by Read.
func newMapper() Mapper {
	return &stdMapper{known: map[string]string{}}
}

type stdMapper struct {
	docs  []*resource.Document
	known map[string]string
	pecs  []*pecLink
	warns []*resource.InputError
}

// pecLink is a vaults/privateEndpointConnections resource, merged into
// its vault's body when the vault is in the same scan.
type pecLink struct {
	doc     *resource.Document
	vaultID string
	conn    map[string]any
}

func (m *stdMapper) Add(res *Resource) {
	if res.Existing {
		m.known[resource.Key(res.ID)] = res.ID
		return
	}
	body := res.Body
	body["id"] = res.ID
	body["name"] = lastName(res.NameValue, res.Name)
	body["type"] = res.DocType
	doc := &resource.Document{ID: res.ID, Type: res.DocType, Name: lastSegment(res.Name), Body: body}
	if res.ExtScope != "" {
		doc.Parent = resource.Ref{ID: res.ExtScope}
	}
	switch strings.ToLower(res.DocType) {
	case strings.ToLower(resource.TypeVault):
		applyVaultDefaults(body, res.APIVersion)
	case strings.ToLower(resource.TypeManagedHSM):
		if props := propsOf(body); props != nil {
			setDefault(props, "enableSoftDelete", true)
		}
	case strings.ToLower(resource.TypeARMSecret):
		doc = secretDocument(res, body)
	case strings.ToLower(resource.TypeARMKey):
		doc = keyDocument(res, body, resource.TypeKey)
	case "microsoft.keyvault/managedhsms/keys":
		doc = keyDocument(res, body, resource.TypeHSMKey)
	case strings.ToLower(resource.TypePrivateEndpoint):
		approveConnections(body)
	case strings.ToLower(resource.TypeVaultPEConnection):
		doc.Parent = resource.Ref{ID: resource.ParentID(res.ID)}
		m.pecs = append(m.pecs, &pecLink{doc: doc, vaultID: doc.Parent.ID, conn: map[string]any{
			"id": res.ID, "name": body["name"], "type": res.DocType, "properties": body["properties"],
		}})
	default:
		if strings.Count(res.DocType, "/") > 1 && doc.Parent.IsZero() {
			doc.Parent = resource.Ref{ID: resource.ParentID(res.ID)}
		}
	}
	doc.Source = res.Source
	doc.Suppressions = res.Suppressions
	m.add(doc)
}

// add keeps a document; a second one with the same ID replaces the first
// (Azure deploys one resource).
func (m *stdMapper) add(d *resource.Document) {
	k := resource.Key(d.ID)
	if _, dup := m.known[k]; dup {
		for i, old := range m.docs {
			if resource.Key(old.ID) == k {
				m.warns = append(m.warns, resource.Warnf(resource.Position{File: d.Source.File, Line: d.Source.StartLine},
					"%s declares the resource %s again (first at %s:%d); the later declaration is used", d.Source.Address, d.ID, old.Source.File, old.Source.StartLine))
				m.docs[i] = d
				return
			}
		}
	}
	if len(m.docs) >= maxDocuments {
		if len(m.docs) == maxDocuments {
			m.warns = append(m.warns, resource.Errorf(resource.Position{File: d.Source.File, Line: d.Source.StartLine}, "more than %d resources; the rest are not read", maxDocuments))
			m.docs = append(m.docs, nil)
		}
		return
	}
	m.known[k] = d.ID
	m.docs = append(m.docs, d)
}

// Finish links children to their parents' IDs as written, merges private
// endpoint connections into their vaults, and emits the documents.
func (m *stdMapper) Finish(emit func(*resource.Document), warn func(*resource.InputError)) {
	for _, w := range m.warns {
		warn(w)
	}
	byID := make(map[string]*resource.Document, len(m.docs))
	for _, d := range m.docs {
		if d != nil {
			byID[resource.Key(d.ID)] = d
		}
	}
	drop := map[*resource.Document]bool{}
	for _, p := range m.pecs {
		vault := byID[resource.Key(p.vaultID)]
		if vault == nil || !vault.IsType(resource.TypeVault) {
			continue
		}
		props := propsOf(vault.Body)
		if props == nil {
			continue
		}
		cur, _ := resource.LookupFold(props, "privateEndpointConnections")
		arr, _ := cur.([]any)
		setDefault(props, "privateEndpointConnections", nil)
		props["privateEndpointConnections"] = append(arr, p.conn)
		drop[p.doc] = true
	}
	for _, d := range m.docs {
		if d == nil || drop[d] {
			continue
		}
		if d.Parent.ID != "" {
			if id, ok := m.known[resource.Key(d.Parent.ID)]; ok {
				d.Parent.ID = id
			}
		}
		emit(d)
	}
}

func lastSegment(s string) string {
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// lastName is the body's name: the last segment of the evaluated name,
// unknown when that is.
func lastName(evaluated any, name string) any {
	if s, ok := evaluated.(string); ok {
		return lastSegment(s)
	}
	if resource.IsUnknown(evaluated) {
		return evaluated
	}
	return lastSegment(name)
}

func propsOf(body map[string]any) map[string]any {
	p, ok := resource.LookupFold(body, "properties")
	if !ok || p == nil {
		m := map[string]any{}
		body["properties"] = m
		return m
	}
	m, _ := p.(map[string]any)
	return m
}

// setDefault sets key when it is absent or null (Azure's service default).
func setDefault(m map[string]any, key string, v any) {
	if cur, ok := resource.LookupFold(m, key); ok && cur != nil {
		return
	}
	for k := range m {
		if strings.EqualFold(k, key) {
			delete(m, k)
		}
	}
	m[key] = v
}

// applyVaultDefaults fills in what Azure stores for a vault whose request
// leaves it out. Explicit values (false, unknown) are kept.
func applyVaultDefaults(body map[string]any, api string) {
	props := propsOf(body)
	if props == nil { // properties is itself unknown
		return
	}
	setDefault(props, "enableSoftDelete", true)
	setDefault(props, "enableRbacAuthorization", rbacDefault(api))
	setDefault(props, "publicNetworkAccess", "Enabled")
	setDefault(props, "softDeleteRetentionInDays", int64(90))
}

// rbacDefault is enableRbacAuthorization when omitted: true from API
// version 2026-02-01, false before.
func rbacDefault(api string) any {
	if len(api) < len(rbacDefaultAPIVersion) {
		if api == "" {
			return resource.Unknown{Expr: "enableRbacAuthorization default (no apiVersion)"}
		}
		return false
	}
	return api[:len(rbacDefaultAPIVersion)] >= rbacDefaultAPIVersion
}

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

// secretDocument is the component document of a vaults/secrets resource:
// metadata only, never the value.
func secretDocument(res *Resource, body map[string]any) *resource.Document {
	props, _ := resource.LookupFold(body, "properties")
	pm, _ := props.(map[string]any)
	attrs := objectAttributes(pm)
	if u, ok := props.(resource.Unknown); ok {
		attrs = resource.ObjectAttributes{Enabled: resource.Unknown{Expr: u.Expr + ".attributes.enabled"}, Expires: resource.Unknown{Expr: u.Expr + ".attributes.exp"}}
	}
	fields := map[string]any{}
	if ct, ok := resource.LookupFold(pm, "contentType"); ok {
		fields["contentType"] = ct
	}
	if tags, ok := resource.LookupFold(body, "tags"); ok {
		fields["tags"] = tags
	}
	return resource.NewComponent(resource.TypeSecret, resource.Ref{ID: resource.ParentID(res.ID)}, res.ID, lastSegment(res.Name), attrs, fields)
}

// keyDocument is the component document of a vaults/keys (or managed HSM
// key) resource.
func keyDocument(res *Resource, body map[string]any, typ string) *resource.Document {
	props, _ := resource.LookupFold(body, "properties")
	pm, _ := props.(map[string]any)
	attrs := objectAttributes(pm)
	if u, ok := props.(resource.Unknown); ok {
		attrs = resource.ObjectAttributes{Enabled: resource.Unknown{Expr: u.Expr + ".attributes.enabled"}, Expires: resource.Unknown{Expr: u.Expr + ".attributes.exp"}}
	}
	fields := map[string]any{}
	for src, dst := range map[string]string{"kty": "keyType", "keySize": "keySize", "curveName": "ellipticCurveName", "rotationPolicy": "rotationPolicy"} {
		if v, ok := resource.LookupFold(pm, src); ok {
			fields[dst] = v
		}
	}
	if tags, ok := resource.LookupFold(body, "tags"); ok {
		fields["tags"] = tags
	}
	return resource.NewComponent(typ, resource.Ref{ID: resource.ParentID(res.ID)}, res.ID, lastSegment(res.Name), attrs, fields)
}

// approveConnections sets the state Azure gives a private endpoint's
// connections: automatic ones are Approved, manual ones Pending.
func approveConnections(body map[string]any) {
	props, _ := resource.LookupFold(body, "properties")
	pm, ok := props.(map[string]any)
	if !ok {
		return
	}
	for key, status := range map[string]string{"privateLinkServiceConnections": "Approved", "manualPrivateLinkServiceConnections": "Pending"} {
		conns, _ := resource.LookupFold(pm, key)
		arr, _ := conns.([]any)
		for _, c := range arr {
			cm, ok := c.(map[string]any)
			if !ok {
				continue
			}
			cp, _ := resource.LookupFold(cm, "properties")
			cpm, ok := cp.(map[string]any)
			if !ok {
				continue
			}
			st, _ := resource.LookupFold(cpm, "privateLinkServiceConnectionState")
			stm, ok := st.(map[string]any)
			if !ok {
				stm = map[string]any{}
				setDefault(cpm, "privateLinkServiceConnectionState", stm)
			}
			for k := range stm {
				if strings.EqualFold(k, "status") {
					delete(stm, k)
				}
			}
			stm["status"] = status
		}
	}
}
