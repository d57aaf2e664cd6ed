package jsonreport

import (
	"time"

	"github.com/kvguard/kvguard/internal/assess"
)

// writeAssignments writes the verdicts of the tenant's own assignments
// (--assignments): the counts, then one verdict per resource, assignment
// and member policy.
func writeAssignments(b *buf, r *assess.Result) {
	s := r.Summary.Assignments
	b.raw(`{"targetScope":`)
	b.str(s.TargetScope)
	b.raw(`,"assignments":`)
	b.int(s.Assignments)
	for _, o := range []assess.PolicyOutcome{assess.Refused, assess.PolicyNonCompliant, assess.PolicyCompliant, assess.PolicyExempt, assess.PolicyUnknown, assess.PolicyError} {
		b.raw(`,"` + lowerFirst(string(o)) + `":`)
		b.int(s.ByOutcome[o])
	}
	b.raw(`,"verdicts":[`)
	for i, v := range r.AssignmentVerdicts {
		if i > 0 {
			b.raw(",")
		}
		b.raw("\n")
		writeVerdict(b, v)
	}
	b.raw("]}")
}

func writeVerdict(b *buf, v *assess.AssignmentVerdict) {
	b.raw(`{"resource":`)
	writeResource(b, &v.Resource)
	b.raw(`,"assignment":{"id":`)
	b.str(v.AssignmentID)
	b.raw(`,"name":`)
	b.str(v.AssignmentName)
	b.raw(`,"enforced":`)
	b.bool(v.Enforced)
	b.raw(`},"definition":{"id":`)
	b.str(v.DefinitionID)
	b.raw(`,"name":`)
	b.str(v.DefinitionName)
	if v.SetDefinitionID != "" {
		b.raw(`,"setDefinitionId":`)
		b.str(v.SetDefinitionID)
		b.raw(`,"referenceId":`)
		b.str(v.ReferenceID)
	}
	b.raw(`},"effect":`)
	b.str(v.Effect)
	b.raw(`,"view":`)
	b.str(string(v.View))
	b.raw(`,"outcome":`)
	b.str(string(v.Outcome))
	b.raw(`,"reason":`)
	b.str(v.Reason)
	if len(v.Details) > 0 {
		b.raw(`,"details":[`)
		for i, d := range v.Details {
			if i > 0 {
				b.raw(",")
			}
			writeDetail(b, d)
		}
		b.raw("]")
	}
	if x := v.Exemption; x != nil {
		b.raw(`,"exemption":{"id":`)
		b.str(x.ID)
		b.raw(`,"name":`)
		b.str(x.Name)
		b.raw(`,"category":`)
		b.str(x.Category)
		if !x.Expires.IsZero() {
			b.raw(`,"expiresOn":`)
			b.str(x.Expires.UTC().Format(time.RFC3339))
		}
		b.raw(`,"expired":`)
		b.bool(x.Expired)
		b.raw("}")
	}
	writeRequestChanges(b, v.RequestChanges)
	b.raw("}")
}

// writeRequestChanges writes the changes Append and Modify assignments
// make to the request (none: nothing).
func writeRequestChanges(b *buf, cs []assess.RequestChange) {
	if len(cs) == 0 {
		return
	}
	b.raw(`,"requestChanges":[`)
	for i, c := range cs {
		if i > 0 {
			b.raw(",")
		}
		writeRequestChange(b, c)
	}
	b.raw("]")
}

func writeRequestChange(b *buf, c assess.RequestChange) {
	b.raw(`{"assignment":{"id":`)
	b.str(c.AssignmentID)
	b.raw(`,"name":`)
	b.str(c.AssignmentName)
	if c.ReferenceID != "" {
		b.raw(`,"referenceId":`)
		b.str(c.ReferenceID)
	}
	b.raw(`},"effect":`)
	b.str(c.Effect)
	b.raw(`,"operation":`)
	b.str(c.Operation)
	b.raw(`,"field":`)
	b.str(c.Field)
	b.raw(`,"path":`)
	b.str(c.Path)
	b.raw(`,"before":`)
	b.marshal(c.Before)
	b.raw(`,"after":`)
	b.marshal(c.After)
	b.raw("}")
}
