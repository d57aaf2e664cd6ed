// Package htmlreport writes the result model as one self-contained HTML
// page for people: the summary, inline SVG charts of the unhealthy
// assessments by recommendation and by severity, every finding in a
// filterable table, and a section per vault with its own anchor.
//
// The page loads nothing: no network, no external script, style, font or
// image. Its one style sheet and one small script are inline and named by
// their SHA-256 hashes in a Content-Security-Policy meta element, so the
// page runs under a strict policy (no 'unsafe-inline') and nothing
// injected into it could run. The script only adds filtering: without it
// the filter form stays hidden and every row shows.
//
// Text from the scan reaches the page through html/template, which
// escapes it for its context, after control and bidi runes have been
// written as Go escapes (resource.Printable).
package htmlreport

import (
	"bufio"
	"crypto/sha256"
	_ "embed" // the page's template, style and script
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/kvguard/kvguard/internal/assess"
	"github.com/kvguard/kvguard/internal/resource"
)

var (
	//go:embed page.html
	pageHTML string
	//go:embed page.css
	style string
	//go:embed filter.js
	script string
)

var pageTemplate = template.Must(template.New("page").Parse(pageHTML))

// CSP is the page's Content-Security-Policy: nothing but its own inline
// style and script, by hash.
var CSP = "default-src 'none'; style-src " + hash(style) + "; script-src " + hash(script) +
	"; img-src 'none'; base-uri 'none'; form-action 'none'"

func hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

// MaxComponents is how many failing secrets or keys a row lists.
const MaxComponents = 20

// Writer renders results as HTML.
type Writer struct {
	// ToolVersion is named in the header and footer.
	ToolVersion string
}

type counts struct{ Unhealthy, Unknown, Exempt, Healthy, NotApplicable int }

func (c *counts) add(s assess.Status, n int) {
	switch s {
	case assess.Unhealthy:
		c.Unhealthy += n
	case assess.Unknown:
		c.Unknown += n
	case assess.Exempt:
		c.Exempt += n
	case assess.Healthy:
		c.Healthy += n
	case assess.NotApplicable:
		c.NotApplicable += n
	}
}

type recRow struct {
	ID, Title, Severity, SeverityClass string
	Counts                             counts
}

type row struct {
	Status, Severity, SeverityClass, RecID, RecTitle string
	Resource, VaultAnchor, Where, Reason             string
	Components                                       []string
	MoreComponents                                   int
}

type vault struct {
	Anchor, Name, ID, Where string
	Placeholder             bool
	Unhealthy               int
	Rows                    []row
	key                     string
}

type problem struct{ Level, Where, Message string }

type bar struct {
	Label, Class                                  string
	Value, LabelY, BarY, BarWidth, ValueX, ValueY int
}

type chart struct {
	ID, Title     string
	Width, Height int
	Bars          []bar
}

type data struct {
	CSP, Tool, Generated, Inventory string
	Style                           template.CSS
	Script                          template.JS
	Totals                          counts
	Recommendations                 []recRow
	ByRecommendation, BySeverity    chart
	Statuses, Severities            []string
	Findings                        []row
	Vaults                          []*vault
	Problems                        []problem
}

// Write writes the page.
func (w Writer) Write(out io.Writer, r *assess.Result) error {
	d := data{CSP: CSP, Tool: text(w.ToolVersion), Generated: r.GeneratedAt.UTC().Format("2006-01-02 15:04 UTC"),
		Style: template.CSS(style), Script: template.JS(script), // the page's own embedded files, hashed in the CSP
		Statuses: []string{string(assess.Unhealthy), string(assess.Unknown), string(assess.Exempt), string(assess.Healthy), string(assess.NotApplicable)}}
	d.Inventory = inventory(r.Summary.Inventory, len(r.Recommendations))
	bySeverity := map[string]int{}
	for _, rec := range r.Recommendations {
		rr := recRow{ID: text(rec.ID), Title: text(rec.Title), Severity: text(string(rec.Severity)), SeverityClass: severityClass(rec.Severity)}
		for s, n := range r.Summary.ByRecommendation[rec.ID] {
			rr.Counts.add(s, n)
			d.Totals.add(s, n)
		}
		d.Recommendations = append(d.Recommendations, rr)
		if _, ok := bySeverity[rr.Severity]; !ok {
			d.Severities = append(d.Severities, rr.Severity)
		}
		bySeverity[rr.Severity] += rr.Counts.Unhealthy
	}
	slices.SortStableFunc(d.Severities, func(a, b string) int { return assess.Severity(b).Rank() - assess.Severity(a).Rank() })
	d.ByRecommendation, d.BySeverity = recChart(d.Recommendations), severityChart(d.Severities, bySeverity)

	vaults := map[string]*vault{}
	for a := range r.All() {
		key := strings.ToLower(a.Resource.ID) + "\x00" + a.Resource.Deployment
		v := vaults[key]
		if v == nil {
			v = newVault(a.Resource, key)
			vaults[key] = v
		}
		rw := rowOf(a, v.Anchor)
		v.Rows = append(v.Rows, rw)
		if a.Status == assess.Unhealthy {
			v.Unhealthy++
		}
		if a.Status == assess.Unhealthy || a.Status == assess.Unknown || a.Status == assess.Exempt {
			d.Findings = append(d.Findings, rw)
		}
	}
	if err := r.Err(); err != nil {
		return fmt.Errorf("reading the assessments back: %w", err)
	}
	for _, v := range vaults {
		d.Vaults = append(d.Vaults, v)
	}
	slices.SortFunc(d.Vaults, func(a, b *vault) int {
		if c := strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)); c != 0 {
			return c
		}
		return strings.Compare(a.key, b.key)
	})
	// AllErrors, not Errors: a large scan keeps its problems on disk.
	for e := range r.AllErrors() {
		p := problem{Level: "error", Where: text(e.Pos.String()), Message: text(e.Msg)}
		if e.Warning {
			p.Level = "warning"
		}
		if p.Where == "" {
			p.Where = text(e.ResourceID)
		}
		d.Problems = append(d.Problems, p)
	}
	if err := r.Err(); err != nil {
		return fmt.Errorf("reading the input problems back: %w", err)
	}
	b := bufio.NewWriterSize(out, 1<<16)
	if err := pageTemplate.Execute(b, d); err != nil {
		return fmt.Errorf("writing the HTML report: %w", err)
	}
	if err := b.Flush(); err != nil {
		return fmt.Errorf("writing the HTML report: %w", err)
	}
	return nil
}

func inventory(inv assess.Inventory, recs int) string {
	s := fmt.Sprintf("%d vaults found (%d judged, %d unreadable)", inv.Found, inv.Judged, inv.Unreadable)
	if inv.Placeholders > 0 {
		s += fmt.Sprintf(", %d more named only by their secrets or keys", inv.Placeholders)
	}
	var parts []string
	for _, t := range []struct{ typ, noun string }{{resource.TypeSecret, "secrets"}, {resource.TypeKey, "keys"}, {resource.TypeCertificate, "certificates"}} {
		if n := inv.Components[t.typ]; n > 0 {
			parts = append(parts, strconv.Itoa(n)+" "+t.noun)
		}
	}
	if len(parts) > 0 {
		s += " with " + strings.Join(parts, ", ")
	}
	if inv.ManagedHSMs > 0 {
		s += fmt.Sprintf("; %d managed HSMs not judged", inv.ManagedHSMs)
	}
	return s + fmt.Sprintf(", judged against %d recommendations", recs)
}

// newVault starts a vault's section. Its anchor is a hash of its ID and
// deployment: stable across scans, unique in a page, and safe in a URL.
func newVault(res assess.Resource, key string) *vault {
	sum := sha256.Sum256([]byte(key))
	name := res.Name
	if name == "" {
		name = res.ID
	}
	where := location(res.Source)
	if dep := res.DeployedBy(); dep != "" {
		where = strings.TrimSpace(where + " deployed by " + dep)
	}
	return &vault{Anchor: "vault-" + name2anchor(name) + "-" + fmt.Sprintf("%x", sum[:4]), Name: text(name), ID: text(res.ID),
		Where: text(where), Placeholder: res.Placeholder, key: key}
}

// name2anchor keeps the letters, digits and dashes of a vault name (Azure
// allows no others), so that anchors read well.
func name2anchor(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '-' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func rowOf(a *assess.Assessment, anchor string) row {
	rec := a.Recommendation
	name := a.Resource.Name
	if name == "" {
		name = a.Resource.ID
	}
	rw := row{Status: string(a.Status), Severity: text(string(rec.Severity)), SeverityClass: severityClass(rec.Severity),
		RecID: text(rec.ID), RecTitle: text(rec.Title), Resource: text(name), VaultAnchor: anchor,
		Where: text(location(a.Resource.Source)), Reason: text(a.Reason)}
	if e := a.Exemption; e != nil && e.Source.File != "" {
		rw.Reason += text(" (kvguard:ignore at " + e.Source.String() + ")")
	}
	for i := range a.Components {
		c := &a.Components[i]
		if c.Status == assess.Healthy || c.Status == assess.NotApplicable {
			continue
		}
		if len(rw.Components) == MaxComponents {
			rw.MoreComponents++
			continue
		}
		line := string(c.Status) + " " + c.Name
		if c.Source != nil {
			if loc := location(*c.Source); loc != "" {
				line += " at " + loc
			}
		}
		if c.Reason != "" {
			line += ": " + c.Reason
		}
		rw.Components = append(rw.Components, text(line))
	}
	return rw
}

func location(s resource.Provenance) string {
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
	return strings.Join(parts, " ")
}

func severityClass(s assess.Severity) string {
	switch s.Rank() {
	case 3:
		return "sev-high"
	case 2:
		return "sev-medium"
	case 1:
		return "sev-low"
	}
	return ""
}

func barClass(sev string) string {
	if c := severityClass(assess.Severity(sev)); c != "" {
		return "bar-" + strings.TrimPrefix(c, "sev-")
	}
	return "bar-other"
}

// The charts' geometry, in CSS pixels: a label line above each bar.
const (
	chartWidth = 560
	barSpace   = 470 // the longest bar; the rest holds its value
	rowHeight  = 36
)

func newChart(id, title string, labels, classes []string, values []int) chart {
	c := chart{ID: id, Title: title, Width: chartWidth, Height: max(rowHeight*len(labels), rowHeight)}
	most := 0
	for _, v := range values {
		most = max(most, v)
	}
	for i, label := range labels {
		w := 0
		if most > 0 {
			w = values[i] * barSpace / most
		}
		if values[i] > 0 {
			w = max(w, 2) // a finding is never an invisible bar
		}
		y := i * rowHeight
		c.Bars = append(c.Bars, bar{Label: label, Class: classes[i], Value: values[i],
			LabelY: y + 13, BarY: y + 18, BarWidth: w, ValueX: w + 6, ValueY: y + 30})
	}
	return c
}

func recChart(recs []recRow) chart {
	var labels, classes []string
	var values []int
	for _, r := range recs {
		labels = append(labels, r.Title)
		classes = append(classes, barClass(r.Severity))
		values = append(values, r.Counts.Unhealthy)
	}
	return newChart("chart-recommendations", "Unhealthy by recommendation", labels, classes, values)
}

func severityChart(severities []string, unhealthy map[string]int) chart {
	var classes []string
	var values []int
	for _, s := range severities {
		classes = append(classes, barClass(s))
		values = append(values, unhealthy[s])
	}
	return newChart("chart-severities", "Unhealthy by severity", severities, classes, values)
}

// text escapes the control and bidi runes of text from the scan, keeping
// line breaks and tabs (the reason cells keep them).
func text(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		parts := strings.Split(l, "\t")
		for j, p := range parts {
			parts[j] = resource.Printable(p)
		}
		lines[i] = strings.Join(parts, "\t")
	}
	return strings.Join(lines, "\n")
}
