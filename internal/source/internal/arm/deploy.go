package arm

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/kvguard/kvguard/internal/armexpr"
	"github.com/kvguard/kvguard/internal/jsonpos"
	"github.com/kvguard/kvguard/internal/resource"
)

// deploymentRec is a nested deployment (Microsoft.Resources/deployments):
// its inner template frame, built on demand (to expand its resources, or
// to evaluate its outputs for a reference()).
type deploymentRec struct {
	inst     *instance
	parent   *frame
	inner    *frame
	state    int
	ran      bool
	outputs  any
	outState int
}

// expand evaluates a nested deployment's template.
func (f *frame) expand(inst *instance) {
	rec := inst.dep
	fr := rec.innerFrame()
	if fr == nil || rec.ran {
		return
	}
	rec.ran = true
	fr.run()
}

func (rec *deploymentRec) innerFrame() *frame {
	switch rec.state {
	case 1:
		return nil
	case 2:
		return rec.inner
	}
	rec.state = 1
	rec.inner = rec.build()
	rec.state = 2
	return rec.inner
}

func (rec *deploymentRec) build() *frame {
	inst, f, ev := rec.inst, rec.parent, rec.parent.ev
	where := pos(inst.file, inst.node.Start)
	if f.depth+1 > MaxDeploymentDepth {
		ev.addErr(resource.Errorf(where, "%s: deployments nested more than %d levels deep are not read", inst.addr, MaxDeploymentDepth))
		return nil
	}
	props := inst.node.GetFold("properties")
	if props == nil || props.Kind != jsonpos.Object {
		ev.addErr(resource.Errorf(where, "%s: a deployment needs properties with a template or templateLink", inst.addr))
		return nil
	}
	c := f.ctx(inst.loops, false)
	t, addr, linked := rec.template(props, c)
	if t == nil {
		return nil
	}
	inner := linked
	if eeo := props.GetFold("expressionEvaluationOptions"); eeo != nil {
		if sc := eeo.GetFold("scope"); sc != nil {
			s, _ := c.eval(sc).(string)
			inner = inner || strings.EqualFold(s, "inner")
		}
	}
	name := LastSegment(inst.name)
	if !inner {
		fr := &frame{
			ev: ev, t: t, parent: f, dep: f.dep, target: inst.tgt, addr: addr,
			params: f.params, vars: f.vars, funcs: f.funcs, loops: inst.loops,
			deps: map[string][]*deploymentRec{}, syms: map[string][]*instance{}, depth: f.depth + 1,
		}
		setLanguageVersion(t)
		fr.maybe = inst.maybe()
		return fr
	}
	dep := inst.tgt.Deployment(f.dep, name)
	if ln := inst.node.GetFold("location"); ln != nil {
		if s, ok := c.eval(ln).(string); ok && s != "" {
			dep.Location = s
		}
	}
	if pl := props.GetFold("parametersLink"); pl != nil {
		ev.addErr(resource.Warnf(pos(inst.file, pl.Start), "%s: a parametersLink is not read; the nested template's parameters without defaults are unknown", inst.addr))
	}
	fr := ev.newFrame(t, f, dep, inst.tgt, addr, rec.parameters(props, c))
	fr.maybe = inst.maybe()
	return fr
}

// template finds the deployment's template: inline (addr is where its
// resources are addressed), or linked by relativePath (linked). A
// template that cannot be read is reported, and nil.
func (rec *deploymentRec) template(props *jsonpos.Node, c *evalCtx) (t *template, addr string, linked bool) {
	inst, f, ev := rec.inst, rec.parent, rec.parent.ev
	switch {
	case props.GetFold("template") != nil:
		tn := props.GetFold("template")
		if tn.Kind != jsonpos.Object {
			ev.addErr(resource.Warnf(pos(inst.file, tn.Start), "%s: a template given by an expression is not read", inst.addr))
			return nil, "", false
		}
		return &template{file: inst.file, root: tn}, inst.addr + ".properties.template.", false
	case props.GetFold("templateLink") != nil:
		tl := props.GetFold("templateLink")
		link, _ := c.eval(tl).(map[string]any)
		rel, _ := resource.LookupFold(link, "relativePath")
		relPath, _ := rel.(string)
		if relPath == "" {
			what := "the linked template"
			if u, ok := resource.LookupFold(link, "uri"); ok {
				what = "the linked template " + armexpr.RenderValue(u)
			} else if id, ok := resource.LookupFold(link, "id"); ok {
				what = "the template spec " + armexpr.RenderValue(id)
			}
			ev.addErr(resource.Warnf(pos(inst.file, tl.Start), "%s: %s is not read: only templates linked by relativePath to a local file are; what it deploys for the vaults it is handed is unknown", inst.addr, what))
			rec.unfollowed(props, c, what, "only templates linked by relativePath to a local file are read")
			return nil, "", false
		}
		path := filepath.Join(filepath.Dir(inst.file), filepath.FromSlash(relPath))
		if cycle := f.linkCycle(path); cycle != "" {
			ev.addErr(resource.Errorf(pos(inst.file, tl.Start), "%s: linked template cycle: %s; Azure cannot deploy it, and the link is not read", inst.addr, cycle))
			return nil, "", false
		}
		root := ev.loadLinked(path, pos(inst.file, tl.Start), inst.addr)
		if root == nil {
			rec.unfollowed(props, c, "the linked template "+relPath, "it could not be read")
			return nil, "", false
		}
		return &template{file: path, root: root}, inst.addr + ".properties.templateLink.", true
	}
	ev.addErr(resource.Errorf(pos(inst.file, inst.node.Start), "%s: a deployment needs a template or a templateLink", inst.addr))
	return nil, "", false
}

// unfollowed tells the Mapper that the deployment's template was not
// read: the vaults its parameters hand it are marked.
func (rec *deploymentRec) unfollowed(props *jsonpos.Node, c *evalCtx, what, why string) {
	u := Unfollowed{Module: "deployment " + rec.inst.addr + " (" + what + ")", Why: why}
	ps := props.GetFold("parameters")
	if ps == nil {
		rec.parent.ev.mapper.Unfollowed(u)
		return
	}
	v := c.f.ctx(c.loops, true).evalQuiet(ps)
	if resource.IsUnknown(v) {
		u.All = true
	} else {
		u.Values = []any{v}
	}
	rec.parent.ev.mapper.Unfollowed(u)
}

// parameters evaluates the values a deployment passes to an inner-scope
// template, in the parent's context.
func (rec *deploymentRec) parameters(props *jsonpos.Node, c *evalCtx) map[string]suppliedValue {
	out := map[string]suppliedValue{}
	ps := props.GetFold("parameters")
	if ps == nil || ps.Kind != jsonpos.Object {
		return out
	}
	for _, m := range ps.Members {
		key := strings.ToLower(m.Key)
		// A parameter is {"value": ...}, {"reference": ...}, an object with
		// a property copy producing its value, or an expression that
		// evaluates to one of those.
		pv, ok := c.eval(m.Value).(map[string]any)
		if !ok {
			out[key] = suppliedValue{value: resource.Unknown{Expr: "parameters('" + m.Key + "')"}}
			continue
		}
		v, hasValue := resource.LookupFold(pv, "value")
		if !hasValue {
			if _, isRef := resource.LookupFold(pv, "reference"); !isRef {
				c.f.ev.addErr(resource.Errorf(pos(c.file, m.Value.Start), "%s: parameter %q: expected a value or a reference", rec.inst.addr, m.Key))
			}
			out[key] = suppliedValue{value: resource.Unknown{Expr: "parameters('" + m.Key + "')"}}
			continue
		}
		sv := suppliedValue{value: v}
		if armexpr.ContainsUnknown(v) {
			if alt, ok := c.f.ctx(c.loops, true).evalQuiet(m.Value).(map[string]any); ok {
				if s, ok := alt["value"].(string); ok {
					sv.alt, sv.hasAlt = s, true
				}
			}
		}
		out[key] = sv
	}
	return out
}

// linkCycle names the cycle linking path from frame f would close: the
// template files from the one path is (a.json → b.json → a.json), or "".
func (f *frame) linkCycle(path string) string {
	var chain []string
	for fr := f; fr != nil; fr = fr.parent {
		if n := len(chain); n == 0 || chain[n-1] != fr.t.file {
			chain = append(chain, fr.t.file)
		}
		if filepath.Clean(fr.t.file) == filepath.Clean(path) {
			slices.Reverse(chain)
			return strings.Join(append(chain, path), " → ")
		}
	}
	return ""
}

func setLanguageVersion(t *template) {
	if lv := t.root.GetFold("languageVersion"); lv != nil && lv.Kind == jsonpos.String && lv.Str != "" && lv.Str != "1.0" {
		t.v2 = true
	}
}

// loadLinked reads a template linked by relativePath (once per file).
func (ev *evaluator) loadLinked(path string, from resource.Position, addr string) *jsonpos.Node {
	if root, ok := ev.files[path]; ok {
		return root
	}
	ev.files[path] = nil
	data, err := ev.e.read(path, ev.input)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			ev.addErr(resource.Warnf(from, "%s: the linked template %s is not there; its resources are not read", addr, path))
		} else {
			ev.addErr(resource.Errorf(from, "%s: read linked template %s: %v", addr, path, err))
		}
		return nil
	}
	root, err := ParseJSON(data, path)
	if err != nil {
		ev.addErr(SyntaxError(path, err))
		return nil
	}
	if root.Kind != jsonpos.Object || root.GetFold("resources") == nil {
		ev.addErr(resource.Errorf(pos(path, root.Start), "the linked template is not an ARM template: no resources member"))
		return nil
	}
	ev.files[path] = root
	return root
}

// outputsValue is what reference() returns for a nested deployment:
// {"outputs": {name: {"type": ..., "value": ...}}}.
func (rec *deploymentRec) outputsValue() any {
	switch rec.outState {
	case 1:
		return nil
	case 2:
		return rec.outputs
	}
	rec.outState = 1
	defer func() { rec.outState = 2 }()
	fr := rec.innerFrame()
	if fr == nil {
		return nil
	}
	var mode any = "Incremental"
	if props := rec.inst.node.GetFold("properties"); props != nil {
		if mn := props.GetFold("mode"); mn != nil {
			mode = rec.parent.ctx(rec.inst.loops, false).evalQuiet(mn)
		}
	}
	out := fr.deploymentProperties(LastSegment(rec.inst.name), mode)
	rec.outputs = out
	return rec.outputs
}

// reference resolves reference() for nested deployments in this template
// (their outputs); everything else is unknown until deployment.
func (f *frame) reference(args []any) any {
	unknown := resource.Unknown{Expr: armexpr.RenderCall("reference", args)}
	s, ok := args[0].(string)
	if !ok || s == "" {
		return unknown
	}
	var rec *deploymentRec
	switch {
	case strings.HasPrefix(s, "/"):
		id, ok := resource.ParseID(s)
		if ok && strings.EqualFold(id.FullType(), resource.TypeResourceDeployment) {
			rec = f.findDeployment(id.Name())
		}
	case !strings.Contains(s, "/"):
		if syms := f.syms[strings.ToLower(s)]; len(syms) > 0 {
			if len(syms) == 1 {
				rec = syms[0].dep
			}
		} else if inst := f.symbolCopy(s); inst != nil {
			rec = inst.dep
		} else {
			rec = f.findDeployment(s)
		}
	}
	if rec == nil {
		return unknown
	}
	out := rec.outputsValue()
	if out == nil {
		return unknown
	}
	if len(args) >= 3 {
		if full, _ := args[2].(string); strings.EqualFold(full, "full") {
			return map[string]any{"id": rec.inst.id, "name": LastSegment(rec.inst.name), "type": resource.TypeResourceDeployment, "properties": out}
		}
	}
	return out
}

// symbolCopy finds the copy a languageVersion 2.0 reference names with
// its loop index: 'apim[1]'.
func (f *frame) symbolCopy(s string) *instance {
	open := strings.IndexByte(s, '[')
	if open <= 0 || !strings.HasSuffix(s, "]") {
		return nil
	}
	i, err := strconv.Atoi(s[open+1 : len(s)-1])
	if err != nil {
		return nil
	}
	for _, inst := range f.syms[strings.ToLower(s[:open])] {
		if l := inst.resourceLoop(); l != nil && l.index == i {
			return inst
		}
	}
	return nil
}

func (f *frame) findDeployment(name string) *deploymentRec {
	for fr := f; fr != nil; fr = fr.parent {
		if recs := fr.deps[strings.ToLower(name)]; len(recs) > 0 {
			if len(recs) == 1 {
				return recs[0]
			}
			return nil
		}
	}
	return nil
}
