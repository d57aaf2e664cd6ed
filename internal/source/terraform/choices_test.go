package terraform

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kvguard/kvguard/internal/resource"
)

// TestChoicesInDocuments: where an unknown has few possible values, the
// document holds an UnknownOneOf of the values the mapping gives each
// (in the order of the choices), so that the policy engine can try them.
func TestChoicesInDocuments(t *testing.T) {
	t.Parallel()
	const acls = `dynamic "network_acls" for_each = var.acls`
	tests := []struct {
		name  string
		src   string
		addr  string
		path  string
		want  any
		other map[string]any // further paths and values
	}{
		{
			name: "boolean variable, mapped to Enabled/Disabled",
			src:  "variable \"public\" { type = bool }\n" + vault("kv", "public_network_access_enabled = var.public"),
			path: "properties.publicNetworkAccess",
			want: resource.UnknownOneOf("var.public", "Enabled", "Disabled"),
		},
		{
			name: "conditional with an unknown condition",
			src:  "variable \"strict\" {}\n" + vault("kv", "network_acls {\n  bypass = \"AzureServices\"\n  default_action = var.strict ? \"Deny\" : \"Allow\"\n}"),
			path: "properties.networkAcls.defaultAction",
			want: resource.UnknownOneOf(`var.strict ? "Deny" : "Allow"`, "Deny", "Allow"),
		},
		{
			name: "conditional with null: the default",
			src:  "variable \"x\" {}\n" + vault("kv", "purge_protection_enabled = var.x ? true : null"),
			path: "properties.enablePurgeProtection",
			want: resource.UnknownOneOf("var.x ? true : null", true, false),
		},
		{
			name: "validation's allowed values",
			src: "variable \"action\" {\n  type = string\n  validation {\n    condition = contains([\"Allow\", \"Deny\"], var.action)\n    error_message = \"no\"\n  }\n}\n" +
				vault("kv", "network_acls {\n  bypass = \"None\"\n  default_action = var.action\n}"),
			path: "properties.networkAcls.defaultAction",
			want: resource.UnknownOneOf("var.action", "Allow", "Deny"),
		},
		{
			name: "dynamic block present or absent",
			src:  "variable \"acls\" {}\n" + vault("kv", "dynamic \"network_acls\" {\n  for_each = var.acls\n  content {\n    bypass = \"AzureServices\"\n    default_action = \"Allow\"\n  }\n}"),
			path: "properties.networkAcls",
			want: resource.UnknownOneOf(acls, resource.Absent, map[string]any{
				"bypass": "AzureServices", "defaultAction": "Allow", "ipRules": []any{}, "virtualNetworkRules": []any{},
			}),
		},
		{
			name: "expiry set or not",
			src: "variable \"expires\" {}\n" + vault("kv", "") + `resource "azurerm_key_vault_secret" "s" {
  name            = "s"
  key_vault_id    = azurerm_key_vault.kv.id
  expiration_date = var.expires ? "2027-01-01T00:00:00Z" : null
}`,
			addr: "azurerm_key_vault_secret.s",
			path: "attributes.expiresOn",
			want: resource.UnknownOneOf(`var.expires ? "2027-01-01T00:00:00Z" : null`, "2027-01-01T00:00:00Z", resource.Absent),
		},
		{
			name:  "a choice that changes the ID stays unknown",
			src:   "variable \"x\" {}\n" + vault("kv", "") + "\nresource \"azurerm_key_vault_secret\" \"s\" {\n  name = var.x ? \"a\" : \"b\"\n  key_vault_id = azurerm_key_vault.kv.id\n}",
			addr:  "azurerm_key_vault_secret.s",
			path:  "name",
			want:  resource.Unknown{Expr: `var.x ? "a" : "b"`},
			other: map[string]any{"attributes.enabled": true},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			docs := readHCL(t, tc.src)
			addr := tc.addr
			if addr == "" {
				addr = "azurerm_key_vault.kv"
			}
			d := byAddress(t, docs, addr)
			if diff := cmp.Diff(tc.want, at(t, d, tc.path)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.path, diff)
			}
			for p, w := range tc.other {
				if diff := cmp.Diff(w, at(t, d, p)); diff != "" {
					t.Errorf("%s (-want +got):\n%s", p, diff)
				}
			}
		})
	}
}
