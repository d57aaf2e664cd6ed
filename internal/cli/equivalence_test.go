package cli

import (
	"encoding/json"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// equivalenceNow is the instant both sides are judged at, so that the
// rules comparing an expiry with the current time (certificates, keys and
// secrets close to expiry) give the same verdicts on any day.
var equivalenceNow = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// equivalenceCase is an ARM, Bicep or Terraform example and its
// saved-Azure twin: what Azure would return after deploying it, written by
// hand from the example's code (testdata/equivalence/README.md,
// testdata/equivalence/terraform/README.md).
type equivalenceCase struct {
	// name is "<arm|bicep|terraform>/<case>": the twin's folder under
	// testdata/equivalence, and the example's name under examples/.
	name string
	// example is what is scanned, relative to examples/: the example's
	// template, folder or main.bicep.
	example string
	// unknown lists the verdicts ("vault/recommendation") the example
	// leaves unknown on purpose before deployment: the IaC side must be
	// Unknown and name the expression given; the twin's status is
	// whatever the deployment made of it.
	unknown map[string]string
	// exempt lists the verdicts a kvguard:ignore suppression in the code
	// covers, with the status it hides: the twin (Azure stores no
	// suppressions) must have that status, and the IaC side must be
	// Exempt (or that status, once the suppression's date has passed).
	exempt map[string]string
	// twins maps a vault the example judges once for several the
	// deployment creates (a count unknown before apply: the IaC side names
	// it by its address, azurerm_key_vault.kv[*]) to the vaults of the
	// twin: each of them must get the example's verdicts.
	twins map[string][]string
	// existing lists the vaults the example declares existing: the IaC
	// side reports each as found but unreadable (its properties are not
	// in the code); the twin holds only what the deployment created (the
	// secrets it adds to such a vault), which must agree.
	existing []string
	// args are the scan's extra arguments on both sides: --all for the
	// examples of the recommendations beyond the six Defender ones
	// (certificates, key rotation, managed HSMs, diagnostic settings).
	// Such cases are left out of the six's healthy-and-unhealthy
	// coverage.
	args []string
}

// equivalenceCases are all the examples under examples/arm,
// examples/bicep and examples/terraform. A new example needs a case here
// (the test checks).
var equivalenceCases = []equivalenceCase{
	{name: "arm/firewall", example: "arm/firewall.json"},
	{name: "arm/keys-expiry", example: "arm/keys-expiry.json"},
	{name: "arm/linked", example: "arm/linked/main.json"},
	// Managed HSMs and their keys, a vault key's rotation policy and
	// diagnostic settings as extension resources, judged with --all; the
	// twin is ARM lists (HSMs, vault keys with rotationPolicy, diagnostic
	// settings) and az keyvault key show --hsm-name of the HSM keys.
	{name: "arm/managed-hsm", example: "arm/managed-hsm.json", args: []string{"--all"},
		unknown: map[string]string{
			"kv-arm-rotation/keyvault-key-active-days":  "a value that is not known", // the creation time
			"kv-arm-rotation/keyvault-key-max-validity": "a value that is not known", // the creation time
		}},
	{name: "arm/nested-deployment", example: "arm/nested-deployment.json"},
	{name: "arm/private-link", example: "arm/private-link.json"},
	{name: "arm/rbac-default-2026", example: "arm/rbac-default-2026.json"},
	{name: "arm/rbac-healthy", example: "arm/rbac-healthy.json"},
	{name: "arm/rbac-unhealthy", example: "arm/rbac-unhealthy.json"},
	{name: "arm/secrets-expiry", example: "arm/secrets-expiry.json"},
	{name: "arm/soft-delete-unhealthy", example: "arm/soft-delete-unhealthy.json"},
	{name: "arm/suppressed", example: "arm/suppressed.json", exempt: map[string]string{
		"kv-suppressed/keyvault-firewall":      "Unhealthy", // metadata, until 2027-03-31
		"kv-suppressed/keyvault-private-link":  "Unhealthy", // metadata, until 2027-03-31
		"kv-suppressed/keyvault-secret-expiry": "Unhealthy", // the secret 'bootstrap'
	}},
	{name: "arm/symbolic-names", example: "arm/symbolic-names.json", existing: []string{"kv-shared-platform"}},
	{name: "arm/with-parameters", example: "arm/with-parameters"},

	{name: "bicep/bicepparam", example: "bicep/bicepparam"},
	{name: "bicep/firewall", example: "bicep/firewall"},
	{name: "bicep/keys-expiry", example: "bicep/keys-expiry"},
	// The ARM case managed-hsm in Bicep (scope: for the diagnostic
	// settings, nested keys); the twin is the ARM case's.
	{name: "bicep/managed-hsm", example: "bicep/managed-hsm", args: []string{"--all"},
		unknown: map[string]string{
			"kv-arm-rotation/keyvault-key-active-days":  "a value that is not known", // the creation time
			"kv-arm-rotation/keyvault-key-max-validity": "a value that is not known", // the creation time
		}},
	// The registry module's vault (kv-avm) is in neither side: its code is
	// not in the repository.
	{name: "bicep/module", example: "bicep/module"},
	// main.bicep, not the folder: a directory walk also reads the module
	// template legacy-vault.json on its own.
	{name: "bicep/module-json", example: "bicep/module-json/main.bicep"},
	{name: "bicep/nested-deployment", example: "bicep/nested-deployment"},
	{name: "bicep/private-link", example: "bicep/private-link"},
	{name: "bicep/rbac", example: "bicep/rbac"},
	{name: "bicep/rbac-default-2026", example: "bicep/rbac-default-2026"},
	{name: "bicep/reference", example: "bicep/reference", unknown: map[string]string{
		"kv-follows-platform/keyvault-rbac":     "platform.properties.enableRbacAuthorization",
		"kv-follows-platform/keyvault-firewall": "platform.properties.publicNetworkAccess",
	}, existing: []string{"kv-platform"}},
	{name: "bicep/secrets-expiry", example: "bicep/secrets-expiry"},
	{name: "bicep/soft-delete", example: "bicep/soft-delete"},
	{name: "bicep/suppression", example: "bicep/suppression", exempt: map[string]string{
		"kv-suppressed/keyvault-rbac":          "Unhealthy", // comment above, until 2027-06-30
		"kv-suppressed/keyvault-firewall":      "Unhealthy", // comment on the declaration line
		"kv-suppressed/keyvault-secret-expiry": "Unhealthy", // the secret 'rotated-externally'
	}},

	// Terraform: each folder under examples/terraform is a root module
	// (plan/ holds the JSON of terraform show -json); the twins are the
	// vaults as the azurerm provider creates them (see the twins' README).

	// The endpoint's and the secret's vault is chosen by a conditional
	// whose condition is known (a reader bug linked them to neither vault).
	{name: "terraform/conditional-reference", example: "terraform/conditional-reference"},
	// Certificates, judged with --all: a certificate's notAfter is set
	// at issuance, so expiry is unknown before apply; the twin is az
	// keyvault certificate show of each (the policy included).
	{name: "terraform/certificates", example: "terraform/certificates", args: []string{"--all"},
		unknown: map[string]string{
			"kv-certs/keyvault-certificate-expiring": "certificate notAfter, known after issuance",
		}},
	// Twice: as the six judge it (the diagnostic setting and the HSM are
	// read, no verdict of their own), and with --all, where the vault's
	// resource logs (its azurerm_monitor_diagnostic_setting) and the HSM
	// rules are judged: the only Terraform case of a vault's diagnostic
	// setting under the rules that read it.
	{name: "terraform/diagnostics-hsm", example: "terraform/diagnostics-hsm"},
	{name: "terraform/diagnostics-hsm", example: "terraform/diagnostics-hsm", args: []string{"--all"}},
	{name: "terraform/dynamic-network-acls", example: "terraform/dynamic-network-acls"},
	{name: "terraform/firewall", example: "terraform/firewall"},
	{name: "terraform/for-each-count", example: "terraform/for-each-count"},
	{name: "terraform/keys-expiry", example: "terraform/keys-expiry"},
	// Rotation policies, judged with --all: a key's creation time is
	// known only after apply, so what counts from it is unknown before;
	// the twin is the ARM list of the vault's keys, which carries each
	// key's rotationPolicy.
	{name: "terraform/key-rotation", example: "terraform/key-rotation", args: []string{"--all"},
		unknown: map[string]string{
			"kv-rotation/keyvault-key-active-days": "a value that is not known", // the creation time
		}},
	{name: "terraform/local-module", example: "terraform/local-module"},
	// Managed HSMs, their keys and a diagnostic setting, judged with
	// --all; the twin is Resource Graph rows of the HSMs, the ARM list of
	// their keys and az monitor diagnostic-settings list.
	{name: "terraform/managed-hsm", example: "terraform/managed-hsm", args: []string{"--all"}},
	{name: "terraform/plan", example: "terraform/plan"},
	// A plan of a managed HSM, its keys and a key rotation policy,
	// diagnostic settings and a certificate, judged with --all; every ID
	// is unknown in the plan (the configuration's references link them).
	// The twin is the HSM as a Resource Graph row, the ARM list of its
	// keys, az monitor diagnostic-settings list and az keyvault
	// certificate show.
	{name: "terraform/plan-hsm", example: "terraform/plan-hsm", args: []string{"--all"},
		unknown: map[string]string{
			"kv-plan-certs/keyvault-certificate-expiring": "certificate notAfter, known after issuance",
		}},
	{name: "terraform/private-link", example: "terraform/private-link"},
	{name: "terraform/rbac-unset-access-policies", example: "terraform/rbac-unset-access-policies"},
	{name: "terraform/rbac-v4-enable-rbac-authorization", example: "terraform/rbac-v4-enable-rbac-authorization"},
	{name: "terraform/rbac-v5-rbac-authorization-enabled", example: "terraform/rbac-v5-rbac-authorization-enabled"},
	// from-variable (var.secret_expiry, no value) and rolling
	// (timeadd(timestamp(), ...)) are unknown before apply but set: the
	// secret is healthy on both sides, so no exception is listed.
	{name: "terraform/secrets-expiry", example: "terraform/secrets-expiry"},
	{name: "terraform/soft-delete", example: "terraform/soft-delete"},
	{name: "terraform/suppression", example: "terraform/suppression", exempt: map[string]string{
		"kv-suppressed/keyvault-rbac":          "Unhealthy", // comment above, until 2027-06-30
		"kv-suppressed/keyvault-secret-expiry": "Unhealthy", // the secret 'bootstrap', on its header line
	}},
	// Applied with vault_count = 2 and public_access = true: the example
	// judges the vaults once, as azurerm_key_vault.kv[*], and cannot know
	// whether public network access is on.
	{name: "terraform/unknown-count", example: "terraform/unknown-count",
		unknown: map[string]string{
			"azurerm_key_vault.kv[*]/keyvault-firewall": "var.public_access",
		},
		twins: map[string][]string{
			"azurerm_key_vault.kv[*]": {"kv-unknown-0", "kv-unknown-1"},
		}},
}

// terraformFeatures are what the Terraform examples must show (issue 3):
// a pattern over their .tf files, and what it stands for.
var terraformFeatures = []struct {
	re   *regexp.Regexp
	what string
}{
	{regexp.MustCompile(`(?m)^\s*enable_rbac_authorization\s*=`), "the azurerm v3/v4 argument enable_rbac_authorization"},
	{regexp.MustCompile(`(?m)^\s*rbac_authorization_enabled\s*=`), "the azurerm v4.42+/v5 argument rbac_authorization_enabled"},
	{regexp.MustCompile(`(?m)^\s*is_manual_connection\s*=\s*true`), "a private endpoint with manual approval"},
	{regexp.MustCompile(`(?m)^\s*expiration_date\s*=\s*var\.`), "an expiry from a variable"},
	{regexp.MustCompile(`(?m)^\s*source\s*=\s*"\.\.?/`), "a local module"},
}

// verdict is one assessment of a scan's JSON report.
type verdict struct {
	status, reason string
}

// scanVerdicts scans path with `kvguard scan --format json` and returns
// the verdicts by "vault/recommendation", the recommendations judged, and
// the input errors (warnings aside).
func scanVerdicts(t *testing.T, path string, extra ...string) (map[string]verdict, []string) {
	t.Helper()
	args := append([]string{"scan", path, "--format", "json", "--fail-on", "none"}, extra...)
	code, out, errOut := runCLIAt(t, equivalenceNow, args...)
	var rep struct {
		Assessments []struct {
			Recommendation struct{ ID string }
			Resource       struct{ Name string }
			Status         string
			Reason         string
		}
		Errors []struct {
			Severity, File, Message string
			Line, Column            int
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("scan %s: exit %d, report is not JSON: %v\nstderr:\n%s", path, code, err, errOut)
	}
	for _, e := range rep.Errors {
		if e.Severity != "warning" {
			t.Errorf("scan %s: input error %s:%d:%d: %s", path, e.File, e.Line, e.Column, e.Message)
		}
	}
	if code != ExitOK {
		t.Errorf("scan %s: exit %d, want %d\nstderr:\n%s", path, code, ExitOK, errOut)
	}
	got := map[string]verdict{}
	var recs []string
	for _, a := range rep.Assessments {
		key := a.Resource.Name + "/" + a.Recommendation.ID
		if _, dup := got[key]; dup {
			t.Errorf("scan %s: two assessments of %s", path, key)
		}
		got[key] = verdict{a.Status, a.Reason}
		if !slices.Contains(recs, a.Recommendation.ID) {
			recs = append(recs, a.Recommendation.ID)
		}
	}
	return got, recs
}

// TestEquivalence is the equivalence test of issues 3 (Terraform) and 4
// (ARM, Bicep): every example gives, vault by vault and recommendation by
// recommendation, the verdicts Azure gives the same vaults once deployed,
// as saved Azure JSON (testdata/equivalence). The only differences allowed
// are the ones the cases list: values the example leaves unknown before
// deployment, and suppressions, which Azure does not store; and, for a
// vault the example gives no secrets (keys), the twin's Unknown: saved
// Azure JSON cannot show that a vault has none (neverListed). The examples
// must also show every recommendation healthy and unhealthy, in each
// language, and the Terraform examples the features terraformFeatures
// lists.
func TestEquivalence(t *testing.T) {
	t.Parallel()
	const examplesRoot = "../../examples"
	checkCasesCoverExamples(t, examplesRoot)
	checkTerraformFeatures(t, filepath.Join(examplesRoot, "terraform"))
	type seen struct{ healthy, unhealthy bool }
	var (
		mu       sync.Mutex
		coverage = map[string]map[string]*seen{"arm": {}, "bicep": {}, "terraform": {}}
		recs     []string
	)
	// The group returns when its parallel cases are done.
	t.Run("cases", func(t *testing.T) {
		for _, c := range equivalenceCases {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				iac, iacRecs := scanVerdicts(t, filepath.Join(examplesRoot, filepath.FromSlash(c.example)), c.args...)
				twin, _ := scanVerdicts(t, filepath.Join("testdata", "equivalence", filepath.FromSlash(c.name)), c.args...)
				if len(iac) == 0 {
					t.Fatalf("no verdicts from %s", c.example)
				}
				compareVerdicts(t, c, iac, twin)
				if len(c.args) > 0 {
					return
				}
				lang, _, _ := strings.Cut(c.name, "/")
				mu.Lock()
				defer mu.Unlock()
				for _, r := range iacRecs {
					if !slices.Contains(recs, r) {
						recs = append(recs, r)
					}
				}
				for key, v := range iac {
					_, rec, _ := strings.Cut(key, "/")
					s := coverage[lang][rec]
					if s == nil {
						s = &seen{}
						coverage[lang][rec] = s
					}
					s.healthy = s.healthy || v.status == "Healthy"
					s.unhealthy = s.unhealthy || v.status == "Unhealthy"
				}
			})
		}
	})
	if t.Failed() {
		return
	}
	if len(recs) < 6 {
		t.Errorf("the examples are judged against %d recommendations: %v", len(recs), recs)
	}
	for _, lang := range []string{"arm", "bicep", "terraform"} {
		for _, r := range recs {
			s := coverage[lang][r]
			if s == nil || !s.healthy || !s.unhealthy {
				t.Errorf("examples/%s: %s is not shown both healthy and unhealthy (%+v)", lang, r, s)
			}
		}
	}
}

// compareVerdicts requires equal verdicts per vault and recommendation,
// but for the case's listed exceptions.
func compareVerdicts(t *testing.T, c equivalenceCase, iac, twin map[string]verdict) {
	t.Helper()
	for _, m := range []map[string]string{c.unknown, c.exempt} {
		for k := range m {
			if _, ok := iac[k]; !ok {
				t.Errorf("%s: the case lists %s, which the example does not judge", c.name, k)
			}
		}
	}
	iac, unknown, exempt := expandTwins(t, c, iac)
	for k := range iac {
		if vault, _, _ := strings.Cut(k, "/"); slices.Contains(c.existing, vault) {
			if _, inTwin := twin[k]; !inTwin {
				delete(iac, k)
			}
		}
	}
	keys := map[string]bool{}
	for k := range iac {
		keys[k] = true
	}
	for k := range twin {
		keys[k] = true
	}
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		a, inIaC := iac[k]
		b, inTwin := twin[k]
		switch {
		case !inIaC:
			t.Errorf("%s: %s is judged in the saved Azure JSON (%s) but not in the example", c.name, k, b.status)
		case !inTwin:
			t.Errorf("%s: %s is judged in the example (%s) but not in the saved Azure JSON", c.name, k, a.status)
		case unknown[k] != "":
			if a.status != "Unknown" || !strings.Contains(a.reason, unknown[k]) {
				t.Errorf("%s: %s: the example leaves %s unknown before deployment: want Unknown naming it, got %s (%s)", c.name, k, unknown[k], a.status, a.reason)
			}
		case exempt[k] != "":
			hidden := exempt[k]
			if b.status != hidden {
				t.Errorf("%s: %s: the suppression hides %s, but the saved Azure JSON gives %s (%s)", c.name, k, hidden, b.status, b.reason)
			}
			if a.status != "Exempt" && a.status != hidden {
				t.Errorf("%s: %s: suppressed in the code: want Exempt (or %s once expired), got %s (%s)", c.name, k, hidden, a.status, a.reason)
			}
		case neverListed(a, b):
			// The deployment creates no secrets (keys); saved Azure JSON
			// cannot show that (an empty list names no vault), so its
			// twin is Unknown saying how to supply the list.
		case a.status != b.status:
			t.Errorf("%s: %s: the example gives %s (%s), the saved Azure JSON %s (%s)", c.name, k, a.status, a.reason, b.status, b.reason)
		}
	}
}

// neverListed reports whether the example has no components of a kind
// for a vault (NotApplicable) and its saved twin no list of them
// (Unknown): the one difference saved Azure JSON makes by design.
func neverListed(iac, twin verdict) bool {
	return iac.status == "NotApplicable" && strings.HasPrefix(iac.reason, "no ") && strings.HasSuffix(iac.reason, " in the input") &&
		twin.status == "Unknown" && strings.Contains(twin.reason, "cannot show that it has no")
}

// expandTwins replaces each vault the case maps to several twin vaults by
// those vaults, in the example's verdicts and in the case's exceptions.
func expandTwins(t *testing.T, c equivalenceCase, iac map[string]verdict) (map[string]verdict, map[string]string, map[string]string) {
	t.Helper()
	if len(c.twins) == 0 {
		return iac, c.unknown, c.exempt
	}
	rename := func(key string) []string {
		vault, rec, _ := strings.Cut(key, "/")
		names, ok := c.twins[vault]
		if !ok {
			return []string{key}
		}
		keys := make([]string, len(names))
		for i, n := range names {
			keys[i] = n + "/" + rec
		}
		return keys
	}
	verdicts := map[string]verdict{}
	for k, v := range iac {
		for _, nk := range rename(k) {
			verdicts[nk] = v
		}
	}
	exceptions := func(m map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range m {
			for _, nk := range rename(k) {
				out[nk] = v
			}
		}
		return out
	}
	judged := map[string]bool{}
	for k := range iac {
		vault, _, _ := strings.Cut(k, "/")
		judged[vault] = true
	}
	for vault := range c.twins {
		if !judged[vault] {
			t.Errorf("%s: the case maps %s to twin vaults, but the example does not judge it", c.name, vault)
		}
	}
	return verdicts, exceptions(c.unknown), exceptions(c.exempt)
}

// checkCasesCoverExamples requires a case for every example: each
// template or folder under examples/arm and each folder under
// examples/bicep and examples/terraform.
func checkCasesCoverExamples(t *testing.T, root string) {
	t.Helper()
	names := map[string]bool{}
	for _, c := range equivalenceCases {
		names[c.name] = true
	}
	for _, lang := range []string{"arm", "bicep", "terraform"} {
		entries, err := filepath.Glob(filepath.Join(root, lang, "*"))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			base := filepath.Base(e)
			if strings.HasSuffix(base, ".md") {
				continue
			}
			name := lang + "/" + strings.TrimSuffix(base, ".json")
			if !names[name] {
				t.Errorf("examples/%s/%s has no saved-Azure twin: add a case to equivalenceCases and testdata/equivalence/%s", lang, base, name)
			}
		}
	}
}

// checkTerraformFeatures requires the Terraform examples (all of which are
// cases, by checkCasesCoverExamples) to show each of terraformFeatures.
func checkTerraformFeatures(t *testing.T, root string) {
	t.Helper()
	found := make([]string, len(terraformFeatures))
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".tf") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, f := range terraformFeatures {
			if found[i] == "" && f.re.Match(src) {
				found[i] = path
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range terraformFeatures {
		if found[i] == "" {
			t.Errorf("examples/terraform: no example shows %s (%s)", f.what, f.re)
		}
	}
}
