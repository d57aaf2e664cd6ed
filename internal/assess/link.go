package assess

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/kvguard/kvguard/internal/catalog"
	"github.com/kvguard/kvguard/internal/policy"
	"github.com/kvguard/kvguard/internal/resource"
)

// index finds documents by ID, by vault host and by parent, and answers
// the policy engine's related-resource queries. Planned documents of
// different deployments may share an ID (see resource.Document.Deployment),
// so every lookup returns candidates and choose prefers the asking
// document's own deployment.
type index struct {
	docs     []*resource.Document
	byID     map[string][]*resource.Document
	byHost   map[string][]*resource.Document
	byName   map[string][]*resource.Document // vaults by lower-case name, for hosts without vaultUri
	byParent map[string][]*resource.Document
	vaults   []*resource.Document // vaults and managed HSMs
}

func newIndex(docs []*resource.Document) *index {
	ix := &index{docs: docs, byID: map[string][]*resource.Document{}, byHost: map[string][]*resource.Document{},
		byName: map[string][]*resource.Document{}, byParent: map[string][]*resource.Document{}}
	for _, d := range docs {
		k := resource.Key(d.ID)
		ix.byID[k] = append(ix.byID[k], d)
		if d.IsType(resource.TypeVault) || d.IsType(resource.TypeManagedHSM) {
			ix.vaults = append(ix.vaults, d)
			for _, uriKey := range []string{"vaultUri", "hsmUri"} {
				if u, ok := d.Get("properties", uriKey); ok {
					if s, ok := u.(string); ok {
						if h := resource.VaultHost(s); h != "" {
							ix.byHost[h] = append(ix.byHost[h], d)
						}
					}
				}
			}
			if d.Name != "" {
				ix.byName[strings.ToLower(d.Name)] = append(ix.byName[strings.ToLower(d.Name)], d)
			}
		}
		parent := d.Parent.ID
		if parent == "" {
			parent = resource.ParentID(d.ID)
		}
		if parent != "" {
			ix.byParent[resource.Key(parent)] = append(ix.byParent[resource.Key(parent)], d)
		}
	}
	return ix
}

// choose picks among documents sharing an ID (or host): the one of the
// asking document's deployment, else an existing resource, else the first
// deployment in name order, so that the result does not depend on the
// order inputs were read in.
func choose(cands []*resource.Document, dep string) *resource.Document {
	var best *resource.Document
	for _, c := range cands {
		switch {
		case c.Deployment == dep:
			return c
		case best == nil,
			c.Deployment == "" && best.Deployment != "",
			c.Deployment != "" && best.Deployment != "" && c.Deployment < best.Deployment:
			best = c
		}
	}
	return best
}

// sameDeployment keeps the candidates a document of deployment dep may be
// related to: its own deployment's, and existing resources.
func sameDeployment(cands []*resource.Document, dep string) []*resource.Document {
	var out []*resource.Document
	for _, c := range cands {
		if c.Deployment == dep || c.Deployment == "" || dep == "" {
			out = append(out, c)
		}
	}
	return out
}

// vaultFor finds the document a component's parent reference names.
func (ix *index) vaultFor(r resource.Ref, dep string) *resource.Document {
	if r.ID != "" {
		return choose(ix.byID[resource.Key(r.ID)], dep)
	}
	h := strings.ToLower(r.Host)
	if c := ix.byHost[h]; len(c) > 0 {
		return choose(c, dep)
	}
	// A vault whose document has no vaultUri (IaC with an unresolved
	// name, az output trimmed by a query): match the host's first label
	// to a vault name, unique within the deployment.
	label, _, _ := strings.Cut(h, ".")
	if c := sameDeployment(ix.byName[label], dep); len(c) == 1 {
		return c[0]
	}
	return nil
}

// Related implements policy.Related: child and extension resources of doc
// (diagnostic settings, private endpoint connections), or resources of the
// type in the same resource group or subscription.
func (ix *index) Related(doc *resource.Document, q policy.RelatedQuery) ([]*resource.Document, bool, string) {
	if g, ok := doc.GapFor(q.Type); ok {
		return nil, false, fmt.Sprintf("%s of %s could not be read: %s", q.Type, doc.Name, g.Err)
	}
	var out []*resource.Document
	match := func(d *resource.Document) bool {
		if !d.IsType(q.Type) {
			return false
		}
		if q.Name == "" {
			return true
		}
		want := q.Name
		if i := strings.LastIndexByte(want, '/'); i >= 0 && want[i+1:] == "?" {
			return true
		}
		if i := strings.LastIndexByte(want, '/'); i >= 0 {
			want = want[i+1:]
		}
		return strings.EqualFold(d.Name, want)
	}
	for _, d := range sameDeployment(ix.byParent[resource.Key(doc.ID)], doc.Deployment) {
		if match(d) {
			out = append(out, d)
		}
	}
	if len(out) > 0 || strings.HasPrefix(strings.ToLower(q.Type), strings.ToLower(doc.Type)+"/") || strings.EqualFold(q.Type, resource.TypeDiagnosticSetting) {
		return out, true, ""
	}
	// Not a child or extension type: look in the same resource group
	// (or subscription).
	id, ok := resource.ParseID(doc.ID)
	if !ok {
		return out, true, ""
	}
	for _, d := range sameDeployment(ix.docs, doc.Deployment) {
		if !match(d) {
			continue
		}
		did, ok := resource.ParseID(d.ID)
		if !ok || !strings.EqualFold(did.Subscription, id.Subscription) {
			continue
		}
		rg := id.ResourceGroup
		if q.ResourceGroup != "" {
			rg = q.ResourceGroup
		}
		if q.Scope == "subscription" || strings.EqualFold(did.ResourceGroup, rg) {
			out = append(out, d)
		}
	}
	return out, true, ""
}

// LinkPrivateEndpoints links private endpoints into the vaults they
// target, as Finish does, for callers that show documents without judging
// them (kvguard inspect).
func LinkPrivateEndpoints(docs []*resource.Document) []*resource.InputError {
	return newIndex(docs).linkPrivateEndpoints()
}

// linkPrivateEndpoints records every private endpoint that targets a vault
// in the scan as a connection of that vault, as Azure does once the
// endpoint is deployed. Connections the vault already lists (live data)
// are not duplicated.
func (ix *index) linkPrivateEndpoints() []*resource.InputError {
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
				cm, _ := c.(map[string]any)
				props, _ := lookupMap(cm, "properties")
				target, _ := resource.LookupFold(props, "privateLinkServiceId")
				switch t := target.(type) {
				case resource.Unknown:
					warnings = append(warnings, &resource.InputError{Pos: positionOf(pe), ResourceID: pe.ID, Warning: true,
						Msg: fmt.Sprintf("private endpoint %s targets a resource that is unknown before deployment (%s); it was not linked to a vault", nameOf(pe), t.Expr)})
				case string:
					vault := choose(ix.byID[resource.Key(t)], pe.Deployment)
					if vault == nil || !(vault.IsType(resource.TypeVault) || vault.IsType(resource.TypeManagedHSM)) {
						continue
					}
					status := any(kind.status)
					if st, ok := lookupMap(props, "privateLinkServiceConnectionState"); ok {
						if s, ok := resource.LookupFold(st, "status"); ok && s != nil {
							status = s
						}
					}
					addConnection(vault, pe, status)
				}
			}
		}
	}
	return warnings
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

// rollUp judges each vault on the data-plane recommendations from its
// components: unhealthy if any component is, not applicable if it has
// none, the failing components listed.
func (a *Assessor) rollUp(ix *index, used map[*resource.Suppression]bool) []*Assessment {
	targets := map[*resource.Document]*target{}
	var order []*target
	for _, v := range ix.vaults {
		t := &target{doc: v, res: resourceOf(v), comps: make([][]Component, len(a.data))}
		targets[v] = t
		order = append(order, t)
	}
	placeholders := map[string]*target{}
	keys := make([]string, 0, len(a.comps))
	for k := range a.comps {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		pc := a.comps[k]
		var t *target
		if v := ix.vaultFor(pc.ref, pc.deployment); v != nil {
			t = targets[v]
			if t == nil { // a component whose parent is not a vault (an HSM key under an unknown type)
				t = &target{doc: v, res: resourceOf(v), comps: make([][]Component, len(a.data))}
				targets[v] = t
				order = append(order, t)
			}
		} else {
			name := placeholderName(pc.ref) + deploymentScope(pc.deployment)
			if t = placeholders[name]; t == nil {
				res := placeholderResource(pc.ref)
				if pc.deployment != "" {
					// Which deployment named it tells two placeholders apart.
					res.Source = resource.Provenance{File: pc.deployment}
				}
				t = &target{res: res, comps: make([][]Component, len(a.data))}
				placeholders[name] = t
				order = append(order, t)
			}
		}
		t.pcs = append(t.pcs, pc)
		delete(a.comps, k)
	}
	// The vaults are judged in parallel, in pieces joined in order.
	return fanOut(len(order), a.opts.Workers, used, func(lo, hi int, used map[*resource.Suppression]bool) []*Assessment {
		var out []*Assessment
		for _, t := range order[lo:hi] {
			out = a.judgeTarget(t, used, out)
		}
		return out
	})
}

// target is a vault (or a placeholder for one) with its components.
type target struct {
	doc   *resource.Document
	res   Resource
	pcs   []*parentComps // in key order, until judgeTarget
	comps [][]Component  // per data-plane recommendation
}

// judgeTarget appends the data-plane assessments of one vault to out.
func (a *Assessor) judgeTarget(t *target, used map[*resource.Suppression]bool, out []*Assessment) []*Assessment {
	for _, pc := range t.pcs {
		names, prefixes := string(pc.names), map[uint8]*string{}
		for i, r := range a.data {
			// Each vault's verdicts become Components as the vault's turn
			// comes, and are dropped: a million components must not exist
			// twice.
			cs := a.materialize(pc, i, r, names, prefixes)
			if t.comps[i] == nil {
				t.comps[i] = cs
			} else {
				t.comps[i] = append(t.comps[i], cs...)
			}
		}
	}
	t.pcs = nil
	for i, r := range a.data {
		if len(t.comps[i]) == 0 && (t.doc == nil || !appliesTo(r, t.doc)) {
			// A placeholder vault is judged only on what its components show.
			continue
		}
		as := &Assessment{Recommendation: r, Resource: t.res}
		as.Components = dedupe(t.comps[i])
		a.judgeRollUp(as, t.doc, r)
		a.applyResourceSuppressions(as, t.doc, used)
		out = append(out, as)
	}
	return out
}

// appliesTo reports whether a data-plane recommendation concerns this
// kind of parent: Key Vault components belong to vaults, Managed HSM ones
// to managed HSMs.
func appliesTo(r *catalog.Recommendation, parent *resource.Document) bool {
	c := strings.ToLower(r.Component)
	switch {
	case strings.HasPrefix(c, "microsoft.keyvault.data/vaults/"):
		return parent.IsType(resource.TypeVault)
	case strings.HasPrefix(c, "microsoft.managedhsm.data/"):
		return parent.IsType(resource.TypeManagedHSM)
	}
	return false
}

func placeholderName(r resource.Ref) string {
	if r.ID != "" {
		return "id:" + resource.Key(r.ID)
	}
	return "host:" + strings.ToLower(r.Host)
}

func placeholderResource(r resource.Ref) Resource {
	res := Resource{Type: resource.TypeVault, Placeholder: true}
	if r.ID != "" {
		res.ID = r.ID
		if id, ok := resource.ParseID(r.ID); ok && id.Name() != "" {
			res.Name = id.Name()
			if t := id.FullType(); t != "" {
				res.Type = resource.CanonicalType(t)
			}
		} else {
			res.Name = r.ID
		}
		return res
	}
	res.ID = "https://" + strings.ToLower(r.Host) + "/"
	res.Name, _, _ = strings.Cut(strings.ToLower(r.Host), ".")
	if strings.Contains(strings.ToLower(r.Host), ".managedhsm.") {
		res.Type = resource.TypeManagedHSM
	}
	return res
}

// dedupe sorts components by name and drops a second listing of the same
// object (listed through ARM and through the data plane).
func dedupe(cs []Component) []Component {
	if !sortByNameASCII(cs) {
		sort.SliceStable(cs, func(i, j int) bool {
			if !strings.EqualFold(cs[i].Name, cs[j].Name) {
				return strings.ToLower(cs[i].Name) < strings.ToLower(cs[j].Name)
			}
			return cs[i].FullID() < cs[j].FullID()
		})
	}
	out := cs[:0]
	for i, c := range cs {
		if i > 0 && strings.EqualFold(c.Name, out[len(out)-1].Name) && strings.EqualFold(c.Type, out[len(out)-1].Type) && c.Source == nil {
			continue
		}
		out = append(out, c)
	}
	return out
}

// judgeRollUp sets the vault's status from its components.
func (a *Assessor) judgeRollUp(as *Assessment, doc *resource.Document, r *catalog.Recommendation) {
	noun := r.ComponentNoun
	if noun == "" {
		noun = "component"
	}
	n := countComponents(as.Components)
	bad, unknown, exempt, judged, firstUnknown := n.bad, n.unknown, n.exempt, n.judged, n.firstUnknown
	badList := n.badNames[:min(bad, maxNames)]
	if doc != nil {
		if g, ok := doc.GapFor(r.Component); ok {
			as.Status = Unknown
			as.Reason = fmt.Sprintf("the vault's %ss could not be listed: %s", noun, g.Err)
			if bad > 0 {
				as.Reason += fmt.Sprintf("; of those read, %s %s", countNames(badList, bad, noun), r.ComponentUnhealthyText)
			}
			return
		}
	}
	switch {
	case judged == 0:
		as.Status = NotApplicable
		as.Reason = fmt.Sprintf("no %ss in the input", noun)
		if len(as.Components) > 0 {
			as.Reason = fmt.Sprintf("no enabled %ss (%d disabled, skipped by --enabled-only)", noun, len(as.Components))
		}
	case bad > 0:
		as.Status = Unhealthy
		as.Reason = fmt.Sprintf("%d of %s %s: %s", bad, nouns(judged, noun), pluralVerb(r.ComponentUnhealthyText, bad), names(badList, bad))
	case unknown > 0:
		as.Status = Unknown
		as.Reason = fmt.Sprintf("%d of %s could not be judged: %s", unknown, nouns(judged, noun), firstUnknown.Name+" ("+firstUnknown.Reason+")")
		if unknown > 1 {
			as.Reason += fmt.Sprintf(" and %d more", unknown-1)
		}
	case exempt == judged:
		as.Status = Exempt
		as.Reason = fmt.Sprintf("every %s with a finding is suppressed (%d)", noun, exempt)
	default:
		as.Status = Healthy
		as.Reason = fmt.Sprintf("all %s pass", nouns(judged, noun))
		if judged == 1 {
			as.Reason = fmt.Sprintf("the only %s passes", noun)
		}
		if exempt > 0 {
			as.Reason += fmt.Sprintf(" (%d suppressed)", exempt)
		}
	}
}

// componentCounts counts a vault's components by status.
type componentCounts struct {
	bad, unknown, exempt, judged int
	badNames                     [maxNames]string // the first unhealthy ones
	firstUnknown                 *Component
}

// countComponents counts rather than collects: a vault may hold a hundred
// thousand components, and only the first few failing ones are named.
func countComponents(cs []Component) componentCounts {
	var n componentCounts
	for i := range cs {
		c := &cs[i]
		switch c.Status {
		case Unhealthy:
			if n.bad < maxNames {
				n.badNames[n.bad] = c.Name
			}
			n.bad++
		case Unknown:
			if n.unknown == 0 {
				n.firstUnknown = c
			}
			n.unknown++
		case Exempt:
			n.exempt++
		}
		if c.Status != NotApplicable {
			n.judged++
		}
	}
	return n
}

// nouns renders "1 secret" or "3 secrets".
func nouns(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// pluralVerb turns "has no expiration date" into "have no expiration
// date" for plural counts.
func pluralVerb(text string, n int) string {
	if n == 1 {
		return text
	}
	if rest, ok := strings.CutPrefix(text, "has "); ok {
		return "have " + rest
	}
	if rest, ok := strings.CutPrefix(text, "is "); ok {
		return "are " + rest
	}
	return text
}

// countNames renders n components, of which first are the first names.
func countNames(first []string, n int, noun string) string {
	if n == 1 {
		return "1 " + noun + " (" + first[0] + ")"
	}
	return fmt.Sprintf("%d %ss (%s)", n, noun, names(first, n))
}

// maxNames is how many component names a reason lists.
const maxNames = 10

// names lists the first (up to maxNames) of n component names.
func names(first []string, n int) string {
	var b strings.Builder
	for i, name := range first {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(name)
	}
	if n > maxNames {
		fmt.Fprintf(&b, " and %d more", n-maxNames)
	}
	return b.String()
}

// sortByNameASCII sorts components as dedupe's stable sort does (by name
// case-insensitively, then by ID, else in the order given) when every
// name is ASCII, and reports whether it did. Where EqualFold and ToLower
// agree (ASCII), that order is a strict one on (lower-cased name, ID,
// index), so any sort gives the stable sort's result; sorting indices and
// moving each component once spares the million moves of 100-byte structs
// a stable sort makes on a large vault.
func sortByNameASCII(cs []Component) bool {
	keys := make([]string, len(cs))
	sorted := true
	for i := range cs {
		name := cs[i].Name
		for j := 0; j < len(name); j++ {
			if name[j] >= utf8.RuneSelf {
				return false
			}
		}
		keys[i] = strings.ToLower(name) // no copy unless it has upper case
		if i > 0 && sorted && compareComponents(cs, keys, i-1, i) > 0 {
			sorted = false
		}
	}
	if sorted {
		return true
	}
	perm := make([]int32, len(cs))
	for i := range perm {
		perm[i] = int32(i)
	}
	slices.SortFunc(perm, func(a, b int32) int {
		if c := compareComponents(cs, keys, int(a), int(b)); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	// Apply the permutation in place, cycle by cycle: position k receives
	// cs[perm[k]]. A done position is marked by perm[k] = -1.
	for start := range perm {
		if perm[start] < 0 || int(perm[start]) == start {
			perm[start] = -1
			continue
		}
		tmp := cs[start]
		k := start
		for {
			src := int(perm[k])
			perm[k] = -1
			if src == start {
				cs[k] = tmp
				break
			}
			cs[k] = cs[src]
			k = src
		}
	}
	return true
}

// compareComponents orders cs[i] and cs[j] by lower-cased name (keys),
// then by full ID, without building the IDs.
func compareComponents(cs []Component, keys []string, i, j int) int {
	if c := strings.Compare(keys[i], keys[j]); c != 0 {
		return c
	}
	a1, a2 := cs[i].IDParts()
	b1, b2 := cs[j].IDParts()
	return compareJoined(a1, a2, b1, b2)
}

// compareJoined compares a1+a2 with b1+b2.
func compareJoined(a1, a2, b1, b2 string) int {
	for {
		if a1 == "" {
			a1, a2 = a2, ""
		}
		if b1 == "" {
			b1, b2 = b2, ""
		}
		if a1 == "" || b1 == "" {
			return cmp.Compare(len(a1), len(b1))
		}
		n := min(len(a1), len(b1))
		if c := strings.Compare(a1[:n], b1[:n]); c != 0 {
			return c
		}
		a1, b1 = a1[n:], b1[n:]
	}
}
