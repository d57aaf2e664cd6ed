package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func copyFile(t *testing.T, from, to string, edit func([]byte) []byte) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		b = edit(b)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// reformatJSON re-indents a JSON file and pushes it down by blank lines:
// every resource moves to other lines.
func reformatJSON(b []byte) []byte {
	var out bytes.Buffer
	out.WriteString("\n\n\n")
	if err := json.Indent(&out, bytes.TrimSpace(b), "", "        "); err != nil {
		panic(err)
	}
	return out.Bytes()
}

// TestBaseline: --baseline reports only the findings an earlier JSON
// report lacks; moving and reformatting the code makes nothing new.
func TestBaseline(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		// the tree scanned first and then after the change
		before, after map[string]func([]byte) []byte
		// new findings expected after the change
		wantNew []string
	}{
		{
			name:    "saved JSON reformatted",
			before:  map[string]func([]byte) []byte{"azure/vaults.json": nil},
			after:   map[string]func([]byte) []byte{"azure/vaults.json": reformatJSON},
			wantNew: nil,
		},
		{
			name:   "terraform moved down and a vault added",
			before: map[string]func([]byte) []byte{"terraform/soft-delete/main.tf": nil},
			after: map[string]func([]byte) []byte{
				"terraform/soft-delete/main.tf": func(b []byte) []byte { return append([]byte("# moved\n\n\n\n"), b...) },
				"azure/vaults.json":             nil,
			},
			wantNew: []string{"kv-legacy", "kv-web", "kv-data", "kv-payments"}, // every vault of the saved JSON is new
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			tree := filepath.Join(dir, "tree")
			for name, edit := range c.before {
				copyFile(t, filepath.Join("../../examples", name), filepath.Join(tree, name), edit)
			}
			base := filepath.Join(dir, "base.json")
			if code, _, errOut := runCLI(t, []string{"scan", tree, "--format", "json", "-o", base, "--fail-on", "none"}, ""); code != ExitOK {
				t.Fatalf("baseline scan: exit %d: %s", code, errOut)
			}
			if err := os.RemoveAll(tree); err != nil {
				t.Fatal(err)
			}
			for name, edit := range c.after {
				copyFile(t, filepath.Join("../../examples", name), filepath.Join(tree, name), edit)
			}
			code, out, errOut := runCLI(t, []string{"scan", tree, "--format", "json", "--baseline", base}, "")
			wantExit := ExitOK
			if len(c.wantNew) > 0 {
				wantExit = ExitFindings
			}
			if code != wantExit {
				t.Errorf("exit %d, want %d: %s", code, wantExit, errOut)
			}
			if !strings.Contains(errOut, "already in it not reported") {
				t.Errorf("stderr does not count the findings left out:\n%s", errOut)
			}
			seen := map[string]bool{}
			for _, v := range reportVerdicts(t, out) {
				if v.Status == "Unhealthy" || v.Status == "Unknown" {
					seen[v.Resource.Name] = true
				}
			}
			for _, w := range c.wantNew {
				if !seen[w] {
					t.Errorf("new finding on %s not reported; reported: %v", w, seen)
				}
				delete(seen, w)
			}
			if len(seen) > 0 {
				t.Errorf("findings already in the baseline reported again: %v", seen)
			}
			checkSummaryFollows(t, out)
			// kvguard diff agrees.
			now := filepath.Join(dir, "now.json")
			runCLI(t, []string{"scan", tree, "--format", "json", "-o", now}, "")
			code, out, errOut = runCLI(t, []string{"diff", base, now, "--format", "json"}, "")
			if code != wantExit {
				t.Errorf("diff: exit %d, want %d: %s", code, wantExit, errOut)
			}
			var d struct {
				New, Fixed, Unchanged []struct{ Resource string }
			}
			if err := json.Unmarshal([]byte(out), &d); err != nil {
				t.Fatalf("diff JSON: %v\n%s", err, out)
			}
			if len(d.Fixed) != 0 || len(d.Unchanged) == 0 {
				t.Errorf("diff: %d fixed, %d unchanged; want none fixed and some unchanged", len(d.Fixed), len(d.Unchanged))
			}
			for _, f := range d.New {
				if !strings.Contains(strings.Join(c.wantNew, " "), f.Resource) {
					t.Errorf("diff calls %s new", f.Resource)
				}
			}
		})
	}
}

func TestDiffTable(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	old, cur := filepath.Join(dir, "old.json"), filepath.Join(dir, "new.json")
	runCLI(t, []string{"scan", filepath.Join(examples, "vaults.json"), "--format", "json", "-o", old}, "")
	// The fixed finding: without the secrets, kv-legacy's secret findings go.
	runCLI(t, []string{"scan", examples, "--format", "json", "-o", cur}, "")
	code, out, _ := runCLI(t, []string{"diff", cur, old}, "")
	if code != ExitFindings {
		t.Errorf("exit %d, want %d (new findings)", code, ExitFindings)
	}
	checkGolden(t, "diff-table", out)
	if code, _, errOut := runCLI(t, []string{"diff", old, filepath.Join(examples, "vaults.json")}, ""); code != ExitError || !strings.Contains(errOut, "not a kvguard JSON report") {
		t.Errorf("diff of a non-report: exit %d: %s", code, errOut)
	}
}

// TestEmptyResults: a scan that judges nothing says what it found and
// why; exit 0, or 1 with --fail-on-empty; a missing path is exit 2.
func TestEmptyResults(t *testing.T) {
	t.Parallel()
	empty := t.TempDir()
	other := t.TempDir()
	if err := os.WriteFile(filepath.Join(other, "notes.md"), []byte("# notes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	noVault := t.TempDir()
	if err := os.WriteFile(filepath.Join(noVault, "main.tf"), []byte("resource \"azurerm_resource_group\" \"rg\" {\n  name = \"rg\"\n  location = \"westeurope\"\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []cliCase{
		{name: "empty directory", args: []string{"scan", empty}, wantExit: ExitOK,
			wantErr: []string{"kvguard: nothing was judged: no Terraform, ARM, Bicep or Azure JSON files under " + empty}},
		{name: "empty directory, fail-on-empty", args: []string{"scan", empty, "--fail-on-empty"}, wantExit: ExitFindings,
			wantErr: []string{"nothing was judged"}},
		{name: "no Azure inputs", args: []string{"scan", other}, wantExit: ExitOK,
			wantErr: []string{"no Terraform, ARM, Bicep or Azure JSON files under " + other}},
		{name: "inputs without a vault", args: []string{"scan", noVault}, wantExit: ExitOK,
			wantErr: []string{"nothing was judged: 1 input under " + noVault + " (1 terraform) but no key vault in them"},
			wantOut: []string{"No key vault was found: nothing was judged."}},
		{name: "quiet", args: []string{"scan", empty, "-q"}, wantExit: ExitOK},
		{name: "missing path", args: []string{"scan", filepath.Join(empty, "nope")}, wantExit: ExitError,
			wantErr: []string{"nope: cannot read: no such file or directory"}},
		{name: "something judged, fail-on-empty", args: []string{"scan", examples, "--fail-on-empty", "--fail-on", "none"}, wantExit: ExitOK},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runCLI(t, c.args, c.stdin)
			if code != c.wantExit {
				t.Errorf("exit %d, want %d\nstderr:\n%s", code, c.wantExit, errOut)
			}
			for _, w := range c.wantErr {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
			for _, w := range c.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			if c.name == "missing path" && strings.Contains(errOut, "files under") {
				t.Errorf("a missing path is said to hold no inputs, besides the error:\n%s", errOut)
			}
			if c.name == "quiet" && errOut != "" {
				t.Errorf("--quiet printed:\n%s", errOut)
			}
		})
	}
}

// TestSeverityFilter: --severity narrows what is judged, shown, written
// and what the exit code looks at.
func TestSeverityFilter(t *testing.T) {
	t.Parallel()
	code, out, _ := runCLI(t, []string{"scan", examples, "--severity", "medium", "--format", "json"}, "")
	if code != ExitFindings {
		t.Errorf("exit %d", code)
	}
	for _, v := range reportVerdicts(t, out) {
		if v.Recommendation.ID != "keyvault-firewall" && v.Recommendation.ID != "keyvault-private-link" {
			t.Errorf("--severity medium wrote %s", v.Recommendation.ID)
		}
	}
	if code, _, errOut := runCLI(t, []string{"scan", examples, "--severity", "urgent"}, ""); code != ExitError || !strings.Contains(errOut, "use high, medium or low") {
		t.Errorf("bad --severity: exit %d: %s", code, errOut)
	}
}

// checkSummaryFollows: the JSON report's per-recommendation counts are
// those of the assessments it lists (the baseline's filter adjusts them).
func checkSummaryFollows(t *testing.T, out string) {
	t.Helper()
	var rep struct {
		Summary struct {
			Recommendations []struct {
				ID                 string
				Unhealthy, Unknown int
			}
		}
		Assessments []reportVerdict
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not a JSON report: %v", err)
	}
	listed := map[string]int{}
	for _, a := range rep.Assessments {
		listed[a.Recommendation.ID+"/"+a.Status]++
	}
	for _, r := range rep.Summary.Recommendations {
		if r.Unhealthy != listed[r.ID+"/Unhealthy"] || r.Unknown != listed[r.ID+"/Unknown"] {
			t.Errorf("summary of %s: %d unhealthy, %d unknown; the report lists %d and %d",
				r.ID, r.Unhealthy, r.Unknown, listed[r.ID+"/Unhealthy"], listed[r.ID+"/Unknown"])
		}
	}
}
