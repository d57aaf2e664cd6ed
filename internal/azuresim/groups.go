package azuresim

import (
	"net/http"
	"strings"
)

// The management-group hierarchy: groups name their parent (none: the
// tenant root group, named by the tenant ID), subscriptions sit directly
// below the groups that list them. Azure serves the hierarchy through
// the groups' descendants (arm.go) and the entities list (getEntities,
// below), which gives each subscription's chain of ancestors.

// rootDisplayName is the tenant root group's display name in Azure.
const rootDisplayName = "Tenant Root Group"

func (g *ManagementGroup) displayName() string {
	if g.DisplayName != "" {
		return g.DisplayName
	}
	return g.Name
}

// group returns the management group named name (case-insensitive), or
// nil.
func (e *Estate) group(name string) *ManagementGroup {
	for i := range e.ManagementGroups {
		if strings.EqualFold(e.ManagementGroups[i].Name, name) {
			return &e.ManagementGroups[i]
		}
	}
	return nil
}

// parentOf returns the name of g's parent: its Parent, or the tenant
// root group.
func (e *Estate) parentOf(g *ManagementGroup) string {
	if g.Parent != "" && e.group(g.Parent) != nil {
		return e.group(g.Parent).Name
	}
	return e.TenantID
}

// groupsBelow returns the group named name and every group below it;
// below the tenant root group (named by the tenant ID) is every group.
// A cycle of parents is cut where it closes.
func (e *Estate) groupsBelow(name string) []*ManagementGroup {
	var out []*ManagementGroup
	seen := map[string]bool{}
	var walk func(parent string)
	walk = func(parent string) {
		for i := range e.ManagementGroups {
			g := &e.ManagementGroups[i]
			if !seen[strings.ToLower(g.Name)] && strings.EqualFold(e.parentOf(g), parent) {
				seen[strings.ToLower(g.Name)] = true
				out = append(out, g)
				walk(g.Name)
			}
		}
	}
	if g := e.group(name); g != nil {
		seen[strings.ToLower(g.Name)] = true
		out = append(out, g)
		walk(g.Name)
	} else if strings.EqualFold(name, e.TenantID) {
		walk(e.TenantID)
	}
	return out
}

// SubscriptionsBelow returns the IDs of the subscriptions below the group
// named name at any depth, each once.
func (e *Estate) SubscriptionsBelow(name string) []string {
	var out []string
	seen := map[string]bool{}
	for _, g := range e.groupsBelow(name) {
		for _, id := range g.Subscriptions {
			if !seen[strings.ToLower(id)] {
				seen[strings.ToLower(id)] = true
				out = append(out, id)
			}
		}
	}
	return out
}

// Ancestry returns the management groups above a subscription, nearest
// first, ending with the tenant root group: through the first group that
// lists it, or only the root when none does. It is what Azure's
// managementGroupAncestorsChain holds.
func (e *Estate) Ancestry(subscription string) []ManagementGroup {
	var out []ManagementGroup
	var g *ManagementGroup
	for i := range e.ManagementGroups {
		for _, id := range e.ManagementGroups[i].Subscriptions {
			if g == nil && strings.EqualFold(id, subscription) {
				g = &e.ManagementGroups[i]
			}
		}
	}
	seen := map[string]bool{}
	for g != nil && !seen[strings.ToLower(g.Name)] {
		seen[strings.ToLower(g.Name)] = true
		out = append(out, ManagementGroup{Name: g.Name, DisplayName: g.displayName()})
		g = e.group(g.Parent)
	}
	return append(out, ManagementGroup{Name: e.TenantID, DisplayName: rootDisplayName})
}

// listEntities answers POST /providers/Microsoft.Management/getEntities:
// the tenant root group, every management group and every subscription,
// each with its parent and the chain of its ancestors' names and display
// names from the root down to its parent, paged by $skiptoken.
func (s *Simulator) listEntities(w http.ResponseWriter, r *http.Request) {
	const mgType, subType = "Microsoft.Management/managementGroups", "/subscriptions"
	mgID := func(name string) string { return "/providers/Microsoft.Management/managementGroups/" + name }
	entity := func(id, typ, name, display string, chain []ManagementGroup) map[string]any {
		props := map[string]any{"tenantId": s.estate.TenantID, "displayName": display}
		if len(chain) > 0 {
			names, displays := make([]any, 0, len(chain)), make([]any, 0, len(chain))
			for i := len(chain) - 1; i >= 0; i-- { // root first
				names = append(names, chain[i].Name)
				displays = append(displays, chain[i].DisplayName)
			}
			props["parent"] = map[string]any{"id": mgID(chain[0].Name)}
			props["parentNameChain"], props["parentDisplayNameChain"] = names, displays
		}
		return map[string]any{"id": id, "type": typ, "name": name, "properties": props}
	}
	root := ManagementGroup{Name: s.estate.TenantID, DisplayName: rootDisplayName}
	items := []any{entity(mgID(root.Name), mgType, root.Name, root.DisplayName, nil)}
	for i := range s.estate.ManagementGroups {
		g := &s.estate.ManagementGroups[i]
		var chain []ManagementGroup
		seen := map[string]bool{strings.ToLower(g.Name): true}
		for p := s.estate.group(g.Parent); p != nil && !seen[strings.ToLower(p.Name)]; p = s.estate.group(p.Parent) {
			seen[strings.ToLower(p.Name)] = true
			chain = append(chain, ManagementGroup{Name: p.Name, DisplayName: p.displayName()})
		}
		items = append(items, entity(mgID(g.Name), mgType, g.Name, g.displayName(), append(chain, root)))
	}
	for _, sub := range s.estate.Subscriptions {
		items = append(items, entity("/subscriptions/"+sub.ID, subType, sub.ID, sub.DisplayName, s.estate.Ancestry(sub.ID)))
	}
	start, end, next := s.page(r, len(items), 100, 1000, "$top")
	writeJSON(w, http.StatusOK, map[string]any{"value": items[start:end], "nextLink": next, "count": len(items)})
}
