package baseline

import "testing"

func TestFingerprint(t *testing.T) {
	t.Parallel()
	id := "/subscriptions/1/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv"
	base := Fingerprint("keyvault-rbac", "Unhealthy", id, "azurerm_key_vault.main", "infra/prod", "")
	cases := []struct {
		name       string
		fp         string
		wantSameAs bool
	}{
		{"another spelling of the deployment path", Fingerprint("keyvault-rbac", "Unhealthy", id, "azurerm_key_vault.main", "./infra/prod/", ""), true},
		{"another ID, same address (IDs from placeholders)", Fingerprint("keyvault-rbac", "Unhealthy", id+"2", "azurerm_key_vault.main", "infra/prod", ""), true},
		{"another deployment", Fingerprint("keyvault-rbac", "Unhealthy", id, "azurerm_key_vault.main", "infra/dev", ""), false},
		{"another address", Fingerprint("keyvault-rbac", "Unhealthy", id, "azurerm_key_vault.other", "infra/prod", ""), false},
		{"another recommendation", Fingerprint("keyvault-firewall", "Unhealthy", id, "azurerm_key_vault.main", "infra/prod", ""), false},
		{"unknown, then unhealthy", Fingerprint("keyvault-rbac", "Unknown", id, "azurerm_key_vault.main", "infra/prod", ""), false},
		{"a component of it", Fingerprint("keyvault-rbac", "Unhealthy", id, "azurerm_key_vault.main", "infra/prod", "db"), false},
	}
	for _, c := range cases {
		if (c.fp == base) != c.wantSameAs {
			t.Errorf("%s: same fingerprint %v, want %v (%s vs %s)", c.name, c.fp == base, c.wantSameAs, c.fp, base)
		}
	}
	// An ARM resource known by its index path is named by its ID, which
	// survives reordering; existing resources compare IDs case-insensitively.
	a := Fingerprint("keyvault-rbac", "Unhealthy", id, "resources[2]", "main.json", "")
	b := Fingerprint("keyvault-rbac", "Unhealthy", id, "resources[0]", "main.json", "")
	if a != b {
		t.Errorf("ARM index paths: %s vs %s", a, b)
	}
	if Fingerprint("keyvault-rbac", "Unhealthy", id, "", "", "") != Fingerprint("keyvault-rbac", "Unhealthy", "/SUBSCRIPTIONS/1/resourcegroups/RG/providers/microsoft.keyvault/vaults/KV", "", "", "") {
		t.Error("Azure IDs differing in case are two resources")
	}
}

func TestCompare(t *testing.T) {
	t.Parallel()
	f := func(fp string) Finding { return Finding{Fingerprint: fp, Recommendation: fp} }
	d := Compare([]Finding{f("a"), f("b")}, []Finding{f("b"), f("c")})
	if len(d.New) != 1 || d.New[0].Fingerprint != "c" || len(d.Fixed) != 1 || d.Fixed[0].Fingerprint != "a" ||
		len(d.Unchanged) != 1 || d.Unchanged[0].Fingerprint != "b" {
		t.Errorf("diff %+v", d)
	}
}
