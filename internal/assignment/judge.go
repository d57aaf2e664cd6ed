package assignment

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kvguard/kvguard/internal/assess"
	"github.com/kvguard/kvguard/internal/estate"
	"github.com/kvguard/kvguard/internal/policy"
	"github.com/kvguard/kvguard/internal/resource"
)

// Options tune a judgement.
type Options struct {
	// Target is where the IaC will be deployed (--target-scope): planned
	// documents whose IDs are not concrete are placed there.
	Target Scope
	// Now decides which exemptions have expired and what utcNow()
	// returns; zero means time.Now().
	Now time.Time
	// BuiltIns supplies built-in definitions the inputs lack.
	BuiltIns BuiltIns
}

// Judge collects the documents of a scan and judges them with a tenant's
// assignments.
type Judge struct {
	set    *Set
	opts   Options
	bounds []*bound
	est    *estate.Estate

	mu    sync.Mutex
	comps []*resource.Document
}

// New compiles the set's assignments for the target scope. The returned
// errors (InputErrors) name each assignment or definition that could not
// be compiled; the others are judged.
func New(set *Set, opts Options) (*Judge, []error) {
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	bs, errs := set.compile(opts.BuiltIns)
	return &Judge{set: set, opts: opts, bounds: bs, est: estate.New()}, errs
}

// Assignments counts the distinct assignments judged.
func (j *Judge) Assignments() int {
	seen := map[string]bool{}
	for _, b := range j.bounds {
		seen[resource.Key(b.a.ID)] = true
	}
	return len(seen)
}

// Add takes one document; safe for concurrent use.
func (j *Judge) Add(doc *resource.Document) {
	if doc == nil {
		return
	}
	if estate.IsComponent(doc) {
		j.mu.Lock()
		j.comps = append(j.comps, doc)
		j.mu.Unlock()
		return
	}
	j.est.Add(doc)
}

// Finish judges every document collected and returns the verdicts,
// sorted by resource (provenance order), assignment and member.
func (j *Judge) Finish() []*assess.AssignmentVerdict {
	idx, _ := j.est.Seal() // its problems are the assessor's to report
	docs := append([]*resource.Document(nil), idx.Docs()...)
	j.mu.Lock()
	comps := append([]*resource.Document(nil), j.comps...)
	j.mu.Unlock()
	slices.SortStableFunc(comps, estate.Compare)
	docs = append(docs, comps...)
	slices.SortStableFunc(docs, estate.Compare)
	var out []*assess.AssignmentVerdict
	for _, doc := range docs {
		out = append(out, j.judge(doc, idx)...)
	}
	return out
}

// DeployedID is the ID the resource will have at the target scope: a
// concrete ID is its own; a planned one (placeholder subscription or
// resource group, a Terraform address) is placed in the target.
func (j *Judge) DeployedID(doc *resource.Document) string {
	if estate.Concrete(doc.ID) || j.opts.Target.ID == "" {
		return doc.ID
	}
	t := j.opts.Target
	id, ok := resource.ParseID(doc.ID)
	tail := "/providers/" + doc.Type + "/" + doc.Name
	rg := ""
	if ok && id.Provider != "" {
		low := strings.ToLower(doc.ID)
		if i := strings.Index(low, "/providers/"); i >= 0 {
			tail = doc.ID[i:]
		}
		rg = id.ResourceGroup
	}
	switch {
	case t.ResourceGroup != "":
		return "/subscriptions/" + t.Subscription + "/resourceGroups/" + t.ResourceGroup + tail
	case t.Subscription != "" && rg != "":
		return "/subscriptions/" + t.Subscription + "/resourceGroups/" + rg + tail
	}
	return doc.ID
}

func (j *Judge) judge(doc *resource.Document, idx *estate.Index) []*assess.AssignmentVerdict {
	id := j.DeployedID(doc)
	planned := doc.Deployment != ""
	var out []*assess.AssignmentVerdict
	var req *request
	if planned {
		req = j.request(doc, idx, id)
	}
	for _, b := range j.bounds {
		effect, overridden, unknownWhy, ok := j.applies(b, doc, id)
		if !ok {
			continue
		}
		v := j.verdict(b, doc, idx, effect, req)
		if v == nil {
			continue
		}
		if overridden != "" {
			v.Effect = overridden
			v.Reason += fmt.Sprintf(" (effect %s set by the assignment's override)", overridden)
		}
		if unknownWhy != "" && v.Outcome != assess.PolicyCompliant {
			v.Outcome = assess.PolicyUnknown
			v.Reason += "; whether the assignment's resource selectors pick this resource is unknown: " + unknownWhy
		}
		j.exempt(v, b, doc, id)
		out = append(out, v)
	}
	slices.SortStableFunc(out, func(x, y *assess.AssignmentVerdict) int {
		return cmp.Or(cmp.Compare(strings.ToLower(x.AssignmentID), strings.ToLower(y.AssignmentID)), cmp.Compare(x.ReferenceID, y.ReferenceID))
	})
	return out
}

// applies reports whether assignment member b applies to doc (deployed
// as id): its scope covers it, no notScope excludes it, its resource
// selectors pick it, and its effect (after overrides, named in
// overridden when one set it) is not Disabled. unknownWhy names a value
// the selectors read that is unknown.
func (j *Judge) applies(b *bound, doc *resource.Document, id string) (effect, overridden, unknownWhy string, ok bool) {
	if !j.set.covers(b.a.Scope, id) || j.excluded(b.a, id) {
		return "", "", "", false
	}
	in, unknownWhy := selected(b.a.ResourceSelectors, doc, "")
	if !in {
		return "", "", "", false
	}
	effect = b.p.Effect()
	for _, o := range b.a.Overrides {
		if ok, _ := allMatch(o.Selectors, doc, b.refID); ok {
			effect, overridden = strings.ToLower(o.Value), o.Value
		}
	}
	return effect, overridden, unknownWhy, effect != "disabled"
}

func (j *Judge) excluded(a *Assignment, id string) bool {
	for _, ns := range a.NotScopes {
		if _, isMG := cutPrefixFold(ns, mgPrefix); isMG {
			if j.set.Ancestry != nil && j.set.covers(ns, id) {
				return true
			}
			continue
		}
		if within(ns, id) {
			return true
		}
	}
	return false
}

// requestView is the body a deployment sends: the stored view without
// the defaults the input filled in for the resource provider.
func requestView(doc *resource.Document) *resource.Document {
	if len(doc.ServiceDefaults) == 0 {
		return doc
	}
	cp := *doc
	body, _ := resource.CopyValue(doc.Body).(map[string]any)
	for _, p := range doc.ServiceDefaults {
		deletePath(body, strings.Split(p, "."))
	}
	cp.Body = body
	return &cp
}

func deletePath(m map[string]any, path []string) {
	for k, v := range m {
		if !strings.EqualFold(k, path[0]) {
			continue
		}
		if len(path) == 1 {
			delete(m, k)
			return
		}
		if sub, ok := v.(map[string]any); ok {
			deletePath(sub, path[1:])
		}
		return
	}
}

func (j *Judge) verdict(b *bound, doc *resource.Document, idx *estate.Index, effect string, req *request) *assess.AssignmentVerdict { //nolint:funlen // one switch over the outcomes, each with its sentence
	planned := req != nil
	view, judged := assess.StoredView, doc
	if effect == "deny" && planned {
		view, judged = assess.RequestView, req.doc
	}
	var rel policy.Related
	if idx != nil {
		rel = idx
	}
	r := b.p.Evaluate(judged, rel, policy.Options{Now: j.opts.Now})
	v := &assess.AssignmentVerdict{
		Resource:     assess.Resource{ID: doc.ID, Name: doc.Name, Type: doc.Type, Source: doc.Source, Deployment: doc.Deployment},
		AssignmentID: b.a.ID, AssignmentName: b.a.Label(),
		DefinitionID: b.def.ID, DefinitionName: defName(b.def), ReferenceID: b.refID,
		Effect: effectName(effect), Enforced: b.a.Enforced(), View: view, Details: assess.DetailsOf(r.Reasons),
	}
	if b.set != nil {
		v.SetDefinitionID = b.set.ID
	}
	what := fmt.Sprintf("policy %q", v.DefinitionName)
	if b.refID != "" {
		what += " (" + b.refID + ")"
	}
	switch r.Outcome {
	case policy.NotApplicable, policy.Disabled:
		return nil
	case policy.Compliant:
		v.Outcome = assess.PolicyCompliant
		v.Reason = fmt.Sprintf("meets %s of assignment %q", what, v.AssignmentName)
	case policy.NonCompliant:
		v.Outcome = assess.PolicyNonCompliant
		switch {
		case effect == "deny" && planned && v.Enforced:
			v.Outcome = assess.Refused
			v.Reason = fmt.Sprintf("Azure Policy would refuse the deployment: assignment %q denies it by %s, judging the request", v.AssignmentName, what)
		case effect == "deny" && planned:
			v.Reason = fmt.Sprintf("assignment %q is in DoNotEnforce mode: Azure would not refuse the deployment, but compliance would show it non-compliant with %s", v.AssignmentName, what)
		default:
			v.Reason = fmt.Sprintf("non-compliant with %s of assignment %q (%s)", what, v.AssignmentName, v.Effect)
		}
	case policy.Unknown:
		v.Outcome = assess.PolicyUnknown
		v.Reason = fmt.Sprintf("the verdict of %s of assignment %q depends on values unknown before deployment", what, v.AssignmentName)
		if r.Err != nil {
			v.Reason += ": " + r.Err.Error()
		}
	default:
		v.Outcome = assess.PolicyError
		v.Reason = fmt.Sprintf("%s of assignment %q could not be evaluated: %v", what, v.AssignmentName, r.Err)
	}
	if planned {
		req.explain(v, b, effect)
	}
	if b.viaCat {
		v.Reason += " (judged with kvguard's copy of the built-in definition)"
	}
	return v
}

func defName(d *policy.Definition) string {
	if d.DisplayName != "" {
		return d.DisplayName
	}
	return d.Name
}

// effectName spells an effect as Azure's documentation does.
func effectName(e string) string {
	switch e {
	case "auditifnotexists":
		return "AuditIfNotExists"
	case "deployifnotexists":
		return "DeployIfNotExists"
	case "denyaction":
		return "DenyAction"
	}
	if e == "" {
		return e
	}
	return strings.ToUpper(e[:1]) + e[1:]
}

// exemptionFor finds the first exemption (by ID) that covers member b on
// the resource deployed as id, and the first that did until it expired.
func (j *Judge) exemptionFor(b *bound, doc *resource.Document, id string) (active, expired *Exemption) {
	xs := append([]*Exemption(nil), j.set.Exemptions...)
	slices.SortStableFunc(xs, func(x, y *Exemption) int { return cmp.Compare(resource.Key(x.ID), resource.Key(y.ID)) })
	for _, x := range xs {
		if !strings.EqualFold(x.AssignmentID, b.a.ID) || !j.set.covers(x.Scope, id) {
			continue
		}
		if len(x.ReferenceIDs) > 0 && !slices.ContainsFunc(x.ReferenceIDs, func(r string) bool { return strings.EqualFold(r, b.refID) }) {
			continue
		}
		if ok, _ := selected(x.ResourceSelectors, doc, b.refID); !ok {
			continue
		}
		if !x.ExpiresOn.IsZero() && !j.opts.Now.Before(x.ExpiresOn) {
			if expired == nil {
				expired = x
			}
			continue
		}
		return x, expired
	}
	return nil, expired
}

// exempt applies the first exemption (by ID) that covers the verdict.
func (j *Judge) exempt(v *assess.AssignmentVerdict, b *bound, doc *resource.Document, id string) {
	x, expired := j.exemptionFor(b, doc, id)
	if x != nil {
		v.Exemption = &assess.PolicyExemption{ID: x.ID, Name: x.Name, Category: x.Category, Expires: x.ExpiresOn}
		if v.Outcome != assess.PolicyCompliant {
			v.Reason = fmt.Sprintf("exempt (%s, exemption %s); without it: %s", x.Category, x.Name, v.Reason)
		}
		v.Outcome = assess.PolicyExempt
		return
	}
	if expired != nil {
		v.Exemption = &assess.PolicyExemption{ID: expired.ID, Name: expired.Name, Category: expired.Category, Expires: expired.ExpiresOn, Expired: true}
		v.Reason += fmt.Sprintf(" (exemption %s expired on %s)", expired.Name, expired.ExpiresOn.UTC().Format(time.RFC3339))
	}
}

// selected reports whether resource selectors pick the resource: any
// selector group all of whose selectors match; no groups picks every
// resource. unknown names a value that could not be read.
func selected(rs []ResourceSelector, doc *resource.Document, refID string) (bool, string) {
	if len(rs) == 0 {
		return true, ""
	}
	unknown := ""
	for _, r := range rs {
		ok, why := allMatch(r.Selectors, doc, refID)
		if ok && why == "" {
			return true, ""
		}
		if ok {
			unknown = why
		}
	}
	return unknown != "", unknown
}

// allMatch reports whether every selector matches; a selector on an
// unknown location counts as matching and names the unknown.
func allMatch(ss []Selector, doc *resource.Document, refID string) (bool, string) {
	unknown := ""
	for _, s := range ss {
		var val string
		switch strings.ToLower(s.Kind) {
		case "policydefinitionreferenceid":
			val = refID
		case "resourcetype":
			val = doc.Type
		case "resourcelocation", "resourcewithoutlocation":
			loc, has := locationOf(doc)
			if u, isUnknown := loc.(resource.Unknown); isUnknown {
				unknown = "location is " + u.Expr
				continue
			}
			if strings.EqualFold(s.Kind, "resourceWithoutLocation") {
				val = fmt.Sprint(!has)
			} else {
				str, _ := loc.(string)
				val = normLocation(str)
			}
		}
		if !selectorMatch(s, val) {
			return false, ""
		}
	}
	return true, unknown
}

func locationOf(doc *resource.Document) (any, bool) {
	v, ok := resource.LookupFold(doc.Body, "location")
	if !ok || v == nil {
		return nil, false
	}
	if s, isStr := v.(string); isStr && s == "" {
		return nil, false
	}
	return v, true
}

// normLocation compares locations as Azure does: "West Europe" is westeurope.
func normLocation(s string) string { return strings.ToLower(strings.ReplaceAll(s, " ", "")) }

func selectorMatch(s Selector, val string) bool {
	eq := func(x string) bool {
		if strings.EqualFold(s.Kind, "resourceLocation") {
			return normLocation(x) == val
		}
		return strings.EqualFold(x, val)
	}
	if len(s.In) > 0 {
		return slices.ContainsFunc(s.In, eq)
	}
	return !slices.ContainsFunc(s.NotIn, eq)
}
