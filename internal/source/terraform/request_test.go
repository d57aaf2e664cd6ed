package terraform

import (
	"slices"
	"strings"
	"testing"
)

// TestRequestDefaults: the properties the azurerm provider leaves out of
// its request are the vault's ServiceDefaults, so that a Deny judges
// what the provider sends: without them a Deny requiring
// enablePurgeProtection or softDeleteRetentionInDays to be present would
// pass a vault the provider sends without them.
func TestRequestDefaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		extra string
		want  []string
	}{
		{"", []string{"properties.enablePurgeProtection", "properties.softDeleteRetentionInDays"}},
		{"purge_protection_enabled = true", []string{"properties.softDeleteRetentionInDays"}},
		{"purge_protection_enabled = false\nsoft_delete_retention_days = 90", []string{"properties.enablePurgeProtection", "properties.softDeleteRetentionInDays"}},
		{"purge_protection_enabled = true\nsoft_delete_retention_days = 30", nil},
		{"purge_protection_enabled = var.purge\nsoft_delete_retention_days = var.days", nil},
	}
	for _, tc := range tests {
		t.Run(strings.ReplaceAll(tc.extra, "\n", ";"), func(t *testing.T) {
			t.Parallel()
			src := "variable \"purge\" {\n  type = bool\n}\nvariable \"days\" {\n  type = number\n}\n" + vault("kv", tc.extra)
			d := byAddress(t, readHCL(t, src), "azurerm_key_vault.kv")
			if !slices.Equal(d.ServiceDefaults, tc.want) {
				t.Errorf("ServiceDefaults %v, want %v", d.ServiceDefaults, tc.want)
			}
		})
	}
}
