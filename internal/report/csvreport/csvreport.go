// Package csvreport writes the result model as CSV (RFC 4180): a header
// row, then one row per assessment in report order, for spreadsheets and
// ad-hoc queries. The columns are listed in Columns and documented in
// docs/formats.md.
//
// Spreadsheets run a cell that starts with =, +, -, @ (or a tab or
// carriage return) as a formula, and a scanned file name or a secret's
// name is chosen by whoever wrote the code being scanned. Every such cell
// is written with a leading apostrophe ("'=cmd"), the neutralisation
// OWASP recommends against CSV injection, so that opening the report never
// runs anything. Control and bidi runes and invalid UTF-8 are written as
// Go escapes (resource.Printable), so every record is one line.
package csvreport

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/kvguard/kvguard/internal/assess"
	"github.com/kvguard/kvguard/internal/resource"
)

// Columns are the header row, in order.
var Columns = []string{
	"recommendation_id", "recommendation_title", "severity", "status",
	"resource_id", "resource_name", "resource_type", "placeholder", "deployment",
	"source_kind", "file", "start_line", "end_line", "address",
	"reason", "components", "components_unhealthy", "components_unknown", "components_exempt",
	"exemption_reason", "exemption_expires", "exemption_expired", "exemption_source",
	"policy_definition_id",
}

// Writer renders results as CSV.
type Writer struct{}

// Write writes the report: the header, then one row per assessment.
func (Writer) Write(out io.Writer, r *assess.Result) error {
	cw := csv.NewWriter(out)
	cw.UseCRLF = true // RFC 4180 section 2.1
	if err := cw.Write(Columns); err != nil {
		return fmt.Errorf("writing the CSV report: %w", err)
	}
	row := make([]string, len(Columns))
	for a := range r.All() {
		fill(row, a)
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("writing the CSV report: %w", err)
		}
	}
	if err := r.Err(); err != nil {
		return fmt.Errorf("reading the assessments back: %w", err)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("writing the CSV report: %w", err)
	}
	return nil
}

// fill writes a's cells into row, in Columns' order.
func fill(row []string, a *assess.Assessment) {
	rec, res := a.Recommendation, a.Resource
	var total, unhealthy, unknown, exempt int
	for i := range a.Components {
		total++
		switch a.Components[i].Status {
		case assess.Unhealthy:
			unhealthy++
		case assess.Unknown:
			unknown++
		case assess.Exempt:
			exempt++
		}
	}
	comp := func(n int) string {
		if rec.Component == "" {
			return ""
		}
		return strconv.Itoa(n)
	}
	var exReason, exExpires, exExpired, exSource string
	if e := a.Exemption; e != nil {
		exReason, exExpired, exSource = e.Reason, strconv.FormatBool(e.Expired), e.Source.String()
		if !e.Expires.IsZero() {
			exExpires = e.Expires.UTC().Format(time.RFC3339)
		}
	}
	cells := []string{
		rec.ID, rec.Title, string(rec.Severity), string(a.Status),
		res.ID, res.Name, res.Type, strconv.FormatBool(res.Placeholder), res.Deployment,
		res.Source.Kind, res.Source.File, line(res.Source.StartLine), line(res.Source.EndLine), res.Source.Address,
		a.Reason, comp(total), comp(unhealthy), comp(unknown), comp(exempt),
		exReason, exExpires, exExpired, exSource,
		rec.PolicyDefinitionID(),
	}
	for i, c := range cells {
		row[i] = Cell(c)
	}
}

func line(n int) string {
	if n <= 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// Cell is s as a safe cell: control and bidi runes escaped, and a value a
// spreadsheet would run as a formula prefixed with an apostrophe. (A
// leading tab or carriage return, which OWASP also lists, cannot occur:
// Printable has escaped it.)
func Cell(s string) string {
	s = resource.Printable(s)
	if s != "" && strings.ContainsRune("=+-@", rune(s[0])) {
		return "'" + s
	}
	return s
}
