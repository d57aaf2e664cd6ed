package assignment

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kvguard/kvguard/internal/resource"
)

// definitionJSON is a custom definition as az policy definition list
// prints it, with an effect parameter defaulting to effect.
func definitionJSON(name, effect, ifJSON, detailsJSON string) string {
	then := `{"effect": "[parameters('effect')]"}`
	if detailsJSON != "" {
		then = `{"effect": "[parameters('effect')]", "details": ` + detailsJSON + `}`
	}
	return fmt.Sprintf(`{"id": %q, "name": %q, "type": "Microsoft.Authorization/policyDefinitions", "mode": "Indexed",
		"parameters": {"effect": {"type": "String", "defaultValue": %q}},
		"policyRule": {"if": %s, "then": %s}}`, defPrefix+name, name, effect, ifJSON, then)
}

const (
	vaultIf      = `{"field": "type", "equals": "Microsoft.KeyVault/vaults"}`
	notDenyIf    = `{"allOf": [` + vaultIf + `, {"field": "Microsoft.KeyVault/vaults/networkAcls.defaultAction", "notEquals": "Deny"}]}`
	setDenyOp    = `{"operation": "addOrReplace", "field": "Microsoft.KeyVault/vaults/networkAcls.defaultAction", "value": "Deny"}`
	publicOpenIf = `{"allOf": [` + vaultIf + `, {"field": "Microsoft.KeyVault/vaults/publicNetworkAccess", "notEquals": "Disabled"}]}`
)

// TestAppendAndModifyBeforeDeny: Azure applies Append and Modify
// assignments to the request before Deny judges it, so a Modify that sets
// what a Deny checks prevents the refusal. Without the request changes
// every vault here was Refused by deny-firewall.
func TestAppendAndModifyBeforeDeny(t *testing.T) {
	t.Parallel()
	defs := []string{
		definitionJSON("fw-deny", "Deny", notDenyIf, ""),
		definitionJSON("fw-modify", "Modify", notDenyIf, `{"conflictEffect": "audit", "roleDefinitionIds": [], "operations": [`+setDenyOp+`]}`),
		definitionJSON("fw-modify-never", "Modify", notDenyIf, `{"operations": [{"operation": "addOrReplace", "field": "Microsoft.KeyVault/vaults/networkAcls.defaultAction", "value": "Deny", "condition": "[equals(1, 2)]"}]}`),
		definitionJSON("fw-modify-eu", "Modify", `{"allOf": [`+vaultIf+`, {"field": "location", "equals": "westeurope"}]}`, `{"operations": [`+setDenyOp+`]}`),
		definitionJSON("fw-modify-add", "Modify", vaultIf, `{"operations": [{"operation": "add", "field": "Microsoft.KeyVault/vaults/networkAcls.defaultAction", "value": "Deny"}]}`),
		definitionJSON("pna-deny", "Deny", publicOpenIf, ""),
		definitionJSON("pna-append", "Append", vaultIf, `[{"field": "Microsoft.KeyVault/vaults/publicNetworkAccess", "value": "Disabled"}]`),
		definitionJSON("ip-append", "Append", vaultIf, `[{"field": "Microsoft.KeyVault/vaults/networkAcls.ipRules[*]", "value": {"value": "203.0.113.0/24"}}]`),
	}
	a := func(name, def, extra string) string { return assignmentJSON(name, rgID, defPrefix+def, extra) }
	open := func(loc string) *resource.Document {
		return plannedVault("kv1", loc, map[string]any{"networkAcls": map[string]any{"defaultAction": "Allow"}})
	}
	noACL := plannedVault("kv1", "westeurope", map[string]any{})
	tests := []struct {
		name    string
		objects []string
		doc     *resource.Document
		want    []string
		reason  map[string]string // verdict prefix → text its reason must hold
	}{
		{name: "no modify: the deny refuses",
			objects: []string{a("deny-fw", "fw-deny", "")}, doc: open("westeurope"),
			want: []string{"kv1 Refused deny-fw/ Deny request"}},
		{name: "modify sets defaultAction first: the deny lets it through",
			objects: []string{a("deny-fw", "fw-deny", ""), a("set-fw", "fw-modify", "")}, doc: open("westeurope"),
			want: []string{"kv1 Compliant deny-fw/ Deny request", "kv1 Compliant set-fw/ Modify stored"},
			reason: map[string]string{
				"kv1 Compliant deny-fw": `assignment "set-fw" changes properties.networkAcls.defaultAction from "Allow" to "Deny" (Modify addOrReplace)`,
				"kv1 Compliant set-fw":  "changes the request on deployment"}},
		{name: "modify adds an absent property",
			objects: []string{a("deny-fw", "fw-deny", ""), a("set-fw", "fw-modify", "")}, doc: noACL,
			want:   []string{"kv1 Compliant deny-fw/ Deny request", "kv1 Compliant set-fw/ Modify stored"},
			reason: map[string]string{"kv1 Compliant deny-fw": `sets properties.networkAcls.defaultAction to "Deny"`}},
		{name: "a modify in DoNotEnforce mode changes nothing",
			objects: []string{a("deny-fw", "fw-deny", ""), a("set-fw", "fw-modify", `"enforcementMode": "DoNotEnforce"`)}, doc: open("westeurope"),
			want: []string{"kv1 Refused deny-fw/ Deny request", "kv1 NonCompliant set-fw/ Modify stored"}},
		{name: "an exempt modify changes nothing",
			objects: []string{a("deny-fw", "fw-deny", ""), a("set-fw", "fw-modify", ""),
				exemptionJSON("x", rgID, rgID+"/providers/Microsoft.Authorization/policyAssignments/set-fw", `"exemptionCategory": "Waiver"`)},
			doc:  open("westeurope"),
			want: []string{"kv1 Refused deny-fw/ Deny request", "kv1 Exempt set-fw/ Modify stored exemption=x expired=false"}},
		{name: "an operation whose condition is false is skipped",
			objects: []string{a("deny-fw", "fw-deny", ""), a("never", "fw-modify-never", "")}, doc: open("westeurope"),
			want: []string{"kv1 Refused deny-fw/ Deny request", "kv1 NonCompliant never/ Modify stored"}},
		{name: "a modify whose if does not match the location changes nothing",
			objects: []string{a("deny-fw", "fw-deny", ""), a("eu", "fw-modify-eu", "")}, doc: open("eastus"),
			want: []string{"kv1 Refused deny-fw/ Deny request", "kv1 Compliant eu/ Modify stored"}},
		{name: "a modify whose if reads an unknown location leaves the refusal unknown",
			objects: []string{a("deny-fw", "fw-deny", ""), a("eu", "fw-modify-eu", "")},
			doc: func() *resource.Document {
				d := open("westeurope")
				d.Body["location"] = resource.Unknown{Expr: "param.location"}
				return d
			}(),
			want:   []string{"kv1 Unknown deny-fw/ Deny request", "kv1 Unknown eu/ Modify stored"},
			reason: map[string]string{"kv1 Unknown deny-fw": "Azure Policy applies Append and Modify first"}},
		{name: "add does not replace a value the request sets",
			objects: []string{a("deny-fw", "fw-deny", ""), a("add", "fw-modify-add", "")}, doc: open("westeurope"),
			want: []string{"kv1 NonCompliant add/ Modify stored", "kv1 Refused deny-fw/ Deny request"}},
		{name: "append sets an absent property: the deny lets it through",
			objects: []string{a("deny-pna", "pna-deny", ""), a("pna", "pna-append", "")}, doc: noACL,
			want: []string{"kv1 Compliant deny-pna/ Deny request", "kv1 Compliant pna/ Append stored"}},
		{name: "append over a different value acts as deny",
			objects: []string{a("pna", "pna-append", "")},
			doc:     plannedVault("kv1", "westeurope", map[string]any{"publicNetworkAccess": "Enabled"}),
			want:    []string{"kv1 Refused pna/ Append stored"},
			reason:  map[string]string{"kv1 Refused pna": "would override the request's value"}},
		{name: "append to an array with a [*] alias",
			objects: []string{a("ip", "ip-append", "")},
			doc:     plannedVault("kv1", "westeurope", map[string]any{"networkAcls": map[string]any{"ipRules": []any{map[string]any{"value": "198.51.100.1"}}}}),
			want:    []string{"kv1 Compliant ip/ Append stored"},
			reason:  map[string]string{"kv1 Compliant ip": `[{"value":"198.51.100.1"},{"value":"203.0.113.0/24"}]`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			set := tenant(t, append(append([]string(nil), defs...), tt.objects...)...)
			scope, err := ParseScope(rgID)
			if err != nil {
				t.Fatal(err)
			}
			j, errs := New(set, Options{Target: scope, Now: now})
			if len(errs) > 0 {
				t.Fatalf("compile: %v", errors.Join(errs...))
			}
			j.Add(tt.doc)
			var got []string
			reasons := map[string]string{}
			for _, v := range j.Finish() {
				s := fmt.Sprintf("%s %s %s/%s %s %s", v.Resource.Name, v.Outcome, lastSegment(v.AssignmentID), v.ReferenceID, v.Effect, v.View)
				if v.Exemption != nil {
					s += fmt.Sprintf(" exemption=%s expired=%v", v.Exemption.Name, v.Exemption.Expired)
				}
				got = append(got, s)
				reasons[fmt.Sprintf("%s %s %s", v.Resource.Name, v.Outcome, lastSegment(v.AssignmentID))] = v.Reason
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("verdicts (-want +got):\n%s\nreasons: %v", diff, reasons)
			}
			for k, want := range tt.reason {
				if !strings.Contains(reasons[k], want) {
					t.Errorf("%s: reason %q lacks %q", k, reasons[k], want)
				}
			}
		})
	}
}
