package azuresim

import (
	"net/http"
	"strings"
)

// authorizationProvider is the segment policy objects sit under.
const authorizationProvider = "/providers/microsoft.authorization/"

// servePolicy answers the Azure Policy reads kvguard makes with Reader
// rights (--assignments-from-azure): list policy assignments at a
// scope with $filter=atScope() (those at the scope and above it), GET a
// policy definition or set definition by ID, and list policy exemptions
// at a scope (at, above and below it; atScope() keeps at and above). It
// reports whether the path was a policy path.
func (s *Simulator) servePolicy(w http.ResponseWriter, r *http.Request, segs []string) bool {
	path := "/" + strings.Join(segs, "/")
	low := strings.ToLower(path)
	i := strings.LastIndex(low, authorizationProvider)
	if i < 0 {
		return false
	}
	scope, rest := path[:i], strings.Split(low[i+len(authorizationProvider):], "/")
	switch {
	case len(rest) == 1 && rest[0] == "policyassignments":
		s.listPolicy(w, r, scope, "microsoft.authorization/policyassignments", r.URL.Query().Get("$filter") != "")
	case len(rest) == 1 && rest[0] == "policyexemptions":
		s.listPolicy(w, r, scope, "microsoft.authorization/policyexemptions", r.URL.Query().Get("$filter") == "atScope()")
	case len(rest) == 2 && (rest[0] == "policydefinitions" || rest[0] == "policysetdefinitions" || rest[0] == "policyassignments" || rest[0] == "policyexemptions"):
		for _, o := range s.estate.Policy {
			if id, _ := o["id"].(string); strings.EqualFold(id, path) {
				writeJSON(w, http.StatusOK, o)
				return true
			}
		}
		code := map[string]string{"policydefinitions": "PolicyDefinitionNotFound", "policysetdefinitions": "PolicySetDefinitionNotFound",
			"policyassignments": "PolicyAssignmentNotFound", "policyexemptions": "PolicyExemptionNotFound"}[rest[0]]
		armError(w, http.StatusNotFound, code, "The policy object '"+segs[len(segs)-1]+"' could not be found.")
	default:
		armError(w, http.StatusNotFound, "NotFound", "The simulator does not serve "+r.URL.Path)
	}
	return true
}

// listPolicy lists the objects of a type whose scope is at or above
// scope, and (unless atOrAbove) below it.
func (s *Simulator) listPolicy(w http.ResponseWriter, r *http.Request, scope, typ string, atOrAbove bool) {
	items := []any{}
	for _, o := range s.estate.Policy {
		t, _ := o["type"].(string)
		id, _ := o["id"].(string)
		if !strings.EqualFold(t, typ) {
			continue
		}
		at := id[:max(strings.LastIndex(strings.ToLower(id), authorizationProvider), 0)]
		if s.policyScopeAbove(at, scope) || (!atOrAbove && scopeWithin(scope, at)) {
			items = append(items, o)
		}
	}
	start, end, next := s.page(r, len(items), 100, 1000, "$top")
	writeJSON(w, http.StatusOK, map[string]any{"value": items[start:end], "nextLink": next})
}

// policyScopeAbove reports whether at is scope or contains it: a prefix
// of its path, or a management group above its subscription.
func (s *Simulator) policyScopeAbove(at, scope string) bool {
	if scopeWithin(at, scope) {
		return true
	}
	const mg = "/providers/microsoft.management/managementgroups/"
	lowAt, lowScope := strings.ToLower(at), strings.ToLower(scope)
	if !strings.HasPrefix(lowAt, mg) {
		return false
	}
	name := lowAt[len(mg):]
	sub := ""
	if parts := strings.Split(strings.TrimPrefix(lowScope, "/"), "/"); len(parts) >= 2 && parts[0] == "subscriptions" {
		sub = parts[1]
	}
	for _, s := range s.estate.SubscriptionsBelow(name) {
		if strings.EqualFold(s, sub) {
			return true
		}
	}
	return false
}

// scopeWithin reports whether id is scope or below it.
func scopeWithin(scope, id string) bool {
	scope, id = strings.ToLower(strings.TrimRight(scope, "/")), strings.ToLower(strings.TrimRight(id, "/"))
	return id == scope || strings.HasPrefix(id, scope+"/")
}
