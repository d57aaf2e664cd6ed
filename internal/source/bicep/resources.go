package bicep

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/kvguard/kvguard/internal/armexpr"
	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/source/bicep/syntax"
	"github.com/kvguard/kvguard/internal/source/internal/arm"
)

// declareResource registers a resource declaration (and its nested
// children) of fe.
func (fe *fileEval) declareResource(d *syntax.ResourceDecl, parent *resSym) (*resSym, error) {
	lit, ok := d.Type.Literal()
	if !ok {
		return nil, fe.errorf(d.Type.Pos(), "a resource type must be a literal string")
	}
	rs := &resSym{fe: fe, decl: d, parent: parent, children: map[string]*resSym{}}
	rs.typ, rs.version = splitType(lit)
	if parent != nil {
		if !strings.Contains(rs.typ, "/") {
			rs.typ = parent.typ + "/" + rs.typ
		}
		if rs.version == "" {
			rs.version = parent.version
		}
		rs.address = parent.address + "::" + d.Name.Name
	} else {
		rs.address = fe.prefix + d.Name.Name
	}
	switch b := d.Body.(type) {
	case *syntax.ObjectExpr:
		rs.body = b
	case *syntax.IfExpr:
		rs.cond, rs.body = b.Cond, b.Body
	case *syntax.ForExpr:
		rs.loop = b
		switch lb := b.Body.(type) {
		case *syntax.ObjectExpr:
			rs.body = lb
		case *syntax.IfExpr:
			rs.body = lb.Body
		}
	}
	if rs.body == nil {
		return nil, fe.errorf(d.Pos(), "resource %s has no body", d.Name.Name)
	}
	if prop(rs.body, "name") == nil && fe.hasExtensions() {
		rs.notARM = true
		fe.run.log.DebugContext(fe.run.ctx, "extension resource not evaluated", "file", fe.file.Name, "resource", rs.address, "type", rs.typ)
	}
	fe.resources = append(fe.resources, rs)
	for _, it := range rs.body.Items {
		if child, ok := it.(*syntax.ResourceDecl); ok {
			c, err := fe.declareResource(child, rs)
			if err != nil {
				continue
			}
			rs.children[child.Name.Name] = c
		}
	}
	return rs, nil
}

// instances evaluates the copies of a resource.
func (rs *resSym) instances() ([]*resInst, error) {
	switch rs.instState {
	case stateDone:
		return rs.insts, nil
	case stateBusy:
		return nil, rs.fe.errorf(rs.decl.Name.Pos(), "resource %s depends on itself", rs.decl.Name.Name)
	}
	rs.instState = stateBusy
	insts, err := rs.computeInstances()
	rs.insts, rs.instState = insts, stateDone
	return insts, err
}

func (rs *resSym) computeInstances() ([]*resInst, error) {
	fe := rs.fe
	if rs.notARM {
		return nil, nil
	}
	base := rs.lexicalScope()
	if rs.loop == nil {
		if !fe.take(1, rs.decl) {
			return nil, nil
		}
		inst := &resInst{sym: rs, index: -1, sc: base}
		if err := rs.fill(inst); err != nil {
			return nil, err
		}
		return []*resInst{inst}, nil
	}
	items, ok, err := fe.iterate(rs.loop, base)
	if err != nil {
		return nil, fe.fail(rs.loop.Iter, err)
	}
	if !ok {
		// As Terraform's reader does for a count not known before apply:
		// one placeholder copy, addressed [*], judged once.
		rs.unknownCount = true
		if !fe.take(1, rs.loop) {
			return nil, nil
		}
		inst := &resInst{sym: rs, index: 0, placeholder: true, sc: fe.placeholderScope(rs.loop, base, rs.decl.Name.Name)}
		if err := rs.fill(inst); err != nil {
			return nil, err
		}
		return []*resInst{inst}, nil
	}
	if !fe.take(len(items), rs.loop) {
		return nil, nil
	}
	insts := make([]*resInst, 0, len(items))
	for i, item := range items {
		inst := &resInst{sym: rs, index: i, sc: loopScope(rs.loop, base, item, i)}
		if err := rs.fill(inst); err != nil {
			return insts, err
		}
		insts = append(insts, inst)
	}
	return insts, nil
}

// fill computes an instance's condition, parent, scope, names and ID.
func (rs *resSym) fill(inst *resInst) error {
	fe := rs.fe
	inst.cond = true
	cond := rs.cond
	if rs.loop != nil {
		if c, ok := rs.loop.Body.(*syntax.IfExpr); ok {
			cond = c.Cond
		}
	}
	if cond != nil {
		v, err := fe.value(cond, inst.sc)
		if err != nil {
			return fe.fail(cond, err)
		}
		inst.cond = v
	}
	if err := rs.resolveParent(inst); err != nil {
		return err
	}
	if err := rs.resolveScope(inst); err != nil {
		return err
	}
	if err := rs.resolveName(inst); err != nil {
		return err
	}
	inst.id, inst.docType, inst.extScope = arm.BuildID(inst.chain, inst.extScope, inst.tgt, rs.typ, inst.name)
	return nil
}

func (rs *resSym) resolveParent(inst *resInst) error {
	fe := rs.fe
	if rs.parent != nil {
		ps, err := rs.parent.instances()
		if err != nil {
			return err
		}
		if len(ps) != 1 {
			return fe.errorf(rs.decl.Pos(), "a nested resource cannot be declared in a looped resource")
		}
		inst.parent = ps[0]
		return nil
	}
	p := prop(rs.body, "parent")
	if p == nil {
		return nil
	}
	v, err := fe.eval(p.Value, inst.sc)
	if err != nil {
		return fe.fail(p.Value, err)
	}
	ref, ok := v.(*resRef)
	if !ok {
		return fe.errorf(p.Value.Pos(), "parent must be a resource symbol")
	}
	pi, err := ref.instance(p.Value)
	if err != nil {
		return err
	}
	inst.parent = pi
	return nil
}

func (rs *resSym) resolveName(inst *resInst) error {
	fe := rs.fe
	p := prop(rs.body, "name")
	if p == nil {
		return fe.errorf(rs.decl.Name.Pos(), "resource %s has no name", rs.decl.Name.Name)
	}
	own, err := fe.value(p.Value, inst.sc)
	if err != nil {
		own = resource.Unknown{Expr: fe.text(p.Value)}
		_ = fe.fail(p.Value, err)
	}
	inst.ownVal = own
	inst.own = own
	if armexpr.ContainsUnknown(own) {
		if alt, err := fe.mode(true).value(p.Value, inst.sc); err == nil {
			inst.own = alt
		}
	}
	ownName := nameString(inst.own)
	if u, ok := inst.own.(resource.Unknown); ok && inst.index >= 0 {
		// Copies whose names are unknown are still different resources:
		// keep their IDs apart.
		ownName = fmt.Sprintf("[%s (copy %s)]", u.Expr, inst.copyIndex())
	}
	if inst.parent == nil && !isString(inst.own) {
		inst.badName = "its name is an expression kvguard cannot evaluate"
	}
	if inst.parent == nil {
		inst.nameVal, inst.name = own, ownName
		inst.idKnown = inst.idKnown && !armexpr.ContainsUnknown(own)
		if s, ok := own.(string); ok && strings.Count(s, "/") < strings.Count(rs.typ, "/")-1 {
			// The compiler builds the ID from split(name, '/')[i], one
			// segment per type segment: too few is an error at deployment.
			inst.idErr = fmt.Sprintf("the name %q has fewer segments than the type %s needs", s, rs.typ)
		}
		return nil
	}
	nameVal, err := fe.callBuiltin(p.Value, "format", "{0}/{1}", inst.parent.nameVal, own)
	if err != nil {
		return fe.fail(p.Value, err)
	}
	inst.nameVal = nameVal
	inst.name = inst.parent.name + "/" + ownName
	inst.idKnown = inst.idKnown && inst.parent.idKnown && !armexpr.ContainsUnknown(own)
	return nil
}

// instance resolves a reference to one copy of a resource.
func (r *resRef) instance(at syntax.Node) (*resInst, error) {
	if r.unknownIdx != nil {
		return r.sym.anyCopy(*r.unknownIdx)
	}
	insts, err := r.sym.instances()
	if err != nil {
		return nil, err
	}
	switch {
	case r.index < 0 && r.sym.loop != nil:
		return nil, r.sym.fe.errorf(at.Pos(), "%s is a loop: use an index, e.g. %s[0]", r.sym.decl.Name.Name, r.sym.decl.Name.Name)
	case r.sym.unknownCount || r.sym.notARM:
		return nil, &unknownInstance{}
	case r.index < 0 && len(insts) == 1:
		return insts[0], nil
	case r.index >= 0 && r.index < len(insts):
		return insts[r.index], nil
	case len(insts) == 0 && r.sym.fe.run.budget.Spent():
		return nil, &unknownInstance{}
	}
	return nil, r.sym.fe.errorf(at.Pos(), "%s has %d copies; index %d is out of range", r.sym.decl.Name.Name, len(insts), r.index)
}

// body evaluates what the compiled template would hold for the instance:
// every property but name, parent, scope and dependsOn (which become the
// name, the ID and the deployment order).
func (rs *resSym) bodyOf(inst *resInst) (map[string]any, error) {
	fe := rs.fe
	out := map[string]any{}
	for _, it := range rs.body.Items {
		p, ok := it.(*syntax.ObjectProp)
		if !ok {
			continue
		}
		if p.Spread {
			return nil, fe.errorf(p.Pos(), "a spread is not allowed in a resource body")
		}
		key, ok := p.KeyName()
		if !ok {
			return nil, fe.errorf(p.Key.Pos(), "a resource property name must be a literal")
		}
		switch key {
		case "name", "parent", "scope", "dependsOn":
			continue
		}
		v, err := fe.value(p.Value, inst.sc)
		if err != nil {
			_ = fe.fail(p.Value, err)
			v = resource.Unknown{Expr: fe.text(p.Value)}
		}
		out[key] = v
	}
	return out, nil
}

// address renders the instance's address: sym, sym[2], sym[*] (the
// placeholder copy of a loop over an unknown collection), parent::sym.
func (inst *resInst) address() string {
	a := inst.sym.address
	if inst.index >= 0 {
		a += "[" + inst.copyIndex() + "]"
	}
	return a
}

// copyIndex is the copy's index as addresses write it: 2, or * for the
// placeholder copy.
func (inst *resInst) copyIndex() string {
	if inst.placeholder {
		return "*"
	}
	return strconv.Itoa(inst.index)
}

// maybe says why the instance may not exist at all, or "".
func (inst *resInst) maybe() string {
	if inst.placeholder {
		return "the number of copies of " + inst.address() + " is not known before deployment"
	}
	if inst.parent != nil && inst.parent.maybe() != "" {
		return inst.parent.maybe()
	}
	return inst.sym.fe.maybe
}

func isString(v any) bool {
	_, ok := v.(string)
	return ok
}

// hasExtensions reports whether the file declares an extension other than
// az (Microsoft Graph, Kubernetes, ...), whose resources are not ARM's.
func (fe *fileEval) hasExtensions() bool {
	for _, d := range fe.file.Decls {
		x, ok := d.(*syntax.ExtensionDecl)
		if !ok {
			continue
		}
		if id, ok := x.Spec.(*syntax.Ident); ok && id.Name == "az" {
			continue
		}
		return true
	}
	return false
}

// lexicalScope binds the nested resources visible in a resource's body:
// its own children and those of its ancestors, nearer ones shadowing.
func (rs *resSym) lexicalScope() *locals {
	var chain []*resSym
	for p := rs; p != nil; p = p.parent {
		chain = append(chain, p)
	}
	var sc *locals
	for i := len(chain) - 1; i >= 0; i-- {
		for name, child := range chain[i].children {
			sc = sc.bind(name, &resRef{sym: child, index: -1})
		}
	}
	return sc
}

// asScope is the scope a resource provides to what is deployed into it: a
// resource group or management group resource is that scope; anything
// else is the target of extension resources.
func (fe *fileEval) asScope(inst *resInst) scopeRef {
	own := inst.ownVal
	if fe.names {
		own = inst.own
	}
	switch strings.ToLower(inst.sym.typ) {
	case "microsoft.resources/resourcegroups":
		return scopeRef{kind: scopeResourceGroup, sub: inst.tgt.Subscription, rg: own}
	case "microsoft.management/managementgroups":
		return scopeRef{kind: scopeManagementGroup, mg: own}
	case "microsoft.resources/subscriptions", "microsoft.subscription/aliases":
		return scopeRef{kind: scopeSubscription, sub: own}
	}
	if !fe.names && !inst.idKnown {
		return scopeRef{kind: scopeExtension, id: resource.Unknown{Expr: inst.sym.decl.Name.Name + ".id"}}
	}
	return scopeRef{kind: scopeExtension, id: inst.id}
}

// resolveScope sets the instance's target and the ID its type chain hangs
// from: its parent's, its scope property's (an extended resource, or a
// resource group, subscription, management group or the tenant), or the
// file's target.
func (rs *resSym) resolveScope(inst *resInst) error {
	fe := rs.fe
	if inst.parent != nil {
		p := inst.parent
		inst.tgt, inst.chain, inst.extScope, inst.idKnown = p.tgt, p.chain, p.extScope, p.idKnown
		return nil
	}
	inst.tgt = targetOf(fe.dep)
	inst.idKnown = true
	p := prop(rs.body, "scope")
	if p == nil {
		inst.chain = inst.tgt.ID()
		return nil
	}
	vs, ns, err := fe.evalScopeBoth(p.Value, inst.sc)
	if err != nil {
		return fe.fail(p.Value, err)
	}
	if ns.kind == scopeExtension {
		inst.chain = nameString(ns.id)
		if !strings.HasPrefix(inst.chain, "/") {
			// An unknown scope hangs from the target, as a relative ID
			// would (the ARM template reader's rule).
			inst.chain = inst.tgt.ID() + "/providers/" + inst.chain
		}
		inst.extScope = inst.chain
		inst.idKnown = !armexpr.ContainsUnknown(vs.id)
		return nil
	}
	inst.tgt = applyScope(inst.tgt, ns)
	inst.chain = inst.tgt.ID()
	inst.idKnown = !armexpr.ContainsUnknown([]any{vs.sub, vs.rg, vs.mg})
	return nil
}
