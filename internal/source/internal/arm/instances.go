package arm

import (
	"fmt"
	"strings"

	"github.com/kvguard/kvguard/internal/armexpr"
	"github.com/kvguard/kvguard/internal/jsonpos"
	"github.com/kvguard/kvguard/internal/resource"
)

// target is where a deployment's resources go (shared with the other
// template front end through armexpr).
type target = armexpr.Target

func targetOf(d armexpr.Deployment) target { return armexpr.TargetOf(d) }

// scopeFromSchema reads the deployment scope a template's $schema names.
func scopeFromSchema(root *jsonpos.Node) string {
	s := root.GetFold("$schema")
	if s == nil || s.Kind != jsonpos.String {
		return ""
	}
	l := strings.ToLower(s.Str)
	switch {
	case strings.Contains(l, "subscriptiondeploymenttemplate"):
		return armexpr.ScopeSubscription
	case strings.Contains(l, "managementgroupdeploymenttemplate"):
		return armexpr.ScopeManagementGroup
	case strings.Contains(l, "tenantdeploymenttemplate"):
		return armexpr.ScopeTenant
	case strings.Contains(l, "deploymenttemplate"):
		return armexpr.ScopeResourceGroup
	}
	return ""
}

// instance is one resource the template deploys (one iteration of a copy
// loop), with its evaluated identity.
type instance struct {
	f        *frame
	node     *jsonpos.Node
	file     string
	addr     string
	loops    *loopCtx
	parent   *instance
	typ      string // full type: Microsoft.KeyVault/vaults/secrets
	docType  string // the type of its document (extension types: Microsoft.Insights/diagnosticSettings)
	name     string // full name, with placeholders for unknown parts: kv/s
	bodyName any    // the last name segment as evaluated (may be unknown)
	api      string
	id       string
	chain    string // the scope the type chain hangs from (a resource group, or the extended resource)
	extScope string // the extended resource of an extension resource
	existing bool
	sym      string
	tgt      target
	dep      *deploymentRec
	// badName says why the name cannot give the resource's parents.
	badName string
}

// run evaluates a template frame: collects its resources, then builds
// their documents and expands nested deployments.
func (f *frame) run() {
	f.collect()
	for _, inst := range f.instances {
		if f.ev.cancelled() {
			return
		}
		switch {
		case inst.dep != nil:
			f.expand(inst)
		case inst.existing:
			f.ev.mapper.Add(&Resource{Type: inst.docType, Name: inst.name, ID: inst.id, Existing: true, Source: resource.Provenance{
				Kind: f.ev.kind, File: inst.file, StartLine: inst.node.Start.Line, EndLine: inst.node.EndLine(), Address: inst.addr, APIVersion: inst.api,
			}})
		default:
			f.ev.add(f.buildResource(inst))
		}
	}
}

func (ev *evaluator) cancelled() bool {
	if ev.stop {
		return true
	}
	if ev.ctx.Err() != nil {
		ev.stop = true
		ev.addErr(resource.Errorf(resource.Position{}, "reading templates: %v", ev.ctx.Err()))
	}
	return ev.stop
}

func (f *frame) collect() {
	res := f.t.root.GetFold("resources")
	if res == nil {
		return
	}
	switch res.Kind {
	case jsonpos.Array:
		for i, n := range res.Items {
			f.collectDecl(n, fmt.Sprintf("%sresources[%d]", f.addr, i), "", nil, f.loops)
		}
	case jsonpos.Object:
		for _, m := range res.Members {
			addr := m.Key
			if f.addr != "" {
				addr = f.addr + "resources." + m.Key
			}
			f.collectDecl(m.Value, addr, m.Key, nil, f.loops)
		}
	default:
		f.ev.addErr(resource.Errorf(pos(f.t.file, res.Start), "resources must be an array or (languageVersion 2.0) an object, not %s", res.Kind))
	}
}

func (f *frame) collectDecl(n *jsonpos.Node, addr, sym string, parent *instance, loops *loopCtx) {
	if f.ev.cancelled() {
		return
	}
	if n.Kind != jsonpos.Object {
		f.ev.addErr(resource.Errorf(pos(f.t.file, n.Start), "%s: a resource must be an object, not %s", addr, n.Kind))
		return
	}
	cp := n.GetFold("copy")
	if cp == nil {
		if f.take(1, n, addr) {
			f.collectInstance(n, addr, sym, parent, loops)
		}
		return
	}
	if cp.Kind != jsonpos.Object {
		f.ev.addErr(resource.Errorf(pos(f.t.file, cp.Start), "%s: a resource copy must be an object with name and count", addr))
		return
	}
	loop := ""
	if nm := cp.GetFold("name"); nm != nil && nm.Kind == jsonpos.String {
		loop = nm.Str
	}
	count, unknown, ok := f.ctx(loops, false).copyCount(cp, loop)
	if !ok {
		return
	}
	if unknown != nil {
		// As Terraform's reader does for a count not known before apply:
		// one placeholder copy, addressed [*], judged once; what it would
		// prove about a vault (an endpoint's approved connection, a
		// diagnostic setting) is unknown, as it may not exist.
		f.ev.addErr(resource.Warnf(pos(f.t.file, cp.Start), "%s: the count of copy %q is not known before deployment (%s); kvguard judges the resource once, as %s[*]",
			addr, loop, unknown.Expr, addr))
		if f.take(1, cp, addr) {
			pl := loops.push(loop, 0, true)
			pl.unknown = true
			f.collectInstance(n, addr+"[*]", sym, parent, pl)
		}
		return
	}
	if !f.take(count, cp, addr) {
		return
	}
	for i := 0; i < count; i++ {
		if !f.ev.iterate(pos(f.t.file, cp.Start)) {
			return
		}
		f.collectInstance(n, addr, sym, parent, loops.push(loop, i, true))
	}
}

// take reserves n instances of the resource declared at n's position
// against the input's Budget; false means the cap is passed, reported
// once, and reading stops.
func (f *frame) take(n int, at *jsonpos.Node, addr string) bool {
	b := f.ev.e.budget
	wasSpent := b.Spent()
	if b.Take(n) {
		return true
	}
	if !wasSpent {
		f.ev.addErr(resource.Errorf(pos(f.t.file, at.Start), "%s: the input expands to more than %d resource instances (copy loops multiplied through nested deployments and modules; %d so far, %d more here); it is not expanded further, and the rest of the input is not read (--max-instances raises the cap)",
			addr, b.Max(), b.Used(), n))
	}
	f.ev.stop = true
	return false
}

func (f *frame) collectInstance(n *jsonpos.Node, addr, sym string, parent *instance, loops *loopCtx) {
	c := f.ctx(loops, false)
	file := f.t.file
	if cn := n.GetFold("condition"); cn != nil {
		switch v := c.eval(cn).(type) {
		case bool:
			if !v {
				return
			}
		case resource.Unknown:
			f.ev.e.log.Debug("condition unknown; resource evaluated as deployed", "file", file, "address", addr, "condition", v.Expr)
		default:
			f.ev.addErr(resource.Errorf(pos(file, cn.Start), "%s: the condition must be a boolean, not %s", addr, armexpr.TypeName(v)))
		}
	}
	inst := &instance{f: f, node: n, file: file, addr: addr, loops: loops, parent: parent, sym: sym, tgt: f.target}
	tn := n.GetFold("type")
	typ, ok := c.eval(tn).(string)
	if tn == nil || !ok || typ == "" {
		f.ev.addErr(resource.Errorf(pos(file, n.Start), "%s: a resource needs a type", addr))
		return
	}
	if av := n.GetFold("apiVersion"); av != nil {
		inst.api, _ = c.eval(av).(string)
	}
	if i := strings.IndexByte(typ, '@'); i > 0 && inst.api == "" { // extensibility: "Type@version"
		typ, inst.api = typ[:i], typ[i+1:]
	}
	nn := n.GetFold("name")
	if nn == nil {
		if n.GetFold("import") != nil || n.GetFold("extension") != nil {
			return // an extensibility resource without an ARM name
		}
		f.ev.addErr(resource.Errorf(pos(file, n.Start), "%s: a resource needs a name", addr))
		return
	}
	name, bodyName := f.nameOf(nn, loops)
	if strings.HasPrefix(name, "[") && !f.resolves(nn, loops) {
		inst.badName = "its name is an expression kvguard cannot evaluate"
	}
	if ex := n.GetFold("existing"); ex != nil {
		inst.existing, _ = c.eval(ex).(bool)
	}
	if parent != nil {
		if !isQualifiedType(typ) {
			typ = parent.typ + "/" + typ
		}
		if segs := strings.Count(name, "/") + 1; segs < typeDepth(typ) {
			name = parent.name + "/" + name
		}
		inst.tgt = parent.tgt
	}
	inst.typ, inst.name, inst.bodyName = typ, name, bodyName
	f.place(inst)
	if children := n.GetFold("resources"); children != nil {
		switch children.Kind {
		case jsonpos.Array:
			for i, ch := range children.Items {
				f.collectDecl(ch, fmt.Sprintf("%s.resources[%d]", addr, i), "", inst, loops)
			}
		case jsonpos.Object:
			for _, m := range children.Members {
				f.collectDecl(m.Value, addr+".resources."+m.Key, m.Key, inst, loops)
			}
		}
	}
}

// place resolves where an instance goes (its target, the ID its type
// chain hangs from, its ID) and records it in the frame.
func (f *frame) place(inst *instance) {
	n, loops, parent := inst.node, inst.loops, inst.parent
	isDeployment := strings.EqualFold(inst.typ, resource.TypeResourceDeployment)
	inst.tgt = f.crossScope(n, inst.tgt, loops, isDeployment)
	switch {
	case parent != nil:
		inst.chain = parent.chain
		inst.extScope = parent.extScope
	case !isDeployment && n.GetFold("scope") != nil:
		s, tenant := f.scopeOf(n.GetFold("scope"), loops, inst.tgt)
		if tenant {
			// "scope": "/" (Bicep's scope: tenant()) deploys the
			// resource at the tenant, not as an extension of anything.
			inst.tgt.Kind = armexpr.ScopeTenant
			inst.chain = ""
			break
		}
		inst.chain, inst.extScope = s, s
	default:
		inst.chain = inst.tgt.ID()
	}
	inst.id, inst.docType, inst.extScope = BuildID(inst.chain, inst.extScope, inst.tgt, inst.typ, inst.name)
	f.instances = append(f.instances, inst)
	if inst.sym != "" {
		f.syms[strings.ToLower(inst.sym)] = append(f.syms[strings.ToLower(inst.sym)], inst)
	}
	if isDeployment {
		rec := &deploymentRec{inst: inst, parent: f}
		inst.dep = rec
		key := strings.ToLower(LastSegment(inst.name))
		f.deps[key] = append(f.deps[key], rec)
	}
}

// nameOf evaluates a resource name. The first result is the name to build
// IDs from: when the name is unknown, it is evaluated again with
// placeholders for unknown parameters ("[parameters('name')]"), so that
// the IDs of related resources still match. The second is the name as
// evaluated (possibly unknown), for the body.
func (f *frame) nameOf(n *jsonpos.Node, loops *loopCtx) (string, any) {
	raw := f.ctx(loops, false).eval(n)
	if s, ok := raw.(string); ok {
		return s, raw
	}
	u, ok := raw.(resource.Unknown)
	if !ok {
		return armexpr.Stringify(raw), raw
	}
	alt := f.ctx(loops, true).evalQuiet(n)
	if s, ok := alt.(string); ok {
		return s, raw
	}
	return "[" + u.Expr + "]", raw
}

// resolves reports whether a name evaluates to a string in names mode
// (nameOf's first result is then not the fallback "[expression]").
func (f *frame) resolves(n *jsonpos.Node, loops *loopCtx) bool {
	if s, ok := f.ctx(loops, false).evalQuiet(n).(string); ok && s != "" {
		return true
	}
	_, ok := f.ctx(loops, true).evalQuiet(n).(string)
	return ok
}

// crossScope applies a resource's subscriptionId, resourceGroup and (for
// deployments) scope members to the target.
func (f *frame) crossScope(n *jsonpos.Node, t target, loops *loopCtx, isDeployment bool) target {
	str := func(key string) (string, bool) {
		m := n.GetFold(key)
		if m == nil {
			return "", false
		}
		s, _ := f.nameOf(m, loops)
		return s, s != ""
	}
	sub, hasSub := str("subscriptionId")
	rg, hasRG := str("resourceGroup")
	if isDeployment {
		if sc, ok := str("scope"); ok {
			sc = strings.Trim(sc, "/")
			l := strings.ToLower(sc)
			switch {
			case sc == "":
				t.Kind = armexpr.ScopeTenant
			case strings.HasPrefix(l, "providers/microsoft.management/managementgroups/") || strings.HasPrefix(l, "microsoft.management/managementgroups/"):
				t.Kind, t.ManagementGroup = armexpr.ScopeManagementGroup, sc[strings.LastIndexByte(sc, '/')+1:]
			case strings.HasPrefix(l, "subscriptions/"):
				parts := strings.Split(sc, "/")
				t.Kind, t.Subscription = armexpr.ScopeSubscription, parts[1]
				if len(parts) >= 4 && strings.EqualFold(parts[2], "resourceGroups") {
					t.Kind, t.ResourceGroup = armexpr.ScopeResourceGroup, parts[3]
				}
			}
		}
	}
	if hasSub {
		t.Subscription = sub
		if !hasRG && t.Kind != armexpr.ScopeResourceGroup {
			t.Kind = armexpr.ScopeSubscription
		}
	}
	if hasRG {
		t.Kind, t.ResourceGroup = armexpr.ScopeResourceGroup, rg
	}
	return t
}

// scopeOf resolves an extension resource's scope member to a resource ID:
// absolute IDs stay, relative ones ("Microsoft.KeyVault/vaults/kv") hang
// from the deployment target. tenant reports the scope "/", the tenant.
func (f *frame) scopeOf(n *jsonpos.Node, loops *loopCtx, t target) (id string, tenant bool) {
	s, _ := f.nameOf(n, loops)
	if s == "/" {
		return "", true
	}
	s = strings.TrimRight(s, "/")
	if strings.HasPrefix(s, "/") {
		return s, false
	}
	if s == "" {
		return t.ID(), false
	}
	// A languageVersion 2.0 scope may name a resource symbolically.
	if syms := f.syms[strings.ToLower(s)]; len(syms) == 1 && !strings.Contains(s, "/") {
		return syms[0].id, false
	}
	return t.ID() + "/providers/" + s, false
}
