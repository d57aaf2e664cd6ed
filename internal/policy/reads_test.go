package policy

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestReads: the fields a rule reads, from conditions, counts, field()
// calls and an existence condition; a field named by an expression is
// left out.
func TestReads(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		rule string
		want []string
	}{
		{
			name: "conditions and count",
			rule: `{"if": {"allOf": [{"field": "type", "equals": "Microsoft.KeyVault.Data/vaults/keys"},
				{"field": "Microsoft.KeyVault.Data/vaults/keys/scheduledRotationDate", "exists": false},
				{"count": {"field": "Microsoft.KeyVault.Data/vaults/certificates/lifetimeActions[*]",
				  "where": {"field": "Microsoft.KeyVault.Data/vaults/certificates/lifetimeActions[*].action", "equals": "AutoRenew"}}, "less": 1}]},
				"then": {"effect": "audit"}}`,
			want: []string{
				"microsoft.keyvault.data/vaults/certificates/lifetimeactions[*]",
				"microsoft.keyvault.data/vaults/certificates/lifetimeactions[*].action",
				"microsoft.keyvault.data/vaults/keys/scheduledrotationdate",
				"type",
			},
		},
		{
			name: "field() in an expression, repeats once",
			rule: `{"if": {"value": "[addDays(field('Microsoft.KeyVault.Data/vaults/keys/attributes.createdOn'), 90)]", "less": "[field('Microsoft.KeyVault.Data/vaults/keys/attributes.createdOn')]"},
				"then": {"effect": "audit"}}`,
			want: []string{"microsoft.keyvault.data/vaults/keys/attributes.createdon"},
		},
		{
			name: "existence condition, expression-named field left out",
			rule: `{"if": {"field": "[concat('Microsoft.KeyVault/vaults/', 'sku.name')]", "exists": true},
				"then": {"effect": "auditIfNotExists", "details": {"type": "Microsoft.Insights/diagnosticSettings",
				  "existenceCondition": {"field": "Microsoft.Insights/diagnosticSettings/logs.enabled", "equals": "true"}}}}`,
			want: []string{"microsoft.insights/diagnosticsettings/logs.enabled"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			def, err := ParseDefinition([]byte(tt.rule), "rule.json")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, Reads(def)); diff != "" {
				t.Errorf("Reads (-want +got):\n%s", diff)
			}
		})
	}
}
