package bicep

import (
	"fmt"
	"strings"

	"github.com/kvguard/kvguard/internal/armexpr"
	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/source/bicep/syntax"
)

// applyScope moves a target to the scope a scope: value names (names mode).
func applyScope(t target, s scopeRef) target {
	switch s.kind {
	case scopeResourceGroup:
		t.Kind, t.ResourceGroup = armexpr.ScopeResourceGroup, nameString(s.rg)
		if s.sub != nil {
			t.Subscription = nameString(s.sub)
		}
	case scopeSubscription:
		t.Kind = armexpr.ScopeSubscription
		if s.sub != nil {
			t.Subscription = nameString(s.sub)
		}
	case scopeManagementGroup:
		t.Kind = armexpr.ScopeManagementGroup
		if s.mg != nil {
			t.ManagementGroup = nameString(s.mg)
		}
	case scopeTenant:
		t.Kind = armexpr.ScopeTenant
	}
	return t
}

// fileScope is the target scope of the file instance, as a scope value.
func (fe *fileEval) fileScope() scopeRef {
	d := fe.dep
	switch strings.ToLower(d.Scope) {
	case strings.ToLower(armexpr.ScopeSubscription):
		return scopeRef{kind: scopeSubscription, sub: d.SubscriptionID}
	case strings.ToLower(armexpr.ScopeManagementGroup):
		mg := d.ManagementGroup
		if mg == "" {
			mg = armexpr.DefaultManagementGroup
		}
		return scopeRef{kind: scopeManagementGroup, mg: mg, id: "/providers/Microsoft.Management/managementGroups/" + mg}
	case strings.ToLower(armexpr.ScopeTenant):
		return scopeRef{kind: scopeTenant}
	}
	return scopeRef{kind: scopeResourceGroup, sub: d.SubscriptionID, rg: d.ResourceGroup}
}

// scopeCall evaluates resourceGroup(...), subscription(...),
// managementGroup(...) and tenant() as scopes.
func (fe *fileEval) scopeCall(c *syntax.CallExpr, sc *locals) (*scopeRef, error) {
	args, err := fe.args(c, sc)
	if err != nil {
		return nil, err
	}
	cur := fe.fileScope()
	out := &scopeRef{}
	bad := func() (*scopeRef, error) {
		return nil, &evalError{pos: c.Pos(), msg: fmt.Sprintf("%s() does not take %d arguments", c.Name.Name, len(args))}
	}
	sub := any(fe.dep.SubscriptionID)
	if cur.kind == scopeResourceGroup || cur.kind == scopeSubscription {
		sub = cur.sub
	}
	switch c.Name.Name {
	case "resourceGroup":
		out.kind = scopeResourceGroup
		switch len(args) {
		case 0:
			out.sub, out.rg = sub, cur.rg
			if cur.kind != scopeResourceGroup {
				out.rg = fe.dep.ResourceGroup
			}
		case 1:
			out.sub, out.rg = sub, args[0]
		case 2:
			out.sub, out.rg = args[0], args[1]
		default:
			return bad()
		}
	case "subscription":
		out.kind = scopeSubscription
		switch len(args) {
		case 0:
			out.sub = sub
		case 1:
			out.sub = args[0]
		default:
			return bad()
		}
	case "managementGroup":
		out.kind = scopeManagementGroup
		switch len(args) {
		case 0:
			out.mg = cur.mg
			if cur.kind != scopeManagementGroup {
				out.mg = armexpr.DefaultManagementGroup
			}
		case 1:
			out.mg = args[0]
		default:
			return bad()
		}
		out.id = concatID("/providers/Microsoft.Management/managementGroups/", out.mg)
	case "tenant":
		if len(args) != 0 {
			return bad()
		}
		out.kind = scopeTenant
	}
	return out, nil
}

// isScopeCall reports whether e is a call of a scope function, possibly
// namespace-qualified (az.resourceGroup('x')).
func (fe *fileEval) isScopeCall(e syntax.Expr) (*syntax.CallExpr, bool) {
	c, ok := e.(*syntax.CallExpr)
	if !ok {
		return nil, false
	}
	if c.Recv != nil {
		id, ok := c.Recv.(*syntax.Ident)
		if !ok || !isBuiltinNamespace(id.Name) {
			return nil, false
		}
		if _, declared := fe.syms[id.Name]; declared {
			return nil, false
		}
	}
	switch c.Name.Name {
	case "resourceGroup", "subscription", "managementGroup", "tenant":
		return c, true
	}
	return nil, false
}

// evalScope evaluates the value of a scope: property.
func (fe *fileEval) evalScope(e syntax.Expr, sc *locals) (scopeRef, error) {
	if c, ok := fe.isScopeCall(e); ok {
		s, err := fe.scopeCall(c, sc)
		if err != nil {
			return scopeRef{}, err
		}
		return *s, nil
	}
	v, err := fe.eval(e, sc)
	if err != nil {
		return scopeRef{}, err
	}
	switch x := v.(type) {
	case *scopeRef:
		return *x, nil
	case *resRef:
		inst, err := x.instance(e)
		if err != nil {
			if _, ok := err.(*unknownInstance); ok {
				return scopeRef{kind: scopeExtension, id: fe.unknownAt(e)}, nil
			}
			return scopeRef{}, err
		}
		return fe.asScope(inst), nil
	case *paramResource:
		return scopeRef{kind: scopeExtension, id: x.id}, nil
	case resource.Unknown:
		return scopeRef{kind: scopeExtension, id: x}, nil
	}
	return scopeRef{}, &evalError{pos: e.Pos(), msg: "scope must be a resource or a scope function (resourceGroup(), subscription(), ...)"}
}

// evalScopeBoth evaluates a scope: value in value mode, and in names mode
// when the value holds unknowns (falling back to the value when names
// mode fails, as the ARM template reader does).
func (fe *fileEval) evalScopeBoth(e syntax.Expr, sc *locals) (value, names scopeRef, err error) {
	value, err = fe.evalScope(e, sc)
	if err != nil {
		return value, value, err
	}
	names = value
	if armexpr.ContainsUnknown([]any{value.id, value.sub, value.rg, value.mg}) {
		if n, err := fe.mode(true).evalScope(e, sc); err == nil {
			names = n
		}
	}
	return value, names, nil
}
