package assess

import (
	"strings"

	"github.com/kvguard/kvguard/internal/catalog"
	"github.com/kvguard/kvguard/internal/policy"
)

// Severity is Defender's severity scale.
type Severity string

// The severities, highest first.
const (
	High   Severity = "High"
	Medium Severity = "Medium"
	Low    Severity = "Low"
)

// Rank orders severities: High 3, Medium 2, Low 1, anything else 0.
func (s Severity) Rank() int {
	switch strings.ToLower(string(s)) {
	case "high":
		return 3
	case "medium":
		return 2
	case "low":
		return 1
	}
	return 0
}

// Recommendation is what a report needs to know of a recommendation: who
// it is, Defender's metadata and how to fix what it finds. The assessor
// copies it from the catalog, so that the result model stands alone.
type Recommendation struct {
	ID       string
	Title    string
	Severity Severity
	// Type is Defender's label ("Control plane").
	Type string
	// Component is the component type a data-plane recommendation judges
	// and rolls up to the vault; "" for resource-level ones.
	Component     string
	RelatedPolicy RelatedPolicy
	// AssessmentKey is Defender's assessment key, where known.
	AssessmentKey string
	Description   string
	// Requirement says in one line what a healthy resource has.
	Requirement string
	Rationale   string
	// Logic says how kvguard judges it.
	Logic       string
	Remediation Remediation
	LearnMore   []string
	Frameworks  []Framework
	// Custom marks a user's own definition.
	Custom bool
}

// RelatedPolicy names the Azure policy definition a recommendation
// mirrors.
type RelatedPolicy struct {
	ID          string
	DisplayName string
	Version     string
}

// Remediation says how to fix an unhealthy resource in each tool.
type Remediation struct {
	Portal    string `json:"portal"`
	CLI       string `json:"cli"`
	Terraform string `json:"terraform"`
	Bicep     string `json:"bicep"`
}

// Framework maps a recommendation to a control of a benchmark.
type Framework struct {
	Framework string `json:"framework"`
	Control   string `json:"control"`
}

// PolicyDefinitionID is the related built-in's full resource ID.
func (r *Recommendation) PolicyDefinitionID() string {
	if r.RelatedPolicy.ID == "" {
		return ""
	}
	return "/providers/Microsoft.Authorization/policyDefinitions/" + r.RelatedPolicy.ID
}

// viewOf copies what the result model shows of a catalog recommendation.
func viewOf(r *catalog.Recommendation) *Recommendation {
	v := &Recommendation{
		ID: r.ID, Title: r.Title, Severity: Severity(r.Severity), Type: r.Type, Component: r.Component,
		RelatedPolicy: RelatedPolicy{ID: r.RelatedPolicy.ID, DisplayName: r.RelatedPolicy.DisplayName, Version: r.RelatedPolicy.Version},
		AssessmentKey: r.AssessmentKey, Description: r.Description, Requirement: r.Requirement,
		Rationale: r.Rationale, Logic: r.Logic, LearnMore: r.LearnMore, Custom: r.Custom,
		Remediation: Remediation{Portal: r.Remediation.Portal, CLI: r.Remediation.CLI, Terraform: r.Remediation.Terraform, Bicep: r.Remediation.Bicep},
	}
	for _, f := range r.Frameworks {
		v.Frameworks = append(v.Frameworks, Framework{Framework: f.Framework, Control: f.Control})
	}
	return v
}

// Detail is one policy condition behind a verdict, in the form of Azure
// Policy's "reasons for non-compliance".
type Detail struct {
	// Field is the alias, Path its JSON path in the resource.
	Field string
	Path  string
	// Operator is the condition's operator, "not ..." when negated.
	Operator string
	// Code is Azure Policy's reason text.
	Code string
	// Expected and Actual are the target and current values as plain JSON
	// data: Actual is nil when the value is absent, {"$unknown": expr}
	// when it is unknown before deployment.
	Expected any
	Actual   any
}

// detailsOf copies the engine's reasons into the result model.
func detailsOf(rs []policy.Reason) []Detail {
	if len(rs) == 0 {
		return nil
	}
	out := make([]Detail, len(rs))
	for i, r := range rs {
		out[i] = Detail{Field: r.Field, Path: r.Path, Operator: r.OperatorText(), Code: r.Code(),
			Expected: r.ExpectedJSON(), Actual: r.ActualJSON()}
	}
	return out
}
