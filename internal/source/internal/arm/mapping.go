package arm

import (
	"io"
	"log/slog"
	"regexp"
	"strconv"
	"strings"

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
	// Maybe says why the resource may not exist at all (it is the one
	// placeholder copy of a loop whose count is unknown), or "". What
	// such a resource would prove about a vault (an approved private
	// endpoint connection, a diagnostic setting's logs) is unknown.
	Maybe string
	// BadName says why the name cannot give the resource's parents (its
	// vault's name is an expression that cannot be resolved), or "".
	// The Mapper checks the segments of Name itself.
	BadName string
	// DependsOn are the IDs of the resources it depends on (its parent
	// included): where its name does not give its vault, the one vault
	// among them is taken.
	DependsOn []string
	// At returns the position of a property of the declaration (path
	// from the resource body: "properties", "enableSoftDelete"), for
	// messages; nil, or ok false, means the declaration's first line.
	At func(path ...string) (resource.Position, bool)
}

// Mapper turns evaluated ARM resources into kvguard documents, with the
// rules of what Azure stores for them: service defaults on vaults
// (enableSoftDelete true, enableRbacAuthorization by API version,
// publicNetworkAccess Enabled, retention 90 days) and managed HSMs;
// secrets and keys as component documents (resource.NewComponent, with
// attributes.exp in Unix seconds as expiresOn); private endpoint
// connections Approved (automatic) or Pending (manual); parents of
// children and extension resources; vaults/privateEndpointConnections
// merged into their vault; the strings of secure values scrubbed. It
// checks what Azure checks at deployment for what the recommendations
// read: the types of vault, secret, key and endpoint properties (a value
// of the wrong type is an input error and becomes unknown) and the name
// segments of child resources. A vault the deployment refers to as
// existing becomes a placeholder document with its declaration's
// provenance, and a vault handed to a module that was not read is
// marked (resource.Document.MarkUnfollowed). It is the one place that
// does so: the ARM template reader and the Bicep reader both hand it
// their resources, so that a Bicep file and the template bicep build
// makes from it give equal documents.
//
// One Mapper serves one Read: Add every resource, in deployment order,
// then Finish. It is not safe for concurrent use.
type Mapper struct {
	log        *slog.Logger
	report     func(*resource.InputError)
	docs       []*resource.Document
	known      map[string]string // resource.Key(id) → the ID as written
	pecs       []*pecLink
	secrets    map[string]bool
	unfollowed []Unfollowed
	full       bool
}

// pecLink is a vaults/privateEndpointConnections child resource, merged
// into its vault's body when the vault is in the same read.
type pecLink struct {
	doc     *resource.Document
	vaultID string
	conn    map[string]any
}

// NewMapper returns an empty Mapper; log receives diagnostics (nil
// discards them), report the input problems it finds (nil drops them).
func NewMapper(log *slog.Logger, report func(*resource.InputError)) *Mapper {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if report == nil {
		report = func(*resource.InputError) {}
	}
	return &Mapper{log: log, report: report, known: map[string]string{}}
}

// Add maps one resource. A resource whose ID was added before replaces
// the earlier document (Azure deploys the later declaration over the
// first: a nested deployment or module may update a resource). Problems
// go to the report function; once the read passes MaxDocuments documents
// that is reported once, Full is true and later resources are dropped.
func (m *Mapper) Add(res *Resource) {
	if res.Existing {
		m.existing(res)
		return
	}
	if d := m.document(res); d != nil {
		m.add(d, false)
	}
}

// existing records a resource the deployment refers to without deploying
// it. Children naming it link to its ID as written; a vault (or managed
// HSM) becomes a placeholder document with its declaration's provenance,
// unless the read deploys it too.
func (m *Mapper) existing(res *Resource) {
	k := resource.Key(res.ID)
	if !isVaultType(res.Type) {
		if _, ok := m.known[k]; !ok {
			m.known[k] = res.ID
		}
		return
	}
	if _, ok := m.known[k]; ok {
		return
	}
	src := res.Source
	what := "the vault"
	if strings.EqualFold(res.Type, resource.TypeManagedHSM) {
		what = "the managed HSM"
	}
	d := resource.Placeholder(res.ID, src, what+" is declared existing: the deployment refers to it but does not create it, so its properties are not in the input")
	d.Type = resource.CanonicalType(res.Type)
	m.add(d, true)
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

// document applies the rules of one resource type; nil means the
// resource makes no document (its problem is reported).
func (m *Mapper) document(res *Resource) *resource.Document {
	body := res.Body
	if body == nil {
		body = map[string]any{}
	}
	if !m.checkName(res) {
		return nil
	}
	propsBad := m.checkTypes(res, body)
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
		doc.ServiceDefaults = applyVaultDefaults(body, res.APIVersion)
	case strings.ToLower(resource.TypeManagedHSM):
		doc.ServiceDefaults = applyHSMDefaults(body)
	case strings.ToLower(resource.TypeARMSecret):
		doc = secretDocument(res, body)
	case strings.ToLower(resource.TypeARMKey):
		doc = keyDocument(res, body, resource.TypeKey)
	case strings.ToLower(resource.TypeARMHSMKey):
		doc = keyDocument(res, body, resource.TypeHSMKey)
	case strings.ToLower(resource.TypePrivateEndpoint):
		approveConnections(body, res.Maybe)
	case strings.ToLower(resource.TypeDiagnosticSetting):
		if res.Maybe != "" {
			if props := propsOf(body); props != nil {
				setFold(props, "logs", resource.Unknown{Expr: res.Maybe})
			}
		}
	case strings.ToLower(resource.TypeVaultPEConnection):
		if res.Maybe != "" {
			setConnectionStatus(body, resource.Unknown{Expr: res.Maybe})
		}
		doc.Parent = resource.Ref{ID: resource.ParentID(res.ID)}
		m.pecs = append(m.pecs, &pecLink{doc: doc, vaultID: doc.Parent.ID, conn: map[string]any{
			"id": res.ID, "name": body["name"], "type": res.Type, "properties": body["properties"],
		}})
	default:
		if strings.Count(res.Type, "/") > 1 && doc.Parent.IsZero() {
			doc.Parent = resource.Ref{ID: resource.ParentID(res.ID)}
		}
	}
	if propsBad != "" && isVaultType(res.Type) {
		doc.Gaps = append(doc.Gaps, resource.Gap{Part: resource.PartProperties, Err: propsBad})
	}
	doc.Source = res.Source
	doc.Suppressions = res.Suppressions
	return doc
}

// add keeps a document; a second one with the same ID replaces the first
// (an existing placeholder never replaces a deployed resource).
func (m *Mapper) add(d *resource.Document, placeholder bool) {
	if m.full {
		return
	}
	k := resource.Key(d.ID)
	if _, dup := m.known[k]; dup {
		for i, old := range m.docs {
			if resource.Key(old.ID) == k {
				if placeholder {
					return
				}
				m.log.Debug("resource declared again; the later declaration is used", "file", d.Source.File, "line", d.Source.StartLine,
					"address", d.Source.Address, "id", d.ID, "first", old.Source.File+":"+strconv.Itoa(old.Source.StartLine))
				m.docs[i] = d
				return
			}
		}
	}
	if len(m.docs) >= MaxDocuments {
		m.full = true
		m.report(resource.Errorf(resource.Position{File: d.Source.File, Line: d.Source.StartLine}, "more than %d resources; the rest are not read", MaxDocuments))
		return
	}
	m.known[k] = d.ID
	m.docs = append(m.docs, d)
}

// Finish merges private endpoint connections into their vaults, links
// children to their parents' IDs as written, marks the vaults handed to
// modules that were not read, scrubs secure values and emits the
// documents in the order they were added.
func (m *Mapper) Finish(emit func(*resource.Document)) {
	byID := make(map[string]*resource.Document, len(m.docs))
	for _, d := range m.docs {
		byID[resource.Key(d.ID)] = d
	}
	drop := map[*resource.Document]bool{}
	for _, p := range m.pecs {
		vault := byID[resource.Key(p.vaultID)]
		if vault == nil || !vault.IsType(resource.TypeVault) || vault.Body == nil {
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
	m.markUnfollowed()
	for _, d := range m.docs {
		if drop[d] {
			continue
		}
		if len(m.secrets) > 0 && d.Body != nil {
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

// propsOf returns the body's properties object, made when absent; nil
// when properties is not an object (unknown).
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
func setDefault(m map[string]any, key string, v any) bool {
	if cur, ok := resource.LookupFold(m, key); ok && cur != nil {
		return false
	}
	for k := range m {
		if strings.EqualFold(k, key) {
			delete(m, k)
		}
	}
	m[key] = v
	return true
}

// setFold sets key, replacing it in any case.
func setFold(m map[string]any, key string, v any) {
	for k := range m {
		if strings.EqualFold(k, key) {
			delete(m, k)
		}
	}
	m[key] = v
}

// applyHSMDefaults fills in what Azure stores for a managed HSM whose
// request leaves it out, and returns the paths it filled. The defaults are
// the ones Microsoft's REST specification declares for ManagedHsmProperties
// (azure-rest-api-specs, Microsoft.KeyVault/stable/2023-07-01/
// managedHsm.json: enableSoftDelete true, softDeleteRetentionInDays 90,
// enablePurgeProtection true, publicNetworkAccess "Enabled").
func applyHSMDefaults(body map[string]any) []string {
	props := propsOf(body)
	if props == nil {
		return nil
	}
	var filled []string
	for _, d := range []struct {
		key string
		v   any
	}{
		{"enableSoftDelete", true},
		{"softDeleteRetentionInDays", int64(90)},
		{"enablePurgeProtection", true},
		{"publicNetworkAccess", "Enabled"},
	} {
		if setDefault(props, d.key, d.v) {
			filled = append(filled, "properties."+d.key)
		}
	}
	if uri, ok := hsmURI(body["name"]); ok && setDefault(props, "hsmUri", uri) {
		filled = append(filled, "properties.hsmUri")
	}
	return filled
}

// hsmNameRE is a managed HSM's name as Azure accepts it (3–24 letters,
// digits and dashes; managedHsm.json's name pattern).
var hsmNameRE = regexp.MustCompile(`^[a-zA-Z0-9-]{3,24}$`)

// hsmURI is the properties.hsmUri Azure gives a managed HSM named name in
// the public cloud (https://NAME.managedhsm.azure.net/, as GET returns
// it), so that data-plane documents naming the HSM by host (saved key
// lists, live HSM keys) link to the planned HSM as they do to a live one.
// A template deploys into a cloud it does not name; kvguard evaluates
// templates in AzureCloud (environment()), so the public suffix is the
// one the rest of the evaluation assumes. false when the name is not a
// known valid string (an expression, an Unknown): then the URI is too.
func hsmURI(name any) (string, bool) {
	n, ok := name.(string)
	if !ok || !hsmNameRE.MatchString(n) {
		return "", false
	}
	return "https://" + n + ".managedhsm.azure.net/", true
}

// rbacDefaultAPIVersion is the first Key Vault API version that creates
// vaults with RBAC authorization when enableRbacAuthorization is omitted.
const rbacDefaultAPIVersion = "2026-02-01"

// applyVaultDefaults fills in what Azure stores for a vault whose request
// leaves it out, and returns the paths it filled (the request does not
// carry them). Explicit values (false, unknown) are kept.
func applyVaultDefaults(body map[string]any, api string) []string {
	props := propsOf(body)
	if props == nil { // properties is itself unknown
		return nil
	}
	var filled []string
	for _, d := range []struct {
		key string
		v   any
	}{
		{"enableSoftDelete", true},
		{"enableRbacAuthorization", rbacDefault(api)},
		{"publicNetworkAccess", "Enabled"},
		{"softDeleteRetentionInDays", int64(90)},
	} {
		if setDefault(props, d.key, d.v) {
			filled = append(filled, "properties."+d.key)
		}
	}
	return filled
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
