package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runCLIAt runs kvguard with its clock at now.
func runCLIAt(t *testing.T, now time.Time, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(withClock(context.Background(), now), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// scanTree copies the saved Azure examples into a fresh directory, with
// extra files, and returns it.
func scanTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"vaults.json", "secrets-arm.json", "keys-az-cli.json"} {
		b, err := os.ReadFile(filepath.Join(examples, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

type reportVerdict struct {
	Recommendation struct{ ID string }
	Resource       struct{ Name string }
	Status         string
	Reason         string
	Exemption      *struct {
		Reason string
	}
}

func reportVerdicts(t *testing.T, out string) map[string]reportVerdict {
	t.Helper()
	var rep struct{ Assessments []reportVerdict }
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not a JSON report: %v\n%s", err, out)
	}
	m := map[string]reportVerdict{}
	for _, a := range rep.Assessments {
		m[a.Recommendation.ID+"/"+a.Resource.Name] = a
	}
	return m
}

const ignoreLegacyRBAC = `ignore:
  - recommendation: keyvault-rbac
    resource: kv-leg*
    reason: the legacy app reads it with an access policy until its migration
    owner: platform
    expires: 2027-01-31
  - recommendation: keyvault-firewall
    resource: kv-nothing-matches
    reason: a stale entry
`

// TestIgnoreList: an entry makes matching findings Exempt with its
// reason, in every format, until it expires; expired and unused entries
// are reported.
func TestIgnoreList(t *testing.T) {
	t.Parallel()
	before := time.Date(2027, 1, 31, 12, 0, 0, 0, time.UTC)
	after := time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC)
	for _, file := range []string{".kvguard.yaml", ".kvguardignore.yaml"} {
		t.Run(file, func(t *testing.T) {
			t.Parallel()
			dir := scanTree(t, map[string]string{file: ignoreLegacyRBAC})
			code, out, errOut := runCLIAt(t, before, "scan", dir, "--format", "json")
			if code != ExitFindings {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			v := reportVerdicts(t, out)["keyvault-rbac/kv-legacy"]
			if v.Status != "Exempt" || !strings.Contains(v.Reason, "ignored by the entry at "+filepath.Join(dir, file)+":2") ||
				v.Exemption == nil || !strings.Contains(v.Exemption.Reason, "until its migration (owner: platform)") {
				t.Errorf("kv-legacy on keyvault-rbac: %+v", v)
			}
			if v := reportVerdicts(t, out)["keyvault-rbac/kv-web"]; v.Status != "Unhealthy" {
				t.Errorf("kv-web is not matched by kv-leg*: %+v", v)
			}
			if !strings.Contains(errOut, file+":7: ignore entry for keyvault-firewall on kv-nothing-matches matches no finding") {
				t.Errorf("no warning for the unused entry:\n%s", errOut)
			}
			if strings.Contains(errOut, "kv-leg* matches no finding") {
				t.Errorf("the used entry is reported unused:\n%s", errOut)
			}
			// SARIF: suppressed, as an external suppression at the entry.
			_, sarifOut, _ := runCLIAt(t, before, "scan", dir, "--format", "sarif")
			if !strings.Contains(sarifOut, `"kind": "external"`) && !strings.Contains(sarifOut, `"kind":"external"`) {
				t.Errorf("SARIF has no external suppression:\n%.2000s", sarifOut)
			}
			// Every other format carries the entry's reason.
			for _, format := range []string{"table", "csv", "junit", "markdown", "ocsf", "html"} {
				_, got, _ := runCLIAt(t, before, "scan", dir, "--format", format, "--width", "0")
				if !strings.Contains(got, "until its migration") {
					t.Errorf("the %s report lacks the ignore entry's reason:\n%.3000s", format, got)
				}
			}
			// After the expiry day the finding is back and the entry reported.
			_, out, errOut = runCLIAt(t, after, "scan", dir, "--format", "json")
			if v := reportVerdicts(t, out)["keyvault-rbac/kv-legacy"]; v.Status != "Unhealthy" || !strings.Contains(v.Reason, "expired on 2027-01-31") {
				t.Errorf("after expiry: %+v", v)
			}
			if !strings.Contains(errOut, file+":2: ignore entry for keyvault-rbac on kv-leg* expired on 2027-01-31 and no longer applies (owner: platform)") {
				t.Errorf("expired entry not reported:\n%s", errOut)
			}
		})
	}
}

func TestConfigFile(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name     string
		config   string
		args     []string
		wantExit int
		wantOut  []string
		notOut   []string
		wantErr  []string
	}{
		{name: "fail-on from the file", config: "fail-on: none\n", wantExit: ExitOK},
		{name: "a flag overrides the file", config: "fail-on: none\n", args: []string{"--fail-on", "high"}, wantExit: ExitFindings},
		{name: "recommendations", config: "recommendations: [keyvault-firewall]\nfail-on: none\n", args: []string{"--format", "json"},
			wantExit: ExitOK, wantOut: []string{`"id":"keyvault-firewall"`}, notOut: []string{`"id":"keyvault-rbac"`}},
		{name: "severity", config: "severity: [medium]\n", args: []string{"--format", "json"},
			wantExit: ExitFindings, wantOut: []string{`"id":"keyvault-private-link"`}, notOut: []string{`"id":"keyvault-rbac"`}},
		{name: "framework", config: "frameworks: [CIS Azure 3.0]\n", args: []string{"--format", "json"},
			wantExit: ExitFindings, wantOut: []string{`"id":"keyvault-`}},
		{name: "parameters", config: "parameters:\n  keyvault-firewall.restrictIPAddresses: Maybe\n",
			wantExit: ExitError, wantErr: []string{"not one of the allowed values"}},
		{name: "unknown key", config: "fail-on: high\nformat: sarif\n", wantExit: ExitError,
			wantErr: []string{".kvguard.yaml:2:1: unknown key \"format\" (known here: "}},
		{name: "bad date", config: "ignore:\n  - recommendation: keyvault-rbac\n    reason: r\n    expires: soon\n", wantExit: ExitError,
			wantErr: []string{`.kvguard.yaml:4: expires "soon" is not a date: write YYYY-MM-DD`}},
		{name: "bad glob", config: "ignore:\n  - recommendation: keyvault-rbac\n    resource: '[kv'\n    reason: r\n", wantExit: ExitError,
			wantErr: []string{`.kvguard.yaml:3: resource "[kv": bad glob`}},
		{name: "unknown recommendation", config: "ignore:\n  - recommendation: keyvault-nope\n    reason: r\n", wantExit: ExitError,
			wantErr: []string{`.kvguard.yaml:2: ignore entry names unknown recommendation "keyvault-nope"`}},
		{name: "outputs", config: "outputs:\n  - format: json\n  - format: sarif\n    file: out.sarif\nfail-on: none\n", wantExit: ExitOK,
			wantOut: []string{`"schemaVersion"`}},
		{name: "no-config", config: "fail-on: none\n", args: []string{"--no-config"}, wantExit: ExitFindings},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := scanTree(t, map[string]string{".kvguard.yaml": c.config})
			code, out, errOut := runCLIAt(t, now, append([]string{"scan", dir}, c.args...)...)
			if code != c.wantExit {
				t.Errorf("exit %d, want %d\nstderr:\n%s", code, c.wantExit, errOut)
			}
			for _, w := range c.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%.1500s", w, out)
				}
			}
			for _, w := range c.notOut {
				if strings.Contains(out, w) {
					t.Errorf("stdout has %q", w)
				}
			}
			for _, w := range c.wantErr {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
			if c.name == "outputs" {
				if _, err := os.Stat(filepath.Join(dir, "out.sarif")); err != nil {
					t.Errorf("the SARIF output beside the configuration: %v", err)
				}
			}
		})
	}
}

func TestExplicitConfig(t *testing.T) {
	t.Parallel()
	cfg := filepath.Join(t.TempDir(), "kvguard.yaml")
	if err := os.WriteFile(cfg, []byte("fail-on: none\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runCLI(t, []string{"scan", examples, "--config", cfg}, ""); code != ExitOK {
		t.Errorf("exit %d: %s", code, errOut)
	}
	if code, _, errOut := runCLI(t, []string{"scan", examples, "--config", cfg + ".missing"}, ""); code != ExitError || !strings.Contains(errOut, "--config") {
		t.Errorf("missing --config file: exit %d: %s", code, errOut)
	}
}
