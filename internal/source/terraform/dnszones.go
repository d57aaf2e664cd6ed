package terraform

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/kvguard/kvguard/internal/resource"
)

// zoneGroup is a private_dns_zone_group block of azurerm_private_endpoint:
// the provider creates it as the endpoint's child resource
// Microsoft.Network/privateEndpoints/privateDnsZoneGroups/{name}, which
// keyvault-private-dns-zone looks for.
type zoneGroup struct {
	name    any
	zoneIDs any
}

// zoneGroupsOf reads an endpoint's private_dns_zone_group blocks; unknown
// names the expression when their number is unknown before deployment
// (a dynamic block over an unknown collection).
func zoneGroupsOf(in *input) (groups []zoneGroup, unknown string) {
	list, unk := blocks(in.attrs, "private_dns_zone_group")
	if u, ok := unk.(resource.Unknown); ok {
		return nil, u.Expr
	}
	for _, b := range list {
		groups = append(groups, zoneGroup{name: b["name"], zoneIDs: b["private_dns_zone_ids"]})
	}
	return groups, ""
}

// withZoneGroups records an endpoint's zone groups on its built document;
// an unknown number of them is a gap of the endpoint for that type, so
// that the rule looking for one is Unknown, naming the expression.
func withZoneGroups(in *input, b *built) *built {
	groups, unknown := zoneGroupsOf(in)
	b.zoneGroups = groups
	if unknown != "" {
		b.doc.Gaps = append(b.doc.Gaps, resource.Gap{Part: resource.TypePrivateDNSZoneGroup,
			Err: fmt.Sprintf("whether private_dns_zone_group blocks are declared is unknown before deployment (%s)", unknown)})
	}
	return b
}

// emitBuilt emits a built document and the child documents it implies,
// built now so that they carry the parent's final ID (linkLiterals and the
// plan reader may rewrite it after mapping).
func emitBuilt(b *built, emit func(*resource.Document)) {
	emit(b.doc)
	for i, g := range b.zoneGroups {
		emit(zoneGroupDocument(b.doc, g, i))
	}
}

// zoneGroupDocument is the ARM body of one zone group, with one
// privateDnsZoneConfigs entry per zone ID, named as the provider names
// them (the zone's name with dots as dashes; no rule reads the name).
func zoneGroupDocument(pe *resource.Document, g zoneGroup, i int) *resource.Document {
	name, ok := g.name.(string)
	if !ok || name == "" {
		name = "private_dns_zone_group." + strconv.Itoa(i)
	}
	id := pe.ID + "/privateDnsZoneGroups/" + name
	var configs any = []any{}
	switch ids := g.zoneIDs.(type) {
	case resource.Unknown:
		configs = resource.Unknown{Expr: ids.Expr}
	case []any:
		list := make([]any, 0, len(ids))
		for _, z := range ids {
			c := map[string]any{"properties": map[string]any{"privateDnsZoneId": z}}
			if s, ok := z.(string); ok {
				c["name"] = strings.ReplaceAll(s[strings.LastIndexByte(s, '/')+1:], ".", "-")
			}
			list = append(list, c)
		}
		configs = list
	}
	body := map[string]any{"id": id, "name": g.name, "type": resource.TypePrivateDNSZoneGroup,
		"properties": map[string]any{"privateDnsZoneConfigs": configs}}
	if g.name == nil {
		delete(body, "name")
	}
	return &resource.Document{ID: id, Type: resource.TypePrivateDNSZoneGroup, Name: name, Body: body,
		Parent: resource.Ref{ID: pe.ID}, Source: pe.Source}
}

// mergeZoneGroups keeps the zone groups of the first choice of expr when
// every choice declares as many; otherwise whether the endpoint has one
// depends on expr, a gap of the endpoint.
func mergeZoneGroups(first *built, outs []*built, expr string) {
	for _, b := range outs {
		if len(b.zoneGroups) != len(first.zoneGroups) {
			first.zoneGroups = nil
			if _, ok := first.doc.GapFor(resource.TypePrivateDNSZoneGroup); !ok {
				first.doc.Gaps = append(first.doc.Gaps, resource.Gap{Part: resource.TypePrivateDNSZoneGroup,
					Err: fmt.Sprintf("whether private_dns_zone_group blocks are declared depends on %s, unknown before deployment", expr)})
			}
			return
		}
	}
}
