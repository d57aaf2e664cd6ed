package arm

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/kvguard/kvguard/internal/armexpr"
	"github.com/kvguard/kvguard/internal/jsonpos"
	"github.com/kvguard/kvguard/internal/resource"
)

// evaluator holds the state of one evaluation: problems seen, documents, caches.
type evaluator struct {
	ctx  context.Context
	e    *Engine
	seen map[string]bool
	// input is the file of the template evaluated first (its default
	// read root).
	input string
	// mapper turns the resources into documents (and may be shared with
	// the Bicep reader, for a module written as a template).
	mapper *Mapper
	exprs  map[*jsonpos.Node]exprEntry
	keys   map[string]exprEntry // property names that are expressions
	// values are nodes that stand for values a caller evaluated (the
	// unknowns of an inline template given as data, see Engine.Nest).
	values map[*jsonpos.Node]any
	// report receives the problems, each once.
	report func(*resource.InputError)
	// kind is the provenance kind of the documents: "arm", or "bicep"
	// for an inline template written in a Bicep file.
	kind  string
	files map[string]*jsonpos.Node // linked templates, by path
	depth int                      // nesting of variables, parameters, user functions
	stop  bool                     // too many documents, or cancelled
	iters int                      // copy-loop iterations so far, against templates that expand without end
}

type exprEntry struct {
	expr armexpr.Expr
	err  error
}

func newEvaluator(ctx context.Context, e *Engine, m *Mapper) *evaluator {
	return &evaluator{
		ctx:    ctx,
		e:      e,
		seen:   map[string]bool{},
		mapper: m,
		kind:   "arm",
		exprs:  map[*jsonpos.Node]exprEntry{},
		keys:   map[string]exprEntry{},
		files:  map[string]*jsonpos.Node{},
	}
}

// add hands a resource to the Mapper, unless reading has stopped.
func (ev *evaluator) add(res *Resource) {
	if ev.stop {
		return
	}
	ev.mapper.Add(res)
	if ev.mapper.Full() {
		ev.stop = true
	}
}

func (ev *evaluator) addErr(e *resource.InputError) {
	k := e.Error()
	if ev.seen[k] {
		return
	}
	ev.seen[k] = true
	ev.report(e)
}

// template is a parsed template object (a file, or an inline nested template).
type template struct {
	file string
	root *jsonpos.Node
	v2   bool
}

// frame is a template being evaluated in a deployment context.
type frame struct {
	ev     *evaluator
	t      *template
	parent *frame
	// maybe is set in the template of a deployment that may not exist
	// (the placeholder copy of a loop whose count is unknown): why.
	maybe  string
	dep    armexpr.Deployment // what the functions see
	target target             // where resources go
	addr   string             // address prefix of the template's resources
	params map[string]*paramState
	vars   map[string]*varState
	funcs  map[string]*userFunc
	// loops are the copy loops around the template (outer-scope nesting).
	loops     *loopCtx
	deps      map[string][]*deploymentRec // nested deployments by lower-cased name
	syms      map[string][]*instance      // languageVersion 2.0 symbolic names
	depth     int                         // deployment nesting
	instances []*instance
}

type paramState struct {
	name    string
	def     *jsonpos.Node // the parameter's declaration (nil for an undeclared supplied value)
	value   any
	alt     any // the value in name mode, when value is unknown
	hasAlt  bool
	given   bool
	state   int // 0 unresolved, 1 resolving, 2 done
	warned  bool
	secure  bool
	defFile string
	f       *frame
}

type varState struct {
	name  string
	node  *jsonpos.Node // the value, or the copy entry for a copied variable
	copy  bool
	file  string
	f     *frame // the frame whose parameters the variable sees
	value [2]any
	state [2]int
}

type userFunc struct {
	namespace, name string
	params          []string
	output          *jsonpos.Node
	f               *frame
}

// loopCtx is the chain of copy loops an evaluation is inside.
type loopCtx struct {
	name     string
	index    int
	resource bool // a resource (or deployment) copy, the target of copyIndex() without a name
	// unknown marks the one placeholder copy of a loop whose count is not
	// known before deployment: copyIndex() is unknown in it.
	unknown bool
	parent  *loopCtx
}

func (l *loopCtx) push(name string, i int, res bool) *loopCtx {
	return &loopCtx{name: name, index: i, resource: res, parent: l}
}

// unknownIndex is copyIndex() in the placeholder copy: unknown (names
// built from it in names mode hold the placeholder "[copyIndex()]").
func (l *loopCtx) unknownIndex() any {
	expr := "copyIndex()"
	if l.name != "" {
		expr = "copyIndex('" + l.name + "')"
	}
	return resource.Unknown{Expr: expr}
}

// maybe says why the instance may not exist, or "": it is, or is inside,
// the placeholder copy of a loop whose count is not known.
func (inst *instance) maybe() string {
	for l := inst.loops; l != nil; l = l.parent {
		if l.unknown {
			return "the number of copies of " + inst.addr + " is not known before deployment"
		}
	}
	return inst.f.maybe
}

// resourceLoop is the copy loop of the resource instance itself: the
// innermost resource loop of its declaration, if it is copied.
func (inst *instance) resourceLoop() *loopCtx {
	if inst.loops == nil || inst.loops == inst.f.loops || !inst.loops.resource ||
		(inst.parent != nil && inst.loops == inst.parent.loops) {
		return nil
	}
	return inst.loops
}

// newFrame prepares a template for evaluation: declarations of
// parameters, variables and functions.
func (ev *evaluator) newFrame(t *template, parent *frame, dep armexpr.Deployment, tgt target, addr string, supplied map[string]suppliedValue) *frame {
	f := &frame{
		ev: ev, t: t, parent: parent, dep: dep, target: tgt, addr: addr,
		params: map[string]*paramState{}, vars: map[string]*varState{}, funcs: map[string]*userFunc{},
		deps: map[string][]*deploymentRec{}, syms: map[string][]*instance{},
	}
	if parent != nil {
		f.depth = parent.depth + 1
	}
	if lv := t.root.GetFold("languageVersion"); lv != nil && lv.Kind == jsonpos.String && lv.Str != "" && lv.Str != "1.0" {
		t.v2 = true
	}
	if ps := t.root.GetFold("parameters"); ps != nil && ps.Kind == jsonpos.Object {
		for _, m := range ps.Members {
			p := &paramState{name: m.Key, def: m.Value, defFile: t.file, f: f}
			if m.Value.Kind == jsonpos.Object {
				if ty := m.Value.GetFold("type"); ty != nil && ty.Kind == jsonpos.String && strings.EqualFold(ty.Str, "securestring") {
					p.secure = true
				}
			}
			f.params[strings.ToLower(m.Key)] = p
		}
	}
	for k, v := range supplied {
		p := f.params[k]
		if p == nil {
			continue // Azure rejects undeclared parameters; nothing uses them.
		}
		p.value, p.given, p.state = v.value, true, 2
		if v.hasAlt {
			p.alt, p.hasAlt = v.alt, true
		}
	}
	f.declareVariables()
	f.declareFunctions()
	return f
}

// suppliedValue is a parameter value given to a template: from a
// parameter file, or from a nested deployment's parameters.
type suppliedValue struct {
	value  any
	alt    any
	hasAlt bool
}

func (f *frame) declareVariables() {
	vs := f.t.root.GetFold("variables")
	if vs == nil || vs.Kind != jsonpos.Object {
		return
	}
	for _, m := range vs.Members {
		if strings.EqualFold(m.Key, "copy") && m.Value.Kind == jsonpos.Array {
			for _, c := range m.Value.Items {
				name := c.GetFold("name")
				if name == nil || name.Kind != jsonpos.String {
					f.ev.addErr(resource.Errorf(pos(f.t.file, c.Start), "a variable copy needs a name"))
					continue
				}
				f.vars[strings.ToLower(name.Str)] = &varState{name: name.Str, node: c, copy: true, file: f.t.file, f: f}
			}
			continue
		}
		f.vars[strings.ToLower(m.Key)] = &varState{name: m.Key, node: m.Value, file: f.t.file, f: f}
	}
}

func (f *frame) declareFunctions() {
	fs := f.t.root.GetFold("functions")
	if fs == nil || fs.Kind != jsonpos.Array {
		return
	}
	for _, ns := range fs.Items {
		nsName := ns.GetFold("namespace")
		members := ns.GetFold("members")
		if nsName == nil || nsName.Kind != jsonpos.String || members == nil || members.Kind != jsonpos.Object {
			f.ev.addErr(resource.Errorf(pos(f.t.file, ns.Start), "a user-defined function namespace needs a namespace and members"))
			continue
		}
		for _, m := range members.Members {
			uf := &userFunc{namespace: nsName.Str, name: m.Key, f: f}
			if ps := m.Value.GetFold("parameters"); ps != nil && ps.Kind == jsonpos.Array {
				for _, p := range ps.Items {
					if n := p.GetFold("name"); n != nil && n.Kind == jsonpos.String {
						uf.params = append(uf.params, n.Str)
					}
				}
			}
			if out := m.Value.GetFold("output"); out != nil {
				uf.output = out.GetFold("value")
			}
			f.funcs[strings.ToLower(nsName.Str+"."+m.Key)] = uf
		}
	}
}

// evalCtx is what one evaluation sees: the frame, the copy loops around
// it, whether names are being built (unknown parameters become
// placeholders), and a user function's arguments.
type evalCtx struct {
	f       *frame
	file    string
	loops   *loopCtx
	names   bool
	udfArgs map[string]any
	env     *armexpr.Env
}

func (f *frame) ctx(loops *loopCtx, names bool) *evalCtx {
	c := &evalCtx{f: f, file: f.t.file, loops: loops, names: names}
	c.env = c.buildEnv()
	return c
}

func (c *evalCtx) with(loops *loopCtx) *evalCtx {
	n := *c
	n.loops = loops
	n.env = n.buildEnv()
	return &n
}

func (c *evalCtx) buildEnv() *armexpr.Env {
	return &armexpr.Env{
		Deployment:   c.f.dep,
		Placeholders: c.names,
		Parameter: func(name string) (any, error) {
			if c.udfArgs != nil {
				if v, ok := resource.LookupFold(c.udfArgs, name); ok {
					return v, nil
				}
				return nil, fmt.Errorf("the function has no parameter %q", name)
			}
			return c.f.param(name, c.names)
		},
		Variable: func(name string) (any, error) { return c.f.variable(name, c.names) },
		CopyIndex: func(loop string, offset int) (any, error) {
			for l := c.loops; l != nil; l = l.parent {
				if (loop == "" && l.resource) || (loop != "" && strings.EqualFold(l.name, loop)) {
					if l.unknown {
						return l.unknownIndex(), nil
					}
					return int64(l.index + offset), nil
				}
			}
			if loop == "" {
				return nil, errors.New("copyIndex() is only valid inside a copy loop")
			}
			return nil, fmt.Errorf("there is no copy loop named %q here", loop)
		},
		Reference: func(args []any) (any, error) { return c.f.reference(args), nil },
		UserFunc:  c.f.callUserFunc,
	}
}

func (ev *evaluator) enter() error {
	ev.depth++
	if ev.depth > maxEvalDepth {
		return fmt.Errorf("variables, parameters and functions refer to one another more than %d levels deep", maxEvalDepth)
	}
	return nil
}

func (ev *evaluator) leave() { ev.depth-- }

// problem reports an input problem, except in name mode (which repeats
// an evaluation already reported, with placeholders).
func (c *evalCtx) problem(e *resource.InputError) {
	if !c.names {
		c.f.ev.addErr(e)
	}
}
