package assess

import (
	"fmt"
	"strings"
	"time"

	"github.com/kvguard/kvguard/internal/catalog"
	"github.com/kvguard/kvguard/internal/estate"
	"github.com/kvguard/kvguard/internal/policy"
	"github.com/kvguard/kvguard/internal/resource"
)

// judgeResource evaluates one resource-level recommendation on one
// document; nil when it does not apply.
func (a *Assessor) judgeResource(doc *resource.Document, r *catalog.Recommendation, idx *estate.Index, used map[*resource.Suppression]bool) *Assessment {
	pr := r.Policy.Evaluate(doc, idx, a.popts)
	if pr.Outcome == policy.NotApplicable || pr.Outcome == policy.Disabled {
		return nil
	}
	as := &Assessment{Recommendation: a.views[r], Resource: resourceOf(doc), Details: detailsOf(pr.Reasons)}
	if gap, ok := doc.GapFor(resource.PartProperties); ok {
		as.Status = Unknown
		as.Reason = "the resource's properties could not be read: " + gap.Err
		as.Details = nil
	} else {
		switch pr.Outcome {
		case policy.Compliant:
			as.Status = Healthy
			as.Reason = withNote(facts(doc, r), pr)
		case policy.NonCompliant:
			as.Status = Unhealthy
			as.Reason = withNote(withFacts(r.UnhealthyText, doc, r, pr.Reasons), pr)
			if why := doc.Unfollowed(); why != "" && a.dependsOnUnfollowed(doc, r, idx, why) {
				as.Status = Unknown
				as.Reason += " in what was read; but " + why
			}
		case policy.Unknown:
			as.Status = Unknown
			as.Reason = unknownReason(pr)
		case policy.Error:
			as.Status = Unknown
			as.Reason = "the policy could not be evaluated: " + pr.Err.Error()
		}
	}
	a.applyResourceSuppressions(as, doc, used)
	return as
}

func (a *Assessor) applyResourceSuppressions(as *Assessment, doc *resource.Document, used map[*resource.Suppression]bool) {
	if doc == nil {
		return
	}
	for i := range doc.Suppressions {
		s := &doc.Suppressions[i]
		if !matchesRule(s.RuleID, as.Recommendation) {
			continue
		}
		if as.Status != Unhealthy && as.Status != Unknown {
			continue // nothing to suppress; reported as unused unless another assessment uses it
		}
		used[s] = true
		as.Status, as.Reason, as.Exemption = applySuppression(*s, as.Status, as.Reason, a.opts.Now)
	}
}

func matchesRule(id string, r *Recommendation) bool {
	return strings.EqualFold(id, r.ID) || (r.RelatedPolicy.ID != "" && strings.EqualFold(id, r.RelatedPolicy.ID))
}

func applySuppression(s resource.Suppression, st Status, reason string, now time.Time) (Status, string, *Exemption) {
	ex := &Exemption{Reason: s.Reason, Expires: s.Expires, Source: s.Pos, Listed: s.Listed}
	what := "a kvguard:ignore at "
	if s.Listed {
		what = "the ignore entry at "
	}
	if !s.Active(now) {
		ex.Expired = true
		return st, reason + fmt.Sprintf(" (%s%s expired on %s)", what, s.Pos, s.Expires.Format("2006-01-02")), ex
	}
	if st != Unhealthy && st != Unknown {
		return st, reason, nil
	}
	why := "suppressed by kvguard:ignore at " + s.Pos.String()
	if s.Listed {
		why = "ignored by the entry at " + s.Pos.String()
	}
	if s.Reason != "" {
		why += ": " + s.Reason
	}
	if !s.Expires.IsZero() {
		why += " (until " + s.Expires.Format("2006-01-02") + ")"
	}
	return Exempt, why + "; was: " + reason, ex
}

func (a *Assessor) unusedSuppression(s resource.Suppression, doc *resource.Document) *resource.InputError {
	// Kept past the document: a pooled one's ID is written over once it
	// is released (resource.PoolSlot.Text).
	id := strings.Clone(doc.ID)
	if _, ok := a.cat.Lookup(s.RuleID); !ok {
		return &resource.InputError{Pos: s.Pos, ResourceID: id, Warning: true,
			Msg: fmt.Sprintf("kvguard:ignore names unknown recommendation %q (known: %s)", s.RuleID, strings.Join(a.cat.IDs(), ", "))}
	}
	return &resource.InputError{Pos: s.Pos, ResourceID: id, Warning: true,
		Msg: fmt.Sprintf("kvguard:ignore %s on %s is unused: the resource has no finding to suppress", s.RuleID, estate.NameOf(doc))}
}

func resourceOf(doc *resource.Document) Resource {
	return Resource{ID: doc.ID, Name: doc.Name, Type: doc.Type, Source: doc.Source, Deployment: doc.Deployment}
}
