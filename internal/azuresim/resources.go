package azuresim

import (
	"net/http"
	"sort"
	"strings"

	"github.com/kvguard/kvguard/internal/resource"
)

// The generic Resource Manager reads that tools other than kvguard use to
// find vaults: the Azure CLI's `az keyvault list` is the Key Vault
// provider's Vaults_List operation, which Azure serves from the generic
// resource list (GET /subscriptions/{s}/resources with a resourceType
// filter), and `az keyvault show -n` without a group finds the vault's
// group there; `az resource list` and `az group list` read the same
// lists. Their bodies are Azure's: the generic list carries id, name,
// type, location and tags, never properties.

// listResources serves GET /subscriptions/{s}/resources and
// /subscriptions/{s}/resourceGroups/{g}/resources: the subscription's (or
// group's) vaults and managed HSMs, filtered by $filter when it is one of
// the forms the list accepts (resourceType eq '…', name eq '…', and
// their conjunction).
func (s *Simulator) listResources(w http.ResponseWriter, r *http.Request, sub *Subscription, group string) {
	match, ok := parseResourceFilter(r.URL.Query().Get("$filter"))
	if !ok {
		armError(w, http.StatusBadRequest, "InvalidFilterInQueryString",
			"Invalid $filter '"+r.URL.Query().Get("$filter")+"': the simulator understands resourceType eq '…' and name eq '…', joined by and.")
		return
	}
	var items []any
	for _, v := range sub.Vaults {
		if group != "" && !strings.EqualFold(v.ResourceGroup, group) {
			continue
		}
		if !match(v) {
			continue
		}
		items = append(items, genericBody(v))
	}
	start, end, next := s.page(r, len(items), s.opts.VaultPageSize, 1000, "$top")
	writeJSON(w, http.StatusOK, map[string]any{"value": orEmpty(items[start:end]), "nextLink": next})
}

// genericBody is a vault as the generic resource list shows it.
func genericBody(v *Vault) map[string]any {
	body := map[string]any{"id": v.ID, "name": v.Name, "type": v.Type}
	for _, k := range []string{"location", "tags"} {
		if e, ok := v.Body[k]; ok {
			body[k] = e
		}
	}
	if body["tags"] == nil {
		body["tags"] = map[string]any{}
	}
	return body
}

// parseResourceFilter understands the OData filters the generic list
// takes that matter for vaults. An empty filter matches everything.
func parseResourceFilter(f string) (func(*Vault) bool, bool) {
	f = strings.TrimSpace(f)
	if f == "" {
		return func(*Vault) bool { return true }, true
	}
	var tests []func(*Vault) bool
	for _, clause := range splitFold(f, " and ") {
		field, value, ok := parseEq(clause)
		if !ok {
			return nil, false
		}
		switch strings.ToLower(field) {
		case "resourcetype":
			tests = append(tests, func(v *Vault) bool { return strings.EqualFold(v.Type, value) })
		case "name":
			tests = append(tests, func(v *Vault) bool { return strings.EqualFold(v.Name, value) })
		default:
			return nil, false
		}
	}
	return func(v *Vault) bool {
		for _, t := range tests {
			if !t(v) {
				return false
			}
		}
		return true
	}, true
}

// parseEq reads `field eq 'value'` (single quotes doubled inside).
func parseEq(clause string) (field, value string, ok bool) {
	clause = strings.TrimSpace(clause)
	i := strings.Index(strings.ToLower(clause), " eq ")
	if i < 0 {
		return "", "", false
	}
	field = strings.TrimSpace(clause[:i])
	v := strings.TrimSpace(clause[i+4:])
	if len(v) < 2 || v[0] != '\'' || v[len(v)-1] != '\'' {
		return "", "", false
	}
	return field, strings.ReplaceAll(v[1:len(v)-1], "''", "'"), true
}

func splitFold(s, sep string) []string {
	var out []string
	low := strings.ToLower(s)
	for {
		i := strings.Index(low, sep)
		if i < 0 {
			return append(out, s)
		}
		out = append(out, s[:i])
		s, low = s[i+len(sep):], low[i+len(sep):]
	}
}

// groupsOf lists a subscription's resource groups: those its vaults are
// in, in name order, each in the location of its first vault.
func groupsOf(sub *Subscription) []map[string]any {
	loc := map[string]string{}
	name := map[string]string{}
	for _, v := range sub.Vaults {
		k := strings.ToLower(v.ResourceGroup)
		if _, ok := name[k]; !ok {
			name[k] = v.ResourceGroup
			l, _ := v.Body["location"].(string)
			loc[k] = l
		}
	}
	keys := make([]string, 0, len(name))
	for k := range name {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]map[string]any, 0, len(keys))
	for _, k := range keys {
		out = append(out, map[string]any{
			"id":         "/subscriptions/" + sub.ID + "/resourceGroups/" + name[k],
			"name":       name[k],
			"type":       "Microsoft.Resources/resourceGroups",
			"location":   loc[k],
			"properties": map[string]any{"provisioningState": "Succeeded"},
		})
	}
	return out
}

func (s *Simulator) listGroups(w http.ResponseWriter, r *http.Request, sub *Subscription) {
	groups := groupsOf(sub)
	items := make([]any, len(groups))
	for i, g := range groups {
		items[i] = g
	}
	start, end, next := s.page(r, len(items), 1000, 1000, "$top")
	writeJSON(w, http.StatusOK, map[string]any{"value": orEmpty(items[start:end]), "nextLink": next})
}

func (s *Simulator) getGroup(w http.ResponseWriter, sub *Subscription, group string) {
	for _, g := range groupsOf(sub) {
		if strings.EqualFold(g["name"].(string), group) {
			writeJSON(w, http.StatusOK, g)
			return
		}
	}
	armError(w, http.StatusNotFound, "ResourceGroupNotFound", "Resource group '"+group+"' could not be found.")
}

// listGroupVaults serves a resource group's vaults (or managed HSMs) with
// their properties, as the provider's ListByResourceGroup does.
func (s *Simulator) listGroupVaults(w http.ResponseWriter, r *http.Request, sub *Subscription, group, typ string) {
	var items []any
	for _, v := range sub.Vaults {
		if v.Type == typ && strings.EqualFold(v.ResourceGroup, group) {
			items = append(items, s.vaultBody(v, true))
		}
	}
	start, end, next := s.page(r, len(items), s.opts.VaultPageSize, 1000, "$top")
	writeJSON(w, http.StatusOK, map[string]any{"value": orEmpty(items[start:end]), "nextLink": next})
}

func (s *Simulator) getSubscription(w http.ResponseWriter, sub *Subscription) {
	writeJSON(w, http.StatusOK, map[string]any{
		"id": "/subscriptions/" + sub.ID, "subscriptionId": sub.ID, "tenantId": s.estate.TenantID,
		"displayName": sub.DisplayName, "state": "Enabled", "authorizationSource": "RoleBased",
	})
}

// vaultTypeOf maps a provider path segment to a resource type.
func vaultTypeOf(seg string) (string, bool) {
	switch strings.ToLower(seg) {
	case "vaults":
		return resource.TypeVault, true
	case "managedhsms":
		return resource.TypeManagedHSM, true
	}
	return "", false
}

// serveMetadata answers GET /metadata/endpoints, which Azure Resource
// Manager serves without authentication and which `az cloud register
// --endpoint-resource-manager` reads to learn a cloud's other endpoints
// (api-version 2015-01-01, Azure Stack's form). The login endpoint is the
// simulator's AD FS-style authority (see serveToken).
func (s *Simulator) serveMetadata(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		armError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "The simulator is read-only.")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"galleryEndpoint": s.baseURL + "/",
		"graphEndpoint":   s.baseURL + "/",
		"portalEndpoint":  s.baseURL + "/",
		"authentication": map[string]any{
			"loginEndpoint": s.baseURL + "/adfs",
			"audiences":     []string{s.armAudience},
		},
	})
}
