package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	goldenfile "github.com/kvguard/kvguard/internal/testsupport/golden"
)

type cliCase struct {
	name     string
	args     []string
	stdin    string
	wantExit int
	// golden compares stdout with testdata/TestCLI/<name>.golden.
	golden bool
	// wantOut and wantErr must appear in stdout and stderr.
	wantOut, wantErr []string
}

func runCLI(t *testing.T, args []string, stdin string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

var volatile = regexp.MustCompile(`"generatedAt":"[^"]*"`)

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	got = volatile.ReplaceAllString(got, `"generatedAt":"(redacted)"`)
	path := filepath.Join("testdata", "TestCLI", name+".golden")
	goldenfile.Check(t, path, []byte(got))
}

const examples = "../../examples/azure"

func TestCLI(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte("{\n  \"value\": [\n    {\"id\": \"/subscriptions/s/resourceGroups/r/providers/Microsoft.KeyVault/vaults/x\" \"type\": 1}\n  ]\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	listOutput := `[{"id": "/subscriptions/s/resourceGroups/r/providers/Microsoft.KeyVault/vaults/fromlist", "location": "eastus", "name": "fromlist", "resourceGroup": "r", "tags": {}, "type": "Microsoft.KeyVault/vaults"}]`
	cases := []cliCase{
		{name: "scan-examples-table", args: []string{"scan", examples}, wantExit: ExitFindings, golden: true},
		{name: "scan-examples-table-200", args: []string{"scan", examples, "--width", "200"}, wantExit: ExitFindings, golden: true},
		{name: "scan-examples-table-verbose-80", args: []string{"scan", "../../examples/terraform", "-v", "--width", "80"}, wantExit: ExitFindings, golden: true},
		{name: "rules-200", args: []string{"rules", "--width", "200"}, wantExit: ExitOK, golden: true},
		{name: "scan-examples-json", args: []string{"scan", examples, "--format", "json"}, wantExit: ExitFindings, golden: true},
		{name: "fail-on-none", args: []string{"scan", examples, "--fail-on", "none"}, wantExit: ExitOK},
		{name: "fail-on-high", args: []string{"scan", examples, "--fail-on", "high"}, wantExit: ExitFindings},
		{name: "only-medium-recommendation", args: []string{"scan", examples, "-r", "keyvault-firewall", "--fail-on", "high"}, wantExit: ExitOK},
		{name: "bad-input-still-writes", args: []string{"scan", examples, bad}, wantExit: ExitError,
			wantOut: []string{"kv-legacy"}, wantErr: []string{"bad.json:3:86: expected ',' or '}'"}},
		{name: "stdin-az-keyvault-list", args: []string{"scan", "-", "--format", "json"}, stdin: listOutput, wantExit: ExitOK,
			wantOut: []string{`"status":"Unknown"`, "az keyvault list"}},
		{name: "unknown-format", args: []string{"scan", examples, "--format", "xml"}, wantExit: ExitError, wantErr: []string{`unknown format "xml"`, "Run 'kvguard scan --help'"}},
		{name: "nothing-to-scan", args: []string{"scan"}, wantExit: ExitError, wantErr: []string{"nothing to scan"}},
		{name: "missing-path", args: []string{"scan", filepath.Join(dir, "nope")}, wantExit: ExitError, wantErr: []string{"nope: cannot read: no such file or directory"}},
		{name: "bad-fail-on", args: []string{"scan", examples, "--fail-on", "severe"}, wantExit: ExitError, wantErr: []string{`--fail-on "severe"`}},
		{name: "bad-param", args: []string{"scan", examples, "--param", "keyvault-firewall.restrictIPAddresses=Maybe"}, wantExit: ExitError, wantErr: []string{"not one of the allowed values"}},
		{name: "azure-flag-without-azure", args: []string{"scan", examples, "--subscription", "x"}, wantExit: ExitError, wantErr: []string{"--subscription applies to live scans: add --azure"}},
		{name: "rules", args: []string{"rules"}, wantExit: ExitOK, golden: true},
		{name: "rules-show-rbac", args: []string{"rules", "show", "keyvault-rbac"}, wantExit: ExitOK, golden: true},
		{name: "rules-show-by-guid", args: []string{"rules", "show", "a6abeaec-4d90-4a02-805f-6b26c4d3fbe9"}, wantExit: ExitOK, wantOut: []string{"Azure Key Vaults should use private link"}},
		{name: "rules-show-unknown", args: []string{"rules", "show", "keyvault-nope"}, wantExit: ExitError, wantErr: []string{"unknown recommendation"}},
		{name: "rules-definition", args: []string{"rules", "show", "keyvault-firewall", "--definition"}, wantExit: ExitOK, wantOut: []string{`"policyRule"`, `"restrictIPAddresses"`}},
		{name: "rules-all", args: []string{"rules", "--all"}, wantExit: ExitOK, golden: true},
		{name: "rules-show-hsm", args: []string{"rules", "show", "managedhsm-purge-protection"}, wantExit: ExitOK, wantOut: []string{"Judged:          --all", "Microsoft.KeyVault/managedHSMs"}},
		{name: "frameworks", args: []string{"frameworks"}, wantExit: ExitOK, golden: true},
		{name: "frameworks-mcsb", args: []string{"frameworks", "mcsb"}, wantExit: ExitOK, golden: true},
		{name: "frameworks-unknown", args: []string{"frameworks", "iso"}, wantExit: ExitError, wantErr: []string{`unknown framework "iso"`}},
		{name: "scan-all", args: []string{"scan", examples, "--all", "--fail-on", "none"}, wantExit: ExitOK,
			wantErr: []string{"not judged: keyvault-certificate-issuer-cn: recommendation keyvault-certificate-issuer-cn needs a value for caCommonName", "not judged: keyvault-private-endpoint-deprecated: deprecated"},
			wantOut: []string{"keyvault-purge-protection", "keyvault-public-network-access"}},
		{name: "scan-framework-unknown", args: []string{"scan", examples, "--framework", "iso"}, wantExit: ExitError, wantErr: []string{`--framework: unknown framework "iso"`}},
		{name: "scan-needs-param", args: []string{"scan", examples, "-r", "keyvault-certificate-issuer-cns"}, wantExit: ExitError, wantErr: []string{"--param keyvault-certificate-issuer-cns.caCommonNames=VALUE"}},
		{name: "inspect", args: []string{"inspect", filepath.Join(examples, "secrets-arm.json")}, wantExit: ExitOK, golden: true},
		{name: "version", args: []string{"version"}, wantExit: ExitOK, wantOut: []string{"kvguard "}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runCLI(t, c.args, c.stdin)
			if code != c.wantExit {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, c.wantExit, out, errOut)
			}
			for _, w := range c.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			for _, w := range c.wantErr {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
			if c.golden {
				checkGolden(t, c.name, out)
			}
		})
	}
}

// TestJSONReportMatchesTable checks the JSON report against the verdicts
// the examples were written to have.
func TestJSONReportMatchesTable(t *testing.T) {
	t.Parallel()
	_, out, _ := runCLI(t, []string{"scan", examples, "--format", "json"}, "")
	var rep struct {
		Assessments []struct {
			Recommendation struct{ ID string }
			Resource       struct{ Name string }
			Status         string
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, a := range rep.Assessments {
		got[a.Recommendation.ID+"/"+a.Resource.Name] = a.Status
	}
	want := map[string]string{
		"keyvault-rbac/kv-payments": "Healthy", "keyvault-rbac/kv-legacy": "Unhealthy", "keyvault-rbac/kv-web": "Unhealthy", "keyvault-rbac/kv-data": "Healthy",
		"keyvault-soft-delete/kv-legacy": "Unhealthy", "keyvault-soft-delete/kv-web": "Healthy",
		"keyvault-firewall/kv-web": "Healthy", "keyvault-firewall/kv-data": "Healthy", "keyvault-firewall/kv-legacy": "Unhealthy",
		"keyvault-private-link/kv-web": "Unhealthy", "keyvault-private-link/kv-data": "Healthy",
		"keyvault-secret-expiry/kv-legacy": "Unhealthy", "keyvault-secret-expiry/kv-payments": "Healthy", "keyvault-secret-expiry/kv-web": "Unknown", // no secret list for it in the saved JSON
		"keyvault-key-expiry/kv-data": "Unhealthy", "keyvault-key-expiry/kv-payments": "Healthy",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s, want %s", k, got[k], v)
		}
	}
}
