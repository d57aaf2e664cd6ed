package bicep

import (
	"strings"

	"github.com/kvguard/kvguard/internal/armexpr"
	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/source/internal/arm"
)

// nestedDeployment prepares a Microsoft.Resources/deployments resource
// declared in Bicep with an inline template, once per copy: the ARM
// template reader evaluates the template, as it does the compiled one.
// The template's strings are literals (the compiler escapes "[...]"), so
// only what Bicep evaluated varies. It is nil when the deployment's
// template cannot be read (linked, or unknown); that is reported.
func (fe *fileEval) nestedDeployment(inst *resInst) *arm.Nested {
	switch inst.nestedState {
	case stateDone, stateBusy:
		return inst.nested
	}
	inst.nestedState = stateBusy
	defer func() { inst.nestedState = stateDone }()
	rs := inst.sym
	body, err := rs.bodyOf(inst)
	if err != nil {
		return nil
	}
	props, _ := resource.LookupFold(body, "properties")
	pm, ok := props.(map[string]any)
	if !ok {
		fe.run.report(resource.Warnf(fe.position(rs.decl.Name.Pos()), "the properties of nested deployment %s are unknown; its resources are not evaluated", inst.address()))
		return nil
	}
	tmpl, _ := resource.LookupFold(pm, "template")
	tm, ok := tmpl.(map[string]any)
	if !ok {
		what := "its template is unknown"
		if _, linked := resource.LookupFold(pm, "templateLink"); linked && tmpl == nil {
			what = "its template is linked (templateLink), not inline"
		}
		fe.run.report(resource.Warnf(fe.position(rs.decl.Name.Pos()), "the resources of nested deployment %s are not evaluated: %s", inst.address(), what))
		u := arm.Unfollowed{Module: "deployment " + inst.address(), Why: what, Vaults: fe.vaultRefs(rs.body)}
		if p := prop(rs.body, "properties"); p != nil {
			if v, err := fe.mode(true).value(p.Value, inst.sc); err == nil && !resource.IsUnknown(v) {
				u.Values = []any{v}
			} else {
				u.All = true
			}
		}
		fe.run.mapper.Unfollowed(u)
		return nil
	}
	params := map[string]any{}
	if ps, ok := lookupMap(pm, "parameters"); ok {
		for k, p := range ps {
			pv, _ := p.(map[string]any)
			v, ok := resource.LookupFold(pv, "value")
			if !ok {
				v = resource.Unknown{Expr: inst.address() + ".properties.parameters." + k}
			}
			params[k] = v
		}
	}
	mode, _ := resource.LookupFold(pm, "mode")
	name := inst.name[strings.LastIndexByte(inst.name, '/')+1:]
	n, ie := fe.run.armEngine().Nest(fe.run.ctx, arm.Deployment{
		Path: fe.file.Name, Template: armexpr.DeepCopy(tm).(map[string]any), Line: rs.decl.Pos().Line, EndLine: rs.decl.End().Line,
		Parameters: params, Context: inst.tgt.Deployment(fe.dep, name), Mode: mode,
		Address: inst.address() + "::", Kind: "bicep", Maybe: inst.maybe(),
	}, fe.run.mapper, fe.run.report)
	if ie != nil {
		fe.run.report(ie)
		return nil
	}
	inst.nested = n
	return n
}
