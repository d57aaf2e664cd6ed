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
	"github.com/kvguard/kvguard/internal/report/jsonreport"
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
