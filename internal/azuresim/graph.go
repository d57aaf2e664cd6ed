package azuresim

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/kvguard/kvguard/internal/resource"
)

// graphRequest is the body of POST /providers/Microsoft.ResourceGraph/resources.
type graphRequest struct {
	Subscriptions    []string `json:"subscriptions"`
	ManagementGroups []string `json:"managementGroups"`
	Query            string   `json:"query"`
	Options          struct {
		Top          *int   `json:"$top"`
		Skip         *int   `json:"$skip"`
		SkipToken    string `json:"$skipToken"`
		ResultFormat string `json:"resultFormat"`
	} `json:"options"`
}

// graphQuery is a parsed query. The simulator understands the Kusto subset
// kvguard sends: the resources table (vaults and managed HSMs) or the
// resourcecontainers table (subscriptions, with their management-group
// ancestry), a where on type (=~, == or in~), a project, and order by id.
type graphQuery struct {
	table   string
	types   map[string]bool
	columns []string
}

var (
	reTypeIn = regexp.MustCompile(`(?i)^where\s+type\s+in~\s*\((.*)\)$`)
	reTypeEq = regexp.MustCompile(`(?i)^where\s+type\s*(?:=~|==)\s*'([^']*)'$`)
	reQuoted = regexp.MustCompile(`'([^']*)'`)
	reOrder  = regexp.MustCompile(`(?i)^(order|sort)\s+by\s+id(\s+(asc|desc))?$`)
)

func parseGraphQuery(q string) (*graphQuery, error) {
	ops := strings.Split(q, "|")
	table := strings.ToLower(strings.TrimSpace(ops[0]))
	if table != "resources" && table != "resourcecontainers" {
		return nil, simError("the simulator queries the resources and resourcecontainers tables only")
	}
	gq := &graphQuery{table: table, types: map[string]bool{}}
	for _, op := range ops[1:] {
		op = strings.Join(strings.Fields(op), " ")
		switch {
		case reTypeIn.MatchString(op):
			for _, m := range reQuoted.FindAllStringSubmatch(reTypeIn.FindStringSubmatch(op)[1], -1) {
				gq.types[strings.ToLower(m[1])] = true
			}
		case reTypeEq.MatchString(op):
			gq.types[strings.ToLower(reTypeEq.FindStringSubmatch(op)[1])] = true
		case strings.HasPrefix(strings.ToLower(op), "project "):
			for _, c := range strings.Split(op[len("project "):], ",") {
				gq.columns = append(gq.columns, strings.TrimSpace(c))
			}
		case reOrder.MatchString(op):
		default:
			return nil, simError("the simulator does not understand the operator: " + op)
		}
	}
	return gq, nil
}

// serveGraph answers Resource Graph queries over the vaults and managed
// HSMs of the subscriptions (or management groups) in scope, 1,000 rows
// at most per page, with $skipToken paging.
func (s *Simulator) serveGraph(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.EqualFold(strings.Trim(r.URL.Path, "/"), "providers/Microsoft.ResourceGraph/resources") {
		armError(w, http.StatusNotFound, "NotFound", "The simulator serves POST /providers/Microsoft.ResourceGraph/resources only.")
		return
	}
	if s.opts.DisableResourceGraph {
		armError(w, http.StatusForbidden, "AuthorizationFailed",
			"The client does not have authorization to perform action 'Microsoft.ResourceGraph/resources/read' (Resource Graph is disabled in this simulator).")
		return
	}
	var req graphRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		armError(w, http.StatusBadRequest, "BadRequest", "The request body is not valid JSON: "+err.Error())
		return
	}
	q, err := parseGraphQuery(req.Query)
	if err != nil {
		armError(w, http.StatusBadRequest, "InvalidQuery", err.Error())
		return
	}
	subs, err := s.graphScope(req)
	if err != nil {
		armError(w, http.StatusBadRequest, "BadRequest", err.Error())
		return
	}
	rows := s.graphRows(q, subs)
	top := 1000
	if req.Options.Top != nil && *req.Options.Top > 0 && *req.Options.Top < top {
		top = *req.Options.Top
	}
	start := 0
	if req.Options.Skip != nil && *req.Options.Skip > 0 {
		start = *req.Options.Skip
	}
	digest := queryDigest(req)
	if req.Options.SkipToken != "" {
		off, ok := decodeGraphToken(req.Options.SkipToken, digest)
		if !ok {
			armError(w, http.StatusBadRequest, "InvalidSkipToken", "The $skipToken does not belong to this query.")
			return
		}
		start = off
	}
	start = min(start, len(rows))
	end := min(start+top, len(rows))
	resp := map[string]any{
		"totalRecords": len(rows), "count": end - start, "resultTruncated": "false",
		"facets": []any{}, "data": rows[start:end],
	}
	if end < len(rows) {
		resp["$skipToken"] = encodeGraphToken(end, digest)
	}
	if rows == nil {
		resp["data"] = []any{}
	}
	writeJSON(w, http.StatusOK, resp)
}

// graphRows are the query's rows in the subscriptions, ordered by ID as
// Resource Graph pages them.
func (s *Simulator) graphRows(q *graphQuery, subs []*Subscription) []map[string]any {
	var rows []map[string]any
	for _, sub := range subs {
		if q.table == "resourcecontainers" {
			if q.types["microsoft.resources/subscriptions"] {
				rows = append(rows, s.subscriptionRow(sub, q.columns))
			}
			continue
		}
		for _, v := range sub.Vaults {
			if q.types[strings.ToLower(v.Type)] {
				rows = append(rows, s.graphRow(v, q.columns))
			}
		}
	}
	sort.Slice(rows, func(i, j int) bool {
		a, _ := rows[i]["id"].(string)
		b, _ := rows[j]["id"].(string)
		return strings.ToLower(a) < strings.ToLower(b)
	})
	return rows
}

func (s *Simulator) graphScope(req graphRequest) ([]*Subscription, error) {
	switch {
	case len(req.ManagementGroups) > 0:
		seen := map[string]bool{}
		var out []*Subscription
		for _, name := range req.ManagementGroups {
			found := false
			for _, mg := range s.estate.ManagementGroups {
				if !strings.EqualFold(mg.Name, name) {
					continue
				}
				found = true
				for _, id := range s.estate.SubscriptionsBelow(mg.Name) {
					if sub := s.subs[strings.ToLower(id)]; sub != nil && !seen[sub.ID] {
						seen[sub.ID] = true
						out = append(out, sub)
					}
				}
			}
			if !found {
				return nil, simError("management group '" + name + "' was not found or is not accessible")
			}
		}
		return out, nil
	case len(req.Subscriptions) > 0:
		var out []*Subscription
		for _, id := range req.Subscriptions {
			if sub := s.subs[strings.ToLower(id)]; sub != nil {
				out = append(out, sub)
			}
		}
		if len(out) == 0 {
			return nil, simError("none of the subscriptions in the request is accessible")
		}
		return out, nil
	}
	return s.estate.Subscriptions, nil
}

// graphRow is a vault's row in the resources table: lower-case type, the
// subscription and resource group as columns, properties as ARM has them
// (none for a stale row or forbidden properties).
func (s *Simulator) graphRow(v *Vault, columns []string) map[string]any {
	body := s.vaultBody(v, !s.stale[resource.Key(v.ID)])
	full := map[string]any{
		"id": v.ID, "name": v.Name, "type": strings.ToLower(v.Type),
		"tenantId": s.estate.TenantID, "kind": "", "location": body["location"],
		"resourceGroup": strings.ToLower(v.ResourceGroup), "subscriptionId": v.Subscription,
		"managedBy": "", "sku": body["sku"], "plan": nil, "properties": body["properties"],
		"tags": body["tags"], "identity": nil, "zones": nil, "extendedLocation": nil,
	}
	return project(full, columns)
}

// subscriptionRow is a subscription's row in the resourcecontainers
// table, with its management groups nearest first in
// properties.managementGroupAncestorsChain.
func (s *Simulator) subscriptionRow(sub *Subscription, columns []string) map[string]any {
	var chain []any
	for _, g := range s.estate.Ancestry(sub.ID) {
		chain = append(chain, map[string]any{"name": g.Name, "displayName": g.DisplayName})
	}
	full := map[string]any{
		"id": "/subscriptions/" + sub.ID, "name": sub.DisplayName, "type": "microsoft.resources/subscriptions",
		"tenantId": s.estate.TenantID, "subscriptionId": sub.ID, "resourceGroup": "", "location": "",
		"properties": map[string]any{"state": "Enabled", "managementGroupAncestorsChain": chain},
	}
	return project(full, columns)
}

// project keeps a row's projected columns (all of them without a
// project clause).
func project(full map[string]any, columns []string) map[string]any {
	if len(columns) == 0 {
		return full
	}
	row := make(map[string]any, len(columns))
	for _, c := range columns {
		row[c] = full[c]
	}
	return row
}

func queryDigest(req graphRequest) string {
	h := sha256.New()
	h.Write([]byte(req.Query))
	for _, s := range req.Subscriptions {
		h.Write([]byte("|s:" + strings.ToLower(s)))
	}
	for _, m := range req.ManagementGroups {
		h.Write([]byte("|m:" + strings.ToLower(m)))
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

func encodeGraphToken(offset int, digest string) string {
	return base64.StdEncoding.EncodeToString([]byte(`{"offset":` + strconv.Itoa(offset) + `,"query":"` + digest + `"}`))
}

func decodeGraphToken(tok, digest string) (int, bool) {
	raw, err := base64.StdEncoding.DecodeString(tok)
	if err != nil {
		return 0, false
	}
	var t struct {
		Offset int    `json:"offset"`
		Query  string `json:"query"`
	}
	if json.Unmarshal(raw, &t) != nil || t.Query != digest || t.Offset < 0 {
		return 0, false
	}
	return t.Offset, true
}
