package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// scanReport is what these tests read of a JSON report.
type scanReport struct {
	Assessments []struct {
		Resource struct {
			ID     string `json:"id"`
			Type   string `json:"type"`
			Source struct {
				File string `json:"file"`
			} `json:"source"`
		} `json:"resource"`
	} `json:"assessments"`
	Errors []struct {
		File     string `json:"file"`
		Message  string `json:"message"`
		Severity string `json:"severity"`
	} `json:"errors"`
}

func parseScanReport(t *testing.T, out string) scanReport {
	t.Helper()
	var r scanReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("not a JSON report: %v\n%s", err, out)
	}
	return r
}

// vaults are the IDs of the vaults judged, sorted.
func (r scanReport) vaults() []string {
	seen := map[string]bool{}
	for _, a := range r.Assessments {
		if a.Resource.Type == "Microsoft.KeyVault/vaults" {
			seen[a.Resource.ID] = true
		}
	}
	var out []string
	for id := range seen {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// files are the source files of the assessments.
func (r scanReport) files() map[string]bool {
	out := map[string]bool{}
	for _, a := range r.Assessments {
		out[a.Resource.Source.File] = true
	}
	return out
}

// errorsOf are the report's error and warning lines, "severity file: message".
func (r scanReport) errorsOf() string {
	var b strings.Builder
	for _, e := range r.Errors {
		fmt.Fprintf(&b, "%s %s: %s\n", e.Severity, e.File, e.Message)
	}
	return b.String()
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
