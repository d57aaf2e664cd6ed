// Package sarif writes the result model as SARIF 2.1.0, the format GitHub
// code scanning and Azure DevOps read: one rule per recommendation, one
// result per assessment that needs attention (Unhealthy, Unknown, Exempt),
// placed at the resource's file and lines, with a fingerprint that does
// not depend on line numbers so that alerts survive edits.
//
// Like every writer it reads assess.Result and nothing else; it never
// imports an input package. docs/sarif.md says how to use the output.
package sarif

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"time"

	"github.com/kvguard/kvguard/internal/assess"
	"github.com/kvguard/kvguard/internal/resource"
)

// SchemaURI is the $schema written in every log: the OASIS schema the
// tests validate against (testdata/sarif-schema-2.1.0.json).
const SchemaURI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

// GitHub code scanning limits (docs.github.com, "SARIF results exceed
// limit"): uploads with more results per run are rejected, and only the
// first 100 locations of a result are kept.
const (
	gitHubMaxResults = 25000
	maxRelated       = 100
)

// Writer renders results as a SARIF log with one run.
type Writer struct {
	// ToolVersion is written as tool.driver.version (and semanticVersion
	// when it is a semantic version).
	ToolVersion string
	// Root is the directory artifact URIs are relative to, named
	// %SRCROOT% in the log. GitHub code scanning needs paths relative to
	// the repository's root, so Root should be that. Relative file names
	// in the result are taken as relative to the current directory, as
	// the command line gave them. Empty means the current directory.
	Root string
}

// Write writes the log. Results are encoded one at a time, so memory
// stays proportional to one assessment however large the estate.
func (w Writer) Write(out io.Writer, r *assess.Result) error {
	loc := newLocator(w.Root)
	rules, index := buildRules(r)
	rules, tenantIndex := addAssignmentRules(rules, r)

	e := newEncoder(out)
	e.raw("{\n  \"$schema\": \"" + SchemaURI + "\",\n  \"version\": \"2.1.0\",\n  \"runs\": [\n    {\n      \"tool\": ")
	e.value("      ", tool{Driver: driver{
		Name: "kvguard", InformationURI: "https://github.com/kvguard/kvguard",
		Version: w.ToolVersion, SemanticVersion: semanticVersion(w.ToolVersion), Rules: rules,
	}})
	if base := loc.rootURI(); base != "" {
		e.raw(",\n      \"originalUriBaseIds\": ")
		e.value("      ", map[string]artifactLocation{srcRoot: {URI: base}})
	}
	e.raw(",\n      \"results\": [")
	var stats runStats
	for a := range r.All() {
		res, ok := buildResult(a, index, loc, &stats)
		if !ok {
			continue
		}
		if stats.results > 0 {
			e.raw(",")
		}
		stats.results++
		e.raw("\n        ")
		e.value("        ", res)
	}
	for _, v := range r.AssignmentVerdicts {
		if !reportedVerdict(v) {
			continue
		}
		if stats.results > 0 {
			e.raw(",")
		}
		stats.results++
		e.raw("\n        ")
		e.value("        ", buildAssignmentResult(v, tenantIndex, loc, &stats))
	}
	if stats.results > 0 {
		e.raw("\n      ")
	}
	e.raw("],\n      \"invocations\": ")
	writeInvocation(e, r, loc, stats)
	e.raw(",\n      \"columnKind\": \"unicodeCodePoints\"")
	if r.Compliance != nil {
		// SARIF has no place for a compliance view: the run's property
		// bag carries the framework's per-control counts.
		e.raw(",\n      \"properties\": ")
		e.value("      ", map[string]any{"compliance": r.Compliance})
	}
	e.raw("\n    }\n  ]\n}\n")
	return e.flush()
}

// runStats counts what the run-level notifications report.
type runStats struct {
	results int
	// noFile counts results placed only by their resource ID (live
	// Azure, standard input), which GitHub code scanning cannot show.
	noFile int
}

// writeInvocation writes the run's one invocation: whether the inputs
// were read without error, and every input problem as a notification at
// its place. The notifications are encoded one at a time as AllErrors
// yields them (a large scan keeps them on disk), never gathered: memory
// stays that of one problem however many there are. The layout is what
// encoding/json's indentation would give the whole array.
func writeInvocation(e *encoder, r *assess.Result, loc *locator, stats runStats) {
	e.raw("[\n        {\n          \"executionSuccessful\": ")
	e.value("", !r.HasErrors())
	if !r.GeneratedAt.IsZero() {
		// The assessor's clock: the instant judged at, taken when the
		// run started.
		e.raw(",\n          \"startTimeUtc\": ")
		e.value("", r.GeneratedAt.UTC().Format(time.RFC3339))
	}
	n := 0
	emit := func(nt notification) {
		if n == 0 {
			e.raw(",\n          \"toolExecutionNotifications\": [")
		} else {
			e.raw(",")
		}
		n++
		e.raw("\n            ")
		e.value("            ", nt)
	}
	for ie := range r.AllErrors() {
		emit(inputNotification(ie, loc))
	}
	for _, nt := range runNotifications(stats) {
		emit(nt)
	}
	if n > 0 {
		e.raw("\n          ]")
	}
	e.raw("\n        }\n      ]")
}

// inputNotification is one input problem, at its file position and
// resource when it has them.
func inputNotification(ie *resource.InputError, loc *locator) notification {
	n := notification{Level: "error", Message: text{Text: ie.Msg}}
	if ie.Warning {
		n.Level = "warning"
	}
	if n.Message.Text == "" {
		n.Message.Text = ie.Error()
	}
	l := location{}
	// A position is a point: no end line.
	if pl := loc.physical(ie.Pos.File, ie.Pos.Line, 0); pl != nil {
		if pl.Region != nil && ie.Pos.Col > 0 {
			pl.Region.StartColumn = ie.Pos.Col
		}
		l.PhysicalLocation = pl
	}
	if ie.ResourceID != "" {
		l.LogicalLocations = []logicalLocation{{FullyQualifiedName: ie.ResourceID, Kind: "resource"}}
	}
	if l.PhysicalLocation != nil || l.LogicalLocations != nil {
		n.Locations = []location{l}
	}
	return n
}

// runNotifications are the run-level notes: results GitHub cannot place,
// and a run over GitHub's limit.
func runNotifications(stats runStats) []notification {
	var out []notification
	if stats.noFile > 0 {
		out = append(out, notification{Level: "note", Message: text{Text: plural(stats.noFile, "result has", "results have") +
			" no file location (the resources were read from live Azure or standard input); they carry the resource ID as a logical location. " +
			"GitHub code scanning shows only results with a file location; the JSON report lists them all."}})
	}
	if stats.results > gitHubMaxResults {
		out = append(out, notification{Level: "warning", Message: text{Text: plural(stats.results, "result", "results") +
			" in one run: GitHub code scanning rejects uploads with more than 25000 results per run; scan fewer resources per upload."}})
	}
	return out
}

// encoder writes hand-laid JSON around values encoded by encoding/json,
// remembering the first error.
type encoder struct {
	w   *bufio.Writer
	buf bytes.Buffer
	err error
}

func newEncoder(w io.Writer) *encoder { return &encoder{w: bufio.NewWriterSize(w, 1<<16)} }

func (e *encoder) raw(s string) {
	if e.err == nil {
		_, e.err = e.w.WriteString(s)
	}
}

// value writes v indented by two spaces per level, its lines after the
// first prefixed to sit at the caller's depth. HTML is not escaped: the
// log is data, and "<" in a message should read as "<".
func (e *encoder) value(prefix string, v any) {
	if e.err != nil {
		return
	}
	e.buf.Reset()
	enc := json.NewEncoder(&e.buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent(prefix, "  ")
	if e.err = enc.Encode(v); e.err != nil {
		return
	}
	_, e.err = e.w.Write(bytes.TrimSuffix(e.buf.Bytes(), []byte("\n")))
}

func (e *encoder) flush() error {
	if e.err != nil {
		return e.err
	}
	return e.w.Flush()
}
