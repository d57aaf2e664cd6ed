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
	"strconv"
	"strings"
	"unicode/utf8"

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
	fmt.Fprintf(b, "kvguard: %s found, judged against %s", plural(inv.Found, "vault"), plural(len(r.Recommendations), "recommendation"))
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
	// fmt pads by runes, so widths are counted in runes.
	titleWidth := 0
	for _, rec := range r.Recommendations {
		titleWidth = max(titleWidth, utf8.RuneCountInString(printable(rec.Title)+printable(rec.ID))+3)
	}
	fmt.Fprintf(b, "%-*s  %-8s  %s\n", titleWidth, "RECOMMENDATION", "SEVERITY", "UNHEALTHY")
	totals := w.writeRecommendations(b, r, titleWidth)
	if errs, warns := r.ErrorCounts(); errs+warns > 0 {
		// The problems themselves go to stderr as file:line:col lines (and
		// into the JSON report); the table only counts them.
		fmt.Fprintf(b, "\nInput problems: %s, %s (listed on stderr).\n", plural(errs, "error"), plural(warns, "warning"))
	}
	fmt.Fprintf(b, "\n%d unhealthy, %d unknown, %d exempt, %d healthy", totals[assess.Unhealthy], totals[assess.Unknown], totals[assess.Exempt], totals[assess.Healthy])
	fmt.Fprintf(b, "; vaults found %d, judged %d, unreadable %d", inv.Found, inv.Judged, inv.Unreadable)
	if inv.Placeholders > 0 {
		fmt.Fprintf(b, ", %d more named only by their secrets or keys", inv.Placeholders)
	}
	if inv.ManagedHSMs > 0 {
		fmt.Fprintf(b, "; managed HSMs found %d", inv.ManagedHSMs)
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
	name = printable(name)
	if a.Resource.Placeholder {
		name += " (not in the input)"
	}
	lead := fmt.Sprintf("  %-9s  %s: ", a.Status, name)
	b.WriteString(lead + w.wrap(printable(a.Reason), utf8.RuneCountInString(lead), 15) + "\n")
	if where := location(a.Resource.Source); where != "" {
		if dep := a.Resource.DeployedBy(); dep != "" {
			where += "  (deployed by " + printable(dep) + ")"
		}
		fmt.Fprintf(b, "  %-9s  %s\n", "", where)
	} else if a.Resource.ID != "" && a.Resource.Name != "" && a.Resource.ID != a.Resource.Name {
		fmt.Fprintf(b, "  %-9s  %s\n", "", printable(a.Resource.ID))
	}
	for _, c := range a.Components {
		if c.Status != assess.Unhealthy && c.Status != assess.Unknown {
			continue
		}
		if c.Source == nil || location(*c.Source) == "" {
			continue
		}
		fmt.Fprintf(b, "  %-9s    %s %s: %s\n", "", c.Status, printable(c.Name), location(*c.Source))
	}
}

// location renders file:start-end and the address in the code.
func location(s resource.Provenance) string {
	var parts []string
	if s.File != "" {
		loc := printable(s.File)
		if s.StartLine > 0 {
			loc += fmt.Sprintf(":%d", s.StartLine)
			if s.EndLine > s.StartLine {
				loc += fmt.Sprintf("-%d", s.EndLine)
			}
		}
		parts = append(parts, loc)
	}
	if s.Address != "" {
		parts = append(parts, printable(s.Address))
	}
	return strings.Join(parts, "  ")
}

// wrap breaks s into lines of at most Width runes where it can (a long
// word stays whole). The first line starts at column first (after the
// status and name), the others at column indent.
func (w Writer) wrap(s string, first, indent int) string {
	if w.Width <= indent+20 || first+utf8.RuneCountInString(s) <= w.Width {
		return s
	}
	var out strings.Builder
	col := first
	for i, word := range strings.Fields(s) {
		n := utf8.RuneCountInString(word)
		if i > 0 {
			if col+1+n > w.Width {
				out.WriteString("\n" + strings.Repeat(" ", indent))
				col = indent
			} else {
				out.WriteByte(' ')
				col++
			}
		}
		out.WriteString(word)
		col += n
	}
	return out.String()
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// printable makes text from the input safe for a terminal: control
// characters (a newline in a reason, an escape sequence in a name read
// from a file), Unicode line separators and bidirectional overrides are
// shown escaped (\n, \x1b, \u202e) instead of acting on the terminal or
// breaking the layout; invalid UTF-8 becomes U+FFFD.
func printable(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || unsafeRune(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for _, r := range s { // ranging yields RuneError for each invalid byte
		if unsafeRune(r) {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func unsafeRune(r rune) bool {
	return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0x2028 || r == 0x2029 ||
		(r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}

// writeRecommendations writes each recommendation's line and the
// assessments under it, and returns the counts per status. Assessments
// come in recommendation order: a recommendation's line is written when
// its first assessment (or the next recommendation's) comes, so that none
// is held.
func (w Writer) writeRecommendations(b *bufio.Writer, r *assess.Result, titleWidth int) map[assess.Status]int {
	totals := map[assess.Status]int{}
	index := map[string]int{}
	for i, rec := range r.Recommendations {
		index[rec.ID] = i
	}
	next := 0
	headUpTo := func(last int) {
		for ; next <= last && next < len(r.Recommendations); next++ {
			rec := r.Recommendations[next]
			c := r.Summary.ByRecommendation[rec.ID]
			applicable := c[assess.Healthy] + c[assess.Unhealthy] + c[assess.Unknown] + c[assess.Exempt]
			for s, n := range c {
				totals[s] += n
			}
			count := fmt.Sprintf("%d of %d", c[assess.Unhealthy], applicable)
			if c[assess.Unknown] > 0 {
				count += fmt.Sprintf(" (%d unknown)", c[assess.Unknown])
			}
			fmt.Fprintf(b, "%-*s  %-8s  %s\n", titleWidth, printable(rec.Title)+" ["+printable(rec.ID)+"]", printable(string(rec.Severity)), count)
		}
	}
	for a := range r.All() {
		i, ok := index[a.Recommendation.ID]
		if !ok || i < next-1 {
			continue // not one of the result's, or out of order: cannot be placed
		}
		headUpTo(i)
		if !w.Verbose && (a.Status == assess.Healthy || a.Status == assess.NotApplicable) {
			continue
		}
		w.writeAssessment(b, a)
	}
	headUpTo(len(r.Recommendations) - 1)
	return totals
}
