package assignment

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/kvguard/kvguard/internal/assess"
	"github.com/kvguard/kvguard/internal/estate"
	"github.com/kvguard/kvguard/internal/policy"
	"github.com/kvguard/kvguard/internal/resource"
)

// request is what a Deny sees of a planned resource: the body the
// deployment sends (requestView), changed by the Append and Modify
// assignments that apply to it, which Azure evaluates first: "Append and
// Modify are then evaluated. Since either could alter the request, a
// change made may prevent an audit or deny effect from triggering. ...
// Deny is then evaluated" (learn.microsoft.com/azure/governance/policy/
// concepts/effect-basics, "Order of evaluation").
type request struct {
	doc     *resource.Document
	changes []assess.RequestChange
	// unknown names the Append/Modify assignments whose change (or
	// whether they apply) cannot be known before deployment.
	unknown []string
	// results are each Append/Modify member's result, for its own
	// verdict.
	results map[*bound]policy.MutateResult
}

// request builds the request Azure's Deny assignments judge for a planned
// document deployed as id. The Append and Modify members that apply
// (enforced, not exempt) change it in the order of their assignment IDs
// and reference IDs; kvguard cannot know the order Azure applies two
// assignments in, so when two set one property, the later in that order
// wins and both changes are listed.
func (j *Judge) request(doc *resource.Document, idx *estate.Index, id string) *request {
	r := &request{doc: requestView(doc), results: map[*bound]policy.MutateResult{}}
	var muts []*bound
	for _, b := range j.bounds {
		effect, _, unknownWhy, ok := j.applies(b, doc, id)
		if !ok || (effect != "modify" && effect != "append") || !b.a.Enforced() {
			continue
		}
		if x, _ := j.exemptionFor(b, doc, id); x != nil {
			continue
		}
		if unknownWhy != "" {
			r.unknown = append(r.unknown, fmt.Sprintf("whether %s applies: %s", describeBound(b), unknownWhy))
			continue
		}
		muts = append(muts, b)
	}
	slices.SortStableFunc(muts, func(x, y *bound) int {
		return cmp.Or(cmp.Compare(strings.ToLower(x.a.ID), strings.ToLower(y.a.ID)), cmp.Compare(x.refID, y.refID))
	})
	var rel policy.Related
	if idx != nil {
		rel = idx
	}
	for _, b := range muts {
		res := b.p.Mutate(r.doc, rel, policy.Options{Now: j.opts.Now})
		r.results[b] = res
		switch {
		case res.Err != nil:
			r.unknown = append(r.unknown, fmt.Sprintf("what %s changes: %v", describeBound(b), res.Err))
		case res.Unknown != "":
			r.unknown = append(r.unknown, fmt.Sprintf("what %s changes: %s", describeBound(b), res.Unknown))
		case res.Refused != "":
			// The append member refuses the request itself (its own
			// verdict says so); the request is not changed.
		default:
			r.doc = res.Doc
			for _, c := range res.Changes {
				r.changes = append(r.changes, assess.RequestChange{AssignmentID: b.a.ID, AssignmentName: b.a.Label(), ReferenceID: b.refID,
					Effect: effectName(b.p.Effect()), Operation: c.Operation, Field: c.Field, Path: c.Path, Before: c.Before, After: c.After})
			}
		}
	}
	return r
}

func describeBound(b *bound) string {
	s := fmt.Sprintf("assignment %q", b.a.Label())
	if b.refID != "" {
		s += " (" + b.refID + ")"
	}
	return s + "'s " + effectName(b.p.Effect())
}

// explain adds to a planned resource's verdict what the Append and Modify
// assignments do to its request: a Deny is judged on the changed request
// (and left Unknown when a change that could matter is unknown); an
// enforced Append or Modify that changes the request makes the deployed
// resource meet it, and an Append that would override a value of the
// request refuses it.
func (r *request) explain(v *assess.AssignmentVerdict, b *bound, effect string) {
	switch effect {
	case "deny":
		v.RequestChanges = r.changes
		if len(r.changes) > 0 {
			v.Reason += "; judged on the request after Azure Policy's Append/Modify: " + describeChanges(r.changes)
		}
		if len(r.unknown) > 0 && v.Outcome == assess.Refused {
			v.Outcome = assess.PolicyUnknown
			v.Reason += "; but Azure Policy applies Append and Modify first, and " + strings.Join(r.unknown, "; ") + " is unknown before deployment"
		}
	case "modify", "append":
		res, ok := r.results[b]
		if !ok {
			return
		}
		switch {
		case res.Refused != "" && b.a.Enforced():
			v.Outcome = assess.Refused
			v.Reason = fmt.Sprintf("Azure Policy would refuse the deployment: assignment %q: %s", v.AssignmentName, res.Refused)
		case len(res.Changes) > 0 && v.Outcome == assess.PolicyNonCompliant:
			var own []assess.RequestChange
			for _, c := range r.changes {
				if strings.EqualFold(c.AssignmentID, b.a.ID) && c.ReferenceID == b.refID {
					own = append(own, c)
				}
			}
			v.Outcome = assess.PolicyCompliant
			v.RequestChanges = own
			v.Reason = fmt.Sprintf("assignment %q changes the request on deployment (%s), so the deployed resource meets it", v.AssignmentName, describeChanges(own))
		}
	}
}

// describeChanges lists changes in words: `assignment "x" sets
// properties.networkAcls.defaultAction to "Deny"`.
func describeChanges(cs []assess.RequestChange) string {
	parts := make([]string, 0, len(cs))
	for _, c := range cs {
		var what string
		switch {
		case c.Operation == "remove":
			what = "removes " + c.Path
		case c.Before == nil:
			what = fmt.Sprintf("sets %s to %s", c.Path, show(c.After))
		default:
			what = fmt.Sprintf("changes %s from %s to %s", c.Path, show(c.Before), show(c.After))
		}
		parts = append(parts, fmt.Sprintf("assignment %q %s (%s %s)", c.AssignmentName, what, c.Effect, c.Operation))
	}
	return strings.Join(parts, ", ")
}

// show renders a value as JSON (maps with sorted keys), for reasons.
func show(v any) string {
	if u, ok := v.(resource.Unknown); ok {
		return u.Expr
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
