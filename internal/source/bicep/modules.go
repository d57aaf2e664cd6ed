package bicep

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/kvguard/kvguard/internal/armexpr"
	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/source/bicep/syntax"
	"github.com/kvguard/kvguard/internal/source/internal/arm"
)

func (fe *fileEval) declareModule(d *syntax.ModuleDecl) {
	ms := &modSym{fe: fe, decl: d, address: fe.prefix + d.Name.Name}
	lit, ok := d.Path.Literal()
	if !ok {
		_ = fe.errorf(d.Path.Pos(), "a module path must be a literal string")
		return
	}
	ms.path = lit
	switch b := d.Body.(type) {
	case *syntax.ObjectExpr:
		ms.body = b
	case *syntax.IfExpr:
		ms.cond, ms.body = b.Cond, b.Body
	case *syntax.ForExpr:
		ms.loop = b
		switch lb := b.Body.(type) {
		case *syntax.ObjectExpr:
			ms.body = lb
		case *syntax.IfExpr:
			ms.body = lb.Body
		}
	}
	if ms.body == nil {
		_ = fe.errorf(d.Pos(), "module %s has no body", d.Name.Name)
		return
	}
	if isRegistryPath(lit) {
		path, root, why := fe.run.cachedModule(lit, fe.file.Name)
		if why != "" {
			ms.registry, ms.notRead = true, why
			fe.run.report(resource.Warnf(fe.position(d.Path.Pos()), "registry module %s not followed: %s; what it deploys for the vaults it is handed is unknown", lit, why))
		} else {
			ms.target, ms.cache = path, root
			fe.run.log.InfoContext(fe.run.ctx, "registry module read from the Bicep restore cache", "module", lit, "file", path)
		}
	} else {
		ms.target = filepath.Join(filepath.Dir(fe.file.Name), filepath.FromSlash(lit))
	}
	fe.modules = append(fe.modules, ms)
	fe.syms[d.Name.Name] = &symbol{kind: symModule, name: d.Name.Name, pos: d.Name.Pos(), owner: fe, mod: ms}
}

// instances evaluates the copies of a module.
func (ms *modSym) instances() ([]*modInst, error) {
	switch ms.state {
	case stateDone:
		return ms.insts, nil
	case stateBusy:
		return nil, ms.fe.errorf(ms.decl.Name.Pos(), "module %s depends on itself", ms.decl.Name.Name)
	}
	ms.state = stateBusy
	insts, err := ms.computeInstances()
	ms.insts, ms.state = insts, stateDone
	return insts, err
}

func (ms *modSym) computeInstances() ([]*modInst, error) {
	fe := ms.fe
	if ms.loop == nil {
		if !fe.take(1, ms.decl) {
			return nil, nil
		}
		inst := &modInst{sym: ms, index: -1}
		if err := ms.fill(inst); err != nil {
			return nil, err
		}
		return []*modInst{inst}, nil
	}
	items, ok, err := fe.iterate(ms.loop, nil)
	if err != nil {
		return nil, fe.fail(ms.loop.Iter, err)
	}
	if !ok {
		// One placeholder copy, addressed [*], as for resources.
		ms.unknownCount = true
		fe.run.report(resource.Warnf(fe.position(ms.loop.Iter.Pos()), "module %s loops over a collection that is not known before deployment; kvguard evaluates it once, as %s[*]", ms.decl.Name.Name, ms.address))
		if !fe.take(1, ms.loop) {
			return nil, nil
		}
		inst := &modInst{sym: ms, index: 0, placeholder: true, sc: fe.placeholderScope(ms.loop, nil, ms.decl.Name.Name)}
		if err := ms.fill(inst); err != nil {
			return nil, err
		}
		return []*modInst{inst}, nil
	}
	if !fe.take(len(items), ms.loop) {
		return nil, nil
	}
	insts := make([]*modInst, 0, len(items))
	for i, item := range items {
		inst := &modInst{sym: ms, index: i, sc: loopScope(ms.loop, nil, item, i)}
		if err := ms.fill(inst); err != nil {
			return insts, err
		}
		insts = append(insts, inst)
	}
	return insts, nil
}

// fill computes a copy's condition, deployment name and scope.
func (ms *modSym) fill(inst *modInst) error {
	fe := ms.fe
	inst.cond = true
	cond := ms.cond
	if ms.loop != nil {
		if c, ok := ms.loop.Body.(*syntax.IfExpr); ok {
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
	if p := prop(ms.body, "name"); p != nil {
		v, err := fe.value(p.Value, inst.sc)
		if err != nil {
			_ = fe.fail(p.Value, err)
			v = resource.Unknown{Expr: fe.text(p.Value)}
		}
		inst.name = v
		inst.nameStr = nameString(v)
		if armexpr.ContainsUnknown(v) {
			if alt, err := fe.mode(true).value(p.Value, inst.sc); err == nil {
				inst.nameStr = nameString(alt)
			}
		}
	} else {
		inst.name = fe.generatedModuleName(ms, inst)
		inst.nameStr = nameString(inst.name)
	}
	inst.tgt = targetOf(fe.dep)
	if p := prop(ms.body, "scope"); p != nil {
		_, s, err := fe.evalScopeBoth(p.Value, inst.sc)
		if err != nil {
			return fe.fail(p.Value, err)
		}
		if s.kind == scopeExtension {
			return fe.errorf(p.Value.Pos(), "a module's scope must be a resource group, subscription, management group or the tenant")
		}
		inst.tgt = applyScope(inst.tgt, s)
	}
	return nil
}

// generatedModuleName is the name the compiler gives a module without
// one: '<symbol>-<uniqueString(symbol, deployment().name)>' (with the copy
// index in a loop), the symbol cut to fit 64 characters.
func (fe *fileEval) generatedModuleName(ms *modSym, inst *modInst) any {
	name := ms.decl.Name.Name
	hash, err := fe.callBuiltin(ms.decl.Name, "uniqueString", name, fe.dep.DeploymentName)
	if err != nil {
		return resource.Unknown{Expr: name + ".name"}
	}
	h, _ := hash.(string)
	if inst.index >= 0 {
		prefix := name[:min(len(name), 64-(3+13+2))]
		return fmt.Sprintf("%s-%d-%s", prefix, inst.index, h)
	}
	prefix := name[:min(len(name), 64-(13+1))]
	return prefix + "-" + h
}

// instance resolves a module reference to one copy.
func (r *modRef) instance(at syntax.Node) (*modInst, error) {
	insts, err := r.sym.instances()
	if err != nil {
		return nil, err
	}
	switch {
	case r.index < 0 && r.sym.loop != nil:
		return nil, r.sym.fe.errorf(at.Pos(), "%s is a loop: use an index, e.g. %s[0]", r.sym.decl.Name.Name, r.sym.decl.Name.Name)
	case r.sym.unknownCount:
		return nil, &unknownInstance{}
	case r.index < 0 && len(insts) == 1:
		return insts[0], nil
	case r.index >= 0 && r.index < len(insts):
		return insts[r.index], nil
	}
	return nil, &unknownInstance{}
}

// moduleProperty is mod.name or mod.outputs.
func (fe *fileEval) moduleProperty(r *modRef, x *syntax.PropertyExpr) (any, error) {
	inst, err := r.instance(x.X)
	if err != nil {
		if _, ok := err.(*unknownInstance); ok {
			return fe.unknownAt(x), nil
		}
		return nil, err
	}
	switch x.Name.Name {
	case "name":
		if resource.IsUnknown(inst.name) {
			return fe.unknownAt(x), nil
		}
		return inst.name, nil
	case "outputs":
		return fe.moduleOutputs(inst, x)
	}
	return nil, &evalError{pos: x.Name.Pos(), msg: fmt.Sprintf("a module has only name and outputs, not %q", x.Name.Name)}
}

// moduleOutputs evaluates the outputs of a module copy, each unknown when
// the module cannot be evaluated.
func (fe *fileEval) moduleOutputs(inst *modInst, x *syntax.PropertyExpr) (any, error) {
	child, err := fe.moduleChild(inst)
	if inst.nested != nil {
		out := inst.nested.Outputs()
		for k, v := range out {
			if resource.IsUnknown(v) {
				out[k] = resource.Unknown{Expr: fe.text(x) + "." + k}
			}
		}
		return out, nil
	}
	if err != nil || child == nil {
		return fe.unknownAt(x), nil //nolint:nilerr // outputs of a module that cannot be evaluated are unknown; the module's own error is reported where it is read
	}
	out := map[string]any{}
	for _, d := range child.file.Decls {
		o, ok := d.(*syntax.OutputDecl)
		if !ok {
			continue
		}
		v, err := child.outputValue(o)
		if err != nil {
			v = resource.Unknown{Expr: fe.text(x) + "." + o.Name.Name}
		}
		if u, ok := v.(resource.Unknown); ok {
			u.Expr = fe.text(x) + "." + o.Name.Name
			v = u
		}
		out[o.Name.Name] = v
	}
	return out, nil
}

// outputValue evaluates an output of a file instance.
func (fe *fileEval) outputValue(o *syntax.OutputDecl) (any, error) {
	if f, ok := o.Value.(*syntax.ForExpr); ok {
		return fe.value(f, nil)
	}
	v, err := fe.value(o.Value, nil)
	if err != nil {
		return nil, fe.fail(o.Value, err)
	}
	return v, nil
}

// moduleChild loads and prepares the file instance of a module copy. A
// module written as an ARM template gives no file instance: it is
// prepared as inst.nested instead.
func (fe *fileEval) moduleChild(inst *modInst) (*fileEval, error) {
	if inst.child != nil || inst.nested != nil || inst.failed || inst.sym.registry || inst.sym.target == "" {
		return inst.child, nil
	}
	ms := inst.sym
	if fe.depth+1 > maxModuleDepth {
		inst.failed = true
		return nil, fe.errorf(ms.decl.Path.Pos(), "modules nested more than %d deep", maxModuleDepth)
	}
	if cycle := fe.moduleCycle(ms.target); cycle != "" {
		inst.failed = true
		return nil, fe.errorf(ms.decl.Path.Pos(), "module cycle: %s; Azure cannot deploy it, and the module is not read", cycle)
	}
	switch strings.ToLower(filepath.Ext(ms.target)) {
	case ".bicep":
	case ".json", ".jsonc":
		return nil, fe.templateModule(inst)
	default:
		fe.run.report(resource.Warnf(fe.position(ms.decl.Path.Pos()), "module %s is not a Bicep file or an ARM template; its resources are not evaluated", ms.path))
		ms.registry, ms.notRead = true, "it is not a Bicep file or an ARM template"
		return nil, nil
	}
	pf, err := fe.run.parseFile(ms.target)
	if err != nil {
		inst.failed, inst.notRead = true, err.Error()
		return nil, fe.errorf(ms.decl.Path.Pos(), "module %s: %v", ms.path, err)
	}
	params, alts, err := fe.moduleParams(inst)
	if err != nil {
		return nil, err
	}
	dep := fe.moduleDeployment(inst)
	child, err := fe.run.newFileEval(pf, dep, params, inst.address()+"::", fe.depth+1)
	if err != nil {
		return nil, err
	}
	child.providedAlt = alts
	child.caller = fe
	child.maybe = inst.maybe()
	inst.child = child
	return child, nil
}

// markUnfollowed records a module copy that was not read: every vault it
// is handed (by reference, or a value holding its ID or name) may get
// secrets, keys, endpoints or diagnostic settings from it, so the Mapper
// marks those vaults and what depends on such resources is Unknown.
func (fe *fileEval) markUnfollowed(inst *modInst, why string) {
	if inst.marked {
		return
	}
	inst.marked = true
	u := arm.Unfollowed{Module: fmt.Sprintf("module %s (%s)", inst.address(), inst.sym.path), Why: why}
	if p := prop(inst.sym.body, "params"); p != nil {
		v, err := fe.mode(true).value(p.Value, inst.sc)
		switch {
		case err != nil || resource.IsUnknown(v):
			u.All = true
		default:
			u.Values = []any{v}
		}
		u.Vaults = fe.vaultRefs(p.Value)
	}
	fe.run.mapper.Unfollowed(u)
}

// vaultRefs are the IDs of the vaults (and managed HSMs) an expression
// refers to by their symbols.
func (fe *fileEval) vaultRefs(e syntax.Expr) []string {
	var ids []string
	syntax.Walk(e, func(n syntax.Node) bool {
		id, ok := n.(*syntax.Ident)
		if !ok {
			return true
		}
		s := fe.syms[id.Name]
		if s == nil || s.kind != symResource || !isVault(s.res.typ) {
			return true
		}
		insts, err := s.res.instances()
		if err != nil {
			return true
		}
		for _, inst := range insts {
			ids = append(ids, inst.id)
		}
		return true
	})
	return ids
}

func isVault(typ string) bool {
	return strings.EqualFold(typ, resource.TypeVault) || strings.EqualFold(typ, resource.TypeManagedHSM)
}

// moduleCycle names the cycle a module call would close: the files from
// the one target is (a.bicep → b.bicep → a.bicep), or "" when target is
// not among the callers.
func (fe *fileEval) moduleCycle(target string) string {
	var chain []string
	for anc := fe; anc != nil; anc = anc.caller {
		chain = append(chain, anc.file.Name)
		if sameFile(anc.file.Name, target) {
			slices.Reverse(chain)
			return strings.Join(append(chain, target), " → ")
		}
	}
	return ""
}

// templateModule prepares a module written as an ARM template (module m
// './vault.json' = {...}): the ARM template reader evaluates it as the
// nested deployment the compiler makes of it, with this copy's
// parameters, into the same documents.
func (fe *fileEval) templateModule(inst *modInst) error {
	ms := inst.sym
	params, alts, err := fe.moduleParams(inst)
	if err != nil {
		inst.failed = true
		return err
	}
	names := map[string]string{}
	for k, v := range alts {
		if s, ok := v.(string); ok {
			names[k] = s
		}
	}
	n, ie := fe.run.armEngine().Nest(fe.run.ctx, arm.Deployment{
		Path: ms.target, Parameters: params, NameParameters: names, ReadRoot: ms.cache,
		Context: fe.moduleDeployment(inst), Address: inst.address() + "::", Maybe: inst.maybe(),
	}, fe.run.mapper, fe.run.report)
	if ie != nil {
		inst.failed, inst.notRead = true, ie.Msg
		if ie.Pos.Line > 0 {
			fe.run.report(ie)
			return errReported
		}
		return fe.errorf(ms.decl.Path.Pos(), "module %s: %s", ms.path, ie.Msg)
	}
	inst.nested = n
	return nil
}

// address is the copy's address: mod, or mod[2] in a loop, mod[*] for
// the placeholder copy of a loop over an unknown collection.
func (inst *modInst) address() string {
	switch {
	case inst.placeholder:
		return inst.sym.address + "[*]"
	case inst.index >= 0:
		return fmt.Sprintf("%s[%d]", inst.sym.address, inst.index)
	}
	return inst.sym.address
}

// maybe says why the module copy may not be deployed at all, or "".
func (inst *modInst) maybe() string {
	if inst.placeholder {
		return "the number of copies of " + inst.address() + " is not known before deployment"
	}
	return inst.sym.fe.maybe
}

// moduleParams evaluates a module copy's params object, and, for a
// parameter whose value holds unknowns, its names-mode value (as the ARM
// template reader does for the parameters of a nested deployment).
func (fe *fileEval) moduleParams(inst *modInst) (values, alts map[string]any, err error) {
	p := prop(inst.sym.body, "params")
	if p == nil {
		return map[string]any{}, nil, nil
	}
	v, err := fe.value(p.Value, inst.sc)
	if err != nil {
		_ = fe.fail(p.Value, err)
		return map[string]any{}, nil, nil
	}
	switch m := v.(type) {
	case map[string]any:
		alts = map[string]any{}
		if obj, ok := p.Value.(*syntax.ObjectExpr); ok {
			for _, it := range obj.Items {
				pp, ok := it.(*syntax.ObjectProp)
				if !ok || pp.Spread {
					continue
				}
				k, ok := pp.KeyName()
				if !ok || !armexpr.ContainsUnknown(m[k]) {
					continue
				}
				if alt, err := fe.mode(true).value(pp.Value, inst.sc); err == nil {
					if s, ok := alt.(string); ok {
						alts[k] = s
					}
				}
			}
		}
		return m, alts, nil
	case resource.Unknown:
		return nil, nil, nil
	}
	return nil, nil, fe.errorf(p.Value.Pos(), "params must be an object")
}

// moduleDeployment is the deployment context inside a module copy: the
// nested deployment's name and target.
func (fe *fileEval) moduleDeployment(inst *modInst) armexpr.Deployment {
	return inst.tgt.Deployment(fe.dep, inst.nameStr)
}
