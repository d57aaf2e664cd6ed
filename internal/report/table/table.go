// Package table writes results for people at a terminal, grouped like
// Defender for Cloud's recommendation list: each recommendation with its
// severity and unhealthy count, the unhealthy, unknown and exempt
// resources under it with the reason and where they are, then the input
// errors and a summary line.
package table

import (
	"bufio"
	"bytes"
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
	// Width is the terminal's width: every line fits in it (reasons wrap
	// under their resource, long titles within their column, IDs and
	// paths are cut). 0 means no wrapping.
	Width int
	// Color colours statuses and severities (a terminal that asked for
	// it: never in files, pipes or with NO_COLOR).
	Color bool
}

// reasonIndent is where a wrapped reason continues: under the name,
// after the status column.
const reasonIndent = 13

// Write writes the report.
func (w Writer) Write(out io.Writer, r *assess.Result) error {
	b := bufio.NewWriter(out)
	st := Styles{On: w.Color}
	inv := r.Summary.Inventory
	head := fmt.Sprintf("kvguard: %s found, judged against %s", plural(inv.Found, "vault"), plural(len(r.Recommendations), "recommendation"))
	var parts []string
	for _, t := range []struct{ typ, noun string }{{resource.TypeSecret, "secret"}, {resource.TypeKey, "key"}, {resource.TypeCertificate, "certificate"}} {
		if n := inv.Components[t.typ]; n > 0 {
			parts = append(parts, plural(n, t.noun))
		}
	}
	if len(parts) > 0 {
		head += fmt.Sprintf(" (%s)", strings.Join(parts, ", "))
	}
	w.para(b, head, 0)
	b.WriteString("\n")
	totals := map[assess.Status]int{}
	for _, rec := range r.Recommendations {
		for s, n := range r.Summary.ByRecommendation[rec.ID] {
			totals[s] += n
		}
	}
	judged := 0
	for _, n := range totals {
		judged += n
	}
	if judged == 0 && inv.Found == 0 {
		// Six rows of "0 of 0" would read as "all healthy".
		w.para(b, "No key vault was found: nothing was judged.", 0)
	} else {
		w.recommendations(b, r, st)
	}
	if r.Compliance != nil {
		w.fitted(b, func(bw *bufio.Writer) { writeCompliance(bw, r.Compliance) })
	}
	w.writeAssignments(b, r)
	if errs, warns := r.ErrorCounts(); errs+warns > 0 {
		// The problems go to stderr as file:line:col lines, or, when there
		// are many, the first ones and a summary by kind; the JSON and
		// SARIF reports keep every one. The table only counts them.
		b.WriteString("\n")
		w.para(b, fmt.Sprintf("Input problems: %s, %s (see stderr; the JSON and SARIF reports list every one).", plural(errs, "error"), plural(warns, "warning")), 0)
	}
	sum := fmt.Sprintf("%d unhealthy, %d unknown, %d exempt, %d healthy", totals[assess.Unhealthy], totals[assess.Unknown], totals[assess.Exempt], totals[assess.Healthy])
	sum += fmt.Sprintf("; vaults found %d, judged %d, unreadable %d", inv.Found, inv.Judged, inv.Unreadable)
	if inv.Placeholders > 0 {
		sum += fmt.Sprintf(", %d more named only by their secrets or keys", inv.Placeholders)
	}
	if inv.ManagedHSMs > 0 {
		sum += fmt.Sprintf("; managed HSMs found %d", inv.ManagedHSMs)
	}
	if n := r.Refusals(); n > 0 {
		sum += fmt.Sprintf("; %s refused by Azure Policy", plural(n, "deployment"))
	}
	b.WriteString("\n")
	w.para(b, sum+".", 0)
	if totals[assess.Unhealthy] > 0 {
		w.para(b, "Run `kvguard rules show <id>` for why each recommendation matters and how to fix it.", 0)
	}
	return b.Flush()
}

// para writes text wrapped to the width, continuation lines indented.
func (w Writer) para(b *bufio.Writer, text string, indent int) {
	for i, line := range Wrap(text, w.Width, w.Width-indent) {
		if i > 0 {
			b.WriteString(strings.Repeat(" ", indent))
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
}

// recommendations writes the table of recommendations, each followed by
// the resources it found unhealthy, unknown or exempt (all with Verbose).
func (w Writer) recommendations(b *bufio.Writer, r *assess.Result, st Styles) {
	counts := map[string]string{}
	countWidth := len("UNHEALTHY")
	titleWidth := len("RECOMMENDATION")
	for _, rec := range r.Recommendations {
		c := r.Summary.ByRecommendation[rec.ID]
		applicable := c[assess.Healthy] + c[assess.Unhealthy] + c[assess.Unknown] + c[assess.Exempt]
		count := fmt.Sprintf("%d of %d", c[assess.Unhealthy], applicable)
		if c[assess.Unknown] > 0 {
			count += fmt.Sprintf(" (%d unknown)", c[assess.Unknown])
		}
		counts[rec.ID] = count
		countWidth = max(countWidth, len(count))
		// fmt pads by runes, so widths are counted in runes.
		titleWidth = max(titleWidth, utf8.RuneCountInString(printable(rec.Title)+printable(rec.ID))+3)
	}
	// On a narrow terminal the severity and count go under the title.
	stacked := w.Width > 0 && w.Width-2-8-2-countWidth < 16
	switch {
	case stacked:
		titleWidth = w.Width
		fmt.Fprintf(b, "RECOMMENDATION\n  %-8s  %s\n", "SEVERITY", "UNHEALTHY")
	case w.Width > 0:
		// The title column takes what the severity and count leave.
		titleWidth = min(titleWidth, w.Width-2-8-2-countWidth)
		fallthrough
	default:
		fmt.Fprintf(b, "%-*s  %-8s  %s\n", titleWidth, "RECOMMENDATION", "SEVERITY", "UNHEALTHY")
	}
	byRec := map[string][]*assess.Assessment{}
	for a := range r.All() {
		byRec[a.Recommendation.ID] = append(byRec[a.Recommendation.ID], a)
	}
	for _, rec := range r.Recommendations {
		title := printable(rec.Title) + " [" + printable(rec.ID) + "]"
		lines := []string{title}
		if w.Width > 0 {
			lines = Wrap(title, titleWidth, titleWidth)
		}
		sev := printable(string(rec.Severity))
		if stacked {
			for _, l := range lines {
				b.WriteString(l + "\n")
			}
			fmt.Fprintf(b, "  %s  %s\n", st.severity(fmt.Sprintf("%-8s", sev), sev), counts[rec.ID])
		} else {
			fmt.Fprintf(b, "%-*s  %s  %s\n", titleWidth, lines[0], st.severity(fmt.Sprintf("%-8s", sev), sev), counts[rec.ID])
			for _, l := range lines[1:] {
				b.WriteString(l + "\n")
			}
		}
		for _, a := range byRec[rec.ID] {
			if !w.Verbose && (a.Status == assess.Healthy || a.Status == assess.NotApplicable) {
				continue
			}
			w.writeAssessment(b, a, st)
		}
	}
}

// fitted runs write into a buffer and copies its lines, each folded to
// the width (continuations under the second column).
func (w Writer) fitted(b *bufio.Writer, write func(*bufio.Writer)) {
	var buf bytes.Buffer
	bw := bufio.NewWriter(&buf)
	write(bw)
	_ = bw.Flush()
	for _, line := range strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n") {
		if w.Width > 0 && utf8.RuneCountInString(line) > w.Width {
			w.para(b, line, 9)
			continue
		}
		b.WriteString(line + "\n")
	}
}

// writeCompliance prints the framework's per-control view: resources
// passed, failed and unknown, and the recommendations behind each control.
func writeCompliance(b *bufio.Writer, c *assess.Compliance) {
	fmt.Fprintf(b, "\nCOMPLIANCE: %s (initiative %s, version %s)\n", printable(c.Title), printable(c.Initiative.ID), printable(c.Initiative.Version))
	idWidth, titleWidth := len("CONTROL"), len("TITLE")
	for _, ctl := range c.Controls {
		idWidth = max(idWidth, utf8.RuneCountInString(printable(ctl.ID)))
		titleWidth = max(titleWidth, utf8.RuneCountInString(printable(ctl.Title)))
	}
	fmt.Fprintf(b, "%-*s  %-*s  %6s  %6s  %7s  %s\n", idWidth, "CONTROL", titleWidth, "TITLE", "PASSED", "FAILED", "UNKNOWN", "POLICIES")
	partial := false
	for _, ctl := range c.Controls {
		var recs []string
		for _, p := range ctl.Policies {
			if p.Recommendation == "" {
				recs = append(recs, p.PolicyID+" (not judged)")
				continue
			}
			recs = append(recs, p.Recommendation)
		}
		mark := ""
		if ctl.Partial {
			mark, partial = "*", true
		}
		fmt.Fprintf(b, "%-*s  %-*s  %6d  %6d  %7d  %s\n", idWidth, printable(ctl.ID)+mark, titleWidth, printable(ctl.Title),
			ctl.Counts.Passed, ctl.Counts.Failed, ctl.Counts.Unknown, printable(strings.Join(recs, ", ")))
	}
	if partial {
		b.WriteString("* the initiative maps policies beyond Key Vault's to this control: the counts cover its Key Vault part only.\n")
	}
}

func (w Writer) writeAssessment(b *bufio.Writer, a *assess.Assessment, st Styles) {
	name := a.Resource.Name
	if name == "" {
		name = a.Resource.ID
	}
	name = printable(name)
	if a.Resource.Placeholder {
		name += " (not in the input)"
	}
	indent := strings.Repeat(" ", reasonIndent)
	status := st.status(fmt.Sprintf("%-9s", a.Status), string(a.Status))
	text := name + ": " + printable(a.Reason)
	lead := 4 + max(9, len(a.Status)) // "  Status  "
	for i, line := range Wrap(text, w.Width-lead, w.Width-reasonIndent-2) {
		if i == 0 {
			b.WriteString("  " + status + "  " + line + "\n")
		} else {
			b.WriteString(indent + "  " + line + "\n")
		}
	}
	var where string
	if where = location(a.Resource.Source); where != "" {
		if dep := a.Resource.DeployedBy(); dep != "" {
			where += "  (deployed by " + printable(dep) + ")"
		}
	} else if a.Resource.ID != "" && a.Resource.Name != "" && a.Resource.ID != a.Resource.Name {
		where = printable(a.Resource.ID)
	}
	if where != "" {
		for _, line := range Wrap(where, w.Width-reasonIndent, w.Width-reasonIndent-2) {
			b.WriteString(indent + line + "\n")
			indent = strings.Repeat(" ", reasonIndent+2)
		}
	}
	for _, c := range a.Components {
		if c.Status != assess.Unhealthy && c.Status != assess.Unknown {
			continue
		}
		if c.Source == nil || location(*c.Source) == "" {
			continue
		}
		text := string(c.Status) + " " + printable(c.Name) + ": " + location(*c.Source)
		for i, line := range Wrap(text, w.Width-reasonIndent-2, w.Width-reasonIndent-4) {
			if i == 0 {
				// Colour the status word at the start of the line only.
				line = st.status(string(c.Status), string(c.Status)) + line[len(c.Status):]
				b.WriteString(strings.Repeat(" ", reasonIndent+2) + line + "\n")
			} else {
				b.WriteString(strings.Repeat(" ", reasonIndent+4) + line + "\n")
			}
		}
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
