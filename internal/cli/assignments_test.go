package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kvguard/kvguard/internal/azuresim"
)

const (
	assignmentsExample = "../../examples/assignments"
	exampleTarget      = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-app"
)

func examplePolicyArgs() []string {
	var args []string
	for _, f := range []string{"assignments", "definitions", "set-definitions", "exemptions"} {
		args = append(args, "--assignments", filepath.Join(assignmentsExample, "policy", f+".json"))
	}
	return args
}

func TestAssignmentsCLI(t *testing.T) {
	t.Parallel()
	main := filepath.Join(assignmentsExample, "main.json")
	policyArgs := examplePolicyArgs()
	scan := func(extra ...string) []string {
		return append(append([]string{"scan", main}, policyArgs...), extra...)
	}
	dir := t.TempDir()
	bad := filepath.Join(dir, "policy.json")
	if err := os.WriteFile(bad, []byte(`[{"id": "/subscriptions/1/providers/Microsoft.Authorization/policyExemptions/x", "policyAssignmentId": "/a", "exemptionCategory": "Sometimes"}]`), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []cliCase{
		{name: "assignments-example-json", args: scan("--target-scope", exampleTarget, "--format", "json"), wantExit: ExitFindings, golden: true},
		{name: "assignments-example-table", args: scan("--target-scope", exampleTarget), wantExit: ExitFindings, golden: true},
		// The refusals alone fail the run: no recommendation is judged.
		{name: "refusal-is-a-finding", args: scan("--target-scope", exampleTarget, "-r", "keyvault-soft-delete"), wantExit: ExitFindings,
			wantOut: []string{"2 deployments refused by Azure Policy"}},
		{name: "fail-on-none-ignores-refusals", args: scan("--target-scope", exampleTarget, "--fail-on", "none"), wantExit: ExitOK},
		// In the notScope the soft-delete Deny does not apply (kv-app passes);
		// the exemption set at rg-app does not cover rg-sandbox (kv-build is
		// refused there).
		{name: "not-scope", args: scan("--target-scope", "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-sandbox", "-r", "keyvault-soft-delete"),
			wantExit: ExitFindings, wantOut: []string{"2 would refuse the deployment", "Refused       kv-build", "Refused       kv-web"}},
		{name: "no-target-scope", args: scan(), wantExit: ExitError, wantErr: []string{"need --target-scope"}},
		{name: "bad-target-scope", args: scan("--target-scope", "rg-app"), wantExit: ExitError, wantErr: []string{"--target-scope", "expected /subscriptions/<id>/resourceGroups/<name>"}},
		{name: "target-scope-alone", args: []string{"scan", main, "--target-scope", exampleTarget}, wantExit: ExitError, wantErr: []string{"--target-scope applies to --assignments"}},
		{name: "bad-policy-file", args: []string{"scan", main, "--assignments", bad, "--target-scope", exampleTarget}, wantExit: ExitError,
			wantErr: []string{"policy.json:1:2: policy exemption /subscriptions/1/providers/Microsoft.Authorization/policyExemptions/x: exemptionCategory \"Sometimes\""}},
		{name: "missing-policy-file", args: []string{"scan", main, "--assignments", filepath.Join(dir, "nope.json"), "--target-scope", exampleTarget}, wantExit: ExitError,
			wantErr: []string{"nope.json: cannot read the assignments file"}},
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

// armBodies reads az CLI output (flattened) and returns ARM bodies, as
// the simulator serves them.
func armBodies(t *testing.T, file string) []map[string]any {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var flat []map[string]any
	if err := json.Unmarshal(data, &flat); err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, f := range flat {
		props := map[string]any{}
		body := map[string]any{"properties": props}
		for k, v := range f {
			switch k {
			case "id", "name", "type":
				body[k] = v
			default:
				props[k] = v
			}
		}
		out = append(out, body)
	}
	return out
}

type tenantVerdicts struct {
	Assignments struct {
		Verdicts []struct {
			Resource   struct{ Name string }
			Assignment struct{ ID string }
			Definition struct{ ReferenceID string }
			Outcome    string
		}
	}
}

func verdictSummary(t *testing.T, out string) []string {
	t.Helper()
	var rep tenantVerdicts
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var got []string
	for _, v := range rep.Assignments.Verdicts {
		got = append(got, v.Resource.Name+" "+v.Outcome+" "+v.Assignment.ID[strings.LastIndexByte(v.Assignment.ID, '/')+1:]+"/"+v.Definition.ReferenceID)
	}
	sort.Strings(got)
	return got
}

// TestAssignmentsFromAzureMatchFiles: the tenant policy read live (the
// simulator serving the example's policy, through the SDK over TLS) gives
// the verdicts the files give.
func TestAssignmentsFromAzureMatchFiles(t *testing.T) {
	e := &azuresim.Estate{
		TenantID:      "33333333-3333-3333-3333-333333333333",
		Subscriptions: []*azuresim.Subscription{{ID: "11111111-1111-1111-1111-111111111111", DisplayName: "app"}},
	}
	for _, f := range []string{"assignments", "definitions", "set-definitions", "exemptions"} {
		e.Policy = append(e.Policy, armBodies(t, filepath.Join(assignmentsExample, "policy", f+".json"))...)
	}
	// The built-in the RBAC trial assigns, as Azure serves it: kvguard's
	// copy stands in for Microsoft's.
	e.Policy = append(e.Policy, map[string]any{
		"id": "/providers/Microsoft.Authorization/policyDefinitions/12d4fa5e-1f9f-4c21-97a9-b99b3c6611b5", "name": "12d4fa5e-1f9f-4c21-97a9-b99b3c6611b5",
		"type": "Microsoft.Authorization/policyDefinitions",
		"properties": map[string]any{"displayName": "Azure Key Vault should use RBAC permission model", "mode": "Indexed",
			"parameters": map[string]any{"effect": map[string]any{"type": "String", "defaultValue": "Audit"}},
			"policyRule": map[string]any{"if": map[string]any{"allOf": []any{
				map[string]any{"field": "type", "equals": "Microsoft.KeyVault/vaults"},
				map[string]any{"field": "Microsoft.KeyVault/vaults/enableRbacAuthorization", "notEquals": true}}},
				"then": map[string]any{"effect": "[parameters('effect')]"}}},
	})
	_, cloud := startSimulator(t, e, azuresim.Options{})
	main := filepath.Join(assignmentsExample, "main.json")
	code, live, errOut := runKvguard(t, "scan", main, "--assignments-from-azure", "--cloud", cloud, "--auth", "client-secret",
		"--target-scope", exampleTarget, "--format", "json")
	if code != ExitFindings {
		t.Fatalf("live: exit %d\n%s", code, errOut)
	}
	code, files, errOut := runKvguard(t, append(append([]string{"scan", main}, examplePolicyArgs()...), "--target-scope", exampleTarget, "--format", "json")...)
	if code != ExitFindings {
		t.Fatalf("files: exit %d\n%s", code, errOut)
	}
	want := verdictSummary(t, files)
	if len(want) == 0 {
		t.Fatal("no verdicts from the files")
	}
	if diff := cmp.Diff(want, verdictSummary(t, live)); diff != "" {
		t.Errorf("live verdicts differ from the files' (-files +live):\n%s", diff)
	}
}
