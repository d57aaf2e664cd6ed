// Package table writes results for people at a terminal, grouped like
// Defender for Cloud's recommendation list: each recommendation with its
// severity and unhealthy count, the unhealthy, unknown and exempt
// resources under it with the reason and where they are, then the input
// errors and a summary line.
package table

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/kvguard/kvguard/internal/assess"
	"github.com/kvguard/kvguard/internal/resource"
)

// Writer renders results as text.
type Writer struct {
	// Verbose also lists healthy and not-applicable resources.
	Verbose bool
	// Width wraps reasons; 0 means no wrapping.
	Width int
}

// Write writes the report.
func (w Writer) Write(out io.Writer, r *assess.Result) error {
	b := bufio.NewWriter(out)
	inv := r.Summary.Inventory
	fmt.Fprintf(b, "kvguard: %s judged against %d recommendations", plural(inv.Found+inv.Placeholders, "vault"), len(r.Recommendations))
	var parts []string
	for _, t := range []struct{ typ, noun string }{{resource.TypeSecret, "secret"}, {resource.TypeKey, "key"}, {resource.TypeCertificate, "certificate"}} {
		if n := inv.Components[t.typ]; n > 0 {
			parts = append(parts, plural(n, t.noun))
		}
	}
	if len(parts) > 0 {
		fmt.Fprintf(b, " (%s)", strings.Join(parts, ", "))
	}
	b.WriteString("\n\n")
	titleWidth := 0
	for _, rec := range r.Recommendations {
		titleWidth = max(titleWidth, len(rec.Title)+len(rec.ID)+3)
	}
	fmt.Fprintf(b, "%-*s  %-8s  %s\n", titleWidth, "RECOMMENDATION", "SEVERITY", "UNHEALTHY")
	byRec := map[string][]*assess.Assessment{}
	for _, a := range r.Assessments {
		byRec[a.Recommendation.ID] = append(byRec[a.Recommendation.ID], a)
	}
	totals := map[assess.Status]int{}
	for _, rec := range r.Recommendations {
		c := r.Summary.ByRecommendation[rec.ID]
		applicable := c[assess.Healthy] + c[assess.Unhealthy] + c[assess.Unknown] + c[assess.Exempt]
		for s, n := range c {
			totals[s] += n
		}
		count := fmt.Sprintf("%d of %d", c[assess.Unhealthy], applicable)
		if c[assess.Unknown] > 0 {
			count += fmt.Sprintf(" (%d unknown)", c[assess.Unknown])
		}
		fmt.Fprintf(b, "%-*s  %-8s  %s\n", titleWidth, rec.Title+" ["+rec.ID+"]", rec.Severity, count)
		for _, a := range byRec[rec.ID] {
			if !w.Verbose && (a.Status == assess.Healthy || a.Status == assess.NotApplicable) {
				continue
			}
			w.writeAssessment(b, a)
		}
	}
	if len(r.Errors) > 0 {
		b.WriteString("\nProblems with the input:\n")
		for _, e := range r.Errors {
			kind := "error"
			if e.Warning {
				kind = "warning"
			}
			fmt.Fprintf(b, "  %s: %s\n", kind, e.Error())
		}
	}
	fmt.Fprintf(b, "\n%d unhealthy, %d unknown, %d exempt, %d healthy", totals[assess.Unhealthy], totals[assess.Unknown], totals[assess.Exempt], totals[assess.Healthy])
	fmt.Fprintf(b, "; vaults found %d, judged %d, unreadable %d", inv.Found, inv.Judged, inv.Unreadable)
	if inv.Placeholders > 0 {
		fmt.Fprintf(b, ", %d named only by their secrets or keys", inv.Placeholders)
	}
	b.WriteString(".\n")
	if totals[assess.Unhealthy] > 0 {
		b.WriteString("Run `kvguard rules show <id>` for why each recommendation matters and how to fix it.\n")
	}
	return b.Flush()
}

func (w Writer) writeAssessment(b *bufio.Writer, a *assess.Assessment) {
	name := a.Resource.Name
	if name == "" {
		name = a.Resource.ID
	}
	if a.Resource.Placeholder {
		name += " (not in the input)"
	}
	fmt.Fprintf(b, "  %-9s  %s: %s\n", a.Status, name, w.wrap(a.Reason, 15))
	if where := location(a.Resource.Source); where != "" {
		fmt.Fprintf(b, "  %-9s  %s\n", "", where)
	} else if a.Resource.ID != "" && a.Resource.ID != name {
		fmt.Fprintf(b, "  %-9s  %s\n", "", a.Resource.ID)
	}
	for _, c := range a.Components {
		if c.Status != assess.Unhealthy && c.Status != assess.Unknown {
			continue
		}
		if c.Source == nil || location(*c.Source) == "" {
			continue
		}
		fmt.Fprintf(b, "  %-9s    %s %s: %s\n", "", c.Status, c.Name, location(*c.Source))
	}
}

// location renders file:start-end and the address in the code.
func location(s resource.Provenance) string {
	var parts []string
	if s.File != "" {
		loc := s.File
		if s.StartLine > 0 {
			loc += fmt.Sprintf(":%d", s.StartLine)
			if s.EndLine > s.StartLine {
				loc += fmt.Sprintf("-%d", s.EndLine)
			}
		}
		parts = append(parts, loc)
	}
	if s.Address != "" {
		parts = append(parts, s.Address)
	}
	return strings.Join(parts, "  ")
}

func (w Writer) wrap(s string, indent int) string {
	if w.Width <= indent+20 || len(s) <= w.Width-indent {
		return s
	}
	var out strings.Builder
	line := 0
	for i, word := range strings.Fields(s) {
		if i > 0 {
			if line+1+len(word) > w.Width-indent {
				out.WriteString("\n" + strings.Repeat(" ", indent))
				line = 0
			} else {
				out.WriteByte(' ')
				line++
			}
		}
		out.WriteString(word)
		line += len(word)
	}
	return out.String()
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
