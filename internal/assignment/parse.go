package assignment

import (
	"errors"
	"strings"
	"time"

	"github.com/kvguard/kvguard/internal/jsonpos"
	"github.com/kvguard/kvguard/internal/policy"
	"github.com/kvguard/kvguard/internal/resource"
)

// SnapshotKey marks a kvguard policy snapshot: {"kvguardPolicySnapshot": 1,
// "targetAncestry": [...], "assignments": [...], "definitions": [...],
// "setDefinitions": [...], "exemptions": [...]} (docs/deny-preview.md).
const SnapshotKey = "kvguardPolicySnapshot"

// The resource types of the objects a policy input holds.
const (
	TypeAssignment    = "Microsoft.Authorization/policyAssignments"
	TypeDefinition    = "Microsoft.Authorization/policyDefinitions"
	TypeSetDefinition = "Microsoft.Authorization/policySetDefinitions"
	TypeExemption     = "Microsoft.Authorization/policyExemptions"
)

// Parse reads a policy input: the output of az policy assignment list,
// az policy definition list, az policy set-definition list or az policy
// exemption list (-o json; flattened or with ARM's properties level), an
// ARM list body ({"value": [...]}), one such object, an array mixing them,
// or a kvguard snapshot. Everything readable is returned; problems are
// *resource.InputError values (file:line:col) joined in the error.
func Parse(data []byte, file string) (*Set, error) {
	root, err := jsonpos.Parse(data, file, false)
	if err != nil {
		return NewSet(), err
	}
	p := &parser{file: file, set: NewSet()}
	p.top(root)
	return p.set, errors.Join(p.errs...)
}

type parser struct {
	file string
	set  *Set
	errs []error
}

func (p *parser) pos(n *jsonpos.Node) resource.Position {
	return resource.Position{File: p.file, Line: n.Start.Line, Col: n.Start.Col}
}

func (p *parser) errorf(n *jsonpos.Node, format string, args ...any) {
	p.errs = append(p.errs, resource.Errorf(p.pos(n), format, args...))
}

func (p *parser) top(root *jsonpos.Node) {
	switch root.Kind {
	case jsonpos.Array:
		p.list(root, "")
	case jsonpos.Object:
		if root.GetFold(SnapshotKey) != nil {
			p.snapshot(root)
			return
		}
		if v := root.GetFold("value"); v != nil && v.Kind == jsonpos.Array {
			p.list(v, "")
			return
		}
		p.object(root, "")
	default:
		p.errorf(root, "not a policy input: expected the JSON of az policy assignment/definition/set-definition/exemption list, an ARM list body or a kvguard policy snapshot")
	}
}

func (p *parser) snapshot(root *jsonpos.Node) {
	if v := root.GetFold(SnapshotKey); v.Kind != jsonpos.Number || !v.IsInt || v.Int != 1 {
		p.errorf(v, "%s: unsupported version (this kvguard reads 1)", SnapshotKey)
		return
	}
	if a := root.GetFold("targetAncestry"); a != nil {
		if a.Kind != jsonpos.Array {
			p.errorf(a, "targetAncestry must be an array of management group names")
		} else {
			p.set.Ancestry = []string{}
			for _, e := range a.Items {
				if e.Kind != jsonpos.String {
					p.errorf(e, "targetAncestry: expected a management group name")
					continue
				}
				p.set.Ancestry = append(p.set.Ancestry, e.Str)
			}
		}
	}
	for _, k := range []struct{ key, typ string }{
		{"assignments", TypeAssignment}, {"definitions", TypeDefinition},
		{"setDefinitions", TypeSetDefinition}, {"exemptions", TypeExemption},
	} {
		v := root.GetFold(k.key)
		if v == nil {
			continue
		}
		if v.Kind != jsonpos.Array {
			p.errorf(v, "%s must be an array", k.key)
			continue
		}
		p.list(v, k.typ)
	}
}

func (p *parser) list(arr *jsonpos.Node, typ string) {
	for _, e := range arr.Items {
		p.object(e, typ)
	}
}

// prop finds a property under properties (ARM bodies) or at the top
// level (az CLI output, which flattens properties).
func prop(n *jsonpos.Node, key string) *jsonpos.Node {
	if ps := n.GetFold("properties"); ps != nil && ps.Kind == jsonpos.Object {
		if v := ps.GetFold(key); v != nil {
			return v
		}
	}
	return n.GetFold(key)
}

func str(n *jsonpos.Node, key string) string {
	if v := prop(n, key); v != nil && v.Kind == jsonpos.String {
		return v.Str
	}
	return ""
}

// kindOf classifies an object by its type, else by what it holds.
func kindOf(n *jsonpos.Node) string {
	if t := n.GetFold("type"); t != nil && t.Kind == jsonpos.String {
		for _, k := range []string{TypeAssignment, TypeDefinition, TypeSetDefinition, TypeExemption} {
			if strings.EqualFold(t.Str, k) {
				return k
			}
		}
	}
	switch {
	case prop(n, "policyRule") != nil:
		return TypeDefinition
	case prop(n, "policyDefinitions") != nil:
		return TypeSetDefinition
	case prop(n, "exemptionCategory") != nil:
		return TypeExemption
	case prop(n, "policyDefinitionId") != nil:
		return TypeAssignment
	}
	return ""
}

func (p *parser) object(n *jsonpos.Node, want string) {
	if n.Kind != jsonpos.Object {
		p.errorf(n, "expected a policy assignment, definition, set definition or exemption object, got %s", n.Kind)
		return
	}
	k := kindOf(n)
	if want != "" && k != want {
		if k == "" {
			k = "an unrecognised object"
		}
		p.errorf(n, "expected a %s, got %s", want, k)
		return
	}
	switch k {
	case TypeAssignment:
		p.assignment(n)
	case TypeDefinition:
		p.definition(n)
	case TypeSetDefinition:
		p.setDefinition(n)
	case TypeExemption:
		p.exemption(n)
	default:
		p.errorf(n, "not a policy assignment, definition, set definition or exemption (no type, policyRule, policyDefinitions, exemptionCategory or policyDefinitionId)")
	}
}

func (p *parser) idOf(n *jsonpos.Node, what string) string {
	id := str(n, "id")
	if id == "" {
		p.errorf(n, "%s without an id: kvguard needs the ID to match it (az CLI and ARM output carry it)", what)
	}
	return id
}

// scopeOf is the scope an object's ID sits at: everything before its last
// /providers/Microsoft.Authorization/ segment.
func scopeOf(id string) string {
	i := strings.LastIndex(strings.ToLower(id), "/providers/microsoft.authorization/")
	if i < 0 {
		return ""
	}
	return id[:i]
}

func (p *parser) assignment(n *jsonpos.Node) {
	a := &Assignment{ID: p.idOf(n, "policy assignment"), Name: str(n, "name"), DisplayName: str(n, "displayName"),
		Scope: str(n, "scope"), PolicyDefinitionID: str(n, "policyDefinitionId"), EnforcementMode: str(n, "enforcementMode"), Pos: p.pos(n)}
	if a.ID == "" {
		return
	}
	if a.Scope == "" {
		a.Scope = scopeOf(a.ID)
	}
	if a.PolicyDefinitionID == "" {
		p.errorf(n, "policy assignment %s has no policyDefinitionId", a.ID)
		return
	}
	if m := a.EnforcementMode; m != "" && !equalFold(m, "Default") && !equalFold(m, "DoNotEnforce") {
		p.errorf(prop(n, "enforcementMode"), "policy assignment %s: enforcementMode %q is neither Default nor DoNotEnforce", a.ID, m)
	}
	a.NotScopes = p.strings(prop(n, "notScopes"), "notScopes")
	a.Parameters = p.values(prop(n, "parameters"))
	a.ResourceSelectors = p.resourceSelectors(prop(n, "resourceSelectors"))
	if ov := prop(n, "overrides"); ov != nil && ov.Kind == jsonpos.Array {
		for _, e := range ov.Items {
			o := Override{Kind: str(e, "kind"), Value: str(e, "value"), Selectors: p.selectors(e.GetFold("selectors"))}
			if !equalFold(o.Kind, "policyEffect") {
				p.errorf(e, "policy assignment %s: override kind %q is not supported (kvguard applies policyEffect overrides)", a.ID, o.Kind)
				continue
			}
			a.Overrides = append(a.Overrides, o)
		}
	}
	p.set.Assignments = append(p.set.Assignments, a)
}

// values reads {"name": {"value": v}} parameter values.
func (p *parser) values(n *jsonpos.Node) map[string]any {
	if n == nil || n.Kind == jsonpos.Null {
		return nil
	}
	if n.Kind != jsonpos.Object {
		p.errorf(n, "parameters must be an object of {\"value\": ...}")
		return nil
	}
	out := map[string]any{}
	for _, m := range n.Members {
		v := m.Value.GetFold("value")
		if m.Value.Kind != jsonpos.Object || v == nil {
			p.errorf(m.Value, "parameter %s: expected {\"value\": ...}", m.Key)
			continue
		}
		out[m.Key] = v.Interface()
	}
	return out
}

func (p *parser) strings(n *jsonpos.Node, what string) []string {
	if n == nil || n.Kind == jsonpos.Null {
		return nil
	}
	if n.Kind != jsonpos.Array {
		p.errorf(n, "%s must be an array of strings", what)
		return nil
	}
	var out []string
	for _, e := range n.Items {
		if e.Kind != jsonpos.String {
			p.errorf(e, "%s: expected a string", what)
			continue
		}
		out = append(out, e.Str)
	}
	return out
}

func (p *parser) selectors(n *jsonpos.Node) []Selector {
	if n == nil || n.Kind != jsonpos.Array {
		return nil
	}
	var out []Selector
	for _, e := range n.Items {
		if e.Kind != jsonpos.Object {
			p.errorf(e, "a selector must be an object")
			continue
		}
		s := Selector{Kind: str(e, "kind"), In: p.strings(e.GetFold("in"), "in"), NotIn: p.strings(e.GetFold("notIn"), "notIn")}
		switch strings.ToLower(s.Kind) {
		case "resourcelocation", "resourcetype", "resourcewithoutlocation", "policydefinitionreferenceid":
		default:
			p.errorf(e, "selector kind %q is not supported (resourceLocation, resourceType, resourceWithoutLocation, policyDefinitionReferenceId)", s.Kind)
			continue
		}
		out = append(out, s)
	}
	return out
}

func (p *parser) resourceSelectors(n *jsonpos.Node) []ResourceSelector {
	if n == nil || n.Kind != jsonpos.Array {
		return nil
	}
	var out []ResourceSelector
	for _, e := range n.Items {
		if e.Kind != jsonpos.Object {
			p.errorf(e, "a resource selector must be an object")
			continue
		}
		out = append(out, ResourceSelector{Name: str(e, "name"), Selectors: p.selectors(e.GetFold("selectors"))})
	}
	return out
}

func (p *parser) definition(n *jsonpos.Node) {
	id := p.idOf(n, "policy definition")
	if id == "" {
		return
	}
	d, err := policy.DefinitionFromNode(n, p.file)
	if err != nil {
		p.errs = append(p.errs, resource.Errorf(p.pos(n), "policy definition %s: %v", id, err))
		return
	}
	d.ID = id
	if d.Name == "" {
		d.Name = id[strings.LastIndexByte(id, '/')+1:]
	}
	p.set.Definitions[resource.Key(id)] = d
}

func (p *parser) setDefinition(n *jsonpos.Node) {
	s := &SetDefinition{ID: p.idOf(n, "policy set definition"), Name: str(n, "name"), DisplayName: str(n, "displayName"), Pos: p.pos(n)}
	if s.ID == "" {
		return
	}
	if ps := prop(n, "parameters"); ps != nil && ps.Kind == jsonpos.Object {
		// The parameters of a set definition have the form of a
		// definition's: read them through the engine with an empty rule.
		s.Parameters = map[string]policy.Parameter{}
		for _, m := range ps.Members {
			pp := policy.Parameter{Name: m.Key}
			if t := m.Value.GetFold("type"); t != nil && t.Kind == jsonpos.String {
				pp.Type = t.Str
			}
			if dv := m.Value.GetFold("defaultValue"); dv != nil {
				pp.Default, pp.HasDefault = dv.Interface(), true
			}
			if av := m.Value.GetFold("allowedValues"); av != nil {
				pp.AllowedValues, _ = av.Interface().([]any)
			}
			s.Parameters[strings.ToLower(m.Key)] = pp
		}
	}
	mem := prop(n, "policyDefinitions")
	if mem == nil || mem.Kind != jsonpos.Array {
		p.errorf(n, "policy set definition %s: policyDefinitions must be an array", s.ID)
		return
	}
	for _, e := range mem.Items {
		m := Member{DefinitionID: str(e, "policyDefinitionId"), ReferenceID: str(e, "policyDefinitionReferenceId"), Pos: p.pos(e)}
		if m.DefinitionID == "" {
			p.errorf(e, "policy set definition %s: a member without policyDefinitionId", s.ID)
			continue
		}
		m.Parameters = p.values(e.GetFold("parameters"))
		s.Members = append(s.Members, m)
	}
	p.set.SetDefinitions[resource.Key(s.ID)] = s
}

func (p *parser) exemption(n *jsonpos.Node) {
	x := &Exemption{ID: p.idOf(n, "policy exemption"), Name: str(n, "name"), DisplayName: str(n, "displayName"),
		AssignmentID: str(n, "policyAssignmentId"), Category: str(n, "exemptionCategory"), Pos: p.pos(n)}
	if x.ID == "" {
		return
	}
	x.Scope = scopeOf(x.ID)
	if x.AssignmentID == "" {
		p.errorf(n, "policy exemption %s has no policyAssignmentId", x.ID)
		return
	}
	if !equalFold(x.Category, "Waiver") && !equalFold(x.Category, "Mitigated") {
		p.errorf(n, "policy exemption %s: exemptionCategory %q is neither Waiver nor Mitigated", x.ID, x.Category)
		return
	}
	x.ReferenceIDs = p.strings(prop(n, "policyDefinitionReferenceIds"), "policyDefinitionReferenceIds")
	x.ResourceSelectors = p.resourceSelectors(prop(n, "resourceSelectors"))
	if e := prop(n, "expiresOn"); e != nil && e.Kind == jsonpos.String && e.Str != "" {
		t, err := time.Parse(time.RFC3339, e.Str)
		if err != nil {
			p.errorf(e, "policy exemption %s: expiresOn %q is not an ISO 8601 UTC time (yyyy-MM-ddTHH:mm:ssZ)", x.ID, e.Str)
			return
		}
		x.ExpiresOn = t
	}
	p.set.Exemptions = append(p.set.Exemptions, x)
}

func equalFold(a, b string) bool { return strings.EqualFold(a, b) }
