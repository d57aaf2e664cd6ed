package resource

import (
	"strings"
	"testing"
	"time"
)

func TestParseSuppression(t *testing.T) {
	t.Parallel()
	pos := Position{File: "main.tf", Line: 4}
	cases := []struct {
		text      string
		found     bool
		errPart   string
		id        string
		reason    string
		expiresOn string
	}{
		{"# just a comment", false, "", "", "", ""},
		{"# kvguard:ignore keyvault-rbac", true, "", "keyvault-rbac", "", ""},
		{"// kvguard:ignore keyvault-firewall behind the app gateway exp:2027-01-31", true, "", "keyvault-firewall", "behind the app gateway", "2027-01-31"},
		{"/* kvguard:ignore keyvault-private-link \"hub firewall\" */", true, "", "keyvault-private-link", "hub firewall", ""},
		{"# kvguard:ignore exp:2027-01-01", true, "", "exp:2027-01-01", "", ""},
		{"# kvguard:ignore", true, "needs a recommendation id", "", "", ""},
		{"# kvguard:ignore keyvault-rbac exp:31/01/2027", true, "not a date", "keyvault-rbac", "", ""},
		{"# kvguard:ignore keyvault-rbac exp:2027-01-01 exp:2027-02-01", true, "more than one exp", "keyvault-rbac", "", ""},
	}
	for _, c := range cases {
		s, found, err := ParseSuppression(c.text, pos)
		if found != c.found {
			t.Errorf("%q: found %v", c.text, found)
			continue
		}
		if c.errPart != "" {
			if err == nil || !strings.Contains(err.Error(), c.errPart) {
				t.Errorf("%q: error %v, want %q", c.text, err, c.errPart)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.text, err)
			continue
		}
		if !found {
			continue
		}
		if s.RuleID != c.id || s.Reason != c.reason || s.Pos != pos {
			t.Errorf("%q: got %+v", c.text, s)
		}
		if c.expiresOn != "" && s.Expires.Format("2006-01-02") != c.expiresOn {
			t.Errorf("%q: expires %v", c.text, s.Expires)
		}
	}
}

func TestSuppressionActiveThroughItsLastDay(t *testing.T) {
	t.Parallel()
	s, _, err := ParseSuppression("kvguard:ignore x exp:2027-01-31", Position{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		at   string
		want bool
	}{{"2027-01-31T23:59:59Z", true}, {"2027-02-01T00:00:00Z", false}, {"2026-06-01T00:00:00Z", true}} {
		now, _ := time.Parse(time.RFC3339, c.at)
		if got := s.Active(now); got != c.want {
			t.Errorf("Active(%s) = %v", c.at, got)
		}
	}
	if !(Suppression{}).Active(time.Now()) {
		t.Error("a suppression without expiry must stay active")
	}
}

func TestIDs(t *testing.T) {
	t.Parallel()
	const v = "/subscriptions/s1/resourceGroups/RG/providers/Microsoft.KeyVault/vaults/kv1"
	id, ok := ParseID(v + "/secrets/db")
	if !ok || id.Subscription != "s1" || id.ResourceGroup != "RG" || id.FullType() != "Microsoft.KeyVault/vaults/secrets" || id.Name() != "db" {
		t.Errorf("ParseID: %+v %v", id, ok)
	}
	if got := ParentID(v + "/secrets/db"); got != v {
		t.Errorf("ParentID(secret) = %q", got)
	}
	diag := v + "/providers/microsoft.insights/diagnosticSettings/audit"
	if id, _ := ParseID(diag); id.Scope != v || id.FullType() != "microsoft.insights/diagnosticSettings" {
		t.Errorf("extension resource: %+v", id)
	}
	if _, ok := ParseID("kv1"); ok {
		t.Error("a bare name is not an ID")
	}
	if !SameID(v, strings.ToUpper(v)+"/") {
		t.Error("IDs compare case-insensitively")
	}
	for in, want := range map[string]string{
		"https://KV1.vault.azure.net/secrets/s/abc": "kv1.vault.azure.net",
		"https://kv1.vault.azure.net:443/keys/k":    "kv1.vault.azure.net",
		"kv1.vault.azure.net":                       "",
	} {
		if got := VaultHost(in); got != want {
			t.Errorf("VaultHost(%q) = %q, want %q", in, got, want)
		}
	}
	if got := ObjectNameFromURL("https://kv1.vault.azure.net/secrets/db-pass/0123"); got != "db-pass" {
		t.Errorf("ObjectNameFromURL = %q", got)
	}
}

func TestUnknownsAndComponents(t *testing.T) {
	t.Parallel()
	d := NewComponent(TypeKey, Ref{ID: "v"}, "v/keys/k", "k", ObjectAttributes{Enabled: true, Expires: time.Unix(1798761600, 0), NotBefore: Unknown{Expr: "var.nbf"}}, map[string]any{"keyType": "RSA", "dropped": nil})
	if v, _ := d.Get("attributes", "expiresOn"); v != "2027-01-01T00:00:00Z" {
		t.Errorf("expiresOn = %v", v)
	}
	if _, ok := d.Body["dropped"]; ok {
		t.Error("nil fields must be left out")
	}
	u := Unknowns(d.Body)
	if len(u) != 1 || u[0].Path != "attributes.notBefore" || u[0].Expr != "var.nbf" {
		t.Errorf("Unknowns = %+v", u)
	}
	if got := UnixTime(0); got != "1970-01-01T00:00:00Z" {
		t.Errorf("UnixTime(0) = %s", got)
	}
	e := Errorf(Position{File: "a.json", Line: 3, Col: 7}, "bad %s", "thing")
	if e.Error() != "a.json:3:7: bad thing" {
		t.Errorf("InputError = %q", e.Error())
	}
	if (&InputError{ResourceID: "/subscriptions/x", Msg: "403"}).Error() != "/subscriptions/x: 403" {
		t.Error("an error on a live resource names its ID")
	}
}

func TestJoinID(t *testing.T) {
	for _, tc := range []struct {
		scope, typ string
		names      []string
		want       string
	}{
		{"/subscriptions/s/resourceGroups/rg", "Microsoft.KeyVault/vaults", []string{"kv"}, "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv"},
		{"/subscriptions/s/resourceGroups/rg", "Microsoft.KeyVault/vaults/secrets", []string{"kv/s"}, "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv/secrets/s"},
		{"/subscriptions/s/resourceGroups/rg", "Microsoft.KeyVault/vaults/secrets", []string{"kv", "s"}, "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv/secrets/s"},
		{"", "Microsoft.Management/managementGroups", []string{"mg"}, "/providers/Microsoft.Management/managementGroups/mg"},
		// A name with fewer segments than the type leaves the type's tail
		// without names, as Azure's resourceId() does.
		{"/x", "Microsoft.KeyVault/vaults/secrets", []string{"s"}, "/x/providers/Microsoft.KeyVault/vaults/s/secrets"},
	} {
		if got := JoinID(tc.scope, tc.typ, tc.names...); got != tc.want {
			t.Errorf("JoinID(%q, %q, %q) = %q, want %q", tc.scope, tc.typ, tc.names, got, tc.want)
		}
	}
}
