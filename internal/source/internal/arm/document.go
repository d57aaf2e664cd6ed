package arm

import (
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
	}
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
