package assess

import (
	"strings"

	"github.com/kvguard/kvguard/internal/catalog"
	"github.com/kvguard/kvguard/internal/estate"
	"github.com/kvguard/kvguard/internal/policy"
	"github.com/kvguard/kvguard/internal/resource"
)

// work is a component to judge and the unit it belongs to (nil for
// documents given to Assessor.Add).
type work struct {
	doc  *resource.Document
	unit *Unit
}

func (a *Assessor) worker() {
	defer a.wg.Done()
	var keys keyCache
	var rel resource.Releaser
	defer rel.Flush()
	// The components judged are counted off their unit's pending a run
	// at a time (settle): one Done per component made the counter, which
	// the reading goroutine adds to, bounce between processors a million
	// times. The count is settled before the worker waits for more work,
	// so that a unit waiting for its components (Unit.Done) never waits
	// on a worker that has nothing left to do.
	var unit *Unit
	judged := 0
	settle := func() {
		if judged > 0 {
			unit.pending.Add(-judged)
		}
		unit, judged = nil, 0
	}
	defer settle()
	for {
		var w work
		var ok bool
		select {
		case w, ok = <-a.work:
		default:
			settle()
			w, ok = <-a.work
		}
		if !ok {
			return
		}
		comps := a.comps
		if w.unit != nil {
			comps = w.unit.comps
		}
		a.judgeComponent(w.doc, comps, &keys)
		// Nothing of the document is kept past judging but strings:
		// a pooled one goes back to its reader's pool.
		rel.Release(w.doc)
		if w.unit != nil {
			if w.unit != unit {
				settle()
				unit = w.unit
			}
			judged++
		}
	}
}

// keyCache remembers the last parent's map key: components arrive grouped
// by vault, and lower-casing a resource ID per component is measurable at
// a million of them.
type keyCache struct {
	ref    resource.Ref
	dep    string
	key    string
	seg    string  // the component type's last segment ("secrets")
	prefix *string // ref's ID or URL + "/" + seg + "/"
}

func (k *keyCache) of(r resource.Ref, dep string) string {
	if r != k.ref || dep != k.dep || k.key == "" {
		k.ref, k.dep, k.key, k.prefix = r, dep, estate.RefKey(r, dep), nil
	}
	return k.key
}

// idPrefix returns the shared prefix when id is the parent's ID (or URL)
// followed by /<segment>/<name>, else nil.
func (k *keyCache) idPrefix(r resource.Ref, dep, typ, id, name string) *string {
	k.of(r, dep)
	seg := typ[strings.LastIndexByte(typ, '/')+1:]
	if k.prefix == nil || k.seg != seg {
		if r.IsZero() {
			return nil
		}
		p := componentPrefix(r, typ)
		k.prefix, k.seg = &p, seg
	}
	if len(id) == len(*k.prefix)+len(name) && strings.HasPrefix(id, *k.prefix) && strings.HasSuffix(id, name) {
		return k.prefix
	}
	return nil
}

// maxInline is how many data-plane recommendations judgeComponent handles
// without allocating; catalogs with more fall back to the heap.
const maxInline = 8

// judgeComponent evaluates the data-plane recommendations on one component
// and keeps the verdicts in comps.
func (a *Assessor) judgeComponent(doc *resource.Document, comps map[string]*parentComps, keys *keyCache) {
	// The verdicts stay on the stack for small catalogs.
	var inline [maxInline]Component
	var inlineHas [maxInline]bool
	results, has := inline[:0], inlineHas[:0]
	if len(a.data) > maxInline {
		results, has = make([]Component, 0, len(a.data)), make([]bool, 0, len(a.data))
	}
	results, has = results[:len(a.data)], has[:len(a.data)]
	var usedInline [4]bool
	var used []bool
	if len(doc.Suppressions) > len(usedInline) {
		used = make([]bool, len(doc.Suppressions))
	} else {
		used = usedInline[:len(doc.Suppressions)]
	}
	disabled := false
	if a.opts.EnabledOnly {
		if v, ok := doc.Get("attributes", "enabled"); ok {
			if b, isBool := v.(bool); isBool && !b {
				disabled = true
			}
		}
	}
	// A component keeps its own location only when it is declared in code
	// (an address: a Terraform block, a Bicep or ARM resource), where a
	// finding should point at it; a secret's line in a saved estate is not
	// worth 100 bytes a million times.
	var src *resource.Provenance
	if doc.Source.Address != "" {
		s := doc.Source
		src = &s
	}
	// Names and IDs are copied (or cloned) when the verdicts are kept
	// (add): inputs may hand out strings sliced from larger ones.
	for i, r := range a.data {
		if r.Component != "*" && doc.Type != r.Component && !doc.IsType(r.Component) {
			continue
		}
		c := &results[i]
		*c = Component{ID: doc.ID, Name: doc.Name, Type: doc.Type, Source: src}
		if p := keys.idPrefix(doc.Parent, doc.Deployment, doc.Type, doc.ID, doc.Name); p != nil {
			c.ID, c.idPrefix = "", p
		}
		if disabled {
			c.Status, c.Reason = NotApplicable, disabledReason
			has[i] = true
			continue
		}
		has[i] = a.evaluateComponent(doc, r, c, used)
	}
	a.keep(doc, comps, keys, results, has, used)
}

// evaluateComponent judges one component on one recommendation into c,
// applying its suppressions; false when the recommendation does not
// apply to it.
func (a *Assessor) evaluateComponent(doc *resource.Document, r *catalog.Recommendation, c *Component, used []bool) bool {
	popts := a.popts
	popts.SkipReasons = r.ComponentUnhealthyText != "" // the catalog phrases the finding
	res := r.Policy.Evaluate(doc, nil, popts)
	switch res.Outcome {
	case policy.NotApplicable, policy.Disabled:
		return false
	case policy.Compliant:
		c.Status = Healthy
	case policy.NonCompliant:
		c.Status = Unhealthy
		c.Reason = r.ComponentUnhealthyText
		if c.Reason == "" {
			c.Reason = factsFromReasons(res.Reasons)
		}
		c.Reason = withNote(c.Reason, res)
	case policy.Unknown:
		c.Status, c.Reason = Unknown, unknownReason(res)
	case policy.Error:
		c.Status, c.Reason = Unknown, "the policy could not be evaluated: "+res.Err.Error()
	}
	for j, s := range doc.Suppressions {
		if matchesRule(s.RuleID, a.views[r]) && (c.Status == Unhealthy || c.Status == Unknown) {
			used[j] = true
			c.Status, c.Reason, c.Exemption = applySuppression(s, c.Status, c.Reason, a.opts.Now)
		}
	}
	return true
}

// keep stores a component's verdicts under its parent in comps and
// reports its unused suppressions.
func (a *Assessor) keep(doc *resource.Document, comps map[string]*parentComps, keys *keyCache, results []Component, has, used []bool) {
	var warnings []*resource.InputError
	for i, s := range doc.Suppressions {
		if !used[i] && !s.Listed {
			warnings = append(warnings, a.unusedSuppression(s, doc))
		}
	}
	key := keys.of(doc.Parent, doc.Deployment)
	a.mu.Lock()
	full := a.addErrs(warnings)
	defer a.spillErrs(full) // runs after the unlock
	defer a.mu.Unlock()
	a.total[doc.Type]++
	pc := comps[key]
	if pc == nil {
		pc = &parentComps{ref: doc.Parent, deployment: doc.Deployment, perRec: make([][]packed, len(a.data))}
		comps[key] = pc
	}
	for i := range results {
		if has[i] {
			c := &results[i]
			a.add(pc, i, a.data[i], c, c.idPrefix != nil && doc.Parent == pc.ref)
		}
	}
}
