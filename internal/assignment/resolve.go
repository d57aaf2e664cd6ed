package assignment

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/kvguard/kvguard/internal/policy"
	"github.com/kvguard/kvguard/internal/resource"
)

// Scope is a target scope: a management group, a subscription or a
// resource group.
type Scope struct {
	ID              string
	ManagementGroup string
	Subscription    string
	ResourceGroup   string
}

const mgPrefix = "/providers/microsoft.management/managementgroups/"

// ParseScope reads --target-scope: /subscriptions/<id>[/resourceGroups/<name>]
// or /providers/Microsoft.Management/managementGroups/<name>.
func ParseScope(s string) (Scope, error) {
	s = strings.TrimRight(strings.TrimSpace(s), "/")
	if rest, ok := cutPrefixFold(s, mgPrefix); ok && rest != "" && !strings.Contains(rest, "/") {
		return Scope{ID: s, ManagementGroup: rest}, nil
	}
	segs := strings.Split(strings.TrimPrefix(s, "/"), "/")
	switch {
	case len(segs) == 2 && equalFold(segs[0], "subscriptions") && segs[1] != "":
		return Scope{ID: s, Subscription: segs[1]}, nil
	case len(segs) == 4 && equalFold(segs[0], "subscriptions") && equalFold(segs[2], "resourceGroups") && segs[1] != "" && segs[3] != "":
		return Scope{ID: s, Subscription: segs[1], ResourceGroup: segs[3]}, nil
	}
	return Scope{}, fmt.Errorf("target scope %q: expected /subscriptions/<id>/resourceGroups/<name>, /subscriptions/<id> or /providers/Microsoft.Management/managementGroups/<name>", s)
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// within reports whether id is scope or below it (case-insensitive, on
// segment boundaries).
func within(scope, id string) bool {
	scope, id = strings.ToLower(strings.TrimRight(scope, "/")), strings.ToLower(strings.TrimRight(id, "/"))
	if scope == "" {
		return true // the tenant root
	}
	return id == scope || strings.HasPrefix(id, scope+"/")
}

// covers reports whether an assignment, notScope or exemption scope
// covers the resource deployed at id. A management group covers it when
// it is in the target's ancestry, or when the ancestry is unknown (nil).
func (s *Set) covers(scope, id string) bool {
	if mg, ok := cutPrefixFold(strings.TrimRight(scope, "/"), mgPrefix); ok {
		if s.Ancestry == nil {
			return true
		}
		for _, a := range s.Ancestry {
			if equalFold(a, mg) || equalFold(strings.TrimRight(a, "/"), strings.TrimRight(scope, "/")) {
				return true
			}
		}
		return false
	}
	return within(scope, id)
}

// bound is one policy an assignment applies: the assigned definition, or
// one member of the assigned initiative, compiled with its parameters.
type bound struct {
	a      *Assignment
	set    *SetDefinition // nil for a definition assignment
	refID  string
	def    *policy.Definition
	p      *policy.Policy
	viaCat bool // the definition is kvguard's copy of a built-in
}

// BuiltIns supplies built-in definitions the inputs do not hold, by
// definition ID (kvguard's own copies of Microsoft's built-ins).
type BuiltIns interface {
	BuiltIn(definitionID string) (*policy.Definition, bool)
}

// compile resolves every assignment into compiled policies. Problems are
// InputErrors naming the assignment and definition; the assignments that
// compile are kept.
func (s *Set) compile(builtIns BuiltIns) ([]*bound, []error) {
	var out []*bound
	var errs []error
	as := append([]*Assignment(nil), s.Assignments...)
	sort.SliceStable(as, func(i, j int) bool { return resource.Key(as[i].ID) < resource.Key(as[j].ID) })
	seen := map[string]bool{}
	for _, a := range as {
		if seen[resource.Key(a.ID)] {
			continue // the same assignment listed by two inputs
		}
		seen[resource.Key(a.ID)] = true
		if set, ok := s.SetDefinitions[resource.Key(a.PolicyDefinitionID)]; ok {
			bs, es := s.compileSet(a, set, builtIns)
			out, errs = append(out, bs...), append(errs, es...)
			continue
		}
		if isSetID(a.PolicyDefinitionID) {
			errs = append(errs, resource.Errorf(a.Pos, "policy assignment %s assigns the initiative %s, which is not in the inputs: add the output of az policy set-definition show --name %s (and its definitions)",
				a.ID, a.PolicyDefinitionID, lastSegment(a.PolicyDefinitionID)))
			continue
		}
		def, viaCat, err := s.definition(a.PolicyDefinitionID, builtIns)
		if err != nil {
			errs = append(errs, resource.Errorf(a.Pos, "policy assignment %s: %v", a.ID, err))
			continue
		}
		p, err := policy.Compile(def, a.Parameters)
		if err != nil {
			errs = append(errs, compileError(a, def, "", err))
			continue
		}
		out = append(out, &bound{a: a, def: def, p: p, viaCat: viaCat})
	}
	return out, errs
}

func isSetID(id string) bool {
	return strings.Contains(strings.ToLower(id), "/policysetdefinitions/")
}

func lastSegment(id string) string { return id[strings.LastIndexByte(id, '/')+1:] }

func (s *Set) definition(id string, builtIns BuiltIns) (*policy.Definition, bool, error) {
	if d, ok := s.Definitions[resource.Key(id)]; ok {
		return d, false, nil
	}
	if builtIns != nil {
		if d, ok := builtIns.BuiltIn(id); ok {
			return d, true, nil
		}
	}
	return nil, false, fmt.Errorf("policy definition %s is not in the inputs: add the output of az policy definition show --name %s", id, lastSegment(id))
}

// compileError names the definition (its ID) that uses what the engine
// lacks, and the assignment that assigns it.
func compileError(a *Assignment, def *policy.Definition, ref string, err error) error {
	member := ""
	if ref != "" {
		member = " (member " + ref + ")"
	}
	var ie *resource.InputError
	pos := a.Pos
	if errors.As(err, &ie) && ie.Pos.File != "" {
		pos = ie.Pos
		err = errors.New(ie.Msg)
	}
	if !supportedMode(def.Mode) {
		// A mode for other resource providers (Kubernetes, Data Factory,
		// ...) cannot apply to the resources kvguard reads: say so, and
		// let the run go on without failing it.
		return resource.Warnf(pos, "policy definition %s%s, assigned by %s, is not judged: %v; it cannot apply to the resources kvguard reads", def.ID, member, a.ID, err)
	}
	return resource.Errorf(pos, "policy definition %s%s, assigned by %s, cannot be judged by kvguard: %v", def.ID, member, a.ID, err)
}

func supportedMode(m string) bool {
	switch strings.ToLower(m) {
	case "", "all", "indexed", "microsoft.keyvault.data", "microsoft.managedhsm.data":
		return true
	}
	return false
}

var paramRef = regexp.MustCompile(`^\[\s*parameters\(\s*'([^']+)'\s*\)\s*\]$`)

func (s *Set) compileSet(a *Assignment, set *SetDefinition, builtIns BuiltIns) ([]*bound, []error) {
	var errs []error
	// The initiative's parameters: the assignment's values over defaults.
	vals := map[string]any{}
	for k, p := range set.Parameters {
		if p.HasDefault {
			vals[k] = p.Default
		}
	}
	for name, v := range a.Parameters {
		if _, ok := set.Parameters[strings.ToLower(name)]; !ok {
			errs = append(errs, resource.Errorf(a.Pos, "policy assignment %s: initiative %s has no parameter %q", a.ID, set.ID, name))
			continue
		}
		vals[strings.ToLower(name)] = v
	}
	var out []*bound
	for _, m := range set.Members {
		def, viaCat, err := s.definition(m.DefinitionID, builtIns)
		if err != nil {
			errs = append(errs, resource.Errorf(m.Pos, "initiative %s member %s: %v", set.ID, m.ReferenceID, err))
			continue
		}
		params := map[string]any{}
		bad := false
		for name, raw := range m.Parameters {
			v, err := memberValue(raw, vals)
			if err != nil {
				errs = append(errs, resource.Errorf(m.Pos, "initiative %s member %s, parameter %s: %v", set.ID, m.ReferenceID, name, err))
				bad = true
				continue
			}
			params[name] = v
		}
		if bad {
			continue
		}
		p, err := policy.Compile(def, params)
		if err != nil {
			errs = append(errs, compileError(a, def, m.ReferenceID, err))
			continue
		}
		out = append(out, &bound{a: a, set: set, refID: m.ReferenceID, def: def, p: p, viaCat: viaCat})
	}
	return out, errs
}

// memberValue maps an initiative's parameter into a member definition's:
// [parameters('x')] takes the initiative's value; a literal is itself
// ([[ escapes a literal bracket). Other expressions are not evaluated.
func memberValue(raw any, vals map[string]any) (any, error) {
	s, ok := raw.(string)
	if !ok {
		return raw, nil
	}
	if strings.HasPrefix(s, "[[") {
		return s[1:], nil
	}
	if m := paramRef.FindStringSubmatch(s); m != nil {
		v, ok := vals[strings.ToLower(m[1])]
		if !ok {
			return nil, fmt.Errorf("the initiative has no value for parameter %s (no default and the assignment sets none)", m[1])
		}
		return v, nil
	}
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		return nil, fmt.Errorf("the expression %s is not supported (kvguard maps [parameters('name')] and literal values)", s)
	}
	return s, nil
}
