package terraform

import (
	"path/filepath"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// moduleInst is one instance of a module: the root, or module.kv["a"].
// Its named values are evaluated on demand and memoised.
type moduleInst struct {
	ev         *evaluator
	cfg        *moduleConfig
	addr       string // "" for the root, module.kv["a"].module.keys
	parent     *moduleInst
	call       *callDecl // the call in parent that made this instance
	callScope  *scope    // each/count of this instance, for its arguments
	ancestors  []string  // module directories from the root to here, symlinks resolved
	keyPath    string    // modules.json key: kv.keys
	pathModule string

	vars      map[string]*node
	locals    map[string]*node
	outputs   map[string]*node
	res       map[string]*resNode
	calls     map[string]*callNode
	providers map[string]string // provider configuration → subscription ID ("" unknown)
}

func (ev *evaluator) newInst(cfg *moduleConfig, parent *moduleInst, addr string) *moduleInst {
	m := &moduleInst{
		ev: ev, cfg: cfg, addr: addr, parent: parent,
		vars: map[string]*node{}, locals: map[string]*node{}, outputs: map[string]*node{},
		res: map[string]*resNode{}, calls: map[string]*callNode{}, providers: map[string]string{},
		pathModule: ".",
	}
	if rel, err := filepath.Rel(ev.rootAbs, cfg.absDir); err == nil {
		m.pathModule = filepath.ToSlash(rel)
	}
	if parent != nil {
		m.ancestors = append(append([]string(nil), parent.ancestors...), cfg.realDir)
	} else {
		m.ancestors = []string{cfg.realDir}
	}
	return m
}

// setupProviders records the subscription of each azurerm provider
// configuration: inherited from the caller (the default configuration
// implicitly, aliases through providers = {...}), then the module's own
// provider blocks.
func (m *moduleInst) setupProviders() {
	if p := m.parent; p != nil {
		if m.call.providers == nil {
			m.providers["azurerm"] = p.providers["azurerm"]
		}
		for child, parent := range m.call.providers {
			m.providers[child] = p.providers[parent]
		}
	}
	for _, pd := range m.cfg.providers {
		if pd.name != "azurerm" {
			continue
		}
		key := "azurerm"
		if pd.alias != "" {
			key += "." + pd.alias
		}
		m.providers[key] = ""
		c, _ := bodyContent(pd.body, "provider")
		if a := c.attr("subscription_id"); a != nil {
			if v, d := m.eval(a.Expr, nil); !d.HasErrors() {
				if v, _ := v.UnmarkDeep(); v.IsKnown() && !v.IsNull() && v.Type() == cty.String && v.AsString() != "" {
					m.providers[key] = v.AsString()
				}
			}
		}
	}
}

// variable is var.<name> in this instance.
func (m *moduleInst) variable(name string) cty.Value {
	decl := m.cfg.variables[name]
	if decl == nil {
		return unknownFrom(m.qual("var." + name))
	}
	n := m.vars[name]
	if n == nil {
		n = &node{}
		m.vars[name] = n
	}
	label := m.qual("var." + name)
	switch n.state {
	case done:
		return n.val
	case busy:
		return m.ev.cycle(label, decl.rng)
	}
	n.state = busy
	m.ev.enter(label)
	n.val = m.computeVariable(decl)
	m.ev.leave()
	n.state = done
	return n.val
}

// computeVariable takes, in Terraform's order of precedence, the value
// given (by the caller's argument, or for the root by -var, -var-file,
// *.auto.tfvars, terraform.tfvars), else the default, else unknown; then
// applies the type constraint with its optional() defaults.
func (m *moduleInst) computeVariable(decl *variableDecl) cty.Value {
	var v cty.Value
	set := false
	switch {
	case m.parent == nil:
		if raw, ok := m.ev.rootVals[decl.name]; ok {
			v, set = raw, true
		}
	case m.call.args[decl.name] != nil:
		a := m.call.args[decl.name]
		pv, d := m.parent.eval(a.Expr, m.callScope)
		if d.HasErrors() {
			pv = m.parent.failed(d, m.parent.refName(m.parent.exprText(a.Expr), nil))
		}
		v, set = pv, true
	}
	if set && v.IsKnown() && v.IsNull() && !decl.nullable {
		set = false
	}
	if !set {
		if decl.def == nil {
			v = unknownFrom(m.qual("var." + decl.name))
		} else {
			dv, d := decl.def.Value(nil)
			if d.HasErrors() {
				m.ev.diags(d)
				dv = unknownFrom(m.qual("var." + decl.name))
			}
			v = dv
		}
	}
	return m.ev.convertVar(decl, v)
}

// convertVar applies a variable's type constraint. A value that does not
// fit is kept as given, with a warning: Terraform would reject it, and
// kvguard still judges what it can.
func (ev *evaluator) convertVar(decl *variableDecl, v cty.Value) (out cty.Value) {
	if !decl.hasType {
		return v
	}
	defer func() {
		if r := recover(); r != nil {
			ev.log.DebugContext(ev.ctx, "type conversion failed", "variable", decl.name, "panic", r)
			out = v
		}
	}()
	if decl.defaults != nil {
		v = decl.defaults.Apply(v)
	}
	cv, err := convert.Convert(v, decl.typ)
	if err != nil {
		ev.warnf(pos(decl.rng), "value of variable %q does not match its type: %v", decl.name, err)
		return v
	}
	return cv
}

// local is local.<name>.
func (m *moduleInst) local(name string) cty.Value {
	a := m.cfg.locals[name]
	label := m.qual("local." + name)
	if a == nil {
		return unknownFrom(label)
	}
	n := m.locals[name]
	if n == nil {
		n = &node{}
		m.locals[name] = n
	}
	switch n.state {
	case done:
		return n.val
	case busy:
		return m.ev.cycle(label, a.NameRange)
	}
	n.state = busy
	m.ev.enter(label)
	v, d := m.eval(a.Expr, nil)
	if d.HasErrors() {
		v = m.failed(d, label)
	}
	m.ev.leave()
	n.val, n.state = v, done
	return v
}

// output is the value of output "<name>" of this instance.
func (m *moduleInst) output(name string) (cty.Value, bool) {
	a := m.cfg.outputs[name]
	if a == nil {
		return cty.NilVal, false
	}
	label := m.qual(name)
	n := m.outputs[name]
	if n == nil {
		n = &node{}
		m.outputs[name] = n
	}
	switch n.state {
	case done:
		return n.val, true
	case busy:
		return m.ev.cycle(m.qual("output."+name), a.NameRange), true
	}
	n.state = busy
	m.ev.enter(m.qual("output." + name))
	v, d := m.eval(a.Expr, nil)
	if d.HasErrors() {
		v = m.failed(d, label)
	}
	m.ev.leave()
	n.val, n.state = v, done
	return v, true
}

// allOutputs is the object of every output of the instance, as
// module.<name> evaluates to.
func (m *moduleInst) allOutputs() cty.Value {
	o := make(map[string]cty.Value, len(m.cfg.outputs))
	for name := range m.cfg.outputs {
		o[name], _ = m.output(name)
	}
	return cty.ObjectVal(o)
}
