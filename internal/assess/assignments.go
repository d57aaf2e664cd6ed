package assess

import (
	"time"

	"github.com/kvguard/kvguard/internal/policy"
)

// PolicyOutcome is a tenant policy assignment's verdict on one resource,
// in Azure Policy's terms (internal/assignment judges; reports render).
type PolicyOutcome string

// The outcomes of a tenant's assignments.
const (
	// Refused: an enforced Deny assignment would refuse the deployment's
	// request (403 RequestDisallowedByPolicy).
	Refused PolicyOutcome = "Refused"
	// PolicyNonCompliant: the compliance view would show the resource
	// non-compliant (Audit, AuditIfNotExists, a DoNotEnforce Deny, a Deny
	// judging an existing resource, Modify/DeployIfNotExists whose
	// condition matches).
	PolicyNonCompliant PolicyOutcome = "NonCompliant"
	PolicyCompliant    PolicyOutcome = "Compliant"
	// PolicyExempt: an exemption covers the resource.
	PolicyExempt PolicyOutcome = "Exempt"
	// PolicyUnknown: a value that decides the verdict is unknown before
	// deployment.
	PolicyUnknown PolicyOutcome = "Unknown"
	// PolicyError: the rule could not be evaluated.
	PolicyError PolicyOutcome = "Error"
)

// PolicyView says which body a verdict judged.
type PolicyView string

// The views.
const (
	// RequestView is the body the deployment sends, before the resource
	// provider fills in its defaults: what a Deny sees.
	RequestView PolicyView = "request"
	// StoredView is the resource as Azure stores it: what the compliance
	// view (Audit, AuditIfNotExists) judges.
	StoredView PolicyView = "stored"
)

// AssignmentVerdict is one assignment's verdict (one member policy of an
// initiative) on one resource.
type AssignmentVerdict struct {
	Resource Resource
	// AssignmentID and AssignmentName name the assignment.
	AssignmentID   string
	AssignmentName string
	// DefinitionID is the policy definition judged; SetDefinitionID and
	// ReferenceID are set when the assignment assigns an initiative.
	DefinitionID    string
	DefinitionName  string
	SetDefinitionID string
	ReferenceID     string
	// Effect is the effect applied (after parameters and overrides),
	// as the definition spells it.
	Effect string
	// Enforced is false for an assignment in DoNotEnforce mode.
	Enforced bool
	View     PolicyView
	Outcome  PolicyOutcome
	// Reason says why, in a sentence.
	Reason  string
	Details []Detail
	// Exemption is the policy exemption that applies (or applied until it
	// expired).
	Exemption *PolicyExemption
	// RequestChanges are the changes other assignments' Append and Modify
	// effects make to the request before this Deny judges it (Azure
	// evaluates them first), in the order applied.
	RequestChanges []RequestChange
}

// RequestChange is one change an Append or Modify assignment makes to a
// deployment's request.
type RequestChange struct {
	AssignmentID, AssignmentName, ReferenceID string
	// Effect is Append or Modify; Operation add, addOrReplace, remove or
	// append.
	Effect, Operation string
	// Field is the alias as the definition writes it, Path the property
	// of the resource it sets.
	Field, Path string
	// Before is the request's value (nil when absent), After the value
	// sent on (nil when removed).
	Before, After any
}

// PolicyExemption is a tenant's exemption as applied to a verdict.
type PolicyExemption struct {
	ID       string
	Name     string
	Category string
	Expires  time.Time
	// Expired: the exemption no longer applies; the verdict stands.
	Expired bool
}

// AssignmentSummary counts the verdicts of the tenant's assignments.
type AssignmentSummary struct {
	// TargetScope is the scope the assignments were resolved for.
	TargetScope string
	Assignments int
	ByOutcome   map[PolicyOutcome]int
}

// DetailsOf copies the engine's reasons into the result model's form.
func DetailsOf(rs []policy.Reason) []Detail { return detailsOf(rs) }

// AddAssignmentVerdicts stores the verdicts of a tenant's assignments in
// the result and counts them; Check then treats a refusal as a finding.
func (r *Result) AddAssignmentVerdicts(targetScope string, assignments int, vs []*AssignmentVerdict) {
	r.AssignmentVerdicts = append(r.AssignmentVerdicts, vs...)
	s := r.Summary.Assignments
	if s == nil {
		s = &AssignmentSummary{TargetScope: targetScope, ByOutcome: map[PolicyOutcome]int{}}
		r.Summary.Assignments = s
	}
	s.Assignments += assignments
	for _, v := range vs {
		s.ByOutcome[v.Outcome]++
	}
}

// Refusals counts the deployments a Deny assignment would refuse.
func (r *Result) Refusals() int {
	if r.Summary.Assignments == nil {
		return 0
	}
	return r.Summary.Assignments.ByOutcome[Refused]
}
