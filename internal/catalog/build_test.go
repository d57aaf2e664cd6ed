package catalog

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBuild(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	custom := filepath.Join(dir, "owner.json")
	def := `{"name": "owner-tag", "properties": {"displayName": "Owner tag", "mode": "Indexed",
	  "parameters": {"tagName": {"type": "String"}},
	  "policyRule": {"if": {"field": "[concat('tags[', parameters('tagName'), ']')]", "exists": "false"}, "then": {"effect": "audit"}}}}`
	if err := os.WriteFile(custom, []byte(def), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		opts    BuildOptions
		wantIDs string
		wantErr string
	}{
		{"defaults", BuildOptions{}, "keyvault-rbac keyvault-secret-expiry keyvault-key-expiry keyvault-soft-delete keyvault-firewall keyvault-private-link", ""},
		{"selection", BuildOptions{Only: []string{"keyvault-firewall", "keyvault-rbac"}}, "keyvault-rbac keyvault-firewall", ""},
		{"json parameter", BuildOptions{Params: []string{`keyvault-firewall.restrictIPAddresses="Yes"`}, Only: []string{"keyvault-firewall"}}, "keyvault-firewall", ""},
		{"custom with its parameter", BuildOptions{Policies: []string{custom}, Params: []string{"owner-tag.tagName=owner"}, Only: []string{"owner-tag"}}, "owner-tag", ""},
		{"malformed parameter", BuildOptions{Params: []string{"keyvault-firewall=Yes"}}, "", "expected RECOMMENDATION.NAME=VALUE"},
		{"bad parameter value", BuildOptions{Params: []string{"keyvault-firewall.restrictIPAddresses=Maybe"}}, "", "not one of the allowed values"},
		{"parameter of unknown recommendation", BuildOptions{Params: []string{"nope.x=1"}}, "", `unknown recommendation "nope"`},
		{"missing policy file", BuildOptions{Policies: []string{filepath.Join(dir, "none.json")}}, "", "--policy " + filepath.Join(dir, "none.json")},
		{"unknown selection", BuildOptions{Only: []string{"keyvault-nope"}}, "", `unknown recommendation "keyvault-nope"`},
		{"a built-in beyond the six", BuildOptions{Only: []string{"managedhsm-purge-protection", "keyvault-rbac"}}, "keyvault-rbac managedhsm-purge-protection", ""},
		{"a deprecated one by ID", BuildOptions{Only: []string{"keyvault-private-endpoint-deprecated"}}, "keyvault-private-endpoint-deprecated", ""},
		{"one lacking a parameter", BuildOptions{Only: []string{"keyvault-certificate-issuer-cn"}}, "", "--param keyvault-certificate-issuer-cn.caCommonName=VALUE"},
		{"its parameter given", BuildOptions{Only: []string{"keyvault-certificate-issuer-cn"}, Params: []string{"keyvault-certificate-issuer-cn.caCommonName=Contoso"}}, "keyvault-certificate-issuer-cn", ""},
		{"framework", BuildOptions{Framework: "cis-azure-2.1.0"}, "keyvault-secret-expiry keyvault-key-expiry", ""},
		{"framework and one more", BuildOptions{Framework: "CIS-Azure-2.1.0", Only: []string{"keyvault-rbac"}}, "keyvault-rbac keyvault-secret-expiry keyvault-key-expiry", ""},
		{"unknown framework", BuildOptions{Framework: "iso27001"}, "", `unknown framework "iso27001" (known: cis-azure-2.0.0, cis-azure-2.1.0, cis-azure-3.0.0, mcsb, mcsb-v2-preview)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cat, err := Build(c.opts)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(cat.IDs(), " "); got != c.wantIDs {
				t.Errorf("IDs %q, want %q", got, c.wantIDs)
			}
		})
	}
}

func TestBuildAll(t *testing.T) {
	t.Parallel()
	all, err := All(Options{})
	if err != nil {
		t.Fatal(err)
	}
	cat, err := Build(BuildOptions{All: true})
	if err != nil {
		t.Fatal(err)
	}
	skipped := map[string]string{}
	for _, s := range cat.Skipped {
		skipped[s.ID] = s.Reason
	}
	for _, r := range all.Recommendations {
		_, judged := cat.Lookup(r.ID)
		_, skip := skipped[r.ID]
		switch {
		case judged == skip:
			t.Errorf("%s: judged %v, skipped %v: want exactly one", r.ID, judged, skip)
		case r.Deprecated && judged:
			t.Errorf("deprecated %s is judged by --all", r.ID)
		case len(r.NeedsParams) > 0 && !strings.Contains(skipped[r.ID], "--param "+r.ID+"."):
			t.Errorf("%s needs parameters; skipped with %q", r.ID, skipped[r.ID])
		}
	}
	if len(cat.Recommendations) < 40 {
		t.Errorf("--all judges %d recommendations", len(cat.Recommendations))
	}
}

// TestBuildFrameworkParameters: a framework's parameter values reach the
// policies, and --param overrides them.
func TestBuildFrameworkParameters(t *testing.T) {
	t.Parallel()
	cases := []struct {
		params []string
		want   any
	}{
		{nil, int64(730)},
		{[]string{"keyvault-key-max-validity.maximumValidityInDays=90"}, int64(90)},
	}
	for _, c := range cases {
		cat, err := Build(BuildOptions{Framework: "mcsb-v2-preview", Params: c.params})
		if err != nil {
			t.Fatal(err)
		}
		r, ok := cat.Lookup("keyvault-key-max-validity")
		if !ok {
			t.Fatal("mcsb-v2-preview does not judge keyvault-key-max-validity")
		}
		if got := r.Policy.Param("maximumValidityInDays"); got != c.want {
			t.Errorf("params %v: maximumValidityInDays = %v, want %v", c.params, got, c.want)
		}
	}
}
