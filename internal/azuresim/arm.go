package azuresim

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/kvguard/kvguard/internal/resource"
)

// serveARM answers the Resource Manager operations kvguard reads:
// subscriptions, management group descendants, vaults and managed HSMs
// (list and GET), ARM-plane secrets and keys (a managed HSM's keys too),
// private endpoint connections and diagnostic settings (of vaults and
// managed HSMs alike); and the generic reads the Azure CLI uses to
// find them (resources.go). Everything else is 404; writes are 405, since
// kvguard never writes.
func (s *Simulator) serveARM(w http.ResponseWriter, r *http.Request) {
	if (r.Method == http.MethodPost || r.Method == http.MethodGet) &&
		strings.EqualFold(strings.Trim(r.URL.Path, "/"), "providers/Microsoft.Management/getEntities") {
		// A read, though a POST, as in Azure; its next pages are GETs.
		s.listEntities(w, r)
		return
	}
	if r.Method != http.MethodGet {
		armError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "The simulator is read-only.")
		return
	}
	if r.URL.Query().Get("api-version") == "" {
		armError(w, http.StatusBadRequest, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.")
		return
	}
	segs := segments(r.URL.Path)
	low := make([]string, len(segs))
	for i, sg := range segs {
		low[i] = strings.ToLower(sg)
	}
	if s.servePolicy(w, r, segs) {
		return
	}
	switch {
	case len(low) == 1 && low[0] == "subscriptions":
		s.listSubscriptions(w, r)
		return
	case len(low) == 5 && low[0] == "providers" && low[1] == "microsoft.management" && low[2] == "managementgroups" && low[4] == "descendants":
		s.listDescendants(w, r, segs[3])
		return
	case len(low) >= 2 && low[0] == "subscriptions":
	default:
		armError(w, http.StatusNotFound, "NotFound", "The simulator does not serve "+r.URL.Path)
		return
	}
	sub := s.subs[low[1]]
	if sub == nil {
		armError(w, http.StatusNotFound, "SubscriptionNotFound", "The subscription '"+segs[1]+"' could not be found.")
		return
	}
	s.serveSubscription(w, r, sub, segs, low)
}

// serveSubscription answers the paths below /subscriptions/{s} (segs and
// low: the path's segments as sent and lower-cased).
func (s *Simulator) serveSubscription(w http.ResponseWriter, r *http.Request, sub *Subscription, segs, low []string) {
	rest := low[2:]
	switch {
	case len(rest) == 0:
		s.getSubscription(w, sub)
	case len(rest) == 1 && rest[0] == "resources":
		s.listResources(w, r, sub, "")
	case len(rest) == 1 && rest[0] == "resourcegroups":
		s.listGroups(w, r, sub)
	case len(rest) == 2 && rest[0] == "resourcegroups":
		s.getGroup(w, sub, segs[3])
	case len(rest) == 3 && rest[0] == "resourcegroups" && rest[2] == "resources":
		s.listResources(w, r, sub, segs[3])
	case len(rest) == 5 && rest[0] == "resourcegroups" && rest[2] == "providers" && rest[3] == "microsoft.keyvault":
		typ, ok := vaultTypeOf(rest[4])
		if !ok {
			armError(w, http.StatusNotFound, "NotFound", "The simulator does not serve "+r.URL.Path)
			return
		}
		s.listGroupVaults(w, r, sub, segs[3], typ)
	case len(rest) == 3 && rest[0] == "providers" && rest[1] == "microsoft.keyvault" && (rest[2] == "vaults" || rest[2] == "managedhsms"):
		typ, _ := vaultTypeOf(rest[2])
		s.listVaults(w, r, sub, typ)
	case len(rest) >= 6 && rest[0] == "resourcegroups" && rest[2] == "providers" && rest[3] == "microsoft.keyvault" && (rest[4] == "vaults" || rest[4] == "managedhsms"):
		s.serveVault(w, r, segs[:8], low[8:])
	default:
		armError(w, http.StatusNotFound, "NotFound", "The simulator does not serve "+r.URL.Path)
	}
}

// serveVault answers a vault's own path (idSegs: its resource ID's
// segments) and the children below it (rest, lower-case).
func (s *Simulator) serveVault(w http.ResponseWriter, r *http.Request, idSegs, rest []string) {
	id := "/" + strings.Join(idSegs, "/")
	v := s.vaults[resource.Key(id)]
	if v == nil || !strings.EqualFold(idSegs[6], typeSegment(v.Type)) {
		armError(w, http.StatusNotFound, "ResourceNotFound", fmt.Sprintf("The Resource '%s/%s' under resource group '%s' was not found.", idSegs[5]+"/"+idSegs[6], idSegs[7], idSegs[3]))
		return
	}
	isVault := v.Type == resource.TypeVault
	switch {
	case len(rest) == 0:
		if msg, ok := s.forbiddenPart(v, "properties"); ok {
			s.denied(w, r, v, "read", msg)
			return
		}
		writeJSON(w, http.StatusOK, s.vaultBody(v, true))
	case len(rest) == 1 && rest[0] == "secrets" && isVault:
		s.listObjects(w, r, v, resource.TypeSecret, v.Secrets, s.armSecret)
	case len(rest) == 2 && rest[0] == "secrets" && isVault:
		s.getObject(w, r, v, resource.TypeSecret, v.Secrets, rest[1], s.armSecret)
	case len(rest) == 1 && rest[0] == "keys" && isVault:
		s.listObjects(w, r, v, resource.TypeKey, v.Keys, s.armKey)
	case len(rest) == 2 && rest[0] == "keys" && isVault:
		s.getObject(w, r, v, resource.TypeKey, v.Keys, rest[1], s.armKey)
	case len(rest) == 1 && rest[0] == "keys":
		s.listObjects(w, r, v, resource.TypeHSMKey, v.Keys, s.armHSMKey)
	case len(rest) == 2 && rest[0] == "keys":
		s.getObject(w, r, v, resource.TypeHSMKey, v.Keys, rest[1], s.armHSMKey)
	case len(rest) == 1 && rest[0] == "privateendpointconnections":
		pecs, _ := props(v.Body)["privateEndpointConnections"].([]any)
		writeJSON(w, http.StatusOK, map[string]any{"value": orEmpty(pecs)})
	case len(rest) == 3 && rest[0] == "providers" && rest[1] == "microsoft.insights" && rest[2] == "diagnosticsettings":
		if msg, ok := s.forbiddenPart(v, resource.TypeDiagnosticSetting); ok {
			s.denied(w, r, v, "microsoft.insights/diagnosticSettings/read", msg)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"value": orEmptyMaps(v.DiagnosticSettings)})
	default:
		armError(w, http.StatusNotFound, "NotFound", "The simulator does not serve "+r.URL.Path)
	}
}

func typeSegment(t string) string {
	if t == resource.TypeManagedHSM {
		return "managedHSMs"
	}
	return "vaults"
}

func (s *Simulator) denied(w http.ResponseWriter, r *http.Request, v *Vault, action, msg string) {
	if code, message, ok := recordedAnswer(msg); ok {
		armError(w, http.StatusForbidden, code, message)
		return
	}
	armError(w, http.StatusForbidden, "AuthorizationFailed", fmt.Sprintf(
		"The client does not have authorization to perform action 'Microsoft.KeyVault/%s/%s' over scope '%s' or the scope is invalid (%s).",
		typeSegment(v.Type), action, v.ID, msg))
}

func props(body map[string]any) map[string]any {
	p, _ := body["properties"].(map[string]any)
	return p
}

func orEmpty(a []any) []any {
	if a == nil {
		return []any{}
	}
	return a
}

func orEmptyMaps(a []map[string]any) []map[string]any {
	if a == nil {
		return []map[string]any{}
	}
	return a
}

// vaultBody is the vault's ARM body as served: vaultUri (hsmUri) on the
// simulator's DNS suffix, and no properties at all when withProps is false
// or the properties are forbidden.
func (s *Simulator) vaultBody(v *Vault, withProps bool) map[string]any {
	out := make(map[string]any, len(v.Body))
	for k, e := range v.Body {
		out[k] = e
	}
	out["type"] = v.Type
	if _, forbidden := s.forbiddenPart(v, "properties"); forbidden || !withProps {
		delete(out, "properties")
		return out
	}
	if p := props(v.Body); p != nil {
		np := make(map[string]any, len(p))
		for k, e := range p {
			np[k] = e
		}
		key := "vaultUri"
		if v.Type == resource.TypeManagedHSM {
			key = "hsmUri"
		}
		np[key] = "https://" + s.vaultHost(v) + "/"
		out["properties"] = np
	}
	return out
}

func (s *Simulator) listSubscriptions(w http.ResponseWriter, r *http.Request) {
	items := make([]any, 0, len(s.estate.Subscriptions))
	for _, sub := range s.estate.Subscriptions {
		items = append(items, map[string]any{
			"id": "/subscriptions/" + sub.ID, "subscriptionId": sub.ID, "tenantId": s.estate.TenantID,
			"displayName": sub.DisplayName, "state": "Enabled", "authorizationSource": "RoleBased",
			"subscriptionPolicies": map[string]any{"locationPlacementId": "Public_2014-09-01", "quotaId": "PayAsYouGo_2014-09-01", "spendingLimit": "Off"},
		})
	}
	start, end, next := s.page(r, len(items), 100, 1000, "$top")
	writeJSON(w, http.StatusOK, map[string]any{"value": items[start:end], "nextLink": next,
		"count": map[string]any{"type": "Total", "value": len(items)}})
}

func (s *Simulator) listDescendants(w http.ResponseWriter, r *http.Request, group string) {
	for _, mg := range s.estate.ManagementGroups {
		if !strings.EqualFold(mg.Name, group) {
			continue
		}
		// Every group and subscription below the group, at any depth, each
		// naming its parent, as Azure lists descendants.
		var items []any
		for _, g := range s.estate.groupsBelow(mg.Name) {
			if !strings.EqualFold(g.Name, mg.Name) {
				items = append(items, map[string]any{
					"id": "/providers/Microsoft.Management/managementGroups/" + g.Name, "type": "Microsoft.Management/managementGroups",
					"name": g.Name, "properties": map[string]any{"displayName": g.displayName(),
						"parent": map[string]any{"id": "/providers/Microsoft.Management/managementGroups/" + s.estate.parentOf(g)}},
				})
			}
			for _, id := range g.Subscriptions {
				name := id
				if sub := s.subs[strings.ToLower(id)]; sub != nil {
					name = sub.DisplayName
				}
				items = append(items, map[string]any{
					"id": "/subscriptions/" + id, "type": "Microsoft.Management/managementGroups/subscriptions", "name": id,
					"properties": map[string]any{"displayName": name,
						"parent": map[string]any{"id": "/providers/Microsoft.Management/managementGroups/" + g.Name}},
				})
			}
		}
		if items == nil {
			items = []any{}
		}
		start, end, next := s.page(r, len(items), 100, 1000, "$top")
		writeJSON(w, http.StatusOK, map[string]any{"value": items[start:end], "nextLink": next})
		return
	}
	armError(w, http.StatusForbidden, "AuthorizationFailed", "The client does not have authorization to perform action 'Microsoft.Management/managementGroups/descendants/read' over scope '/providers/Microsoft.Management/managementGroups/"+group+"' or the scope is invalid.")
}

func (s *Simulator) listVaults(w http.ResponseWriter, r *http.Request, sub *Subscription, typ string) {
	var items []any
	for _, v := range sub.Vaults {
		if v.Type == typ {
			items = append(items, s.vaultBody(v, true))
		}
	}
	start, end, next := s.page(r, len(items), s.opts.VaultPageSize, 1000, "$top")
	writeJSON(w, http.StatusOK, map[string]any{"value": orEmpty(items[start:end]), "nextLink": next})
}

type renderFunc func(v *Vault, o *Object) map[string]any

func (s *Simulator) listObjects(w http.ResponseWriter, r *http.Request, v *Vault, part string, objs []Object, render renderFunc) {
	if msg, ok := s.forbiddenPart(v, part); ok {
		action := "secrets/read"
		if part == resource.TypeKey || part == resource.TypeHSMKey {
			action = "keys/read"
		}
		s.denied(w, r, v, action, msg)
		return
	}
	start, end, next := s.page(r, len(objs), s.opts.ObjectPageSize, s.opts.ObjectPageSize, "$top")
	items := make([]any, 0, end-start)
	for i := start; i < end; i++ {
		items = append(items, render(v, &objs[i]))
	}
	writeJSON(w, http.StatusOK, map[string]any{"value": items, "nextLink": next})
}

func (s *Simulator) getObject(w http.ResponseWriter, r *http.Request, v *Vault, part string, objs []Object, name string, render renderFunc) {
	if msg, ok := s.forbiddenPart(v, part); ok {
		s.denied(w, r, v, strings.ToLower(part[strings.LastIndex(part, "/")+1:])+"/read", msg)
		return
	}
	for i := range objs {
		if strings.EqualFold(objs[i].Name, name) {
			writeJSON(w, http.StatusOK, render(v, &objs[i]))
			return
		}
	}
	armError(w, http.StatusNotFound, "ResourceNotFound", "The object '"+name+"' was not found.")
}

// version is a stable object version, as Key Vault's 32 hex digits.
func version(vault, name string) string {
	sum := sha256.Sum256([]byte(vault + "/" + name))
	return hex.EncodeToString(sum[:16])
}

func attributes(o *Object, dataPlane bool) map[string]any {
	a := map[string]any{"enabled": o.Enabled}
	if o.NotBefore != 0 {
		a["nbf"] = o.NotBefore
	}
	if o.Expires != 0 {
		a["exp"] = o.Expires
	}
	if o.Created != 0 {
		a["created"] = o.Created
	}
	if o.Updated != 0 {
		a["updated"] = o.Updated
	}
	if dataPlane {
		a["recoveryLevel"] = "Recoverable+Purgeable"
		a["recoverableDays"] = 90
	}
	return a
}

func tagsOf(o *Object) map[string]any {
	if len(o.Tags) == 0 {
		return nil
	}
	m := make(map[string]any, len(o.Tags))
	for k, v := range o.Tags {
		m[k] = v
	}
	return m
}

// armSecret renders an ARM-plane secret: metadata only. The simulator
// holds no value and ARM never returns one.
func (s *Simulator) armSecret(v *Vault, o *Object) map[string]any {
	uri := "https://" + s.vaultHost(v) + "/secrets/" + o.Name
	p := map[string]any{
		"attributes":           attributes(o, false),
		"secretUri":            uri,
		"secretUriWithVersion": uri + "/" + version(v.ID, o.Name),
	}
	if o.ContentType != "" {
		p["contentType"] = o.ContentType
	}
	body := map[string]any{
		"id": v.ID + "/secrets/" + o.Name, "name": o.Name, "type": resource.TypeARMSecret,
		"location": v.Body["location"], "properties": p,
	}
	if t := tagsOf(o); t != nil {
		body["tags"] = t
	}
	return body
}

func (s *Simulator) armKey(v *Vault, o *Object) map[string]any {
	uri := "https://" + s.vaultHost(v) + "/keys/" + o.Name
	a := attributes(o, false)
	a["recoveryLevel"] = "Recoverable+Purgeable"
	a["exportable"] = false
	p := map[string]any{
		"attributes":        a,
		"keyUri":            uri,
		"keyUriWithVersion": uri + "/" + version(v.ID, o.Name),
		"kty":               o.KeyType,
		"keyOps":            []any{"encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey"},
	}
	if o.KeySize != 0 {
		p["keySize"] = o.KeySize
	}
	if o.Curve != "" {
		p["curveName"] = o.Curve
	}
	if o.RotationPolicy != nil {
		p["rotationPolicy"] = o.RotationPolicy
	}
	body := map[string]any{
		"id": v.ID + "/keys/" + o.Name, "name": o.Name, "type": resource.TypeARMKey,
		"location": v.Body["location"], "properties": p,
	}
	if t := tagsOf(o); t != nil {
		body["tags"] = t
	}
	return body
}

// armHSMKey renders a managed HSM's key as Resource Manager lists it
// (Microsoft.KeyVault/managedHSMs/keys: a proxy resource, no location),
// attributes in Unix seconds as for a vault's keys.
func (s *Simulator) armHSMKey(v *Vault, o *Object) map[string]any {
	body := s.armKey(v, o)
	delete(body, "location")
	body["id"] = v.ID + "/keys/" + o.Name
	body["type"] = resource.TypeARMHSMKey
	return body
}

// page picks the slice of n items a list request asks for: $skiptoken
// (an offset) and the page size (param, capped at max). next is the
// absolute nextLink, or nil on the last page. Azure's nextLinks are
// absolute and keep the api-version, and the SDK follows them verbatim.
func (s *Simulator) page(r *http.Request, n, size, limit int, param string) (start, end int, next any) {
	q := r.URL.Query()
	if v, err := strconv.Atoi(q.Get(param)); err == nil && v > 0 {
		size = v
	}
	if size > limit {
		size = limit
	}
	start = decodeSkip(q.Get("$skiptoken"))
	if start > n {
		start = n
	}
	end = min(start+size, n)
	if end >= n {
		return start, end, nil
	}
	q.Set("$skiptoken", encodeSkip(end))
	u := url.URL{Scheme: "https", Host: r.Host, Path: r.URL.Path, RawQuery: q.Encode()}
	return start, end, u.String()
}

func encodeSkip(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("offset:" + strconv.Itoa(offset)))
}

func decodeSkip(tok string) int {
	if tok == "" {
		return 0
	}
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0
	}
	n, err := strconv.Atoi(strings.TrimPrefix(string(raw), "offset:"))
	if err != nil || n < 0 {
		return 0
	}
	return n
}
