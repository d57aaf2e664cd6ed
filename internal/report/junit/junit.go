// Package junit writes the result model as JUnit XML, the test-report
// format CI systems show in their test tabs (Jenkins, GitLab, Azure
// DevOps, GitHub through test-reporter actions): one testsuite per
// recommendation, one testcase per judged resource.
//
// Statuses map onto JUnit's outcomes so that a CI test tab agrees with
// kvguard's exit code, which only Unhealthy assessments (and input
// errors) can fail:
//
//   - Healthy: a passing testcase;
//   - Unhealthy: <failure>;
//   - Unknown: <skipped type="Unknown">, not <error>: no verdict was
//     reached (a value unknown before deployment, an unreadable part), the
//     run does not fail on it, and a red error in the test tab would say
//     otherwise; the message says why;
//   - NotApplicable and Exempt: <skipped> with the reason (for Exempt, the
//     suppression's).
//
// Input problems get a testsuite of their own, "kvguard input": an error
// is an <error>, a warning a <skipped type="Warning">.
//
// The output follows the Jenkins xunit plugin's junit-10.xsd (the JUnit
// schema most consumers accept); the tests validate every golden file
// against it.
package junit

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/kvguard/kvguard/internal/assess"
	"github.com/kvguard/kvguard/internal/resource"
)

// Writer renders results as JUnit XML.
type Writer struct {
	// ToolVersion is written as a property of every suite.
	ToolVersion string
}

// InputSuite names the testsuite that holds the input problems.
const InputSuite = "kvguard input"

type property struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type outcome struct {
	Type    string `xml:"type,attr,omitempty"`
	Message string `xml:"message,attr,omitempty"`
	Text    string `xml:",chardata"`
}

type testcase struct {
	XMLName   xml.Name `xml:"testcase"`
	Name      string   `xml:"name,attr"`
	Classname string   `xml:"classname,attr"`
	Time      string   `xml:"time,attr"`
	Failure   *outcome `xml:"failure,omitempty"`
	Error     *outcome `xml:"error,omitempty"`
	Skipped   *outcome `xml:"skipped,omitempty"`
	SystemOut string   `xml:"system-out,omitempty"`
}

// counts are a suite's attributes.
type counts struct{ tests, failures, errors, skipped int }

// Write writes the report. It streams the testcases: a suite's counts
// come from the summary, so no assessment is held.
func (w Writer) Write(out io.Writer, r *assess.Result) error {
	b := bufio.NewWriterSize(out, 1<<16)
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(b)
	enc.Indent("", "  ")
	total := counts{}
	for _, rec := range r.Recommendations {
		c := suiteCounts(r.Summary.ByRecommendation[rec.ID])
		total.tests, total.failures, total.skipped = total.tests+c.tests, total.failures+c.failures, total.skipped+c.skipped
	}
	in := inputCounts(r)
	if in.tests > 0 {
		total.tests, total.errors, total.skipped = total.tests+in.tests, total.errors+in.errors, total.skipped+in.skipped
	}
	root := xml.StartElement{Name: xml.Name{Local: "testsuites"}, Attr: []xml.Attr{
		attr("name", "kvguard"), attr("tests", strconv.Itoa(total.tests)), attr("failures", strconv.Itoa(total.failures)),
		attr("errors", strconv.Itoa(total.errors)), attr("time", "0"),
	}}
	s := &stream{enc: enc, r: r, version: w.ToolVersion}
	s.token(root)
	if err := s.writeSuites(); err != nil {
		return err
	}
	if in.tests > 0 {
		s.writeInput(in)
		if err := r.Err(); err != nil && s.err == nil {
			s.err = fmt.Errorf("reading the input problems back: %w", err)
		}
	}
	s.token(root.End())
	if s.err == nil {
		s.err = enc.Flush()
	}
	if s.err == nil {
		_, s.err = b.WriteString("\n")
	}
	if s.err == nil {
		s.err = b.Flush()
	}
	if s.err != nil {
		return fmt.Errorf("writing the JUnit report: %w", s.err)
	}
	return nil
}

// writeSuites writes a suite per recommendation, in catalog order. The
// assessor yields assessments grouped by recommendation in that order, so
// one pass streams them; a result in another order (one built by hand)
// is read once per recommendation instead. A first pass checks which.
func (s *stream) writeSuites() error {
	grouped, err := inRecommendationOrder(s.r)
	if err != nil {
		return err
	}
	end := xml.EndElement{Name: xml.Name{Local: "testsuite"}}
	if !grouped {
		for _, rec := range s.r.Recommendations {
			s.startSuite(rec)
			for a := range s.r.All() {
				if a.Recommendation.ID == rec.ID {
					s.element(caseOf(a))
				}
			}
			s.token(end)
		}
		return readErr(s.r)
	}
	next := 0 // the index in r.Recommendations of the next suite to open
	open := false
	for a := range s.r.All() {
		if open && s.r.Recommendations[next-1].ID == a.Recommendation.ID {
			s.element(caseOf(a))
			continue
		}
		if open {
			s.token(end)
		}
		for ; s.r.Recommendations[next].ID != a.Recommendation.ID; next++ { // recommendations with no assessment
			s.startSuite(s.r.Recommendations[next])
			s.token(end)
		}
		s.startSuite(s.r.Recommendations[next])
		next, open = next+1, true
		s.element(caseOf(a))
	}
	if open {
		s.token(end)
	}
	for ; next < len(s.r.Recommendations); next++ {
		s.startSuite(s.r.Recommendations[next])
		s.token(end)
	}
	return readErr(s.r)
}

// inRecommendationOrder reports whether the assessments come grouped by
// recommendation, in the order of r.Recommendations, every one of them
// known.
func inRecommendationOrder(r *assess.Result) (bool, error) {
	next := 0
	current := ""
	ordered := true
	for a := range r.All() {
		if a.Recommendation.ID == current {
			continue
		}
		i := indexFrom(r.Recommendations, next, a.Recommendation.ID)
		if i < 0 {
			if indexFrom(r.Recommendations, 0, a.Recommendation.ID) < 0 {
				return false, fmt.Errorf("writing the JUnit report: %s's assessment of %s is of a recommendation the result does not list", a.Resource.ID, a.Recommendation.ID)
			}
			ordered = false
		}
		if !ordered {
			break
		}
		current, next = a.Recommendation.ID, i+1
	}
	return ordered, readErr(r)
}

func readErr(r *assess.Result) error {
	if err := r.Err(); err != nil {
		return fmt.Errorf("reading the assessments back: %w", err)
	}
	return nil
}

// stream writes tokens and keeps the first error.
type stream struct {
	enc     *xml.Encoder
	r       *assess.Result
	version string
	err     error
}

func (s *stream) token(t xml.Token) {
	if s.err == nil {
		s.err = s.enc.EncodeToken(t)
	}
}

func (s *stream) element(v any) {
	if s.err == nil {
		s.err = s.enc.Encode(v)
	}
}

func (s *stream) startSuite(rec *assess.Recommendation) {
	c := suiteCounts(s.r.Summary.ByRecommendation[rec.ID])
	s.token(suiteStart(rec.ID+": "+text(rec.Title), rec.ID, c, s.r.GeneratedAt))
	props := []property{{"recommendation", rec.ID}, {"severity", string(rec.Severity)}, {"tool", "kvguard " + s.version}}
	if id := rec.PolicyDefinitionID(); id != "" {
		props = append(props, property{"policyDefinitionId", id})
	}
	s.properties(props)
}

func (s *stream) properties(props []property) {
	s.token(xml.StartElement{Name: xml.Name{Local: "properties"}})
	for _, p := range props {
		s.token(xml.StartElement{Name: xml.Name{Local: "property"}, Attr: []xml.Attr{attr("name", p.Name), attr("value", text(p.Value))}})
		s.token(xml.EndElement{Name: xml.Name{Local: "property"}})
	}
	s.token(xml.EndElement{Name: xml.Name{Local: "properties"}})
}

// writeInput writes the input problems' suite.
func (s *stream) writeInput(c counts) {
	s.token(suiteStart(InputSuite, "kvguard-input", c, s.r.GeneratedAt))
	// AllErrors, not Errors: a large scan keeps its problems on disk.
	i := -1
	for e := range s.r.AllErrors() {
		i++
		where := e.Pos.String()
		if where == "" {
			where = resource.QuoteName(e.ResourceID)
		}
		if where == "" {
			where = "input problem " + strconv.Itoa(i+1)
		}
		tc := testcase{Name: where, Classname: "kvguard.input", Time: "0"}
		o := &outcome{Message: text(e.Msg), Text: text(e.Error())}
		if e.Warning {
			o.Type = "Warning"
			tc.Skipped = o
		} else {
			o.Type = "InputError"
			tc.Error = o
		}
		s.element(tc)
	}
	s.token(xml.EndElement{Name: xml.Name{Local: "testsuite"}})
}

func suiteStart(name, id string, c counts, at time.Time) xml.StartElement {
	return xml.StartElement{Name: xml.Name{Local: "testsuite"}, Attr: []xml.Attr{
		attr("name", name), attr("id", id), attr("package", "kvguard"),
		attr("tests", strconv.Itoa(c.tests)), attr("failures", strconv.Itoa(c.failures)),
		attr("errors", strconv.Itoa(c.errors)), attr("skipped", strconv.Itoa(c.skipped)),
		attr("time", "0"), attr("timestamp", at.UTC().Format("2006-01-02T15:04:05")),
	}}
}

func attr(name, value string) xml.Attr { return xml.Attr{Name: xml.Name{Local: name}, Value: value} }

func suiteCounts(c map[assess.Status]int) counts {
	n := counts{failures: c[assess.Unhealthy], skipped: c[assess.Unknown] + c[assess.NotApplicable] + c[assess.Exempt]}
	n.tests = n.failures + n.skipped + c[assess.Healthy]
	return n
}

func inputCounts(r *assess.Result) counts {
	errs, warns := r.ErrorCounts()
	return counts{tests: errs + warns, errors: errs, skipped: warns}
}

func indexFrom(recs []*assess.Recommendation, from int, id string) int {
	for i := from; i < len(recs); i++ {
		if recs[i].ID == id {
			return i
		}
	}
	return -1
}

// caseOf is an assessment's testcase.
func caseOf(a *assess.Assessment) testcase {
	tc := testcase{Name: caseName(a), Classname: a.Recommendation.ID, Time: "0"}
	o := &outcome{Type: string(a.Status), Message: text(a.Reason), Text: body(a)}
	switch a.Status {
	case assess.Unhealthy:
		tc.Failure = o
	case assess.Unknown, assess.NotApplicable, assess.Exempt:
		tc.Skipped = o
	default:
		tc.SystemOut = o.Text
	}
	return tc
}

// caseName names the resource so that two cases of a suite differ: the
// name, where it is in code, and the deployment of a shared module.
func caseName(a *assess.Assessment) string {
	res := a.Resource
	name := res.Name
	if name == "" {
		name = res.ID
	}
	var where []string
	if loc := location(res.Source); loc != "" {
		where = append(where, loc)
	} else if res.ID != name {
		where = append(where, res.ID)
	}
	if dep := res.DeployedBy(); dep != "" {
		where = append(where, "deployed by "+dep)
	}
	if res.Placeholder {
		where = append(where, "not in the input")
	}
	if len(where) > 0 {
		name += " (" + strings.Join(where, ", ") + ")"
	}
	return text(name)
}

// body is the outcome's text: what a reader needs to act on it.
func body(a *assess.Assessment) string {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	line("%s: %s", a.Status, a.Reason)
	line("resource: %s", a.Resource.ID)
	if loc := location(a.Resource.Source); loc != "" {
		line("at: %s", loc)
	}
	if a.Resource.Deployment != "" {
		line("deployment: %s", a.Resource.Deployment)
	}
	for _, d := range a.Details {
		line("condition: %s %s %s (actual: %s)", d.Field, d.Operator, resource.Render(d.Expected), resource.Render(d.Actual))
	}
	for i := range a.Components {
		c := &a.Components[i]
		if c.Status == assess.Healthy || c.Status == assess.NotApplicable {
			continue
		}
		where := ""
		if c.Source != nil {
			if loc := location(*c.Source); loc != "" {
				where = " at " + loc
			}
		}
		line("%s %s%s: %s", c.Status, c.Name, where, c.Reason)
	}
	if e := a.Exemption; e != nil {
		state := "suppressed"
		if e.Expired {
			state = "suppression expired"
		}
		line("%s by kvguard:ignore at %s: %s", state, e.Source, e.Reason)
	}
	if a.Status == assess.Unhealthy {
		if cli := a.Recommendation.Remediation.CLI; cli != "" {
			line("fix (Azure CLI): %s", cli)
		}
		line("more: kvguard rules show %s", a.Recommendation.ID)
	}
	return text(strings.TrimSuffix(b.String(), "\n"))
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

// text keeps line breaks and tabs (XML carries them) and escapes every
// other control or bidi rune, which XML 1.0 cannot carry or a reader
// would act on.
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
