package assignment

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kvguard/kvguard/internal/assess"
	"github.com/kvguard/kvguard/internal/resource"
)

const (
	sub       = "11111111-1111-1111-1111-111111111111"
	subID     = "/subscriptions/" + sub
	rgID      = subID + "/resourceGroups/rg-app"
	otherRG   = subID + "/resourceGroups/rg-other"
	defPrefix = subID + "/providers/Microsoft.Authorization/policyDefinitions/"
	setID     = subID + "/providers/Microsoft.Authorization/policySetDefinitions/kv-baseline"
	mgID      = "/providers/Microsoft.Management/managementGroups/mg-corp"
)

var now = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// tenant reads the shared definitions and adds the case's objects (az
// CLI's flattened form).
func tenant(t *testing.T, objects ...string) *Set {
	t.Helper()
	data, err := os.ReadFile("testdata/tenant.json")
	if err != nil {
		t.Fatal(err)
	}
	set, err := Parse(data, "tenant.json")
	if err != nil {
		t.Fatalf("tenant.json: %v", err)
	}
	if len(objects) > 0 {
		extra, err := Parse([]byte("["+strings.Join(objects, ",")+"]"), "case.json")
		if err != nil {
			t.Fatalf("case objects: %v", err)
		}
		set.Merge(extra)
	}
	return set
}

func assignmentJSON(name, scope, defID, extra string) string {
	if extra != "" {
		extra = "," + extra
	}
	return fmt.Sprintf(`{"id": %q, "name": %q, "type": "Microsoft.Authorization/policyAssignments", "scope": %q, "policyDefinitionId": %q%s}`,
		scope+"/providers/Microsoft.Authorization/policyAssignments/"+name, name, scope, defID, extra)
}

func exemptionJSON(name, scope, assignment, extra string) string {
	return fmt.Sprintf(`{"id": %q, "name": %q, "type": "Microsoft.Authorization/policyExemptions", "policyAssignmentId": %q, %s}`,
		scope+"/providers/Microsoft.Authorization/policyExemptions/"+name, name, assignment, extra)
}

// plannedVault is a vault as a template declares it and the ARM mapper
// builds it: the defaults it filled in are in the body and listed in
// ServiceDefaults.
func plannedVault(name, location string, props map[string]any, defaulted ...string) *resource.Document {
	body := map[string]any{"name": name, "type": resource.TypeVault, "location": location, "properties": props}
	id := "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/placeholder/providers/Microsoft.KeyVault/vaults/" + name
	body["id"] = id
	return &resource.Document{ID: id, Type: resource.TypeVault, Name: name, Body: body, Deployment: "main.bicep",
		Source: resource.Provenance{Kind: "bicep", File: "main.bicep", StartLine: 1}, ServiceDefaults: defaulted}
}

// noSoftDelete leaves enableSoftDelete out of the template: the mapper
// fills in true, as Azure stores it.
func noSoftDelete(location string) *resource.Document {
	return plannedVault("kv1", location, map[string]any{"enableSoftDelete": true, "publicNetworkAccess": "Disabled"}, "properties.enableSoftDelete")
}

func verdicts(t *testing.T, set *Set, target string, docs ...*resource.Document) ([]string, []error) {
	t.Helper()
	scope, err := ParseScope(target)
	if err != nil {
		t.Fatal(err)
	}
	j, errs := New(set, Options{Target: scope, Now: now})
	for _, d := range docs {
		j.Add(d)
	}
	var out []string
	for _, v := range j.Finish() {
		s := fmt.Sprintf("%s %s %s/%s %s %s", v.Resource.Name, v.Outcome, lastSegment(v.AssignmentID), v.ReferenceID, v.Effect, v.View)
		if v.Exemption != nil {
			s += fmt.Sprintf(" exemption=%s expired=%v", v.Exemption.Name, v.Exemption.Expired)
		}
		out = append(out, s)
	}
	return out, errs
}

func TestAssignmentVerdicts(t *testing.T) {
	t.Parallel()
	deny := `"parameters": {"effect": {"value": "Deny"}}`
	softDeleteDef := defPrefix + "kv-soft-delete"
	denyAtRG := assignmentJSON("deny-sd", rgID, softDeleteDef, deny)
	denyAtRGID := rgID + "/providers/Microsoft.Authorization/policyAssignments/deny-sd"
	tests := []struct {
		name     string
		objects  []string
		ancestry []string
		target   string
		docs     []*resource.Document
		want     []string
	}{
		{name: "deny at the target resource group judges the request: soft delete left out is refused",
			objects: []string{denyAtRG}, target: rgID, docs: []*resource.Document{noSoftDelete("westeurope")},
			want: []string{"kv1 Refused deny-sd/ Deny request"}},
		{name: "the same template with enableSoftDelete written passes",
			objects: []string{denyAtRG}, target: rgID,
			docs: []*resource.Document{plannedVault("kv1", "westeurope", map[string]any{"enableSoftDelete": true})},
			want: []string{"kv1 Compliant deny-sd/ Deny request"}},
		{name: "audit judges the stored resource: the default makes it compliant",
			objects: []string{assignmentJSON("audit-sd", rgID, softDeleteDef, "")}, target: rgID,
			docs: []*resource.Document{noSoftDelete("westeurope")},
			want: []string{"kv1 Compliant audit-sd/ Audit stored"}},
		{name: "an assignment at another resource group does not apply",
			objects: []string{assignmentJSON("deny-sd", otherRG, softDeleteDef, deny)}, target: rgID,
			docs: []*resource.Document{noSoftDelete("westeurope")}},
		{name: "an assignment at the subscription applies to its resource groups",
			objects: []string{assignmentJSON("deny-sd", subID, softDeleteDef, deny)}, target: rgID,
			docs: []*resource.Document{noSoftDelete("westeurope")},
			want: []string{"kv1 Refused deny-sd/ Deny request"}},
		{name: "a management group in the ancestry applies",
			objects: []string{assignmentJSON("deny-sd", mgID, softDeleteDef, deny)}, ancestry: []string{"mg-corp", "root"}, target: rgID,
			docs: []*resource.Document{noSoftDelete("westeurope")},
			want: []string{"kv1 Refused deny-sd/ Deny request"}},
		{name: "a management group outside the ancestry does not",
			objects: []string{assignmentJSON("deny-sd", mgID, softDeleteDef, deny)}, ancestry: []string{"mg-other"}, target: rgID,
			docs: []*resource.Document{noSoftDelete("westeurope")}},
		{name: "notScopes exclude the target resource group",
			objects: []string{assignmentJSON("deny-sd", subID, softDeleteDef, deny+`, "notScopes": ["`+rgID+`"]`)}, target: rgID,
			docs: []*resource.Document{noSoftDelete("westeurope")}},
		{name: "a notScope elsewhere leaves it in scope",
			objects: []string{assignmentJSON("deny-sd", subID, softDeleteDef, deny+`, "notScopes": ["`+otherRG+`"]`)}, target: rgID,
			docs: []*resource.Document{noSoftDelete("westeurope")},
			want: []string{"kv1 Refused deny-sd/ Deny request"}},
		{name: "DoNotEnforce: deny is audit-only",
			objects: []string{assignmentJSON("deny-sd", rgID, softDeleteDef, deny+`, "enforcementMode": "DoNotEnforce"`)}, target: rgID,
			docs: []*resource.Document{noSoftDelete("westeurope")},
			want: []string{"kv1 NonCompliant deny-sd/ Deny request"}},
		{name: "an exemption that has not expired exempts",
			objects: []string{denyAtRG, exemptionJSON("waive", rgID, denyAtRGID, `"exemptionCategory": "Waiver", "expiresOn": "2026-12-31T00:00:00Z"`)},
			target:  rgID, docs: []*resource.Document{noSoftDelete("westeurope")},
			want: []string{"kv1 Exempt deny-sd/ Deny request exemption=waive expired=false"}},
		{name: "an expired exemption leaves the refusal, saying so",
			objects: []string{denyAtRG, exemptionJSON("waive", rgID, denyAtRGID, `"exemptionCategory": "Mitigated", "expiresOn": "2026-01-31T00:00:00Z"`)},
			target:  rgID, docs: []*resource.Document{noSoftDelete("westeurope")},
			want: []string{"kv1 Refused deny-sd/ Deny request exemption=waive expired=true"}},
		{name: "an exemption of another assignment does not apply",
			objects: []string{denyAtRG, exemptionJSON("waive", rgID, otherRG+"/providers/Microsoft.Authorization/policyAssignments/x", `"exemptionCategory": "Waiver"`)},
			target:  rgID, docs: []*resource.Document{noSoftDelete("westeurope")},
			want: []string{"kv1 Refused deny-sd/ Deny request"}},
		{name: "initiative parameters map into members; an exemption names one member",
			objects: []string{
				assignmentJSON("baseline", subID, setID, `"parameters": {"softDeleteEffect": {"value": "Deny"}, "publicAccessEffect": {"value": "Deny"}}`),
				exemptionJSON("pna", rgID, subID+"/providers/Microsoft.Authorization/policyAssignments/baseline", `"exemptionCategory": "Waiver", "policyDefinitionReferenceIds": ["publicAccess"]`),
			},
			target: rgID, docs: []*resource.Document{plannedVault("kv2", "westeurope", map[string]any{"enableSoftDelete": false, "publicNetworkAccess": "Enabled"})},
			want: []string{"kv2 Exempt baseline/publicAccess Deny request exemption=pna expired=false", "kv2 Refused baseline/softDelete Deny request"}},
		{name: "initiative defaults apply when the assignment sets nothing",
			objects: []string{assignmentJSON("baseline", subID, setID, "")},
			target:  rgID, docs: []*resource.Document{plannedVault("kv2", "westeurope", map[string]any{"enableSoftDelete": false, "publicNetworkAccess": "Enabled"})},
			want: []string{"kv2 NonCompliant baseline/publicAccess Audit stored", "kv2 NonCompliant baseline/softDelete Audit stored"}},
		{name: "an override sets one member's effect",
			objects: []string{assignmentJSON("baseline", subID, setID, `"parameters": {"softDeleteEffect": {"value": "Deny"}, "publicAccessEffect": {"value": "Deny"}},
				"overrides": [{"kind": "policyEffect", "value": "Audit", "selectors": [{"kind": "policyDefinitionReferenceId", "in": ["publicAccess"]}]}]`)},
			target: rgID, docs: []*resource.Document{plannedVault("kv2", "westeurope", map[string]any{"enableSoftDelete": false, "publicNetworkAccess": "Enabled"})},
			want: []string{"kv2 NonCompliant baseline/publicAccess Audit stored", "kv2 Refused baseline/softDelete Deny request"}},
		{name: "an override can disable a member",
			objects: []string{assignmentJSON("baseline", subID, setID, `"parameters": {"softDeleteEffect": {"value": "Deny"}},
				"overrides": [{"kind": "policyEffect", "value": "Disabled", "selectors": [{"kind": "policyDefinitionReferenceId", "notIn": ["softDelete"]}]}]`)},
			target: rgID, docs: []*resource.Document{plannedVault("kv2", "westeurope", map[string]any{"enableSoftDelete": false, "publicNetworkAccess": "Enabled"})},
			want: []string{"kv2 Refused baseline/softDelete Deny request"}},
		{name: "resource selectors pick resources by location",
			objects: []string{assignmentJSON("deny-sd", rgID, softDeleteDef, deny+`, "resourceSelectors": [{"name": "eu", "selectors": [{"kind": "resourceLocation", "in": ["westeurope", "North Europe"]}]}]`)},
			target:  rgID, docs: []*resource.Document{noSoftDelete("West Europe"), func() *resource.Document {
				d := noSoftDelete("eastus")
				d.ID, d.Name = strings.Replace(d.ID, "kv1", "kv-us", 1), "kv-us"
				return d
			}()},
			want: []string{"kv1 Refused deny-sd/ Deny request"}},
		{name: "an unknown location leaves a selected verdict unknown",
			objects: []string{assignmentJSON("deny-sd", rgID, softDeleteDef, deny+`, "resourceSelectors": [{"name": "eu", "selectors": [{"kind": "resourceLocation", "in": ["westeurope"]}]}]`)},
			target:  rgID, docs: []*resource.Document{noSoftDelete("")},
			want: []string{"kv1 Unknown deny-sd/ Deny request"}},
	}
	// The unknown-location case.
	tests[len(tests)-1].docs[0].Body["location"] = resource.Unknown{Expr: "param.location"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			set := tenant(t, tt.objects...)
			set.Ancestry = tt.ancestry
			got, errs := verdicts(t, set, tt.target, tt.docs...)
			if len(errs) > 0 {
				t.Fatalf("compile: %v", errors.Join(errs...))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("verdicts (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRequestAndStoredViewsDiffer: a template without enableSoftDelete is
// refused by Deny (the request lacks it) although the stored vault, with
// the service's default, is compliant.
func TestRequestAndStoredViewsDiffer(t *testing.T) {
	t.Parallel()
	doc := noSoftDelete("westeurope")
	req := requestView(doc)
	if _, ok := req.Body["properties"].(map[string]any)["enableSoftDelete"]; ok {
		t.Fatalf("request view keeps the defaulted enableSoftDelete: %v", req.Body)
	}
	if doc.Body["properties"].(map[string]any)["enableSoftDelete"] != true {
		t.Fatalf("request view changed the stored document")
	}
	set := tenant(t,
		assignmentJSON("deny-sd", rgID, defPrefix+"kv-soft-delete", `"parameters": {"effect": {"value": "Deny"}}`),
		assignmentJSON("audit-sd", rgID, defPrefix+"kv-soft-delete", ""))
	got, errs := verdicts(t, set, rgID, doc)
	if len(errs) > 0 {
		t.Fatal(errors.Join(errs...))
	}
	want := []string{"kv1 Compliant audit-sd/ Audit stored", "kv1 Refused deny-sd/ Deny request"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestDefinitionProblemsAreReportedByName(t *testing.T) {
	t.Parallel()
	k8s := `{"id": "` + defPrefix + `k8s-only", "type": "Microsoft.Authorization/policyDefinitions", "name": "k8s-only",
		"mode": "Microsoft.Kubernetes.Data", "policyRule": {"if": {"field": "type", "equals": "Microsoft.ContainerService/managedClusters"}, "then": {"effect": "audit"}}}`
	badFn := `{"id": "` + defPrefix + `bad-fn", "type": "Microsoft.Authorization/policyDefinitions", "name": "bad-fn",
		"mode": "Indexed", "policyRule": {"if": {"value": "[frobnicate(field('name'))]", "equals": "x"}, "then": {"effect": "deny"}}}`
	tests := []struct {
		name    string
		objects []string
		warning bool
		want    []string // substrings of the one error
	}{
		{"a mode for another provider is a warning", []string{k8s, assignmentJSON("k8s", rgID, defPrefix+"k8s-only", "")}, true,
			[]string{"case.json:2:", defPrefix + "k8s-only", "Microsoft.Kubernetes.Data", "policyAssignments/k8s"}},
		{"a function the engine lacks", []string{badFn, assignmentJSON("fn", rgID, defPrefix+"bad-fn", "")}, false,
			[]string{defPrefix + "bad-fn", "frobnicate"}},
		{"a definition missing from the inputs", []string{assignmentJSON("gone", rgID, defPrefix+"not-here", "")}, false,
			[]string{defPrefix + "not-here", "az policy definition show --name not-here"}},
		{"an initiative expression kvguard does not evaluate", []string{
			`{"id": "` + subID + `/providers/Microsoft.Authorization/policySetDefinitions/expr", "type": "Microsoft.Authorization/policySetDefinitions",
			 "policyDefinitions": [{"policyDefinitionReferenceId": "m1", "policyDefinitionId": "` + defPrefix + `kv-soft-delete", "parameters": {"effect": {"value": "[concat('De', 'ny')]"}}}]}`,
			assignmentJSON("e", rgID, subID+"/providers/Microsoft.Authorization/policySetDefinitions/expr", "")}, false,
			[]string{"policySetDefinitions/expr", "m1", "concat"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, errs := verdicts(t, tenant(t, tt.objects...), rgID, noSoftDelete("westeurope"))
			if len(errs) != 1 {
				t.Fatalf("want one error, got %d: %v", len(errs), errs)
			}
			var ie *resource.InputError
			if !errors.As(errs[0], &ie) || ie.Warning != tt.warning {
				t.Errorf("error %v: want an InputError with Warning=%v", errs[0], tt.warning)
			}
			for _, w := range tt.want {
				if !strings.Contains(errs[0].Error(), w) {
					t.Errorf("error %q does not name %q", errs[0], w)
				}
			}
		})
	}
}

func TestParseScope(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want Scope
		ok   bool
	}{
		{rgID, Scope{ID: rgID, Subscription: sub, ResourceGroup: "rg-app"}, true},
		{subID + "/", Scope{ID: subID, Subscription: sub}, true},
		{mgID, Scope{ID: mgID, ManagementGroup: "mg-corp"}, true},
		{"rg-app", Scope{}, false},
		{subID + "/resourceGroups/", Scope{}, false},
		{rgID + "/providers/Microsoft.KeyVault/vaults/kv1", Scope{}, false},
	}
	for _, tt := range tests {
		got, err := ParseScope(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseScope(%q) = %+v, %v; want %+v ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestDeployedID(t *testing.T) {
	t.Parallel()
	placeholder := "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/placeholder/providers/Microsoft.KeyVault/vaults/kv1"
	concrete := "/subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups/prod/providers/Microsoft.KeyVault/vaults/kv1"
	tests := []struct{ target, id, want string }{
		{rgID, placeholder, rgID + "/providers/Microsoft.KeyVault/vaults/kv1"},
		{subID, placeholder, subID + "/resourceGroups/placeholder/providers/Microsoft.KeyVault/vaults/kv1"},
		{rgID, concrete, concrete},
		{rgID, "terraform:azurerm_key_vault.main", rgID + "/providers/Microsoft.KeyVault/vaults/kv1"},
	}
	for _, tt := range tests {
		scope, err := ParseScope(tt.target)
		if err != nil {
			t.Fatal(err)
		}
		j, _ := New(NewSet(), Options{Target: scope, Now: now})
		d := &resource.Document{ID: tt.id, Type: resource.TypeVault, Name: "kv1"}
		if got := j.DeployedID(d); got != tt.want {
			t.Errorf("DeployedID(%s at %s) = %s, want %s", tt.id, tt.target, got, tt.want)
		}
	}
}

// TestResultCountsRefusals: a refusal is a finding whatever --fail-on says.
func TestResultCountsRefusals(t *testing.T) {
	t.Parallel()
	res := &assess.Result{}
	if err := res.Check(assess.Severity("High")); err != nil {
		t.Fatalf("no verdicts: %v", err)
	}
	res.AddAssignmentVerdicts(rgID, 1, []*assess.AssignmentVerdict{{Outcome: assess.PolicyNonCompliant}})
	if err := res.Check(assess.Severity("High")); err != nil {
		t.Fatalf("audit only: %v", err)
	}
	res.AddAssignmentVerdicts(rgID, 0, []*assess.AssignmentVerdict{{Outcome: assess.Refused}})
	if err := res.Check(assess.Severity("High")); !errors.Is(err, assess.ErrFindings) {
		t.Fatalf("refusal: got %v, want ErrFindings", err)
	}
}
