package policy

import (
	"strings"
	"testing"

	"github.com/kvguard/kvguard/internal/resource"
)

// firewallRule is the firewall recommendation's logic: non-compliant when
// public network access is not Disabled and the firewall does not deny by
// default (an absent networkAcls allows).
const firewallRule = `{"mode":"Indexed","policyRule":{"if":{"allOf":[
  {"field":"type","equals":"Microsoft.KeyVault/vaults"},
  {"field":"Microsoft.KeyVault/vaults/publicNetworkAccess","notEquals":"Disabled"},
  {"field":"Microsoft.KeyVault/vaults/networkAcls.defaultAction","notEquals":"Deny"}
]},"then":{"effect":"audit"}}}`

// endpointRule is an auditIfNotExists rule on a related resource's field.
const endpointRule = `{"mode":"Indexed","policyRule":{"if":{"field":"type","equals":"Microsoft.KeyVault/vaults"},
"then":{"effect":"auditIfNotExists","details":{"type":"Microsoft.Insights/diagnosticSettings",
"existenceCondition":{"field":"Microsoft.Insights/diagnosticSettings/logs.enabled","equals":"true"}}}}}`

func compileInline(t *testing.T, src string) *Policy {
	t.Helper()
	def, err := ParseDefinition([]byte(src), "inline.json")
	if err != nil {
		t.Fatal(err)
	}
	p, err := Compile(def, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func oneOf(expr string, vals ...any) resource.Unknown { return resource.UnknownOneOf(expr, vals...) }

func TestChoices(t *testing.T) {
	t.Parallel()
	const acls = `dynamic "network_acls" for_each = var.acls`
	// irrelevant holds n unknowns of two values each that no rule reads,
	// beside a networkAcls that allows either way.
	irrelevant := func(n int) map[string]any {
		props := map[string]any{"publicNetworkAccess": "Enabled", "networkAcls": oneOf(acls, resource.Absent, map[string]any{"defaultAction": "Allow"})}
		for i := range n {
			props["x"+string(rune('a'+i))] = oneOf("var."+string(rune('a'+i)), true, false)
		}
		return props
	}
	tests := []struct {
		name     string
		rule     string
		props    map[string]any
		related  []*resource.Document
		want     Outcome
		forEvery []string
		note     string // substring of Result.Note()
	}{
		{
			name:     "dynamic block present with Allow or absent: both allow",
			props:    map[string]any{"publicNetworkAccess": "Enabled", "networkAcls": oneOf(acls, resource.Absent, map[string]any{"defaultAction": "Allow"})},
			want:     NonCompliant,
			forEvery: []string{acls},
			note:     "the same for every value of " + acls,
		},
		{
			name:  "dynamic block present with Deny or absent: it depends",
			props: map[string]any{"publicNetworkAccess": "Enabled", "networkAcls": oneOf(acls, resource.Absent, map[string]any{"defaultAction": "Deny"})},
			want:  Unknown,
			note:  "the verdict depends on " + acls + `: NonCompliant when ` + acls + ` = (absent); Compliant when ` + acls + ` = {"defaultAction":"Deny"}`,
		},
		{
			name:  "a boolean that does not matter, already known without trying",
			props: map[string]any{"publicNetworkAccess": oneOf("var.public", "Enabled", "Disabled"), "networkAcls": map[string]any{"defaultAction": "Deny"}},
			want:  Compliant,
		},
		{
			name: "the same expression takes the same value everywhere",
			props: map[string]any{
				"publicNetworkAccess": oneOf("var.private", "Enabled", "Disabled"),
				"networkAcls":         map[string]any{"defaultAction": oneOf("var.private", "Deny", "Allow")},
			},
			want:     Compliant,
			forEvery: []string{"var.private"},
		},
		{
			name: "two expressions, one deciding",
			props: map[string]any{
				"publicNetworkAccess": oneOf("var.public", "Enabled", "Disabled"),
				"networkAcls":         map[string]any{"defaultAction": "Allow"},
				"tags":                oneOf("var.tagged", true, false),
			},
			want: Unknown,
			note: `the verdict depends on var.public: NonCompliant when var.public = "Enabled"; Compliant when var.public = "Disabled"`,
		},
		{
			name: "nested choices",
			props: map[string]any{
				"publicNetworkAccess": "Enabled",
				"networkAcls":         oneOf(acls, resource.Absent, map[string]any{"defaultAction": oneOf("var.action", "Allow", "Deny")}),
			},
			want: Unknown,
			note: `Compliant when ` + acls + ` = {"defaultAction":{"$unknown":"var.action"}}, var.action = "Deny"`,
		},
		{
			name: "another unknown without choices",
			props: map[string]any{
				"publicNetworkAccess": oneOf("var.public", "Enabled", "Disabled"),
				"networkAcls":         map[string]any{"defaultAction": resource.Unknown{Expr: "var.action"}},
			},
			want: Unknown,
		},
		{
			name:     "64 combinations",
			props:    irrelevant(5),
			want:     NonCompliant,
			forEvery: []string{acls, "var.a", "var.b", "var.c", "var.d", "var.e"},
		},
		{name: "too many combinations: not tried", props: irrelevant(6), want: Unknown},
		{
			name: "choices in a related resource",
			rule: endpointRule,
			related: []*resource.Document{{
				ID: vaultID + "/providers/Microsoft.Insights/diagnosticSettings/d", Type: resource.TypeDiagnosticSetting,
				Parent: resource.Ref{ID: vaultID},
				Body:   map[string]any{"properties": map[string]any{"logs": []any{map[string]any{"enabled": oneOf("var.logs", true, false)}}}},
			}},
			want: Unknown,
			note: "the verdict depends on var.logs: Compliant when var.logs = true; NonCompliant when var.logs = false",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rule := tc.rule
			if rule == "" {
				rule = firewallRule
			}
			p := compileInline(t, rule)
			r := p.Evaluate(vaultDoc(tc.props), sliceRelated(tc.related), Options{})
			if r.Outcome != tc.want {
				t.Fatalf("outcome %v, want %v (reasons %v, err %v)", r.Outcome, tc.want, r.Reasons, r.Err)
			}
			if strings.Join(r.ForEvery, "|") != strings.Join(tc.forEvery, "|") {
				t.Errorf("ForEvery %q, want %q", r.ForEvery, tc.forEvery)
			}
			if tc.note == "" && r.Outcome == Unknown && r.Note() != "" {
				t.Errorf("Note() = %q: nothing should have settled", r.Note())
			}
			if !strings.Contains(r.Note(), tc.note) {
				t.Errorf("Note() = %q, want it to contain %q", r.Note(), tc.note)
			}
			if r.Outcome == Unknown && tc.note != "" && (r.Err == nil || r.Err.Error() != r.Note()) {
				t.Errorf("Err %v, want the note", r.Err)
			}
		})
	}
}

// TestChoicesLeaveDocumentAlone: trying the choices works on copies.
func TestChoicesLeaveDocumentAlone(t *testing.T) {
	t.Parallel()
	p := compileInline(t, firewallRule)
	doc := vaultDoc(map[string]any{"networkAcls": oneOf("x", resource.Absent, map[string]any{"defaultAction": "Allow"})})
	before := display(doc.Body)
	p.Evaluate(doc, nil, Options{})
	if after := display(doc.Body); after != before {
		t.Errorf("document changed: %s, was %s", after, before)
	}
}
