package ocsf

import (
	"bufio"
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/kvguard/kvguard/internal/assess"
	"github.com/kvguard/kvguard/internal/report/reporttest"
)

const schemaFile = "ocsf-1.8.0-kvguard-events.schema.json"

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	s, err := jsonschema.NewCompiler().Compile(filepath.Join("testdata", schemaFile))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestGolden(t *testing.T) {
	t.Parallel()
	schema := compileSchema(t)
	for _, c := range reporttest.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			r := c.Result(t)
			var buf bytes.Buffer
			if err := (Writer{ToolVersion: reporttest.ToolVersion}).Write(&buf, r); err != nil {
				t.Fatal(err)
			}
			reporttest.Golden(t, c.Name, buf.Bytes())
			events := lines(t, buf.Bytes())
			for i, line := range events {
				inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(line))
				if err != nil {
					t.Fatalf("line %d: %v", i+1, err)
				}
				if err := schema.Validate(inst); err != nil {
					t.Errorf("line %d does not follow the OCSF schema: %v", i+1, err)
				}
				checkSemantics(t, i+1, line)
			}
			checkCoverage(t, events, r)
		})
	}
}

func lines(t *testing.T, out []byte) [][]byte {
	t.Helper()
	var ls [][]byte
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		ls = append(ls, bytes.Clone(sc.Bytes()))
	}
	return ls
}

type event struct {
	ClassUID    int                  `json:"class_uid"`
	ActivityID  int                  `json:"activity_id"`
	TypeUID     int                  `json:"type_uid"`
	SeverityID  int                  `json:"severity_id"`
	Severity    string               `json:"severity"`
	StatusID    int                  `json:"status_id"`
	Status      string               `json:"status"`
	Message     string               `json:"message"`
	FindingInfo struct{ UID string } `json:"finding_info"`
	Compliance  struct {
		StatusID   int    `json:"status_id"`
		Status     string `json:"status"`
		StatusCode string `json:"status_code"`
	} `json:"compliance"`
	Resources []struct {
		UID string `json:"uid"`
	} `json:"resources"`
}

// checkSemantics checks the rules of OCSF a JSON Schema cannot state:
// type_uid is class_uid × 100 + activity_id, and each caption is its
// ID's.
func checkSemantics(t *testing.T, n int, line []byte) {
	t.Helper()
	var ev event
	if err := json.Unmarshal(line, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.TypeUID != ev.ClassUID*100+ev.ActivityID {
		t.Errorf("line %d: type_uid %d, want class_uid*100+activity_id = %d", n, ev.TypeUID, ev.ClassUID*100+ev.ActivityID)
	}
	severities := map[int]string{0: "Unknown", 1: "Informational", 2: "Low", 3: "Medium", 4: "High", 5: "Critical", 6: "Fatal"}
	if severities[ev.SeverityID] != ev.Severity {
		t.Errorf("line %d: severity %q for severity_id %d", n, ev.Severity, ev.SeverityID)
	}
	if ev.ClassUID != classCompliance {
		return
	}
	if want := map[int]string{1: "New", 3: "Suppressed"}[ev.StatusID]; want != ev.Status {
		t.Errorf("line %d: status %q for status_id %d", n, ev.Status, ev.StatusID)
	}
	if want := map[int]string{1: "Pass", 2: "Warning", 3: "Fail", 99: "Not Applicable"}[ev.Compliance.StatusID]; want != ev.Compliance.Status {
		t.Errorf("line %d: compliance.status %q for status_id %d", n, ev.Compliance.Status, ev.Compliance.StatusID)
	}
}

// checkCoverage: one finding per assessment in report order with the
// status it maps to, then one error event per input problem.
func checkCoverage(t *testing.T, lines [][]byte, r *assess.Result) {
	t.Helper()
	want := map[assess.Status][2]int{ // compliance.status_id, finding status_id
		assess.Healthy: {1, 1}, assess.Unknown: {2, 1}, assess.Unhealthy: {3, 1}, assess.Exempt: {3, 3}, assess.NotApplicable: {99, 1},
	}
	i := 0
	for a := range r.All() {
		if i >= len(lines) {
			t.Fatal("fewer events than assessments")
		}
		var ev event
		if err := json.Unmarshal(lines[i], &ev); err != nil {
			t.Fatal(err)
		}
		if ev.ClassUID != classCompliance || ev.Compliance.StatusCode != string(a.Status) || len(ev.Resources) == 0 || ev.Resources[0].UID != a.Resource.ID {
			t.Errorf("event %d is not %s's %s assessment of %s", i+1, a.Recommendation.ID, a.Status, a.Resource.ID)
		}
		if got := [2]int{ev.Compliance.StatusID, ev.StatusID}; got != want[a.Status] {
			t.Errorf("event %d: %s gives compliance/finding status %v, want %v", i+1, a.Status, got, want[a.Status])
		}
		i++
	}
	if got := len(lines) - i; got != len(r.Errors) {
		t.Errorf("%d events after the findings, want %d input problems", got, len(r.Errors))
	}
	for j := i; j < len(lines); j++ {
		var ev event
		if err := json.Unmarshal(lines[j], &ev); err != nil {
			t.Fatal(err)
		}
		if ev.ClassUID != classAppError || ev.Message != r.Errors[j-i].Error() {
			t.Errorf("event %d is not the input problem %q", j+1, r.Errors[j-i].Error())
		}
	}
}

// TestSchemaCatchesErrors shows the schema check can fail: each edit of
// a valid event breaks one rule of OCSF 1.8.0.
func TestSchemaCatchesErrors(t *testing.T) {
	t.Parallel()
	schema := compileSchema(t)
	var buf bytes.Buffer
	if err := (Writer{ToolVersion: "1"}).Write(&buf, reporttest.Judge(t, reporttest.Estate(0))); err != nil {
		t.Fatal(err)
	}
	valid := lines(t, buf.Bytes())[0]
	tests := []struct {
		name string
		edit func(map[string]any)
	}{
		{"no class_uid", func(m map[string]any) { delete(m, "class_uid") }},
		{"another class", func(m map[string]any) { m["class_uid"] = 2004 }},
		{"no finding_info", func(m map[string]any) { delete(m, "finding_info") }},
		{"no finding uid", func(m map[string]any) { delete(m["finding_info"].(map[string]any), "uid") }},
		{"no compliance", func(m map[string]any) { delete(m, "compliance") }},
		{"a severity_id out of range", func(m map[string]any) { m["severity_id"] = 7 }},
		{"a compliance status_id out of range", func(m map[string]any) { m["compliance"].(map[string]any)["status_id"] = 4 }},
		{"time as text", func(m map[string]any) { m["time"] = "2026-11-26T12:00:00Z" }},
		{"no product", func(m map[string]any) { delete(m["metadata"].(map[string]any), "product") }},
		{"the cloud profile without cloud", func(m map[string]any) { delete(m, "cloud") }},
		{"an attribute OCSF does not define", func(m map[string]any) { m["findings"] = []any{} }},
		{"a resource with neither name nor uid", func(m map[string]any) { m["resources"] = []any{map[string]any{"type": "x"}} }},
		{"a remediation without desc", func(m map[string]any) { m["remediation"] = map[string]any{"references": []any{}} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(reporttest.Edited(t, valid, tt.edit)))
			if err != nil {
				t.Fatal(err)
			}
			if schema.Validate(inst) == nil {
				t.Error("the schema accepts the edited event")
			}
		})
	}
}

// TestFingerprintIgnoresLines: a finding keeps its uid when lines move.
func TestFingerprintIgnoresLines(t *testing.T) {
	t.Parallel()
	uids := func(shift int) []string {
		var out []string
		for a := range reporttest.Judge(t, reporttest.Estate(shift)).All() {
			out = append(out, fingerprint(a))
		}
		return out
	}
	a, b := uids(0), uids(7)
	if len(a) != len(b) {
		t.Fatalf("%d and %d findings", len(a), len(b))
	}
	seen := map[string]bool{}
	for i := range a {
		if a[i] != b[i] {
			t.Errorf("finding %d: uid %s became %s when lines moved", i, a[i], b[i])
		}
		if seen[a[i]] {
			t.Errorf("finding %d shares its uid %s", i, a[i])
		}
		seen[a[i]] = true
	}
}

func TestWriteError(t *testing.T) {
	t.Parallel()
	reporttest.CheckWriteError(t, Writer{})
}

func BenchmarkWrite(b *testing.B) { reporttest.BenchmarkLarge(b, Writer{}) }
