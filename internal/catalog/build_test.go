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
