// Package jsonreport writes the result model as kvguard's versioned JSON
// report (schema in docs/report.schema.json). The JSON report is the
// model: every field of assess.Result that matters to a machine is here.
//
// It writes by hand rather than through encoding/json's reflection so that
// an estate of a million secrets and keys is written in well under two
// seconds (BenchmarkWriteJSON; TestLargeIsFast guards it), in constant
// memory beyond the result itself.
package jsonreport

import (
	"bytes"
	"encoding/json"
	"io"
	"runtime"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/kvguard/kvguard/internal/assess"
	"github.com/kvguard/kvguard/internal/catalog"
	"github.com/kvguard/kvguard/internal/policy"
	"github.com/kvguard/kvguard/internal/resource"
)

// Writer renders results as JSON.
type Writer struct {
	// ToolVersion is written in tool.version.
	ToolVersion string
}

// Write writes the report.
func (w Writer) Write(out io.Writer, r *assess.Result) error {
	b := newBuf(out)
	defer b.close()
	b.raw(`{"schemaVersion":`)
	b.str(assess.SchemaVersion)
	b.raw(`,"tool":{"name":"kvguard","version":`)
	b.str(w.ToolVersion)
	b.raw(`},"generatedAt":`)
	b.str(r.GeneratedAt.UTC().Format(time.RFC3339))
	b.raw(`,"options":{"enabledOnly":`)
	b.bool(r.EnabledOnly)
	b.raw("},\n")
	writeSummary(b, r)
	b.raw(`,"recommendations":[`)
	for i, rec := range r.Recommendations {
		if i > 0 {
			b.raw(",")
		}
		b.raw("\n")
		writeRecommendation(b, rec)
	}
	b.raw("],\n\"assessments\":[")
	writeAssessments(b, r.Assessments, runtime.GOMAXPROCS(0))
	b.raw("],\n\"errors\":[")
	for i, e := range r.Errors {
		if i > 0 {
			b.raw(",")
		}
		b.raw("\n")
		writeError(b, e)
	}
	b.raw("]}\n")
	return b.close()
}

func writeSummary(b *buf, r *assess.Result) {
	b.raw(`"summary":{"recommendations":[`)
	for i, rec := range r.Recommendations {
		if i > 0 {
			b.raw(",")
		}
		c := r.Summary.ByRecommendation[rec.ID]
		b.raw(`{"id":`)
		b.str(rec.ID)
		b.raw(`,"severity":`)
		b.str(string(rec.Severity))
		for _, s := range []assess.Status{assess.Healthy, assess.Unhealthy, assess.Unknown, assess.Exempt, assess.NotApplicable} {
			b.raw(`,"` + lowerFirst(string(s)) + `":`)
			b.int(c[s])
		}
		b.raw("}")
	}
	inv := r.Summary.Inventory
	b.raw(`],"inventory":{"vaultsFound":`)
	b.int(inv.Found)
	b.raw(`,"vaultsJudged":`)
	b.int(inv.Judged)
	b.raw(`,"vaultsUnreadable":`)
	b.int(inv.Unreadable)
	b.raw(`,"placeholderVaults":`)
	b.int(inv.Placeholders)
	b.raw(`,"components":{"secrets":`)
	b.int(inv.Components[resource.TypeSecret])
	b.raw(`,"keys":`)
	b.int(inv.Components[resource.TypeKey])
	b.raw(`,"certificates":`)
	b.int(inv.Components[resource.TypeCertificate])
	b.raw(`,"total":`)
	b.int(inv.ComponentCount())
	b.raw("}")
	errs, warns := 0, 0
	for _, e := range r.Errors {
		if e.Warning {
			warns++
		} else {
			errs++
		}
	}
	b.raw(`},"errors":`)
	b.int(errs)
	b.raw(`,"warnings":`)
	b.int(warns)
	b.raw("}")
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]+('a'-'A')) + s[1:]
}

func writeRecommendation(b *buf, rec *catalog.Recommendation) {
	b.raw(`{"id":`)
	b.str(rec.ID)
	b.raw(`,"title":`)
	b.str(rec.Title)
	b.raw(`,"severity":`)
	b.str(string(rec.Severity))
	b.raw(`,"type":`)
	b.str(rec.Type)
	b.raw(`,"policyDefinitionId":`)
	b.str(rec.RelatedPolicy.ID)
	b.raw(`,"policyVersion":`)
	b.str(rec.RelatedPolicy.Version)
	if rec.AssessmentKey != "" {
		b.raw(`,"assessmentKey":`)
		b.str(rec.AssessmentKey)
	}
	b.raw(`,"requirement":`)
	b.str(rec.Requirement)
	b.raw(`,"remediation":`)
	b.marshal(rec.Remediation)
	if len(rec.Frameworks) > 0 {
		b.raw(`,"frameworks":`)
		b.marshal(rec.Frameworks)
	}
	b.raw("}")
}

func writeAssessment(b *buf, a *assess.Assessment) {
	rec := a.Recommendation
	b.raw(`{"recommendation":{"id":`)
	b.str(rec.ID)
	b.raw(`,"title":`)
	b.str(rec.Title)
	b.raw(`,"severity":`)
	b.str(string(rec.Severity))
	b.raw(`,"policyDefinitionId":`)
	b.str(rec.RelatedPolicy.ID)
	b.raw(`},"resource":{"id":`)
	b.str(a.Resource.ID)
	b.raw(`,"name":`)
	b.str(a.Resource.Name)
	b.raw(`,"type":`)
	b.str(a.Resource.Type)
	if a.Resource.Placeholder {
		b.raw(`,"placeholder":true`)
	}
	b.raw(`,"source":`)
	writeSource(b, &a.Resource.Source)
	b.raw(`},"status":`)
	b.str(string(a.Status))
	b.raw(`,"reason":`)
	b.str(a.Reason)
	if len(a.Details) > 0 {
		b.raw(`,"details":[`)
		for i, d := range a.Details {
			if i > 0 {
				b.raw(",")
			}
			writeDetail(b, d)
		}
		b.raw("]")
	}
	if a.Exemption != nil {
		b.raw(`,"exemption":`)
		writeExemption(b, a.Exemption)
	}
	if a.Recommendation.Component != "" {
		b.raw(`,"components":[`)
		for i := range a.Components {
			if i > 0 {
				b.raw(",")
			}
			writeComponent(b, &a.Components[i])
		}
		b.raw("]")
	}
	b.raw("}")
}

func writeSource(b *buf, s *resource.Provenance) {
	b.raw(`{"kind":`)
	b.str(s.Kind)
	if s.File != "" {
		b.raw(`,"file":`)
		b.str(s.File)
	}
	if s.StartLine > 0 {
		b.raw(`,"startLine":`)
		b.int(s.StartLine)
		b.raw(`,"endLine":`)
		b.int(max(s.EndLine, s.StartLine))
	}
	if s.Address != "" {
		b.raw(`,"address":`)
		b.str(s.Address)
	}
	if s.APIVersion != "" {
		b.raw(`,"apiVersion":`)
		b.str(s.APIVersion)
	}
	if !s.ReadAt.IsZero() {
		b.raw(`,"readAt":`)
		b.str(s.ReadAt.UTC().Format(time.RFC3339))
	}
	b.raw("}")
}

func writeDetail(b *buf, d policy.Reason) {
	b.raw(`{"field":`)
	b.str(d.Field)
	if d.Path != "" {
		b.raw(`,"path":`)
		b.str(d.Path)
	}
	b.raw(`,"operator":`)
	b.str(d.OperatorText())
	b.raw(`,"expected":`)
	b.marshal(d.ExpectedJSON())
	b.raw(`,"actual":`)
	b.marshal(d.ActualJSON())
	b.raw(`,"code":`)
	b.str(d.Code())
	b.raw("}")
}

func writeExemption(b *buf, e *assess.Exemption) {
	b.raw(`{"reason":`)
	b.str(e.Reason)
	if !e.Expires.IsZero() {
		b.raw(`,"expires":`)
		b.str(e.Expires.Format("2006-01-02"))
	}
	b.raw(`,"expired":`)
	b.bool(e.Expired)
	b.raw(`,"file":`)
	b.str(e.Source.File)
	b.raw(`,"line":`)
	b.int(e.Source.Line)
	b.raw("}")
}

func writeComponent(b *buf, c *assess.Component) {
	b.raw(`{"id":`)
	if prefix, name := c.IDParts(); prefix != "" && prefix[len(prefix)-1] < utf8.RuneSelf {
		b.str2(prefix, name) // escaped apart: a rune cannot straddle an ASCII byte
	} else {
		b.str(c.FullID())
	}
	b.raw(`,"name":`)
	b.str(c.Name)
	b.raw(`,"type":`)
	b.str(c.Type)
	b.raw(`,"status":`)
	b.str(string(c.Status))
	if c.Reason != "" {
		b.raw(`,"reason":`)
		b.str(c.Reason)
	}
	if c.Source != nil {
		b.raw(`,"source":`)
		writeSource(b, c.Source)
	}
	if c.Exemption != nil {
		b.raw(`,"exemption":`)
		writeExemption(b, c.Exemption)
	}
	b.raw("}")
}

func writeError(b *buf, e *resource.InputError) {
	b.raw(`{"severity":`)
	if e.Warning {
		b.str("warning")
	} else {
		b.str("error")
	}
	if e.Pos.File != "" {
		b.raw(`,"file":`)
		b.str(e.Pos.File)
	}
	if e.Pos.Line > 0 {
		b.raw(`,"line":`)
		b.int(e.Pos.Line)
	}
	if e.Pos.Col > 0 {
		b.raw(`,"column":`)
		b.int(e.Pos.Col)
	}
	if e.ResourceID != "" {
		b.raw(`,"resourceId":`)
		b.str(e.ResourceID)
	}
	b.raw(`,"message":`)
	b.str(e.Msg)
	b.raw("}")
}

// flushSize is how much buf collects before handing it to the writer.
const flushSize = 1 << 16

// buf is a small JSON writer that remembers the first error. It collects
// the report in its own buffer and hands it out in chunks of about
// flushSize, so that strings are escaped straight into the buffer rather
// than escaped and then copied (as a bufio.Writer would need). A goroutine
// of its own writes the chunks out while the next one is filled: copying
// a report of a few hundred megabytes into the file (the system's time)
// then overlaps building it. Two buffers take turns, so memory stays
// bounded.
type buf struct {
	w      io.Writer
	b      []byte
	full   chan []byte // to the writing goroutine
	free   chan []byte // back from it
	done   chan struct{}
	closed bool
	err    error // the writing goroutine's first error, read after done
}

func newBuf(w io.Writer) *buf {
	b := &buf{w: w, b: make([]byte, 0, 2*flushSize), full: make(chan []byte, 1), free: make(chan []byte, 1), done: make(chan struct{})}
	b.free <- make([]byte, 0, 2*flushSize)
	go b.writeOut(b.full, b.free)
	return b
}

// writeOut writes the chunks in order; after an error it only discards
// them.
func (b *buf) writeOut(full <-chan []byte, free chan<- []byte) {
	defer close(b.done)
	for p := range full {
		if b.err == nil {
			_, b.err = b.w.Write(p)
		}
		free <- p[:0]
	}
}

// grown hands the buffer out once it holds flushSize bytes.
func (b *buf) grown() {
	if len(b.b) >= flushSize {
		b.flush()
	}
}

// flush hands what is buffered to the writing goroutine and takes the
// other buffer. A buf without a writer (a piece, see writeAssessments)
// only collects.
func (b *buf) flush() {
	if len(b.b) == 0 || b.closed || b.full == nil {
		return
	}
	b.full <- b.b
	b.b = <-b.free
}

// close writes what is left, waits for the writing goroutine and returns
// its first error. Later calls return that error again.
func (b *buf) close() error {
	if !b.closed {
		b.flush()
		b.closed = true
		close(b.full)
		<-b.done
	}
	return b.err
}

func (b *buf) raw(s string) {
	b.b = append(b.b, s...)
	b.grown()
}

func (b *buf) int(n int) {
	b.b = strconv.AppendInt(b.b, int64(n), 10)
	b.grown()
}

func (b *buf) bool(v bool) {
	b.b = strconv.AppendBool(b.b, v)
	b.grown()
}

func (b *buf) str(s string) {
	b.b = appendString(b.b, s)
	b.grown()
}

// str2 writes the string s1+s2, which must not split a rune.
func (b *buf) str2(s1, s2 string) {
	b.b = append(b.b, '"')
	b.b = appendEscaped(b.b, s1)
	b.b = appendEscaped(b.b, s2)
	b.b = append(b.b, '"')
	b.grown()
}

func (b *buf) marshal(v any) {
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	data := []byte(strconv.Quote("(unrepresentable value)"))
	if err := enc.Encode(v); err == nil {
		data = bytes.TrimRight(out.Bytes(), "\n")
	}
	b.b = append(b.b, data...)
	b.grown()
}

const hex = "0123456789abcdef"

// appendString appends s as a JSON string, escaping what JSON requires
// (and U+2028/U+2029, for JavaScript consumers); like encoding/json with
// SetEscapeHTML(false).
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	dst = appendEscaped(dst, s)
	return append(dst, '"')
}

// appendEscaped appends s escaped as inside a JSON string.
func appendEscaped(dst []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		if i+8 <= len(s) && plain8(s[i:i+8]) {
			i += 8
			continue
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(dst, s[start:]...)
}

// plain8 reports whether the eight bytes of s are ASCII that JSON writes
// as they are (no control character, quote or backslash), testing all
// eight at once: string escaping is most of the writer's time, and IDs and
// names are almost always plain.
func plain8(s string) bool {
	_ = s[7]
	w := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	quote, backslash := w^(ones*'"'), w^(ones*'\\')
	// (x - ones*n) &^ x has a high bit set where some byte of x is below
	// n (for n <= 0x80); a zero byte of quote or backslash is a match.
	special := (w - ones*0x20) &^ w
	special |= (quote - ones) &^ quote
	special |= (backslash - ones) &^ backslash
	return (special|w)&highs == 0
}
