package terraform

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// needs collects what an expression refers to, so that eval builds a
// context holding only that: evaluating a module is lazy, and only the
// values an expression uses are computed.
type needs struct {
	vars, locals map[string]bool
	res          map[string]map[string]bool
	data         map[string]map[string]*dataNeed
	mods         map[string]*modNeed
}

type dataNeed struct {
	whole bool
	attrs map[string]bool
}

type modNeed struct {
	whole bool
	outs  map[string]bool
}

func attrAt(t hcl.Traversal, i int) string {
	if i >= len(t) {
		return ""
	}
	switch s := t[i].(type) {
	case hcl.TraverseAttr:
		return s.Name
	case hcl.TraverseRoot:
		return s.Name
	}
	return ""
}

// add records what traversal t refers to.
func (n *needs) add(t hcl.Traversal) {
	root := t.RootName()
	switch root {
	case "var", "local":
		name := attrAt(t, 1)
		if name == "" {
			return
		}
		set := &n.vars
		if root == "local" {
			set = &n.locals
		}
		if *set == nil {
			*set = map[string]bool{}
		}
		(*set)[name] = true
	case "module":
		name := attrAt(t, 1)
		if name == "" {
			return
		}
		if n.mods == nil {
			n.mods = map[string]*modNeed{}
		}
		mn := n.mods[name]
		if mn == nil {
			mn = &modNeed{outs: map[string]bool{}}
			n.mods[name] = mn
		}
		if out := attrAt(t, 2); out != "" {
			mn.outs[out] = true
		} else {
			mn.whole = true
		}
	case "data":
		typ, name := attrAt(t, 1), attrAt(t, 2)
		if typ == "" || name == "" {
			return
		}
		if n.data == nil {
			n.data = map[string]map[string]*dataNeed{}
		}
		if n.data[typ] == nil {
			n.data[typ] = map[string]*dataNeed{}
		}
		dn := n.data[typ][name]
		if dn == nil {
			dn = &dataNeed{attrs: map[string]bool{}}
			n.data[typ][name] = dn
		}
		if a := attrAt(t, 3); a != "" {
			dn.attrs[a] = true
		} else {
			dn.whole = true
		}
	default:
		name := attrAt(t, 1)
		if name == "" {
			return
		}
		if n.res == nil {
			n.res = map[string]map[string]bool{}
		}
		if n.res[root] == nil {
			n.res[root] = map[string]bool{}
		}
		n.res[root][name] = true
	}
}

// fill computes the values named in n into vars, in a fixed order: what
// is computed first decides which of two resources reaches the instance
// limit, or which member of a cycle is reported.
func (m *moduleInst) fill(vars map[string]cty.Value, n *needs) {
	if n.vars != nil {
		o := make(map[string]cty.Value, len(n.vars))
		for _, name := range sortedKeys(n.vars) {
			o[name] = m.variable(name)
		}
		vars["var"] = cty.ObjectVal(o)
	}
	if n.locals != nil {
		o := make(map[string]cty.Value, len(n.locals))
		for _, name := range sortedKeys(n.locals) {
			o[name] = m.local(name)
		}
		vars["local"] = cty.ObjectVal(o)
	}
	for _, typ := range sortedKeys(n.res) {
		names := n.res[typ]
		o := make(map[string]cty.Value, len(names))
		for _, name := range sortedKeys(names) {
			o[name] = m.resourceValue(typ + "." + name)
		}
		vars[typ] = cty.ObjectVal(o)
	}
	if n.data != nil {
		types := make(map[string]cty.Value, len(n.data))
		for _, typ := range sortedKeys(n.data) {
			names := n.data[typ]
			o := make(map[string]cty.Value, len(names))
			for _, name := range sortedKeys(names) {
				o[name] = m.dataValue(typ, name, names[name])
			}
			types[typ] = cty.ObjectVal(o)
		}
		vars["data"] = cty.ObjectVal(types)
	}
	if n.mods != nil {
		o := make(map[string]cty.Value, len(n.mods))
		for _, name := range sortedKeys(n.mods) {
			o[name] = m.moduleValue(name, n.mods[name])
		}
		vars["module"] = cty.ObjectVal(o)
	}
}
