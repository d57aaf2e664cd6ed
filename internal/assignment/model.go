// Package assignment holds a tenant's own Azure Policy: its policy
// assignments, the definitions and initiatives (policy set definitions)
// they assign, and its exemptions. It reads them from az CLI output,
// ARM REST bodies or a kvguard snapshot (parse.go), or live through ARM
// (azure.go); resolves which assignments bind a target scope, with their
// parameters, notScopes, enforcement mode, overrides, resource selectors
// and exemptions (resolve.go); and judges planned and existing resources
// with them (judge.go): a Deny assignment judges the request a deployment
// sends, which does not yet carry the defaults the resource provider
// applies after policy evaluation; Audit and AuditIfNotExists give the
// verdicts Azure's compliance view shows once the resource is stored.
//
// Definitions are compiled by the one policy engine (internal/policy). A
// definition the engine cannot compile (a mode, function or effect it
// lacks) is an input error naming the definition's ID, never skipped in
// silence.
package assignment

import (
	"time"

	"github.com/kvguard/kvguard/internal/policy"
	"github.com/kvguard/kvguard/internal/resource"
)

// Set is a tenant's policy as read from one or several inputs.
type Set struct {
	Assignments []*Assignment
	// Definitions and SetDefinitions are keyed by resource.Key of their ID.
	Definitions    map[string]*policy.Definition
	SetDefinitions map[string]*SetDefinition
	Exemptions     []*Exemption
	// Ancestry lists the management groups above the target subscription
	// (names or IDs), when known (a snapshot's targetAncestry, or read
	// live). Nil means unknown: an assignment at a management group read
	// from a file is then taken to apply, as az policy assignment list
	// run in the subscription lists the inherited ones.
	Ancestry []string
}

// NewSet returns an empty set.
func NewSet() *Set {
	return &Set{Definitions: map[string]*policy.Definition{}, SetDefinitions: map[string]*SetDefinition{}}
}

// Merge adds another set's contents. A definition read twice keeps the
// first copy.
func (s *Set) Merge(o *Set) {
	s.Assignments = append(s.Assignments, o.Assignments...)
	s.Exemptions = append(s.Exemptions, o.Exemptions...)
	for k, v := range o.Definitions {
		if _, ok := s.Definitions[k]; !ok {
			s.Definitions[k] = v
		}
	}
	for k, v := range o.SetDefinitions {
		if _, ok := s.SetDefinitions[k]; !ok {
			s.SetDefinitions[k] = v
		}
	}
	if s.Ancestry == nil {
		s.Ancestry = o.Ancestry
	}
}

// Assignment is a policy assignment
// (Microsoft.Authorization/policyAssignments).
type Assignment struct {
	ID          string
	Name        string
	DisplayName string
	// Scope is where it is assigned: a management group, subscription,
	// resource group or resource ID. When the input omits it, it is
	// taken from the ID.
	Scope              string
	PolicyDefinitionID string
	NotScopes          []string
	// Parameters are the assignment's values, by parameter name.
	Parameters map[string]any
	// EnforcementMode is Default or DoNotEnforce.
	EnforcementMode   string
	Overrides         []Override
	ResourceSelectors []ResourceSelector
	Pos               resource.Position
}

// Enforced reports whether the assignment enforces its effects:
// DoNotEnforce assignments evaluate and report compliance but never deny.
func (a *Assignment) Enforced() bool { return !equalFold(a.EnforcementMode, "DoNotEnforce") }

// Label is the assignment's display name, else its name.
func (a *Assignment) Label() string {
	if a.DisplayName != "" {
		return a.DisplayName
	}
	return a.Name
}

// Override replaces a property of the assigned policies (kind
// policyEffect: the effect) for the policies and resources its selectors
// pick.
type Override struct {
	Kind      string
	Value     string
	Selectors []Selector
}

// ResourceSelector narrows an assignment to the resources all of its
// selectors match; an assignment with several applies to a resource any
// of them matches.
type ResourceSelector struct {
	Name      string
	Selectors []Selector
}

// Selector is one condition of an override or a resource selector: kind
// resourceLocation, resourceType, resourceWithoutLocation or
// policyDefinitionReferenceId, with in or notIn values.
type Selector struct {
	Kind  string
	In    []string
	NotIn []string
}

// SetDefinition is an initiative (Microsoft.Authorization/policySetDefinitions).
type SetDefinition struct {
	ID          string
	Name        string
	DisplayName string
	Parameters  map[string]policy.Parameter // by lower-case name
	Members     []Member
	Pos         resource.Position
}

// Member is one policy definition an initiative references.
type Member struct {
	DefinitionID string
	ReferenceID  string
	// Parameters are the values passed to the member definition, by its
	// parameter names: literals or [parameters('x')] of the initiative.
	Parameters map[string]any
	Pos        resource.Position
}

// Exemption is a policy exemption (Microsoft.Authorization/policyExemptions).
type Exemption struct {
	ID          string
	Name        string
	DisplayName string
	// Scope is where the exemption is set (from the ID when not given).
	Scope        string
	AssignmentID string
	// Category is Waiver or Mitigated.
	Category string
	// ReferenceIDs limit the exemption to these members of an initiative
	// assignment; empty means every member.
	ReferenceIDs []string
	// ExpiresOn is zero when the exemption does not expire.
	ExpiresOn         time.Time
	ResourceSelectors []ResourceSelector
	Pos               resource.Position
}
