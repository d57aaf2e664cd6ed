package policy

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/kvguard/kvguard/internal/resource"
)

func mutatingPolicy(t *testing.T, effect, details string) (*Policy, error) {
	t.Helper()
	src := `{"properties": {"mode": "Indexed", "policyRule": {
		"if": {"field": "type", "equals": "Microsoft.KeyVault/vaults"},
		"then": {"effect": "` + effect + `", "details": ` + details + `}}}}`
	def, err := ParseDefinition([]byte(src), "def.json")
	if err != nil {
		t.Fatal(err)
	}
	return Compile(def, nil)
}

// TestMutate: each Modify operation and Append pair changes the request
// as Azure documents it (effect-modify, effect-append), or refuses it.
func TestMutate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, effect, details string
		props                 string // the request's properties
		want                  string // properties after, as JSON
		refused, unknown      string
	}{
		{name: "addOrReplace replaces", effect: "Modify",
			details: `{"operations": [{"operation": "addOrReplace", "field": "Microsoft.KeyVault/vaults/networkAcls.defaultAction", "value": "Deny"}]}`,
			props:   `{"networkAcls": {"defaultAction": "Allow"}}`, want: `{"networkAcls":{"defaultAction":"Deny"}}`},
		{name: "addOrReplace creates the path", effect: "Modify",
			details: `{"operations": [{"operation": "addOrReplace", "field": "Microsoft.KeyVault/vaults/networkAcls.defaultAction", "value": "Deny"}]}`,
			props:   `{}`, want: `{"networkAcls":{"defaultAction":"Deny"}}`},
		{name: "add keeps the request's value", effect: "Modify",
			details: `{"operations": [{"operation": "add", "field": "Microsoft.KeyVault/vaults/publicNetworkAccess", "value": "Disabled"}]}`,
			props:   `{"publicNetworkAccess": "Enabled"}`, want: `{"publicNetworkAccess":"Enabled"}`},
		{name: "remove", effect: "Modify",
			details: `{"operations": [{"operation": "remove", "field": "Microsoft.KeyVault/vaults/publicNetworkAccess"}]}`,
			props:   `{"publicNetworkAccess": "Enabled", "enableSoftDelete": true}`, want: `{"enableSoftDelete":true}`},
		{name: "value from a parameter default and a true condition", effect: "Modify",
			details: `{"operations": [{"operation": "addOrReplace", "field": "Microsoft.KeyVault/vaults/enableRbacAuthorization", "value": "[not(false)]", "condition": "[greater(2, 1)]"}]}`,
			props:   `{}`, want: `{"enableRbacAuthorization":true}`},
		{name: "operation on array members is skipped (conflictEffect audit)", effect: "Modify",
			details: `{"operations": [{"operation": "addOrReplace", "field": "Microsoft.KeyVault/vaults/networkAcls.ipRules[*].value", "value": "1.2.3.4"}]}`,
			props:   `{"networkAcls": {"ipRules": [{"value": "5.6.7.8"}]}}`, want: `{"networkAcls":{"ipRules":[{"value":"5.6.7.8"}]}}`},
		{name: "operation on array members refuses with conflictEffect deny", effect: "Modify",
			details: `{"conflictEffect": "deny", "operations": [{"operation": "addOrReplace", "field": "Microsoft.KeyVault/vaults/networkAcls.ipRules[*].value", "value": "1.2.3.4"}]}`,
			props:   `{}`, want: `{}`, refused: "conflictEffect is deny"},
		{name: "append sets an absent value", effect: "Append",
			details: `[{"field": "Microsoft.KeyVault/vaults/publicNetworkAccess", "value": "Disabled"}]`,
			props:   `{}`, want: `{"publicNetworkAccess":"Disabled"}`},
		{name: "append of the same value changes nothing", effect: "Append",
			details: `[{"field": "Microsoft.KeyVault/vaults/publicNetworkAccess", "value": "Disabled"}]`,
			props:   `{"publicNetworkAccess": "Disabled"}`, want: `{"publicNetworkAccess":"Disabled"}`},
		{name: "append over a different value refuses", effect: "Append",
			details: `[{"field": "Microsoft.KeyVault/vaults/publicNetworkAccess", "value": "Disabled"}]`,
			props:   `{"publicNetworkAccess": "Enabled"}`, want: `{"publicNetworkAccess":"Enabled"}`, refused: `"Enabled"`},
		{name: "append to an array creates it", effect: "Append",
			details: `[{"field": "Microsoft.KeyVault/vaults/networkAcls.ipRules[*]", "value": {"value": "1.2.3.4"}}]`,
			props:   `{}`, want: `{"networkAcls":{"ipRules":[{"value":"1.2.3.4"}]}}`},
		{name: "an unknown condition leaves the request", effect: "Modify",
			details: `{"operations": [{"operation": "addOrReplace", "field": "Microsoft.KeyVault/vaults/publicNetworkAccess", "value": "Disabled", "condition": "[equals(field('location'), 'westeurope')]"}]}`,
			props:   `{}`, want: `{}`, unknown: "var.location"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := mutatingPolicy(t, tc.effect, tc.details)
			if err != nil {
				t.Fatal(err)
			}
			var props map[string]any
			if err := json.Unmarshal([]byte(tc.props), &props); err != nil {
				t.Fatal(err)
			}
			doc := &resource.Document{ID: "/subscriptions/1/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv", Type: resource.TypeVault, Name: "kv",
				Body: map[string]any{"type": resource.TypeVault, "location": resource.Unknown{Expr: "var.location"}, "properties": props}}
			before, _ := json.Marshal(doc.Body["properties"])
			res := p.Mutate(doc, nil, Options{Now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
			if res.Err != nil {
				t.Fatal(res.Err)
			}
			got, _ := json.Marshal(res.Doc.Body["properties"])
			if string(got) != tc.want {
				t.Errorf("properties %s, want %s", got, tc.want)
			}
			if after, _ := json.Marshal(doc.Body["properties"]); string(after) != string(before) {
				t.Errorf("the input document changed: %s", after)
			}
			if (tc.refused == "") != (res.Refused == "") || !strings.Contains(res.Refused, tc.refused) {
				t.Errorf("refused %q, want %q", res.Refused, tc.refused)
			}
			if (tc.unknown == "") != (res.Unknown == "") || !strings.Contains(res.Unknown, tc.unknown) {
				t.Errorf("unknown %q, want %q", res.Unknown, tc.unknown)
			}
		})
	}
}

// TestMutationCompileErrors: malformed details are errors naming the
// definition's file and line, not silently ignored operations.
func TestMutationCompileErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ effect, details, want string }{
		{"Modify", `[]`, "operations"},
		{"Modify", `{"operations": [{"operation": "merge", "field": "Microsoft.KeyVault/vaults/x", "value": 1}]}`, "unknown operation"},
		{"Modify", `{"operations": [{"operation": "add", "field": "Microsoft.KeyVault/vaults/x"}]}`, "needs its value"},
		{"Append", `{"field": "Microsoft.KeyVault/vaults/x", "value": 1}`, "array of field/value"},
		{"Append", `[{"value": 1}]`, "needs its field"},
	}
	for _, tc := range tests {
		_, err := mutatingPolicy(t, tc.effect, tc.details)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "def.json:") {
			t.Errorf("%s %s: error %v, want one naming def.json and %q", tc.effect, tc.details, err, tc.want)
		}
	}
}
