package estate

import (
	"strconv"
	"strings"

	"github.com/kvguard/kvguard/internal/resource"
)

// deriveConnections gives every vault and managed HSM the
// privateEndpointConnections child resources its body lists, as Azure
// serves them (GET …/vaults/{name}/privateEndpointConnections/{name}):
// a deployIfNotExists rule's existence check looks for those children,
// not for the array in the vault body. The array is what every input has:
// a saved or live vault body carries the connections that exist, and
// linkPrivateEndpoints (which runs first) adds the ones a planned private
// endpoint will create. A child the estate already holds (saved output
// of az network private-endpoint-connection list, a template's
// privateEndpointConnections resource) is not derived again.
//
// Derived children are related resources only: Related finds them under
// their vault, but they are not in Docs, so they are neither judged nor
// counted, and a tenant's assignments do not judge them as requests a
// deployment would send (Azure creates them, the deployment does not).
func (ix *Index) deriveConnections() {
	for _, v := range ix.vaults {
		typ := resource.TypeVaultPEConnection
		if v.IsType(resource.TypeManagedHSM) {
			typ = resource.TypeHSMPEConnection
		}
		conns, _ := v.Get("properties", "privateEndpointConnections")
		list, _ := conns.([]any)
		if len(list) == 0 {
			continue
		}
		pk := resource.Key(v.ID)
		have := map[string]bool{}
		for _, d := range ix.byParent[pk] {
			if d.Deployment == v.Deployment && d.IsType(typ) {
				have[resource.Key(d.ID)] = true
			}
		}
		for i, c := range list {
			d := connectionDocument(v, typ, c, i)
			if d == nil || have[resource.Key(d.ID)] {
				continue
			}
			have[resource.Key(d.ID)] = true
			ix.byParent[pk] = append(ix.byParent[pk], d)
		}
	}
}

// connectionDocument is the child document of element i of a vault's
// properties.privateEndpointConnections: its own ID when it carries one
// under the vault (Azure's, or the one linkPrivateEndpoints gives),
// else one built from its name or position. An element that is not an
// object (unknown before deployment) gives none.
func connectionDocument(v *resource.Document, typ string, c any, i int) *resource.Document {
	cm, ok := c.(map[string]any)
	if !ok {
		return nil
	}
	name, _ := resource.LookupFold(cm, "name")
	ns, _ := name.(string)
	id := ""
	if s, ok := resource.LookupFold(cm, "id"); ok {
		if s, ok := s.(string); ok && resource.SameID(resource.ParentID(s), v.ID) {
			id = s
		}
	}
	if id == "" {
		if ns == "" {
			ns = "connection-" + strconv.Itoa(i)
		}
		id = v.ID + "/privateEndpointConnections/" + ns
	}
	if ns == "" {
		ns = id[strings.LastIndexByte(id, '/')+1:]
	}
	body := map[string]any{"id": id, "name": ns, "type": typ}
	if p, ok := resource.LookupFold(cm, "properties"); ok {
		body["properties"] = p
	}
	if e, ok := resource.LookupFold(cm, "etag"); ok {
		body["etag"] = e
	}
	return &resource.Document{ID: id, Type: typ, Name: ns, Body: body, Parent: resource.Ref{ID: v.ID},
		Source: v.Source, Deployment: v.Deployment}
}
