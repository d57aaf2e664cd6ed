package junit

import (
	"bytes"
	"encoding/xml"
	"strconv"
	"testing"

	"github.com/kvguard/kvguard/internal/assess"
	"github.com/kvguard/kvguard/internal/report/reporttest"
)

func TestGolden(t *testing.T) {
	t.Parallel()
	schema := loadXSD(t, "testdata/junit-10.xsd")
	for _, c := range reporttest.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			r := c.Result(t)
			var buf bytes.Buffer
			if err := (Writer{ToolVersion: reporttest.ToolVersion}).Write(&buf, r); err != nil {
				t.Fatal(err)
			}
			reporttest.Golden(t, c.Name, buf.Bytes())
			for _, e := range schema.validate(buf.Bytes()) {
				t.Errorf("junit-10.xsd: %s", e)
			}
			checkCounts(t, buf.Bytes(), r)
		})
	}
}

type suites struct {
	Tests    int     `xml:"tests,attr"`
	Failures int     `xml:"failures,attr"`
	Errors   int     `xml:"errors,attr"`
	Suites   []suite `xml:"testsuite"`
}

type suite struct {
	Name     string     `xml:"name,attr"`
	ID       string     `xml:"id,attr"`
	Tests    int        `xml:"tests,attr"`
	Failures int        `xml:"failures,attr"`
	Errors   int        `xml:"errors,attr"`
	Skipped  int        `xml:"skipped,attr"`
	Cases    []testcase `xml:"testcase"`
}

// checkCounts reads the report back: one suite per recommendation (and
// one for input problems), whose counts match its cases, and one case per
// assessment with the outcome its status maps to.
func checkCounts(t *testing.T, out []byte, r *assess.Result) {
	t.Helper()
	var doc suites
	if err := xml.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	want := len(r.Recommendations)
	if len(r.Errors) > 0 {
		want++
	}
	if len(doc.Suites) != want {
		t.Fatalf("%d suites, want %d", len(doc.Suites), want)
	}
	var tests, failures, errors int
	byID := map[string]*suite{}
	for i := range doc.Suites {
		s := &doc.Suites[i]
		byID[s.ID] = s
		var f, e, sk int
		for _, c := range s.Cases {
			if c.Failure != nil {
				f++
			}
			if c.Error != nil {
				e++
			}
			if c.Skipped != nil {
				sk++
			}
		}
		if s.Tests != len(s.Cases) || s.Failures != f || s.Errors != e || s.Skipped != sk {
			t.Errorf("suite %s says tests=%d failures=%d errors=%d skipped=%d; its cases: %d, %d, %d, %d",
				s.Name, s.Tests, s.Failures, s.Errors, s.Skipped, len(s.Cases), f, e, sk)
		}
		tests, failures, errors = tests+s.Tests, failures+s.Failures, errors+s.Errors
	}
	if doc.Tests != tests || doc.Failures != failures || doc.Errors != errors {
		t.Errorf("testsuites says %d/%d/%d, the suites %d/%d/%d", doc.Tests, doc.Failures, doc.Errors, tests, failures, errors)
	}
	seen := map[string]int{}
	for a := range r.All() {
		s := byID[a.Recommendation.ID]
		if s == nil {
			t.Fatalf("no suite for %s", a.Recommendation.ID)
		}
		i := seen[a.Recommendation.ID]
		seen[a.Recommendation.ID]++
		if i >= len(s.Cases) {
			t.Fatalf("suite %s has fewer cases than assessments", s.ID)
		}
		c := s.Cases[i]
		var got string
		switch {
		case c.Failure != nil:
			got = "failure " + c.Failure.Type
		case c.Skipped != nil:
			got = "skipped " + c.Skipped.Type
		case c.Error != nil:
			got = "error"
		default:
			got = "pass"
		}
		wantOutcome := map[assess.Status]string{assess.Healthy: "pass", assess.Unhealthy: "failure Unhealthy", assess.Unknown: "skipped Unknown",
			assess.NotApplicable: "skipped NotApplicable", assess.Exempt: "skipped Exempt"}[a.Status]
		if got != wantOutcome {
			t.Errorf("%s on %s: %s, want %s", a.Recommendation.ID, a.Resource.ID, got, wantOutcome)
		}
	}
	if in := byID["kvguard-input"]; len(r.Errors) > 0 && (in == nil || len(in.Cases) != len(r.Errors)) {
		t.Errorf("the input suite does not hold the %d input problems", len(r.Errors))
	}
}

// TestCaseNamesDiffer: CI tabs key cases by suite and name, so two
// assessments of one recommendation must not share a name.
func TestCaseNamesDiffer(t *testing.T) {
	t.Parallel()
	for _, c := range reporttest.Cases() {
		seen := map[string]bool{}
		for a := range c.Result(t).All() {
			key := a.Recommendation.ID + "\x00" + caseName(a)
			if seen[key] {
				t.Errorf("%s: two cases of %s are named %q", c.Name, a.Recommendation.ID, caseName(a))
			}
			seen[key] = true
		}
	}
}

// TestAnyOrder writes a result whose assessments come vault by vault
// rather than grouped by recommendation (reporttest.Large's order): every
// assessment still lands in its recommendation's suite.
func TestAnyOrder(t *testing.T) {
	t.Parallel()
	schema := loadXSD(t, "testdata/junit-10.xsd")
	r := reporttest.Large(t, 4, 24)
	var buf bytes.Buffer
	if err := (Writer{}).Write(&buf, r); err != nil {
		t.Fatal(err)
	}
	for _, e := range schema.validate(buf.Bytes()) {
		t.Errorf("junit-10.xsd: %s", e)
	}
	checkCounts(t, buf.Bytes(), r)
}

func TestText(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"two\nlines\tand a tab", "two\nlines\tand a tab"},
		{"esc \x1b[31m", `esc \x1b[31m`},
		{"bad \xff", `bad \xff`},
		{"nul \x00", `nul \x00`},
	}
	for _, tt := range tests {
		if got := text(tt.in); got != tt.want {
			t.Errorf("text(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestWriteError(t *testing.T) {
	t.Parallel()
	reporttest.CheckWriteError(t, Writer{})
}

func BenchmarkWrite(b *testing.B) { reporttest.BenchmarkLarge(b, Writer{ToolVersion: strconv.Itoa(1)}) }
