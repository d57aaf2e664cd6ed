// Package report lists kvguard's output formats. Each format is a writer
// of the one result model (assess.Result) in its own sub-package; this
// package only names them, so that the CLI can offer, validate and
// document the list in one place.
package report

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/kvguard/kvguard/internal/assess"
	"github.com/kvguard/kvguard/internal/report/csvreport"
	"github.com/kvguard/kvguard/internal/report/htmlreport"
	"github.com/kvguard/kvguard/internal/report/jsonreport"
	"github.com/kvguard/kvguard/internal/report/junit"
	"github.com/kvguard/kvguard/internal/report/markdown"
	"github.com/kvguard/kvguard/internal/report/ocsf"
	"github.com/kvguard/kvguard/internal/report/sarif"
	"github.com/kvguard/kvguard/internal/report/table"
)

// Writer renders a result.
type Writer interface {
	Write(w io.Writer, r *assess.Result) error
}

// Format is one output format.
type Format struct {
	ID          string
	Aliases     []string
	Description string
	// New returns the writer; options carry the tool version and
	// terminal settings.
	New func(o Options) Writer
}

// Options are what writers may need from the caller.
type Options struct {
	ToolVersion string
	Verbose     bool
	Width       int
	// Color allows colour (the table on a terminal).
	Color bool
	// SourceRoot is the directory file locations are made relative to
	// where a format needs one (SARIF's %SRCROOT%: for GitHub code
	// scanning, the repository's root). Empty means the current directory.
	SourceRoot string
}

// All lists the formats, the default first.
func All() []Format {
	return []Format{
		{ID: "table", Aliases: []string{"text"}, Description: "a readable summary grouped by recommendation (default)",
			New: func(o Options) Writer { return table.Writer{Verbose: o.Verbose, Width: o.Width, Color: o.Color} }},
		{ID: "json", Description: "the versioned result model (docs/report.schema.json)",
			New: func(o Options) Writer { return jsonreport.Writer{ToolVersion: o.ToolVersion} }},
		{ID: "sarif", Description: "SARIF 2.1.0 for GitHub code scanning and Azure DevOps (docs/sarif.md)",
			New: func(o Options) Writer { return sarif.Writer{ToolVersion: o.ToolVersion, Root: o.SourceRoot} }},
		{ID: "csv", Description: "one row per assessment, RFC 4180, formula-safe (docs/formats.md)",
			New: func(Options) Writer { return csvreport.Writer{} }},
		{ID: "html", Description: "one self-contained page: summary, charts, filters, a section per vault (docs/formats.md)",
			New: func(o Options) Writer { return htmlreport.Writer{ToolVersion: o.ToolVersion} }},
		{ID: "junit", Description: "JUnit XML for CI test tabs: a suite per recommendation, a case per resource (docs/formats.md)",
			New: func(o Options) Writer { return junit.Writer{ToolVersion: o.ToolVersion} }},
		{ID: "markdown", Aliases: []string{"md"}, Description: "a summary for pull-request comments and $GITHUB_STEP_SUMMARY, within 65,536 characters (docs/formats.md)",
			New: func(o Options) Writer { return markdown.Writer{ToolVersion: o.ToolVersion} }},
		{ID: "ocsf", Description: "OCSF 1.8.0 Compliance Finding events (class 2003) as JSON lines, for SIEMs (docs/formats.md)",
			New: func(o Options) Writer { return ocsf.Writer{ToolVersion: o.ToolVersion} }},
	}
}

// Lookup finds a format by ID or alias, case-insensitively.
func Lookup(name string) (Format, error) {
	for _, f := range All() {
		if strings.EqualFold(f.ID, name) {
			return f, nil
		}
		for _, a := range f.Aliases {
			if strings.EqualFold(a, name) {
				return f, nil
			}
		}
	}
	return Format{}, fmt.Errorf("unknown format %q (valid: %s)", name, strings.Join(IDs(), ", "))
}

// IDs lists the format IDs, sorted.
func IDs() []string {
	var ids []string
	for _, f := range All() {
		ids = append(ids, f.ID)
	}
	sort.Strings(ids)
	return ids
}
