package estate

import (
	"fmt"

	"github.com/kvguard/kvguard/internal/resource"
)

// linkPrivateEndpoints records every private endpoint that targets a vault
// in the estate as a connection of that vault, as Azure does once the
// endpoint is deployed. Connections the vault already lists (live data)
// are not duplicated.
func (ix *Index) linkPrivateEndpoints() []*resource.InputError {
	var warnings []*resource.InputError
	for _, pe := range ix.docs {
		if !pe.IsType(resource.TypePrivateEndpoint) {
			continue
		}
		for _, kind := range []struct {
			key, status string
		}{{"privateLinkServiceConnections", "Approved"}, {"manualPrivateLinkServiceConnections", "Pending"}} {
			v, _ := pe.Get("properties", kind.key)
			conns, _ := v.([]any)
			for _, c := range conns {
				if w := ix.linkConnection(pe, c, kind.status); w != nil {
					warnings = append(warnings, w)
				}
			}
		}
	}
	return warnings
}

// linkConnection links one of an endpoint's connections; a connection to
// a target unknown before deployment, or to one of several equal
// candidates, gives a warning.
func (ix *Index) linkConnection(pe *resource.Document, c any, defaultStatus string) *resource.InputError {
	cm, _ := c.(map[string]any)
	props, _ := lookupMap(cm, "properties")
	target, _ := resource.LookupFold(props, "privateLinkServiceId")
	switch t := target.(type) {
	case resource.Unknown:
		return &resource.InputError{Pos: PositionOf(pe), ResourceID: pe.ID, Warning: true,
			Msg: fmt.Sprintf("private endpoint %s targets a resource that is unknown before deployment (%s); it was not linked to a vault", NameOf(pe), t.Expr)}
	case string:
		vault, others := choose(ix.byID[resource.Key(t)], pe.Deployment, Concrete(t))
		if vault == nil || !IsVault(vault) {
			return nil
		}
		m := Match{Doc: vault, Others: others}
		status := any(defaultStatus)
		if st, ok := lookupMap(props, "privateLinkServiceConnectionState"); ok {
			if s, ok := resource.LookupFold(st, "status"); ok && s != nil {
				status = s
			}
		}
		addConnection(vault, pe, status)
		return m.Warning("private endpoint " + describeDoc(pe))
	}
	return nil
}

func lookupMap(m map[string]any, key string) (map[string]any, bool) {
	if m == nil {
		return nil, false
	}
	v, ok := resource.LookupFold(m, key)
	if !ok {
		return nil, false
	}
	out, ok := v.(map[string]any)
	return out, ok
}

func addConnection(vault, pe *resource.Document, status any) {
	if vault.Body == nil {
		return
	}
	props, ok := lookupMap(vault.Body, "properties")
	if !ok {
		props = map[string]any{}
		vault.Body["properties"] = props
	}
	existing, _ := resource.LookupFold(props, "privateEndpointConnections")
	list, _ := existing.([]any)
	for _, c := range list {
		cm, _ := c.(map[string]any)
		cp, _ := lookupMap(cm, "properties")
		ep, _ := lookupMap(cp, "privateEndpoint")
		if id, _ := resource.LookupFold(ep, "id"); id != nil {
			if s, ok := id.(string); ok && resource.SameID(s, pe.ID) {
				return
			}
		}
	}
	list = append(list, map[string]any{
		"id": vault.ID + "/privateEndpointConnections/" + pe.Name,
		"properties": map[string]any{
			"privateEndpoint":                   map[string]any{"id": pe.ID},
			"privateLinkServiceConnectionState": map[string]any{"status": status},
		},
	})
	props["privateEndpointConnections"] = list
}
