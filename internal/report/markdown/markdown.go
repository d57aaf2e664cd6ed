// Package markdown writes a summary of the result model in GitHub
// Flavored Markdown, for pull-request comments and $GITHUB_STEP_SUMMARY:
// the counts per recommendation and per severity, the top findings with
// their reasons and how to fix them, and the findings and input problems
// in collapsible sections.
//
// A pull-request comment holds at most 65,536 characters. The writer
// counts bytes, which are never fewer than the characters GitHub counts,
// and stops listing findings (then input problems) before the limit,
// saying how many it left out and which format has them all.
//
// Every name, path and reason comes from the scanned code, so it is
// escaped: Markdown and HTML punctuation is backslash-escaped (a vault
// named "[x](https://evil)" or "@org/team" neither links nor mentions),
// and control and bidi runes are written as Go escapes.
package markdown

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/kvguard/kvguard/internal/assess"
	"github.com/kvguard/kvguard/internal/resource"
)

// CommentLimit is GitHub's limit on a pull-request comment's length.
const CommentLimit = 65536

// TopFindings is how many findings the summary shows before the
// collapsible details.
const TopFindings = 10

// Writer renders results as Markdown.
type Writer struct {
	// ToolVersion is named in the footer.
	ToolVersion string
	// Limit is the most bytes written; 0 means CommentLimit.
	Limit int
}

var statuses = []assess.Status{assess.Unhealthy, assess.Unknown, assess.Exempt, assess.Healthy, assess.NotApplicable}

// Write writes the summary.
func (w Writer) Write(out io.Writer, r *assess.Result) error {
	limit := w.Limit
	if limit <= 0 {
		limit = CommentLimit
	}
	var doc strings.Builder
	totals := map[assess.Status]int{}
	for _, rec := range r.Recommendations {
		for s, n := range r.Summary.ByRecommendation[rec.ID] {
			totals[s] += n
		}
	}
	writeHeader(&doc, r, totals)
	writeCounts(&doc, r)
	top, err := topFindings(r)
	if err != nil {
		return err
	}
	writeTop(&doc, top, totals[assess.Unhealthy])
	footer := fmt.Sprintf("\n<sub>kvguard %s · %s · the full report: `--format json`, `--format sarif` or `--format html`</sub>\n",
		escape(w.ToolVersion), r.GeneratedAt.UTC().Format("2006-01-02 15:04 UTC"))
	// The sections below are cut to fit; what must stay is the footer.
	budget := limit - doc.Len() - len(footer)
	if budget < 0 {
		return fmt.Errorf("writing the Markdown report: the summary alone is %d bytes, over the limit of %d", doc.Len()+len(footer), limit)
	}
	sec := &section{limit: budget}
	writeProblems(sec, r)
	if err := writeDetails(sec, r); err != nil {
		return err
	}
	doc.WriteString(sec.b.String())
	doc.WriteString(footer)
	b := bufio.NewWriter(out)
	if _, err := b.WriteString(doc.String()); err != nil {
		return fmt.Errorf("writing the Markdown report: %w", err)
	}
	if err := b.Flush(); err != nil {
		return fmt.Errorf("writing the Markdown report: %w", err)
	}
	return nil
}

func writeHeader(doc *strings.Builder, r *assess.Result, totals map[assess.Status]int) {
	mark := "✅"
	switch {
	case totals[assess.Unhealthy] > 0:
		mark = "❌"
	case r.HasErrors():
		mark = "⚠️"
	}
	fmt.Fprintf(doc, "## %s kvguard: %d unhealthy, %d unknown, %d exempt, %d healthy\n\n",
		mark, totals[assess.Unhealthy], totals[assess.Unknown], totals[assess.Exempt], totals[assess.Healthy])
	inv := r.Summary.Inventory
	fmt.Fprintf(doc, "%s found (%d judged, %d unreadable)", plural(inv.Found, "vault", "vaults"), inv.Judged, inv.Unreadable)
	if inv.Placeholders > 0 {
		fmt.Fprintf(doc, ", %d more named only by their secrets or keys", inv.Placeholders)
	}
	var parts []string
	for _, t := range []struct{ typ, one, many string }{
		{resource.TypeSecret, "secret", "secrets"}, {resource.TypeKey, "key", "keys"}, {resource.TypeCertificate, "certificate", "certificates"},
	} {
		if n := inv.Components[t.typ]; n > 0 {
			parts = append(parts, plural(n, t.one, t.many))
		}
	}
	if len(parts) > 0 {
		fmt.Fprintf(doc, " with %s", strings.Join(parts, ", "))
	}
	if inv.ManagedHSMs > 0 {
		fmt.Fprintf(doc, "; %s not judged", plural(inv.ManagedHSMs, "managed HSM", "managed HSMs"))
	}
	fmt.Fprintf(doc, ", judged against %s.\n\n", plural(len(r.Recommendations), "recommendation", "recommendations"))
}

// writeCounts writes the counts per recommendation and per severity.
func writeCounts(doc *strings.Builder, r *assess.Result) {
	doc.WriteString("| Recommendation | Severity | Unhealthy | Unknown | Exempt | Healthy | Not applicable |\n")
	doc.WriteString("|---|---|--:|--:|--:|--:|--:|\n")
	bySeverity := map[assess.Severity]map[assess.Status]int{}
	var severities []assess.Severity
	for _, rec := range r.Recommendations {
		c := r.Summary.ByRecommendation[rec.ID]
		fmt.Fprintf(doc, "| %s (%s) | %s |", escape(rec.Title), escape(rec.ID), severityLabel(rec.Severity))
		if bySeverity[rec.Severity] == nil {
			bySeverity[rec.Severity] = map[assess.Status]int{}
			severities = append(severities, rec.Severity)
		}
		for _, s := range statuses {
			fmt.Fprintf(doc, " %d |", c[s])
			bySeverity[rec.Severity][s] += c[s]
		}
		doc.WriteString("\n")
	}
	if len(severities) == 0 {
		return
	}
	slices.SortStableFunc(severities, func(a, b assess.Severity) int { return b.Rank() - a.Rank() })
	doc.WriteString("\n| Severity | Unhealthy | Unknown | Exempt | Healthy | Not applicable |\n|---|--:|--:|--:|--:|--:|\n")
	for _, sev := range severities {
		fmt.Fprintf(doc, "| %s |", severityLabel(sev))
		for _, s := range statuses {
			fmt.Fprintf(doc, " %d |", bySeverity[sev][s])
		}
		doc.WriteString("\n")
	}
}

// topFindings returns the first TopFindings unhealthy assessments, the
// most severe first, in report order within a severity.
func topFindings(r *assess.Result) ([]*assess.Assessment, error) {
	var top []*assess.Assessment
	for a := range r.All() {
		if a.Status != assess.Unhealthy {
			continue
		}
		// Keep the list sorted by severity; a later one of equal severity
		// goes after the earlier ones.
		i, _ := slices.BinarySearchFunc(top, a.Recommendation.Severity.Rank(), func(e *assess.Assessment, rank int) int {
			if e.Recommendation.Severity.Rank() >= rank {
				return -1
			}
			return 1
		})
		if i < TopFindings {
			top = slices.Insert(top, i, a)
			if len(top) > TopFindings {
				top = top[:TopFindings]
			}
		}
	}
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("reading the assessments back: %w", err)
	}
	return top, nil
}

func writeTop(doc *strings.Builder, top []*assess.Assessment, unhealthy int) {
	if len(top) == 0 {
		return
	}
	title := "### Top findings"
	if unhealthy > len(top) {
		title = fmt.Sprintf("### Top %d of %d findings", len(top), unhealthy)
	}
	doc.WriteString("\n" + title + "\n\n")
	var recs []*assess.Recommendation
	for i, a := range top {
		fmt.Fprintf(doc, "%d. %s **%s** · %s", i+1, severityLabel(a.Recommendation.Severity), escape(name(a)), escape(a.Recommendation.Title))
		if where := location(a.Resource); where != "" {
			fmt.Fprintf(doc, " · %s", escape(where))
		}
		fmt.Fprintf(doc, "  \n   %s\n", escape(a.Reason))
		if !slices.Contains(recs, a.Recommendation) {
			recs = append(recs, a.Recommendation)
		}
	}
	doc.WriteString("\n")
	for _, rec := range recs {
		writeFix(doc, rec, top)
	}
}

// writeFix says how to fix a recommendation's findings, in the words of
// the tool the first of its top findings came from.
func writeFix(doc *strings.Builder, rec *assess.Recommendation, top []*assess.Assessment) {
	kind := ""
	for _, a := range top {
		if a.Recommendation == rec {
			kind = a.Resource.Source.Kind
			break
		}
	}
	fmt.Fprintf(doc, "<details><summary>How to fix: %s</summary>\n\n", html(rec.Title))
	if rec.Remediation.Portal != "" {
		fmt.Fprintf(doc, "%s\n\n", escape(rec.Remediation.Portal))
	}
	snippet, lang := rec.Remediation.CLI, "sh"
	switch kind {
	case "terraform", "terraform-plan":
		snippet, lang = rec.Remediation.Terraform, "hcl"
	case "bicep":
		snippet, lang = rec.Remediation.Bicep, "bicep"
	}
	if snippet != "" {
		fence := codeFence(snippet)
		fmt.Fprintf(doc, "%s%s\n%s\n%s\n\n", fence, lang, block(snippet), fence)
	}
	fmt.Fprintf(doc, "More: `kvguard rules show %s`\n\n</details>\n\n", escapeCode(rec.ID))
}

// section is a part of the document cut to a budget.
type section struct {
	b     strings.Builder
	limit int
}

// fits reports whether n more bytes and reserve fit.
func (s *section) fits(n, reserve int) bool { return s.b.Len()+n+reserve <= s.limit }

// reserve is room kept for the closing of a collapsible list and its
// truncation note.
const reserve = 400

func writeProblems(s *section, r *assess.Result) {
	nerr, nwarn := r.ErrorCounts()
	if nerr+nwarn == 0 {
		return
	}
	head := fmt.Sprintf("<details><summary>Input problems: %s, %s</summary>\n\n",
		plural(nerr, "error", "errors"), plural(nwarn, "warning", "warnings"))
	if !s.fits(len(head), reserve) {
		return
	}
	s.b.WriteString(head)
	// AllErrors, not Errors: a large scan keeps its problems on disk.
	i := -1
	for e := range r.AllErrors() {
		i++
		level := "error"
		if e.Warning {
			level = "warning"
		}
		line := fmt.Sprintf("- **%s** %s\n", level, escape(e.Error()))
		if !s.fits(len(line), reserve) {
			fmt.Fprintf(&s.b, "\n%s\n", omitted(nerr+nwarn-i, "input problem", "input problems"))
			break
		}
		s.b.WriteString(line)
	}
	s.b.WriteString("\n</details>\n\n")
}

// writeDetails lists the unhealthy, unknown and exempt assessments of
// each recommendation in a collapsible table, as many as fit.
func writeDetails(s *section, r *assess.Result) error {
	listed := func(st assess.Status) bool {
		return st == assess.Unhealthy || st == assess.Unknown || st == assess.Exempt
	}
	var open *assess.Recommendation
	left := 0 // findings not written once the budget ran out
	closeTable := "\n</details>\n\n"
	for a := range r.All() {
		if !listed(a.Status) {
			continue
		}
		if left > 0 {
			left++
			continue
		}
		if a.Recommendation != open {
			c := r.Summary.ByRecommendation[a.Recommendation.ID]
			head := fmt.Sprintf("<details><summary>%s (%s): %d unhealthy, %d unknown, %d exempt</summary>\n\n| Status | Resource | Where | Reason |\n|---|---|---|---|\n",
				html(a.Recommendation.Title), html(a.Recommendation.ID), c[assess.Unhealthy], c[assess.Unknown], c[assess.Exempt])
			extra := 0
			if open != nil {
				extra = len(closeTable)
			}
			if !s.fits(extra+len(head), reserve) {
				left = 1
				continue
			}
			if open != nil {
				s.b.WriteString(closeTable)
			}
			s.b.WriteString(head)
			open = a.Recommendation
		}
		row := fmt.Sprintf("| %s | %s | %s | %s |\n", statusLabel(a.Status), escape(name(a)), escape(location(a.Resource)), escape(a.Reason))
		if !s.fits(len(row), reserve) {
			left = 1
			continue
		}
		s.b.WriteString(row)
	}
	if err := r.Err(); err != nil {
		return fmt.Errorf("reading the assessments back: %w", err)
	}
	if open != nil {
		s.b.WriteString(closeTable)
	}
	if left > 0 {
		fmt.Fprintf(&s.b, "%s\n", omitted(left, "finding", "findings"))
	}
	return nil
}

func omitted(n int, one, many string) string {
	return fmt.Sprintf("> [!NOTE]\n> %s not shown: a pull-request comment holds at most %d characters. The JSON, SARIF and HTML reports have them all.\n",
		plural(n, "more "+one+" is", "more "+many+" are"), CommentLimit)
}

func name(a *assess.Assessment) string {
	n := a.Resource.Name
	if n == "" {
		n = a.Resource.ID
	}
	if a.Resource.Placeholder {
		n += " (not in the input)"
	}
	return n
}

// location is where the resource is: file and lines, address, and the
// deployment of a shared module.
func location(res assess.Resource) string {
	s := res.Source
	var parts []string
	if s.File != "" {
		loc := s.File
		if s.StartLine > 0 {
			loc += ":" + strconv.Itoa(s.StartLine)
			if s.EndLine > s.StartLine {
				loc += "-" + strconv.Itoa(s.EndLine)
			}
		}
		parts = append(parts, loc)
	}
	if s.Address != "" {
		parts = append(parts, s.Address)
	}
	if dep := res.DeployedBy(); dep != "" {
		parts = append(parts, "deployed by "+dep)
	}
	if len(parts) == 0 && res.ID != res.Name {
		parts = append(parts, res.ID)
	}
	return strings.Join(parts, " ")
}

func severityLabel(s assess.Severity) string {
	icon := map[assess.Severity]string{assess.High: "🔴", assess.Medium: "🟠", assess.Low: "🟡"}[s]
	if icon == "" {
		return escape(string(s))
	}
	return icon + " " + string(s)
}

func statusLabel(s assess.Status) string {
	return map[assess.Status]string{assess.Unhealthy: "❌ Unhealthy", assess.Unknown: "❔ Unknown", assess.Exempt: "⏸️ Exempt"}[s]
}

// escape makes text from the scan inert in Markdown: every ASCII
// character that starts emphasis, code, a link, an HTML tag, an entity, a
// heading, a table cell, strikethrough or a mention is backslash-escaped
// (CommonMark allows escaping any ASCII punctuation), and so is a start of
// the text that would open a list item or a setext heading ("- ", "1. ").
// Control and bidi runes, line breaks included, become Go escapes, so the
// text stays on its line and in its cell.
func escape(s string) string {
	s = resource.Printable(s)
	var b strings.Builder
	digits := true // only digits so far: a following "." or ")" would start a list
	for i, r := range s {
		switch {
		case r < 0x80 && strings.ContainsRune("\\`*_{}[]<>#|&~@", r),
			i == 0 && strings.ContainsRune("-+=", r),
			digits && i > 0 && (r == '.' || r == ')'):
			b.WriteByte('\\')
		}
		digits = digits && r >= '0' && r <= '9'
		b.WriteRune(r)
	}
	return b.String()
}

// html escapes text for an HTML element's content (a <summary>), where
// Markdown is not interpreted.
func html(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;", "@", "&#64;").Replace(resource.Printable(s))
}

// block keeps a code block's lines and escapes the control and bidi
// runes within them.
func block(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = resource.Printable(l)
	}
	return strings.Join(lines, "\n")
}

// escapeCode makes an ID safe inside a code span: IDs are [a-z0-9-] in
// the catalog, but a custom one could hold a backtick.
func escapeCode(s string) string { return strings.ReplaceAll(resource.Printable(s), "`", "'") }

// codeFence is a backtick fence longer than any backtick run in body.
func codeFence(body string) string {
	longest, run := 0, 0
	for _, r := range body {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return strings.Repeat("`", max(3, longest+1))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
