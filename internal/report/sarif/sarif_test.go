package sarif

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/kvguard/kvguard/internal/assess"
	"github.com/kvguard/kvguard/internal/report/reporttest"
	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/source/saved"
)

// examples are the bundled saved-Azure-JSON examples, relative to this
// package's directory (the test's working directory).
var examples = []string{
	"../../../examples/azure/vaults.json",
	"../../../examples/azure/secrets-arm.json",
	"../../../examples/azure/keys-az-cli.json",
}

// goldenCase is one result to write, with the root its URIs are
// relative to ("" for the package directory).
type goldenCase struct {
	name   string
	root   string
	result func(tb testing.TB) *assess.Result
}

func goldenCases(t *testing.T) []goldenCase {
	t.Helper()
	repo, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	cases := []goldenCase{{name: "examples-azure", root: repo, result: func(tb testing.TB) *assess.Result {
		return reporttest.Scan(tb, saved.New(saved.Options{}).Read, examples...)
	}}}
	for _, c := range reporttest.Cases() {
		cases = append(cases, goldenCase{name: c.Name, result: c.Result})
	}
	return append(cases, goldenCase{name: "paths", result: pathsResult})
}

// pathsResult places findings in files whose names need care in a URI:
// spaces, non-ASCII, "%", "#", a colon, an absolute path inside the root,
// a path outside it, standard input.
func pathsResult(tb testing.TB) *assess.Result {
	cwd, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	files := []string{
		"infra/with space/main.tf", "infra/ключ.tf", "infra/100%#1.tf", "infra/a:b.tf",
		filepath.Join(cwd, "abs", "main.tf"), "../outside/main.tf", "<stdin>", "-",
	}
	var docs []*resource.Document
	for i, f := range files {
		name := "kv-path-" + strconv.Itoa(i)
		id := reporttest.VaultID(name)
		docs = append(docs, &resource.Document{ID: id, Type: resource.TypeVault, Name: name,
			Source: resource.Provenance{Kind: "terraform", File: f, StartLine: 1, EndLine: 3, Address: "azurerm_key_vault.p" + strconv.Itoa(i)},
			Body:   map[string]any{"id": id, "name": name, "type": resource.TypeVault, "properties": map[string]any{"enableRbacAuthorization": false}}})
	}
	return reporttest.Judge(tb, docs)
}

func TestGolden(t *testing.T) {
	t.Parallel()
	schema := compileSchema(t)
	for _, c := range goldenCases(t) {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := c.result(t)
			w := Writer{ToolVersion: reporttest.ToolVersion, Root: c.root}
			out := write(t, w, r)
			validate(t, schema, out)
			checkGitHub(t, r, out)
			reporttest.Golden(t, c.name, redact(t, w, out))
		})
	}
}

// redact replaces the machine's directories (in originalUriBaseIds and
// absolute file URIs) with fixed names.
func redact(t *testing.T, w Writer, out []byte) []byte {
	t.Helper()
	root := w.Root
	if root == "" {
		var err error
		if root, err = os.Getwd(); err != nil {
			t.Fatal(err)
		}
	}
	out = bytes.ReplaceAll(out, []byte(fileURI(root)), []byte("file:///SRCROOT"))
	return bytes.ReplaceAll(out, []byte(fileURI(filepath.Dir(root))), []byte("file:///PARENT"))
}

func write(t *testing.T, w Writer, r *assess.Result) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := w.Write(&buf, r); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// compileSchema loads the OASIS SARIF 2.1.0 schema shipped in testdata;
// formats (uri, uri-reference, date-time) are asserted too.
func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	s, err := c.Compile(filepath.Join("testdata", "sarif-schema-2.1.0.json"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func validate(t *testing.T, schema *jsonschema.Schema, out []byte) {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("output is not JSON: %v", err)
	}
	if err := schema.Validate(inst); err != nil {
		t.Errorf("output does not validate against SARIF 2.1.0: %v", err)
	}
}

// TestSchemaCatchesErrors shows the schema check can fail: each edit of a
// valid log breaks SARIF 2.1.0.
func TestSchemaCatchesErrors(t *testing.T) {
	t.Parallel()
	schema := compileSchema(t)
	valid := write(t, Writer{ToolVersion: reporttest.ToolVersion}, reporttest.Judge(t, reporttest.Estate(0), reporttest.InputErrors()...))
	run := func(m map[string]any) map[string]any { return m["runs"].([]any)[0].(map[string]any) }
	res := func(m map[string]any) map[string]any { return run(m)["results"].([]any)[0].(map[string]any) }
	region := func(m map[string]any) map[string]any {
		l := res(m)["locations"].([]any)[0].(map[string]any)
		return l["physicalLocation"].(map[string]any)["region"].(map[string]any)
	}
	tests := []struct {
		name string
		edit func(m map[string]any)
	}{
		{"version", func(m map[string]any) { m["version"] = "2.0.0" }},
		{"result level", func(m map[string]any) { res(m)["level"] = "fatal" }},
		{"result without message", func(m map[string]any) { delete(res(m), "message") }},
		{"rule index below -1", func(m map[string]any) { res(m)["ruleIndex"] = -2 }},
		{"line 0", func(m map[string]any) { region(m)["startLine"] = 0 }},
		{"unknown result property", func(m map[string]any) { res(m)["severity"] = "high" }},
		{"suppression kind", func(m map[string]any) {
			res(m)["suppressions"] = []any{map[string]any{"kind": "inCode"}}
		}},
		{"start time", func(m map[string]any) {
			run(m)["invocations"].([]any)[0].(map[string]any)["startTimeUtc"] = "yesterday"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(reporttest.Edited(t, valid, tt.edit)))
			if err != nil {
				t.Fatal(err)
			}
			if schema.Validate(inst) == nil {
				t.Error("the schema accepts the edited log")
			}
		})
	}
}

// TestFingerprintsIgnoreLines writes the same estate twice, every line
// moved, and expects the same fingerprints at different regions.
func TestFingerprintsIgnoreLines(t *testing.T) {
	t.Parallel()
	w := Writer{ToolVersion: reporttest.ToolVersion}
	before := decode(t, write(t, w, reporttest.Judge(t, reporttest.Estate(0)))).Runs[0].Results
	after := decode(t, write(t, w, reporttest.Judge(t, reporttest.Estate(7)))).Runs[0].Results
	if len(before) == 0 || len(before) != len(after) {
		t.Fatalf("%d results before, %d after", len(before), len(after))
	}
	for i := range before {
		b, a := before[i], after[i]
		if d := cmp.Diff(b.PartialFingerprints, a.PartialFingerprints); d != "" {
			t.Errorf("%s %s: fingerprints changed with the lines:\n%s", b.RuleID, b.Properties.ResourceID, d)
		}
		if br, ar := b.Locations[0].PhysicalLocation.Region, a.Locations[0].PhysicalLocation.Region; br.StartLine+7 != ar.StartLine {
			t.Errorf("%s %s: start line %d then %d, want moved by 7", b.RuleID, b.Properties.ResourceID, br.StartLine, ar.StartLine)
		}
	}
}

func TestDriver(t *testing.T) {
	t.Parallel()
	tests := []struct {
		version, semantic string
	}{
		{"1.2.3", "1.2.3"},
		{"v0.4.0-rc.1+build.5", "0.4.0-rc.1+build.5"},
		{"dev", ""},
		{"(devel)", ""},
		{"1.2", ""},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.version, func(t *testing.T) {
			t.Parallel()
			d := decode(t, write(t, Writer{ToolVersion: tt.version}, reporttest.Judge(t, nil))).Runs[0].Tool.Driver
			if d.Name != "kvguard" || d.Version != tt.version || d.SemanticVersion != tt.semantic {
				t.Errorf("driver %q %q %q, want kvguard %q %q", d.Name, d.Version, d.SemanticVersion, tt.version, tt.semantic)
			}
		})
	}
}

func TestRules(t *testing.T) {
	t.Parallel()
	rules := decode(t, write(t, Writer{}, reporttest.Judge(t, nil))).Runs[0].Tool.Driver.Rules
	tests := []struct {
		id, level, security string
		tags                []string
	}{
		{"keyvault-rbac", "error", "8.0", []string{"security", "azure", "key-vault", "MCSB/PA-7", "CIS-Azure-6.0/8.3.6", "CIS-Azure-3.0/3.3.6"}},
		{"keyvault-firewall", "warning", "5.5", []string{"security", "azure", "key-vault", "MCSB/NS-2", "MCSB/DP-8", "CIS-Azure-6.0/8.3.7"}},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			t.Parallel()
			for _, ru := range rules {
				if ru.ID != tt.id {
					continue
				}
				var tags []string
				for _, tag := range ru.Properties["tags"].([]any) {
					tags = append(tags, tag.(string))
				}
				if ru.DefaultConfiguration.Level != tt.level || ru.Properties["security-severity"] != tt.security || !cmp.Equal(tags, tt.tags) {
					t.Errorf("level %q, security-severity %v, tags %q; want %q, %q, %q", ru.DefaultConfiguration.Level, ru.Properties["security-severity"], tags, tt.level, tt.security, tt.tags)
				}
				for _, want := range []string{"Requirement:", "Why it matters:", "Azure portal:", "Azure CLI:", "Terraform:", "Bicep:"} {
					if !strings.Contains(ru.Help.Text, want) || !strings.Contains(ru.Help.Markdown, "**"+want+"**") {
						t.Errorf("help lacks %q", want)
					}
				}
				if !strings.Contains(ru.Help.Markdown, "```hcl\n") || !strings.Contains(ru.Help.Markdown, "```bicep\n") {
					t.Errorf("help markdown has no code fences:\n%s", ru.Help.Markdown)
				}
				return
			}
			t.Fatalf("no rule %s", tt.id)
		})
	}
}

func TestPascal(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"keyvault-secret-expiry": "KeyvaultSecretExpiry", "custom_owner.tag": "CustomOwnerTag", "x": "X", "--": "Rule", "a1-b2": "A1B2",
	} {
		if got := pascal(in); got != want {
			t.Errorf("pascal(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCodeFence(t *testing.T) {
	t.Parallel()
	for body, want := range map[string]string{"plain": "```", "a ``` b": "````", "`x`": "```", "`````": "``````"} {
		if got := codeFence(body); got != want {
			t.Errorf("codeFence(%q) = %q, want %q", body, got, want)
		}
	}
}

func TestURI(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	cwd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	l := newLocator(root)
	tests := []struct {
		name, file, uri, base string
		ok                    bool
	}{
		{"inside root", filepath.Join(root, "infra", "main.tf"), "infra/main.tf", srcRoot, true},
		{"space and unicode", filepath.Join(root, "my dir", "ключ.tf"), "my%20dir/%D0%BA%D0%BB%D1%8E%D1%87.tf", srcRoot, true},
		{"reserved", filepath.Join(root, "a:b#c?d%e.tf"), "a%3Ab%23c%3Fd%25e.tf", srcRoot, true},
		{"outside root", filepath.Join(cwd, "x y.tf"), fileURI(cwd) + "/x%20y.tf", "", true},
		{"stdin", "<stdin>", "", "", false},
		{"dash", "-", "", "", false},
		{"empty", "", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			uri, base, ok := l.uri(tt.file)
			if uri != tt.uri || base != tt.base || ok != tt.ok {
				t.Errorf("uri(%q) = %q, %q, %v; want %q, %q, %v", tt.file, uri, base, ok, tt.uri, tt.base, tt.ok)
			}
		})
	}
}

// TestNoFileLocations: live resources are placed by resource ID only, and
// the run says so once.
func TestNoFileLocations(t *testing.T) {
	t.Parallel()
	run := decode(t, write(t, Writer{}, reporttest.Judge(t, reporttest.Live()))).Runs[0]
	if len(run.Results) == 0 {
		t.Fatal("no results")
	}
	for _, res := range run.Results {
		if res.Locations[0].PhysicalLocation != nil || !res.Properties.NoFileLocation {
			t.Errorf("%s %s: placed in a file", res.RuleID, res.Properties.ResourceID)
		}
	}
	notes := 0
	for _, n := range run.Invocations[0].ToolExecutionNotifications {
		if n.Level == "note" && strings.Contains(n.Message.Text, strconv.Itoa(len(run.Results))+" results have no file location") {
			notes++
		}
	}
	if notes != 1 {
		t.Errorf("%d notes about results without a file, want 1: %+v", notes, run.Invocations[0].ToolExecutionNotifications)
	}
}

func TestInputErrorsAreNotifications(t *testing.T) {
	t.Parallel()
	r := reporttest.Judge(t, nil, reporttest.InputErrors()...)
	inv := decode(t, write(t, Writer{}, r)).Runs[0].Invocations[0]
	if inv.ExecutionSuccessful {
		t.Error("executionSuccessful with input errors")
	}
	if len(inv.ToolExecutionNotifications) != len(r.Errors) {
		t.Fatalf("%d notifications for %d input errors", len(inv.ToolExecutionNotifications), len(r.Errors))
	}
	// Problems are listed by file, line, column: the two without a file
	// first, then infra/broken.tf:3:17 (an error), then infra/main.tf:2 (a
	// warning).
	broken := inv.ToolExecutionNotifications[2]
	g := broken.Locations[0].PhysicalLocation.Region
	if broken.Level != "error" || g.StartLine != 3 || g.StartColumn != 17 || g.EndLine != 0 {
		t.Errorf("third notification %+v region %+v, want an error at 3:17", broken, g)
	}
	if inv.ToolExecutionNotifications[3].Level != "warning" {
		t.Errorf("fourth notification %+v, want a warning", inv.ToolExecutionNotifications[3])
	}
	onlyWarnings := reporttest.Judge(t, nil, resource.Warnf(resource.Position{File: "a.tf", Line: 1}, "unused"))
	if inv := decode(t, write(t, Writer{}, onlyWarnings)).Runs[0].Invocations[0]; !inv.ExecutionSuccessful {
		t.Error("warnings alone made the execution unsuccessful")
	}
}

// TestRelatedLocationsCapped: a vault with more failing secrets in code
// than GitHub shows lists the first ones and counts the rest.
func TestRelatedLocationsCapped(t *testing.T) {
	t.Parallel()
	r := reporttest.Large(t, 2, 2*maxRelated*10)
	res := decode(t, write(t, Writer{}, r)).Runs[0].Results
	capped := false
	for _, x := range res {
		if x.Properties.RelatedLocationsOmitted > 0 {
			capped = true
			if len(x.RelatedLocations) != maxRelated {
				t.Errorf("%s: %d related locations with %d omitted", x.RuleID, len(x.RelatedLocations), x.Properties.RelatedLocationsOmitted)
			}
		}
	}
	if !capped {
		t.Error("no result was capped")
	}
}

func TestWriteError(t *testing.T) {
	t.Parallel()
	reporttest.CheckWriteError(t, Writer{})
}

func BenchmarkWriteSARIF(b *testing.B) {
	reporttest.BenchmarkLarge(b, Writer{ToolVersion: reporttest.ToolVersion})
}
