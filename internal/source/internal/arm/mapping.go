package arm

import (
	"io"
	"log/slog"
	"math"
	"strconv"
	"strings"

	"github.com/kvguard/kvguard/internal/armexpr"
	"github.com/kvguard/kvguard/internal/resource"
)

// Resource is one resource a deployment creates (or, with Existing,
// refers to), already evaluated by a front end: the ARM template reader
// for a template, the Bicep reader for a Bicep file. A Mapper turns it
// into the documents Azure would store.
type Resource struct {
	// Type is the type of its document: the full resource type
	// (Microsoft.KeyVault/vaults/secrets), or for an extension resource
	// written Microsoft.X/y/providers/Microsoft.Insights/diagnosticSettings
	// the extension's type (Microsoft.Insights/diagnosticSettings).
	Type string
	// APIVersion is the declared API version (it decides service
	// defaults, such as RBAC on Key Vaults from 2026-02-01).
	APIVersion string
	// Name is the full name (vault/secret), with "[parameters('x')]"
	// placeholders for parts that are unknown, as the ID is built from.
	Name string
	// NameValue is the name as evaluated, full or last segment, a string
	// or a resource.Unknown; nil means Name.
	NameValue any
	// ID is the resource ID built from Name at the deployment's scope.
	ID string
	// ExtScope is, for an extension resource (diagnostic settings on a
	// vault), the ID of the resource it extends: the document's parent.
	ExtScope string
	// Existing marks a resource the deployment refers to but does not
	// deploy: it makes no document, but children naming it link to its
	// ID as written.
	Existing bool
	// Body is what the deployment sends besides the deployment
	// instructions (type, apiVersion, name, scope, dependsOn, copy, ...):
	// location, tags, sku, kind, properties, ... fully evaluated, with
	// resource.Unknown for what cannot be known. The Mapper owns it
	// after Add.
	Body map[string]any
	// Source is the provenance of its documents.
	Source resource.Provenance
	// Suppressions are the kvguard:ignore annotations of its declaration.
	Suppressions []resource.Suppression
}

// Mapper turns evaluated ARM resources into kvguard documents, with the
// rules of what Azure stores for them: service defaults on vaults
// (enableSoftDelete true, enableRbacAuthorization by API version,
// publicNetworkAccess Enabled, retention 90 days) and managed HSMs;
// secrets and keys as component documents (resource.NewComponent, with
// attributes.exp in Unix seconds as expiresOn); private endpoint
// connections Approved (automatic) or Pending (manual); parents of
// children and extension resources; vaults/privateEndpointConnections
// merged into their vault; the strings of secure values scrubbed. It is
// the one place that does so: the ARM template reader and the Bicep
// reader both hand it their resources, so that a Bicep file and the
// template bicep build makes from it give equal documents.
//
// One Mapper serves one Read: Add every resource, in deployment order,
// then Finish. It is not safe for concurrent use.
type Mapper struct {
	log     *slog.Logger
	docs    []*resource.Document
	known   map[string]string // resource.Key(id) → the ID as written
	pecs    []*pecLink
	secrets map[string]bool
	full    bool
}

// pecLink is a vaults/privateEndpointConnections child resource, merged
// into its vault's body when the vault is in the same read.
type pecLink struct {
	doc     *resource.Document
	vaultID string
	conn    map[string]any
}

// NewMapper returns an empty Mapper; log receives diagnostics (nil
// discards them).
func NewMapper(log *slog.Logger) *Mapper {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Mapper{log: log, known: map[string]string{}}
}

// Add maps one resource. A resource whose ID was added before replaces
// the earlier document (Azure deploys the later declaration over the
// first: a nested deployment or module may update a resource). It returns
// an error once, when the read passes MaxDocuments documents; the caller
// reports it and may stop evaluating, as later resources are dropped.
func (m *Mapper) Add(res *Resource) *resource.InputError {
	if res.Existing {
		m.known[resource.Key(res.ID)] = res.ID
		return nil
	}
	return m.add(m.document(res))
}

// Full reports whether the Mapper holds MaxDocuments documents and drops
// any more.
func (m *Mapper) Full() bool { return m.full }

// Secret records a secure value (a secureString or secureObject
// parameter's value): a document string that holds one of its strings
// becomes unknown, and an unknown's expression quoting it is masked.
func (m *Mapper) Secret(v any) {
	switch x := v.(type) {
	case string:
		if len(x) >= 3 {
			if m.secrets == nil {
				m.secrets = map[string]bool{}
			}
			m.secrets[x] = true
		}
	case []any:
		for _, e := range x {
			m.Secret(e)
		}
	case map[string]any:
		for _, e := range x {
			m.Secret(e)
		}
	}
}

// document applies the rules of one resource type.
func (m *Mapper) document(res *Resource) *resource.Document {
	body := res.Body
	if body == nil {
		body = map[string]any{}
	}
	name := res.NameValue
	if name == nil {
		name = res.Name
	}
	body["id"] = res.ID
	body["name"] = lastName(name, res.Name)
	body["type"] = res.Type
	doc := &resource.Document{ID: res.ID, Type: res.Type, Name: LastSegment(res.Name), Body: body}
	if res.ExtScope != "" {
		doc.Parent = resource.Ref{ID: res.ExtScope}
	}
	switch strings.ToLower(res.Type) {
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
			"id": res.ID, "name": body["name"], "type": res.Type, "properties": body["properties"],
		}})
	default:
		if strings.Count(res.Type, "/") > 1 && doc.Parent.IsZero() {
			doc.Parent = resource.Ref{ID: resource.ParentID(res.ID)}
		}
	}
	doc.Source = res.Source
	doc.Suppressions = res.Suppressions
	return doc
}

// add keeps a document; a second one with the same ID replaces the first.
func (m *Mapper) add(d *resource.Document) *resource.InputError {
	if m.full {
		return nil
	}
	k := resource.Key(d.ID)
	if _, dup := m.known[k]; dup {
		for i, old := range m.docs {
			if resource.Key(old.ID) == k {
				m.log.Debug("resource declared again; the later declaration is used", "file", d.Source.File, "line", d.Source.StartLine,
					"address", d.Source.Address, "id", d.ID, "first", old.Source.File+":"+strconv.Itoa(old.Source.StartLine))
				m.docs[i] = d
				return nil
			}
		}
	}
	if len(m.docs) >= MaxDocuments {
		m.full = true
		return resource.Errorf(resource.Position{File: d.Source.File, Line: d.Source.StartLine}, "more than %d resources; the rest are not read", MaxDocuments)
	}
	m.known[k] = d.ID
	m.docs = append(m.docs, d)
	return nil
}

// Finish merges private endpoint connections into their vaults, links
// children to their parents' IDs as written, scrubs secure values and
// emits the documents in the order they were added.
func (m *Mapper) Finish(emit func(*resource.Document)) {
	byID := make(map[string]*resource.Document, len(m.docs))
	for _, d := range m.docs {
		byID[resource.Key(d.ID)] = d
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
		if drop[d] {
			continue
		}
		if len(m.secrets) > 0 {
			d.Body = m.scrub(d.Body).(map[string]any)
		}
		if d.Parent.ID != "" {
			if id, ok := m.known[resource.Key(d.Parent.ID)]; ok {
				d.Parent.ID = id
			}
		}
		emit(d)
	}
}

// scrub replaces what holds a secure value's string: the string becomes
// unknown, and an unknown's expression that quotes it has it masked.
func (m *Mapper) scrub(v any) any {
	switch x := v.(type) {
	case string:
		for s := range m.secrets {
			if strings.Contains(x, s) {
				return resource.Unknown{Expr: "a secure parameter's value"}
			}
		}
	case resource.Unknown:
		for s := range m.secrets {
			x.Expr = strings.ReplaceAll(x.Expr, s, "***")
		}
		return x
	case []any:
		for i := range x {
			x[i] = m.scrub(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = m.scrub(x[k])
		}
	}
	return v
}

// lastName is the body's name: the last segment of the evaluated name,
// unknown when that is.
func lastName(evaluated any, name string) any {
	if s, ok := evaluated.(string); ok {
		return LastSegment(s)
	}
	if resource.IsUnknown(evaluated) {
		return evaluated
	}
	return LastSegment(name)
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

// rbacDefaultAPIVersion is the first Key Vault API version that creates
// vaults with RBAC authorization when enableRbacAuthorization is omitted.
const rbacDefaultAPIVersion = "2026-02-01"

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

// secretDocument is the component document of a vaults/secrets resource:
// metadata only, never the value.
func secretDocument(res *Resource, body map[string]any) *resource.Document {
	pm, attrs := componentAttributes(body)
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
