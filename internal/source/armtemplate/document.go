package armtemplate

import (
	"math"
	"strconv"
	"strings"

	"github.com/kvguard/kvguard/internal/armexpr"
	"github.com/kvguard/kvguard/internal/jsonpos"
	"github.com/kvguard/kvguard/internal/resource"
)

// rbacDefaultAPIVersion is the first Key Vault API version that creates
// vaults with RBAC authorization when enableRbacAuthorization is omitted.
const rbacDefaultAPIVersion = "2026-02-01"

// templateOnly are resource members that are instructions to the
// deployment engine, not part of the resource Azure stores.
var templateOnly = map[string]bool{
	"type": true, "apiversion": true, "name": true, "condition": true, "copy": true, "dependson": true,
	"comments": true, "metadata": true, "resources": true, "scope": true, "existing": true,
	"subscriptionid": true, "resourcegroup": true, "import": true, "extension": true, "asserts": true,
	"$schema": true, "id": true,
}

// pecLink is a vaults/privateEndpointConnections child resource, merged
// into its vault's body when the vault is in the same template.
type pecLink struct {
	doc     *resource.Document
	vaultID string
	conn    map[string]any
}

// buildDocument evaluates a resource instance into the document Azure
// would store for it.
func (f *frame) buildDocument(inst *instance) *resource.Document {
	c := f.ctx(inst.loops, false)
	c.file = inst.file
	body := map[string]any{}
	for _, m := range inst.node.Members {
		if templateOnly[strings.ToLower(m.Key)] {
			continue
		}
		body[m.Key] = c.eval(m.Value)
	}
	body["id"] = inst.id
	body["name"] = lastName(inst.bodyName, inst.name)
	body["type"] = inst.docType
	doc := &resource.Document{
		ID:   inst.id,
		Type: inst.docType,
		Name: lastSegment(inst.name),
		Body: body,
		Source: resource.Provenance{
			Kind: "arm", File: inst.file, StartLine: inst.node.Start.Line, EndLine: inst.node.EndLine(),
			Address: inst.addr, APIVersion: inst.api,
		},
	}
	if inst.extScope != "" {
		doc.Parent = resource.Ref{ID: inst.extScope}
	}
	switch strings.ToLower(inst.docType) {
	case strings.ToLower(resource.TypeVault):
		applyVaultDefaults(body, inst.api)
	case strings.ToLower(resource.TypeManagedHSM):
		props := propsOf(body)
		if props != nil {
			setDefault(props, "enableSoftDelete", true)
		}
	case strings.ToLower(resource.TypeARMSecret):
		doc = secretDocument(inst, body)
	case strings.ToLower(resource.TypeARMKey):
		doc = keyDocument(inst, body, resource.TypeKey)
	case "microsoft.keyvault/managedhsms/keys":
		doc = keyDocument(inst, body, resource.TypeHSMKey)
	case strings.ToLower(resource.TypePrivateEndpoint):
		f.fixEndpointLinks(inst, body)
		approveConnections(body)
	case strings.ToLower(resource.TypeVaultPEConnection):
		doc.Parent = resource.Ref{ID: resource.ParentID(inst.id)}
		f.ev.pecs = append(f.ev.pecs, &pecLink{doc: doc, vaultID: doc.Parent.ID, conn: map[string]any{
			"id": inst.id, "name": body["name"], "type": inst.docType, "properties": body["properties"],
		}})
	default:
		if strings.Count(inst.docType, "/") > 1 && doc.Parent.IsZero() {
			doc.Parent = resource.Ref{ID: resource.ParentID(inst.id)}
		}
	}
	doc.Source = resource.Provenance{
		Kind: "arm", File: inst.file, StartLine: inst.node.Start.Line, EndLine: inst.node.EndLine(),
		Address: inst.addr, APIVersion: inst.api,
	}
	doc.Suppressions = f.suppressions(inst)
	return doc
}

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

func secretDocument(inst *instance, body map[string]any) *resource.Document {
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
	vault := resource.ParentID(inst.id)
	return resource.NewComponent(resource.TypeSecret, resource.Ref{ID: vault}, inst.id, lastSegment(inst.name), attrs, fields)
}

func keyDocument(inst *instance, body map[string]any, typ string) *resource.Document {
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
	return resource.NewComponent(typ, resource.Ref{ID: resource.ParentID(inst.id)}, inst.id, lastSegment(inst.name), attrs, fields)
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

// fixEndpointLinks re-evaluates an endpoint's privateLinkServiceId that is
// unknown (it names a vault whose name is a parameter without a value)
// with the placeholders resource IDs use, so that it still names the
// vault document.
func (f *frame) fixEndpointLinks(inst *instance, body map[string]any) {
	pn := inst.node.GetFold("properties")
	props, _ := resource.LookupFold(body, "properties")
	pm, ok := props.(map[string]any)
	if pn == nil || !ok {
		return
	}
	for _, key := range []string{"privateLinkServiceConnections", "manualPrivateLinkServiceConnections"} {
		cn := pn.GetFold(key)
		conns, _ := resource.LookupFold(pm, key)
		arr, _ := conns.([]any)
		if cn == nil || cn.Kind != jsonpos.Array || len(cn.Items) != len(arr) {
			continue
		}
		for i, item := range cn.Items {
			idNode := item.GetFold("properties").GetFold("privateLinkServiceId")
			cm, _ := arr[i].(map[string]any)
			cp, _ := resource.LookupFold(cm, "properties")
			cpm, ok := cp.(map[string]any)
			if idNode == nil || !ok {
				continue
			}
			if cur, _ := resource.LookupFold(cpm, "privateLinkServiceId"); resource.IsUnknown(cur) {
				if s, _ := f.nameOf(idNode, inst.loops); strings.HasPrefix(s, "/") {
					setDefault(cpm, "privateLinkServiceId", nil)
					cpm["privateLinkServiceId"] = s
				}
			}
		}
	}
}

// suppressions reads "metadata": {"kvguard:ignore": "<id> [reason]
// [exp:YYYY-MM-DD]"} (a string or an array of strings).
func (f *frame) suppressions(inst *instance) []resource.Suppression {
	md := inst.node.GetFold("metadata")
	if md == nil || md.Kind != jsonpos.Object {
		return nil
	}
	v := md.GetFold(resource.SuppressionMarker)
	if v == nil {
		return nil
	}
	var items []*jsonpos.Node
	switch v.Kind {
	case jsonpos.String:
		items = []*jsonpos.Node{v}
	case jsonpos.Array:
		items = v.Items
	default:
		f.ev.addErr(resource.Errorf(pos(inst.file, v.Start), "%s must be a string or an array of strings", resource.SuppressionMarker))
		return nil
	}
	var out []resource.Suppression
	for _, it := range items {
		if it.Kind != jsonpos.String {
			f.ev.addErr(resource.Errorf(pos(inst.file, it.Start), "%s must be a string or an array of strings", resource.SuppressionMarker))
			continue
		}
		text := it.Str
		if !strings.Contains(text, resource.SuppressionMarker) {
			text = resource.SuppressionMarker + " " + text
		}
		s, _, err := resource.ParseSuppression(text, pos(inst.file, it.Start))
		if err != nil {
			f.ev.addErr(&resource.InputError{Pos: pos(inst.file, it.Start), Msg: err.Error(), Err: err})
			continue
		}
		out = append(out, s)
	}
	return out
}

// addDoc keeps a document for emission; a second document with the same
// ID replaces the first (Azure deploys one resource).
func (ev *evaluator) addDoc(d *resource.Document) {
	if d == nil || ev.stop {
		return
	}
	k := resource.Key(d.ID)
	if _, dup := ev.known[k]; dup {
		for i, old := range ev.docs {
			if resource.Key(old.ID) == k {
				// Templates may declare a resource again (a nested
				// deployment that updates it); Azure applies both in
				// order, so the later body is the one that stays.
				ev.r.log.Debug("resource declared again; the later declaration is used", "file", d.Source.File, "line", d.Source.StartLine, "address", d.Source.Address, "id", d.ID, "first", old.Source.StartLine)
				ev.docs[i] = d
				return
			}
		}
	}
	if len(ev.docs) >= MaxDocuments {
		ev.addErr(resource.Errorf(resource.Position{File: d.Source.File, Line: d.Source.StartLine}, "the template produces more than %d resources; the rest are not read", MaxDocuments))
		ev.stop = true
		return
	}
	ev.known[k] = d.ID
	ev.docs = append(ev.docs, d)
}

// finish links children to their parents' IDs as written, merges private
// endpoint connections into their vaults, and emits the documents.
func (ev *evaluator) finish(emit func(*resource.Document)) {
	byID := make(map[string]*resource.Document, len(ev.docs))
	for _, d := range ev.docs {
		byID[resource.Key(d.ID)] = d
	}
	drop := map[*resource.Document]bool{}
	for _, p := range ev.pecs {
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
	for _, d := range ev.docs {
		if drop[d] {
			continue
		}
		if len(ev.secrets) > 0 {
			d.Body = ev.scrub(d.Body).(map[string]any)
		}
		if d.Parent.ID != "" {
			if id, ok := ev.known[resource.Key(d.Parent.ID)]; ok {
				d.Parent.ID = id
			}
		}
		emit(d)
	}
}
