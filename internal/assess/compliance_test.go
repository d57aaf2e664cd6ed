package assess

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kvguard/kvguard/internal/catalog"
)

// TestComplianceCountsWorstStanding: a control counts each resource once,
// by its worst standing across the control's policies; a resource no
// policy applies to is not counted; one ID planned by two deployments is
// two resources.
func TestComplianceCountsWorstStanding(t *testing.T) {
	t.Parallel()
	fw := &catalog.Benchmark{ID: "fw", Title: "A framework",
		Controls: []catalog.Control{
			{ID: "X", Title: "both", KeyVaultPolicies: 2, InitiativePolicies: 2},
			{ID: "Y", Title: "first only", KeyVaultPolicies: 1, InitiativePolicies: 5},
			{ID: "Z", Title: "not judged", KeyVaultPolicies: 1, InitiativePolicies: 1},
		},
		Policies: []catalog.BenchmarkPolicy{
			{Policy: "p1", ReferenceID: "r1", Controls: []string{"X", "Y"}, Recommendation: "rec1"},
			{Policy: "p2", ReferenceID: "r2", Controls: []string{"X"}, Recommendation: "rec2", Effect: "Disabled"},
			{Policy: "p3", ReferenceID: "r3", Controls: []string{"Z"}, NotJudged: "a plan"},
		},
	}
	rec1, rec2, other := &Recommendation{ID: "rec1"}, &Recommendation{ID: "rec2"}, &Recommendation{ID: "other"}
	res := func(id, dep string) Resource { return Resource{ID: id, Deployment: dep} }
	as := func(rec *Recommendation, r Resource, s Status) *Assessment {
		return &Assessment{Recommendation: rec, Resource: r, Status: s}
	}
	r := &Result{Assessments: []*Assessment{
		as(rec1, res("A", ""), Healthy), as(rec2, res("A", ""), Unhealthy),
		as(rec1, res("B", ""), Unknown), as(rec2, res("B", ""), Healthy),
		as(rec1, res("C", ""), Exempt),
		as(rec2, res("D", ""), NotApplicable),
		as(rec1, res("E", "main.bicep"), Healthy), as(rec1, res("e", "other.bicep"), Unhealthy),
		as(other, res("F", ""), Unhealthy),
	}}
	got := complianceOf(fw, r)
	want := []ControlCompliance{
		{ID: "X", Title: "both", KeyVaultPolicies: 2, InitiativePolicies: 2,
			Counts: ComplianceCounts{Passed: 1, Failed: 2, Unknown: 1, Exempt: 1},
			Policies: []PolicyCompliance{
				{PolicyID: "p1", ReferenceID: "r1", Recommendation: "rec1", Counts: ComplianceCounts{Passed: 2, Failed: 1, Unknown: 1, Exempt: 1}},
				{PolicyID: "p2", ReferenceID: "r2", Recommendation: "rec2", Effect: "Disabled", Counts: ComplianceCounts{Passed: 1, Failed: 1}},
			}},
		{ID: "Y", Title: "first only", Partial: true, KeyVaultPolicies: 1, InitiativePolicies: 5,
			Counts: ComplianceCounts{Passed: 2, Failed: 1, Unknown: 1, Exempt: 1},
			Policies: []PolicyCompliance{
				{PolicyID: "p1", ReferenceID: "r1", Recommendation: "rec1", Counts: ComplianceCounts{Passed: 2, Failed: 1, Unknown: 1, Exempt: 1}},
			}},
		{ID: "Z", Title: "not judged", KeyVaultPolicies: 1, InitiativePolicies: 1,
			Policies: []PolicyCompliance{{PolicyID: "p3", ReferenceID: "r3", NotJudged: "a plan"}}},
	}
	if diff := cmp.Diff(want, got.Controls); diff != "" {
		t.Errorf("controls (-want +got):\n%s", diff)
	}
	if got.Framework != "fw" || got.Title != "A framework" {
		t.Errorf("framework %q %q", got.Framework, got.Title)
	}
}
