package table

import (
	"bufio"
	"fmt"
	"strings"

	"github.com/kvguard/kvguard/internal/assess"
)

// writeAssignments lists the verdicts of the tenant's own assignments:
// refusals first in the counts, every verdict but Compliant (unless
// verbose) under its resource.
func (w Writer) writeAssignments(b *bufio.Writer, r *assess.Result) {
	s := r.Summary.Assignments
	if s == nil {
		return
	}
	c := s.ByOutcome
	b.WriteString("\n")
	w.para(b, fmt.Sprintf("AZURE POLICY at %s: %s judged; %d would refuse the deployment, %d non-compliant, %d exempt, %d unknown, %d compliant",
		printable(s.TargetScope), plural(s.Assignments, "assignment"), c[assess.Refused], c[assess.PolicyNonCompliant], c[assess.PolicyExempt],
		c[assess.PolicyUnknown]+c[assess.PolicyError], c[assess.PolicyCompliant]), 2)
	for _, v := range r.AssignmentVerdicts {
		if !w.Verbose && v.Outcome == assess.PolicyCompliant {
			continue
		}
		name := v.Resource.Name
		if name == "" {
			name = v.Resource.ID
		}
		lead := fmt.Sprintf("  %-12s  %s: ", v.Outcome, printable(name))
		b.WriteString(lead + w.wrap(printable(v.Reason), len([]rune(lead)), 16) + "\n")
		policy := v.DefinitionID
		if v.SetDefinitionID != "" {
			policy = v.SetDefinitionID + " [" + v.ReferenceID + "]"
		}
		const pad = 16 // under the outcome column
		under := func(text string) {
			b.WriteString(strings.Repeat(" ", pad) + w.wrap(text, pad, pad) + "\n")
		}
		under(fmt.Sprintf("%s %s (%s view): %s", printable(v.Effect), printable(v.AssignmentID), v.View, printable(policy)))
		if where := location(v.Resource.Source); where != "" {
			under(where)
		}
		for _, d := range v.Details {
			under(printable(d.Field) + ": " + printable(d.Code))
		}
	}
}

// wrap folds s to the width for text that starts at column first, its
// continuation lines indented to column indent.
func (w Writer) wrap(s string, first, indent int) string {
	if w.Width <= 0 {
		return s
	}
	return strings.Join(Wrap(s, w.Width-first, w.Width-indent), "\n"+strings.Repeat(" ", indent))
}
