package saved

import (
	"strings"
	"time"

	"github.com/kvguard/kvguard/internal/jsonpos"
	"github.com/kvguard/kvguard/internal/resource"
)

// role is what kvguard does with a resource type.
type role uint8

const (
	roleSkip      role = iota
	roleVault          // vaults and managed HSMs: judged, may have a properties gap
	roleRelated        // private endpoints, connections, diagnostic settings
	roleComponent      // ARM-plane secrets and keys
)

// roles lists the types kvguard reads from saved JSON, by canonical type
// (types are canonicalised before the lookup).
var roles = map[string]role{
	resource.TypeVault:               roleVault,
	resource.TypeManagedHSM:          roleVault,
	resource.TypePrivateEndpoint:     roleRelated,
	resource.TypeDiagnosticSetting:   roleRelated,
	resource.TypeVaultPEConnection:   roleRelated,
	resource.TypeHSMPEConnection:     roleRelated,
	resource.TypePrivateDNSZoneGroup: roleRelated,
	resource.TypeARMSecret:           roleComponent,
	resource.TypeARMKey:              roleComponent,
	resource.TypeARMHSMKey:           roleComponent,
}

// resource classifies an object that has an identity and emits its
// document.
func (fr *fileReader) resource(o *rawObject, sc scope, idv any, idPos jsonpos.Pos, via idMember) {
	id, ok := idv.(string)
	if !ok {
		fr.problem(fr.pos(idPos), "", "id: expected a string, found %s", resource.Describe(idv))
		return
	}
	switch {
	case strings.HasPrefix(id, "/"):
		fr.arm(o, sc, id, idPos)
	case strings.Contains(id, "://"):
		fr.dataPlane(o, sc, id, idPos, via)
	default:
		fr.problem(fr.pos(idPos), "", "id %q is neither an Azure resource ID nor a Key Vault object URL", id)
	}
}

// psOnly are the members Azure PowerShell's Get-AzResource (and PSRule's
// export) adds beside the ARM ones; the ARM body does not have them.
var psOnly = []string{"ResourceId", "ResourceName", "ResourceGroupName", "ResourceType",
	"SubscriptionId", "ExtensionResourceName", "ExtensionResourceType", "ParentResource"}

// armTopLevel are the ARM envelope members, spelled as ARM spells them.
var armTopLevel = []string{"id", "name", "type", "location", "tags", "sku", "kind",
	"identity", "managedBy", "plan", "zones", "properties", "etag", "systemData", "extendedLocation"}

// arm maps an ARM resource body (ARM REST, az, Resource Graph, Azure
// PowerShell) to its document.
func (fr *fileReader) arm(o *rawObject, sc scope, id string, idPos jsonpos.Pos) {
	body := o.body
	pid, ok := o.aid, o.component && o.aid.id == id
	if !ok {
		pid, ok = splitID(id)
	}
	if !ok {
		fr.problem(fr.pos(idPos), "", "id %q is not an Azure resource ID", id)
		return
	}
	typ, ok := fr.resourceType(o, pid, id)
	if !ok {
		return
	}
	r := roles[typ]
	if pid.depth == 0 && r != roleSkip {
		// A subscription or resource group ID with a Key Vault type.
		fr.problem(fr.pos(idPos), "", "id %q is not the ID of a %s resource", id, typ)
		return
	}
	if r == roleSkip {
		fr.skip(typ)
		return
	}
	if r == roleComponent {
		// Components are rebuilt from their fields (NewComponent), which
		// are looked up case-insensitively: no need to rewrite the body.
		fr.armComponent(o, sc, typ, id, pid)
		return
	}
	normalisePowerShell(body)
	unflatten(typ, body)
	body["id"] = id
	body["type"] = typ
	name, _ := body["name"].(string)
	if name == "" {
		name = pid.name
	}
	doc := &resource.Document{ID: id, Type: typ, Name: name, Body: body}
	switch typ {
	case resource.TypeDiagnosticSetting:
		doc.Parent = resource.Ref{ID: pid.scope}
	case resource.TypeVaultPEConnection, resource.TypeHSMPEConnection, resource.TypePrivateDNSZoneGroup:
		doc.Parent = resource.Ref{ID: pid.parent}
	}
	var errs []*resource.InputError
	if r == roleVault {
		errs = fr.checkVault(o, doc, sc)
	}
	fr.finish(o, sc, doc, errs)
}

// resourceType works out a resource's type: Azure PowerShell's
// ExtensionResourceType, else "type" (ResourceType), else the type the ID
// names. The ID wins over a "type" that contradicts it, because the ID is
// what ARM routes by.
func (fr *fileReader) resourceType(o *rawObject, pid armID, id string) (string, bool) {
	given, _ := o.body["type"].(string) // ARM bodies: found without a scan
	for _, k := range [...]string{"ExtensionResourceType", "type", "ResourceType"} {
		if given != "" {
			break
		}
		v, key, ok := lookup(o.body, k)
		if !ok || v == nil {
			continue
		}
		s, isStr := v.(string)
		if !isStr {
			p, _ := o.pos(inRoot, key)
			fr.problem(fr.pos(p), id, "%s: expected a string, found %s", key, resource.Describe(v))
			return "", false
		}
		given = s
		break
	}
	switch {
	case given == "":
		return canonicalType(pid.fullType()), true
	case pid.depth > 0 && !pid.typeIs(given):
		fromID := canonicalType(pid.fullType())
		if roles[fromID] != roleSkip || roles[canonicalType(given)] != roleSkip {
			// Worth a word only when kvguard reads one of the two: az
			// keyvault list-deleted spells deletedVaults without the
			// locations segment of their IDs.
			p, _ := o.pos(inRoot, "type")
			fr.warn(fr.pos(p), id, "type %q does not match the type in the id (%s); using the id's", given, fromID)
		}
		return fromID, true
	}
	return canonicalType(given), true
}

// normalisePowerShell rewrites an Azure PowerShell object (Id, Name,
// Properties, ResourceType, ...) into the ARM body it wraps, so that every
// document has the same shape whatever tool saved it: it drops the members
// PowerShell adds and spells the ARM envelope members as ARM does.
func normalisePowerShell(body map[string]any) {
	for _, k := range psOnly {
		delete(body, k)
	}
	for _, want := range armTopLevel {
		if _, ok := body[want]; ok {
			continue
		}
		for k, v := range body {
			if strings.EqualFold(k, want) {
				delete(body, k)
				body[want] = v
				break
			}
		}
	}
}

// finish attaches what every document gets (provenance, suppressions, the
// errors found in it) and emits it unless its ID was already seen.
func (fr *fileReader) finish(o *rawObject, sc scope, doc *resource.Document, errs []*resource.InputError) {
	doc.Source = resource.Provenance{
		Kind: sc.kind, File: fr.file, StartLine: o.start.Line, EndLine: o.end.Line,
		APIVersion: o.apiVersion,
	}
	if o.readAt != "" {
		// A snapshot's resources share a handful of read times: parse each
		// once.
		if o.readAt != fr.lastReadAt {
			fr.lastReadAt, fr.lastReadAtErr = o.readAt, false
			t, err := time.Parse(time.RFC3339Nano, o.readAt)
			fr.lastReadAtTime, fr.lastReadAtErr = t, err != nil
		}
		if fr.lastReadAtErr {
			errs = append(errs, resource.Warnf(fr.pos(o.readAtPos), "kvguard.readAt: %q is not an RFC 3339 time", o.readAt))
		} else {
			doc.Source.ReadAt = fr.lastReadAtTime
		}
	}
	errs = append(errs, fr.suppressions(o, doc)...)
	for _, e := range sortErrors(errs) {
		e.ResourceID = doc.ID
		fr.errs = append(fr.errs, e)
	}
	if fr.rec != nil {
		// A worker of a parallel read: the reading goroutine commits the
		// document in file order (see parallel.go).
		fr.rec.docs = append(fr.rec.docs, pendingDoc{doc: doc, start: o.start, sc: sc, errs: len(fr.errs), hash: foldHash(doc.ID)})
		return
	}
	fr.commit(doc, o.start, sc, foldHash(doc.ID))
}

// commit emits a finished document unless an equal ID was seen before in
// this input; hash is foldHash(doc.ID).
func (fr *fileReader) commit(doc *resource.Document, start jsonpos.Pos, sc scope, hash [2]uint64) {
	if first, dup := fr.seen.addHash(hash, start.Line); dup {
		fr.problem(fr.pos(start), "", "duplicate resource ID %s (first at %s:%d); this one is ignored", doc.ID, fr.file, first)
		return
	}
	fr.output(doc, sc)
}

// output emits a document, or holds it back while a snapshot's gaps are
// not yet known (see snapshot).
func (fr *fileReader) output(doc *resource.Document, sc scope) {
	if sc.snap && fr.snap != nil && fr.snap.hold(fr, doc) {
		return
	}
	if fr.snap != nil && sc.snap {
		fr.snap.attach(doc)
	}
	fr.docs++
	fr.emit(doc)
}

// provenanceMember reads kvguard's {"apiVersion", "readAt"} member, member
// by member: it is on every resource of a snapshot, and building a map for
// it each time would be waste.
func (fr *fileReader) provenanceMember(o *rawObject) error {
	d := fr.d
	k, err := d.Peek()
	if err != nil {
		return err
	}
	if k != jsonpos.Object {
		start, _, err := d.Skip()
		if err == nil {
			fr.warn(fr.pos(start), "", "kvguard: expected an object, found %s; ignored", article(k))
		}
		return err
	}
	if _, err := d.BeginObject(); err != nil {
		return err
	}
	for {
		key, _, ok, err := d.Key()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		v, vs, _, err := d.Value()
		if err != nil {
			return err
		}
		s, _ := v.(string)
		switch key {
		case "apiVersion":
			o.apiVersion = s
		case "readAt":
			o.readAt, o.readAtPos = s, vs
		}
	}
	_, err = d.End()
	return err
}

// suppressions reads kvguard:ignore annotations from the resource's tags
// or metadata: {"kvguard:ignore": "keyvault-rbac reason exp:2027-01-31"},
// or an array of such strings.
func (fr *fileReader) suppressions(o *rawObject, doc *resource.Document) []*resource.InputError {
	var errs []*resource.InputError
	for _, member := range [...]string{"tags", "metadata"} {
		// Exact keys: component bodies are built by NewComponent, and ARM
		// bodies have had their envelope spelled as ARM spells it.
		key := member
		mm, isMap := doc.Body[member].(map[string]any)
		if !isMap || len(mm) == 0 {
			continue
		}
		in := inTags
		if member == "metadata" {
			in = inMetadata
		}
		for k, v := range mm {
			if !strings.EqualFold(k, resource.SuppressionMarker) {
				continue
			}
			p, found := o.pos(in, k)
			if !found {
				p, _ = o.pos(inRoot, key)
			}
			var texts []string
			switch x := v.(type) {
			case string:
				texts = []string{x}
			case []any:
				for _, e := range x {
					s, ok := e.(string)
					if !ok {
						errs = append(errs, resource.Errorf(fr.pos(p), "%s.%s: expected strings, found %s", key, k, resource.Describe(e)))
						continue
					}
					texts = append(texts, s)
				}
			default:
				errs = append(errs, resource.Errorf(fr.pos(p), "%s.%s: expected a string or an array of strings, found %s", key, k, resource.Describe(v)))
			}
			for _, t := range texts {
				if !strings.Contains(t, resource.SuppressionMarker) {
					t = resource.SuppressionMarker + " " + t
				}
				s, _, err := resource.ParseSuppression(t, fr.pos(p))
				if err != nil {
					errs = append(errs, resource.Errorf(fr.pos(p), "%s.%s: %v", key, k, err))
					continue
				}
				doc.Suppressions = append(doc.Suppressions, s)
			}
		}
	}
	return errs
}
