package arm

import (
	"strconv"
	"strings"

	"github.com/kvguard/kvguard/internal/jsonpos"
	"github.com/kvguard/kvguard/internal/resource"
)

// templateOnly are resource members that are instructions to the
// deployment engine, not part of the resource Azure stores.
var templateOnly = map[string]bool{
	"type": true, "apiversion": true, "name": true, "condition": true, "copy": true, "dependson": true,
	"comments": true, "metadata": true, "resources": true, "scope": true, "existing": true,
	"subscriptionid": true, "resourcegroup": true, "import": true, "extension": true, "asserts": true,
	"$schema": true, "id": true,
}

// buildResource evaluates a resource instance into what the deployment
// sends for it, for the Mapper.
func (f *frame) buildResource(inst *instance) *Resource {
	c := f.ctx(inst.loops, false)
	c.file = inst.file
	body := map[string]any{}
	for _, m := range inst.node.Members {
		if templateOnly[strings.ToLower(m.Key)] {
			continue
		}
		body[m.Key] = c.eval(m.Value)
	}
	if strings.EqualFold(inst.docType, resource.TypePrivateEndpoint) {
		f.fixEndpointLinks(inst, body)
	}
	return &Resource{
		Type: inst.docType, APIVersion: inst.api, Name: inst.name, NameValue: inst.bodyName,
		ID: inst.id, ExtScope: inst.extScope, Body: body,
		Source: resource.Provenance{
			Kind: f.ev.kind, File: inst.file, StartLine: inst.node.Start.Line, EndLine: inst.node.EndLine(),
			Address: inst.addr, APIVersion: inst.api,
		},
		Suppressions: f.suppressions(inst),
		Maybe:        inst.maybe(),
		BadName:      inst.badName,
		DependsOn:    f.dependsOn(inst),
		At:           inst.at,
	}
}

// at is the position of a property of the resource's declaration, by its
// path from the resource object (array elements by index).
func (inst *instance) at(path ...string) (resource.Position, bool) {
	n := inst.node
	for _, p := range path {
		switch {
		case n == nil:
			return resource.Position{}, false
		case n.Kind == jsonpos.Object:
			n = n.GetFold(p)
		case n.Kind == jsonpos.Array:
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(n.Items) {
				return resource.Position{}, false
			}
			n = n.Items[i]
		default:
			return resource.Position{}, false
		}
	}
	if n == nil {
		return resource.Position{}, false
	}
	return pos(inst.file, n.Start), true
}

// dependsOn resolves the resources an instance depends on to their IDs:
// its parent, and its dependsOn entries (resource IDs, symbolic names, or
// names and type/name of resources of the same template).
func (f *frame) dependsOn(inst *instance) []string {
	var out []string
	if inst.parent != nil {
		out = append(out, inst.parent.id)
	}
	dn := inst.node.GetFold("dependsOn")
	if dn == nil {
		return out
	}
	deps, _ := f.ctx(inst.loops, true).evalQuiet(dn).([]any)
	for _, d := range deps {
		s, ok := d.(string)
		if !ok || s == "" {
			continue
		}
		if strings.HasPrefix(s, "/") {
			out = append(out, s)
			continue
		}
		out = append(out, f.dependency(s)...)
	}
	return out
}

// dependency finds the IDs of the resources a dependsOn entry that is
// not an ID names: a symbolic name, a name, or type/name.
func (f *frame) dependency(s string) []string {
	if syms := f.syms[strings.ToLower(s)]; len(syms) > 0 {
		ids := make([]string, len(syms))
		for i, x := range syms {
			ids[i] = x.id
		}
		return ids
	}
	var ids []string
	for _, x := range f.instances {
		if strings.EqualFold(x.name, s) || strings.EqualFold(x.typ+"/"+x.name, s) {
			ids = append(ids, x.id)
		}
	}
	return ids
}

// fixEndpointLinks re-evaluates an endpoint's privateLinkServiceId that is
// unknown (it names a vault whose name is a parameter without a value)
// with the placeholders resource IDs use, so that it still names the
// vault document.
func (f *frame) fixEndpointLinks(inst *instance, body map[string]any) {
	pn := inst.node.GetFold("properties")
	if pn == nil {
		return
	}
	SetLinkServiceID(body, func(key string, i, n int) string {
		cn := pn.GetFold(key)
		if cn == nil || cn.Kind != jsonpos.Array || len(cn.Items) != n {
			return ""
		}
		idNode := cn.Items[i].GetFold("properties").GetFold("privateLinkServiceId")
		if idNode == nil {
			return ""
		}
		s, _ := f.nameOf(idNode, inst.loops)
		return s
	})
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
