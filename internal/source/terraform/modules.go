package terraform

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/zclconf/go-cty/cty"

	"github.com/kvguard/kvguard/internal/source/terraform/funcs"
)

// callNode is a module call of a module instance, expanded into child
// instances when its source could be followed.
type callNode struct {
	state    uint8
	decl     *callDecl
	followed bool
	// label and why name a call that was not followed, for the vaults
	// handed to it: module.pe (source "…"), "not on disk (…)".
	label, why string
	exp        expansion
	children   []*moduleInst
	whole      cty.Value
}

// callNode expands module call name once. It returns nil for an
// undeclared call or one reached again while being expanded.
func (m *moduleInst) callNode(name string) *callNode {
	decl := m.cfg.callByKey[name]
	if decl == nil {
		return nil
	}
	cn := m.calls[name]
	if cn == nil {
		cn = &callNode{decl: decl}
		m.calls[name] = cn
	}
	switch cn.state {
	case done:
		return cn
	case busy:
		m.ev.cycle(m.qual("module."+name), decl.defRange)
		return nil
	}
	cn.state = busy
	m.ev.enter(m.qual("module." + name))
	m.instantiate(cn)
	m.ev.leave()
	cn.state = done
	return cn
}

func (m *moduleInst) instantiate(cn *callNode) {
	decl := cn.decl
	dir, why := m.resolveSource(decl)
	if why != "" {
		cn.why = why
		cn.label = m.qual("module." + decl.name)
		if decl.source != "" {
			cn.label += " (" + strconv.Quote(decl.source)
			if decl.version != "" {
				cn.label += " version " + decl.version
			}
			cn.label += ")"
		}
		return
	}
	base := m.prefix() + "module." + decl.name
	cn.exp = m.expand(decl.count, decl.forEach, base, decl.defRange)
	if len(cn.exp.keys) == 0 {
		cn.followed = true
		return
	}
	cfg := m.ev.load(dir)
	keyPath := decl.name
	if m.keyPath != "" {
		keyPath = m.keyPath + "." + decl.name
	}
	for i := range cn.exp.keys {
		if m.ev.ctx.Err() != nil {
			break
		}
		sc, addr := cn.exp.instance(i, base)
		child := m.ev.newInst(cfg, m, addr)
		child.call, child.callScope, child.keyPath = decl, sc, keyPath
		child.setupProviders()
		cn.children = append(cn.children, child)
	}
	cn.followed = true
}

// isLocalSource reports whether a module source is a local path, which
// Terraform requires to start with ./ or ../.
func isLocalSource(s string) bool {
	return s == "." || s == ".." || strings.HasPrefix(s, "./") || strings.HasPrefix(s, "../") ||
		strings.HasPrefix(s, ".\\") || strings.HasPrefix(s, "..\\")
}

// resolveSource finds the directory of a module call: a local path, or
// what terraform init recorded in .terraform/modules/modules.json. When it
// cannot be followed (the problem is reported: a registry module not on
// disk as a warning), why says why.
func (m *moduleInst) resolveSource(decl *callDecl) (dir, why string) {
	src := decl.source
	if src == "" {
		return "", "its source is not a literal string"
	}
	if isLocalSource(src) {
		dir = filepath.Join(m.cfg.dir, src)
		if !isDir(dir) {
			m.ev.errorf(pos(decl.sourceRange), "module %q: directory %s does not exist", decl.name, dir)
			return "", "its directory does not exist"
		}
	} else {
		key := decl.name
		if m.keyPath != "" {
			key = m.keyPath + "." + decl.name
		}
		d, ok := m.ev.manifest[key]
		if ok {
			dir = filepath.Join(m.ev.rootDir, d)
		}
		if !ok || !isDir(dir) {
			ver := ""
			if decl.version != "" {
				ver = " version " + decl.version
			}
			m.ev.warnf(pos(decl.sourceRange), "%s: source %q%s is not on disk (run terraform init to fetch it); not followed, its resources are not judged and its outputs are unknown", m.qual("module."+decl.name), src, ver)
			return "", "not on disk: run terraform init to fetch it"
		}
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	abs = m.ev.dirs.real(abs) // a symlink to a caller's directory is that caller
	for _, a := range m.ancestors {
		if a == abs {
			m.ev.errorf(pos(decl.sourceRange), "%s: module cycle: %s; not followed", m.qual("module."+decl.name), m.cycleChain(abs, dir))
			return "", "it is part of a module cycle"
		}
	}
	if len(m.ancestors) >= maxModuleDepth {
		m.ev.errorf(pos(decl.sourceRange), "module %q: modules nested more than %d deep", decl.name, maxModuleDepth)
		return "", "modules are nested too deep"
	}
	return dir, ""
}

// cycleChain renders the module directories from the first one that is
// abs down to m, then dir again: "a → b → a".
func (m *moduleInst) cycleChain(abs, dir string) string {
	var chain []string
	for i := m; i != nil; i = i.parent {
		chain = append(chain, filepath.Clean(i.cfg.dir))
		if i.cfg.realDir == abs {
			break
		}
	}
	slices.Reverse(chain)
	return strings.Join(append(chain, filepath.Clean(dir)), " → ")
}

// moduleValue is what module.<name> (or the outputs of it that mn names)
// evaluates to.
func (m *moduleInst) moduleValue(name string, mn *modNeed) cty.Value {
	origin := m.qual("module." + name)
	cn := m.callNode(name)
	if cn == nil || !cn.followed {
		v := unknownFrom(origin)
		if cn != nil && cn.why != "" {
			v = v.Mark(unfollowedMark{module: cn.label, why: cn.why})
		}
		return v
	}
	if cn.exp.unknown {
		v := unknownFrom(origin)
		if len(cn.children) == 1 {
			outs := cn.children[0].allOutputs()
			_, links := marksOf(outs)
			for _, l := range links {
				v = v.Mark(linkMark(l))
			}
			for _, a := range vaultsOf(outs) {
				v = v.Mark(vaultMark(a))
			}
		}
		return v
	}
	if cn.exp.mode == expandNone && !mn.whole && len(cn.children) == 1 {
		o := make(map[string]cty.Value, len(mn.outs))
		for out := range mn.outs {
			if v, ok := cn.children[0].output(out); ok {
				o[out] = v
			}
		}
		return cty.ObjectVal(o)
	}
	if cn.whole != cty.NilVal {
		return cn.whole
	}
	objs := make([]cty.Value, len(cn.children))
	for i, ch := range cn.children {
		objs[i] = ch.allOutputs()
	}
	switch cn.exp.mode {
	case expandNone:
		if len(objs) == 1 {
			cn.whole = objs[0]
		} else {
			cn.whole = unknownFrom(origin)
		}
	case expandCount:
		if len(objs) == 0 {
			cn.whole = cty.EmptyTupleVal
		} else {
			cn.whole = cty.TupleVal(objs)
		}
	default:
		o := make(map[string]cty.Value, len(objs))
		for i, k := range cn.exp.keys[:len(objs)] {
			o[k.AsString()] = objs[i]
		}
		cn.whole = cty.ObjectVal(o)
	}
	return cn.whole
}

// readManifest reads .terraform/modules/modules.json, which terraform init
// writes: module key (kv, kv.keys) → directory relative to the root.
func readManifest(root string) map[string]string {
	p := filepath.Join(root, ".terraform", "modules", "modules.json")
	if funcs.Regular(p) != nil {
		return nil
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil
	}
	var mf struct {
		Modules []struct {
			Key string `json:"Key"`
			Dir string `json:"Dir"`
		} `json:"Modules"`
	}
	if json.Unmarshal(b, &mf) != nil {
		return nil
	}
	out := make(map[string]string, len(mf.Modules))
	for _, e := range mf.Modules {
		// terraform init keeps modules below the root; an entry leading
		// elsewhere is not followed.
		d := filepath.Clean(filepath.FromSlash(e.Dir))
		if e.Key != "" && e.Dir != "" && !filepath.IsAbs(d) && d != ".." && !strings.HasPrefix(d, ".."+string(filepath.Separator)) {
			out[e.Key] = filepath.FromSlash(e.Dir)
		}
	}
	return out
}

// readModule evaluates the root module in dir and returns its documents.
func (ev *evaluator) readModule() []*built {
	cfg := ev.load(ev.rootDir)
	ev.rootVals = ev.rootValues(cfg)
	root := ev.newInst(cfg, nil, "")
	root.setupProviders()
	var out []*built
	root.collect(&out)
	linkLiterals(out)
	out = joinParts(out)
	ev.markUnfollowed(out)
	ev.reportSkipped()
	return out
}

// collect maps every judged resource instance of m and of the modules it
// calls, in declaration order.
func (m *moduleInst) collect(out *[]*built) {
	for _, decl := range m.cfg.resources {
		if m.ev.ctx.Err() != nil {
			return
		}
		if !decl.managed || mappers[decl.typ] == nil {
			continue
		}
		rn := m.resourceNode(decl.key)
		for _, inst := range rn.instances {
			conv := &converter{m: m, links: map[string]string{}}
			in := &input{
				kind: "terraform", typ: decl.typ, address: inst.addr,
				attrs: inst.body.doc(conv, ""), links: conv.links,
				file: decl.defRange.Filename, start: decl.start, end: decl.end,
				sub: inst.sub, sups: decl.sups,
			}
			if strings.Contains(inst.addr, "[*]") {
				in.maybe = "the number of " + inst.addr + " is not known before apply"
			}
			if linkableTypes[decl.typ] != "" {
				m.noteUnfollowedName(inst)
			}
			m.checkRequired(decl, inst)
			if b := mapWithChoices(in); b != nil {
				*out = append(*out, b)
			}
		}
	}
	for _, call := range m.cfg.calls {
		if m.ev.ctx.Err() != nil {
			return
		}
		cn := m.callNode(call.name)
		if cn == nil {
			continue
		}
		if !cn.followed && cn.why != "" {
			m.noteUnfollowed(cn)
		}
		for _, ch := range cn.children {
			ch.collect(out)
		}
	}
	m.validate()
}

// validate evaluates the locals and outputs nothing judged needed, so
// that a cycle among them is reported as Terraform would report it.
func (m *moduleInst) validate() {
	for _, name := range sortedKeys(m.cfg.locals) {
		m.local(name)
	}
	for _, name := range sortedKeys(m.cfg.outputs) {
		m.output(name)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
