package assess

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kvguard/kvguard/internal/catalog"
	"github.com/kvguard/kvguard/internal/estate"
	"github.com/kvguard/kvguard/internal/resource"
)

// rollUp judges each vault on the data-plane recommendations from its
// components: unhealthy if any component is, not applicable if it has
// none, the failing components listed. It also returns how many vaults
// are known only by their components, and the warnings about ambiguous
// parents. It takes the groups of components out of comps.
func (a *Assessor) rollUp(ix *estate.Index, comps map[string]*parentComps, workers int, used map[*resource.Suppression]bool) ([]*Assessment, int, []*resource.InputError) {
	order, placeholders, warnings := a.attach(ix, comps)
	types := a.componentTypes()
	// The vaults are judged in parallel, in pieces joined in order.
	return fanOut(len(order), workers, used, func(lo, hi int, used map[*resource.Suppression]bool) []*Assessment {
		var out []*Assessment
		for _, t := range order[lo:hi] {
			out = a.judgeTarget(t, types, used, out)
		}
		return out
	}), placeholders, warnings
}

// attach gives every group of components to the vault its parent
// reference names, or to a placeholder vault when the estate has none,
// and returns the vaults in order: the estate's, then the placeholders in
// key order, the number of placeholders, and a warning for each
// ambiguous reference. It empties comps.
func (a *Assessor) attach(ix *estate.Index, comps map[string]*parentComps) ([]*target, int, []*resource.InputError) {
	var warnings []*resource.InputError
	targets := map[*resource.Document]*target{}
	var order []*target
	for _, v := range ix.Vaults() {
		t := &target{doc: v, res: resourceOf(v), comps: make([][]Component, len(a.data))}
		targets[v] = t
		order = append(order, t)
	}
	placeholders := map[string]*target{}
	keys := make([]string, 0, len(comps))
	for k := range comps {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		pc := comps[k]
		var t *target
		if m := ix.VaultFor(pc.ref, pc.deployment); m.Doc != nil {
			if w := m.Warning("the secrets and keys listed for " + pc.ref.String()); w != nil {
				warnings = append(warnings, w)
			}
			t = targets[m.Doc]
			if t == nil { // a component whose parent is not a vault (an HSM key under an unknown type)
				t = &target{doc: m.Doc, res: resourceOf(m.Doc), comps: make([][]Component, len(a.data))}
				targets[m.Doc] = t
				order = append(order, t)
			}
		} else {
			name := estate.RefKey(pc.ref, pc.deployment)
			if t = placeholders[name]; t == nil {
				t = &target{res: placeholderResource(pc.ref, pc.deployment), comps: make([][]Component, len(a.data))}
				placeholders[name] = t
				order = append(order, t)
			}
		}
		t.pcs = append(t.pcs, pc)
		delete(comps, k)
	}
	return order, len(placeholders), warnings
}

// target is a vault (or a placeholder for one) with its components.
type target struct {
	doc   *resource.Document
	res   Resource
	pcs   []*parentComps // in key order, until judgeTarget
	comps [][]Component  // per data-plane recommendation
}

// judgeTarget appends the data-plane assessments of one vault to out.
// types are the component types numbered for packing.
func (a *Assessor) judgeTarget(t *target, types []string, used map[*resource.Suppression]bool, out []*Assessment) []*Assessment {
	// A vault's components packed already in report order go straight to
	// their compact form (packedCompact), without becoming Components.
	var direct []*packedRollUp
	if len(t.pcs) == 1 && !a.keepWhole {
		all := true
		for i, r := range a.data {
			if d := a.packedCompact(t.pcs[0], i, r, types); d != nil {
				if direct == nil {
					direct = make([]*packedRollUp, len(a.data))
				}
				direct[i] = d
			} else if len(t.pcs[0].perRec[i]) > 0 {
				all = false
			}
		}
		if all {
			t.pcs = nil // nothing left to materialize
		}
	}
	for _, pc := range t.pcs {
		names, prefixes := string(pc.names), map[uint8]*string{}
		for i, r := range a.data {
			if direct != nil && direct[i] != nil {
				continue
			}
			// Each vault's verdicts become Components as the vault's turn
			// comes, and are dropped: a million components must not exist
			// twice.
			cs := materialize(pc, i, r, names, prefixes, types)
			if t.comps[i] == nil {
				t.comps[i] = cs
			} else {
				t.comps[i] = append(t.comps[i], cs...)
			}
		}
	}
	t.pcs = nil
	for i, r := range a.data {
		if direct != nil && direct[i] != nil {
			d := direct[i]
			as := &Assessment{Recommendation: a.views[r], Resource: t.res}
			a.judgeCounted(as, t.doc, r, &d.n, d.cc.len())
			a.applyResourceSuppressions(as, t.doc, used)
			as.compact = d.cc
			out = append(out, as)
			continue
		}
		if len(t.comps[i]) == 0 && (t.doc == nil || !appliesTo(r, t.doc)) {
			// A placeholder vault is judged only on what its components show.
			continue
		}
		as := &Assessment{Recommendation: a.views[r], Resource: t.res}
		as.Components = dedupe(t.comps[i])
		t.comps[i] = nil // compacted below: the Components must not outlive it
		a.judgeRollUp(as, t.doc, r)
		a.applyResourceSuppressions(as, t.doc, used)
		a.compact(as)
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

// placeholderResource is a vault known only by the reference its
// components make, from deployment dep.
func placeholderResource(r resource.Ref, dep string) Resource {
	res := Resource{Type: resource.TypeVault, Placeholder: true, Deployment: dep}
	if dep != "" {
		// Which deployment named it tells two placeholders apart.
		res.Source = resource.Provenance{File: dep}
	}
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

// judgeRollUp sets the vault's status from its components.
func (a *Assessor) judgeRollUp(as *Assessment, doc *resource.Document, r *catalog.Recommendation) {
	n := countComponents(as.Components)
	a.judgeCounted(as, doc, r, &n, len(as.Components))
}

// judgeCounted is judgeRollUp for components counted in n, total of them.
func (a *Assessor) judgeCounted(as *Assessment, doc *resource.Document, r *catalog.Recommendation, n *componentCounts, total int) {
	noun := r.ComponentNoun
	if noun == "" {
		noun = "component"
	}
	badList := n.badNames[:min(n.bad, maxNames)]
	if doc != nil {
		if g, ok := doc.GapFor(r.Component); ok {
			as.Status = Unknown
			as.Reason = fmt.Sprintf("the vault's %ss could not be listed: %s", noun, g.Err)
			if n.bad > 0 {
				as.Reason += fmt.Sprintf("; of those read, %s %s", countNames(badList, n.bad, noun), r.ComponentUnhealthyText)
			}
			return
		}
		if g, p, ok := a.partialGap(doc, r); ok {
			// The components were read, the part this rule reads was
			// not: a component failing here may fail only for want of it.
			as.Status = Unknown
			as.Reason = fmt.Sprintf("the vault's %s could not be read: %s", p.Noun, g.Err)
			return
		}
	}
	as.Status, as.Reason = rollUpStatus(n, total, noun, r.ComponentUnhealthyText)
	if doc == nil || as.Status == Unhealthy {
		return // one failing component decides, whatever else there may be
	}
	if total == 0 && doc.Source.Kind == savedAzureJSON {
		as.Status, as.Reason = Unknown, neverListed(doc, r.Component, noun)
		return
	}
	if why := doc.Unfollowed(); why != "" {
		// A module that was not read may create more: only a failure
		// among the known ones decides.
		as.Status, as.Reason = Unknown, as.Reason+"; but "+why
	}
}

// savedAzureJSON is the provenance kind of saved Azure JSON (az CLI, ARG
// or ARM output; see resource.Provenance.Kind). Unlike a live scan or a
// kvguard snapshot, which record the lists they read, it cannot show that
// a vault has no secrets: an empty az keyvault secret list names no vault.
const savedAzureJSON = "azure-json"

// neverListed says that a vault read from saved Azure JSON has no list of
// its components (of type typ) in the input, and how to supply one.
func neverListed(doc *resource.Document, typ, noun string) string {
	name := doc.Name
	if name == "" {
		name = "NAME"
	}
	cmd := strings.TrimSuffix(typ[strings.LastIndexByte(typ, '/')+1:], "s")
	return fmt.Sprintf("the input has no %s list for this vault, and saved Azure JSON cannot show that it has no %ss: "+
		"add the output of `az keyvault %s list --vault-name %s -o json` to the scan, or scan live with --azure", noun, noun, cmd, name)
}

// rollUpStatus is the verdict of a vault's components, all of which were
// listed: total is how many there are, counted in n.
func rollUpStatus(n *componentCounts, total int, noun, unhealthyText string) (Status, string) {
	switch {
	case n.judged == 0:
		if total > 0 {
			return NotApplicable, fmt.Sprintf("no enabled %ss (%d disabled, skipped by --enabled-only)", noun, total)
		}
		return NotApplicable, fmt.Sprintf("no %ss in the input", noun)
	case n.bad > 0:
		return Unhealthy, fmt.Sprintf("%d of %s %s: %s", n.bad, nouns(n.judged, noun), pluralVerb(unhealthyText, n.bad), names(n.badNames[:min(n.bad, maxNames)], n.bad))
	case n.unknown > 0:
		reason := fmt.Sprintf("%d of %s could not be judged: %s", n.unknown, nouns(n.judged, noun), n.firstUnknown.Name+" ("+n.firstUnknown.Reason+")")
		if n.unknown > 1 {
			reason += fmt.Sprintf(" and %d more", n.unknown-1)
		}
		return Unknown, reason
	case n.exempt == n.judged:
		return Exempt, fmt.Sprintf("every %s with a finding is suppressed (%d)", noun, n.exempt)
	}
	reason := fmt.Sprintf("all %s pass", nouns(n.judged, noun))
	if n.judged == 1 {
		reason = fmt.Sprintf("the only %s passes", noun)
	}
	if n.exempt > 0 {
		reason += fmt.Sprintf(" (%d suppressed)", n.exempt)
	}
	return Healthy, reason
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

// partialGap returns the first gap of doc marking a part of its components
// (resource.PartialGap) that r reads: r's verdict on them cannot be known.
// Rules that do not read the part are judged as usual.
func (a *Assessor) partialGap(doc *resource.Document, r *catalog.Recommendation) (resource.Gap, resource.PartialGap, bool) {
	for _, g := range doc.Gaps {
		if p, ok := resource.PartialGapOf(g); ok && p.ReadBy(r.Component, a.reads[r]) {
			return g, p, true
		}
	}
	return resource.Gap{}, resource.PartialGap{}, false
}
