package arm

import (
	"context"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/kvguard/kvguard/internal/armexpr"
	"github.com/kvguard/kvguard/internal/jsonpos"
	"github.com/kvguard/kvguard/internal/resource"
)

// Deployment is a nested deployment that another front end asks this
// package to evaluate: a Bicep module written as an ARM template
// (module m './vault.json' = {...}), or a Microsoft.Resources/deployments
// resource declared in Bicep with an inline template. It is evaluated as a
// nested deployment with inner expression scope: the template sees only
// the parameter values given and the deployment context.
type Deployment struct {
	// Path is the template file. When Template is set, Path names the
	// file that declares the template, for positions.
	Path string
	// Template, when set, is the template as data (an inline template
	// evaluated by the caller): plain JSON values and resource.Unknown.
	// Its strings are literals, never expressions, as the Bicep compiler
	// escapes them ("[x]" is written "[[x]"); so only what the caller
	// evaluated varies.
	Template map[string]any
	// Line and EndLine are the lines of the declaration when Template is
	// set: the provenance of its documents, and where problems inside the
	// template are reported.
	Line, EndLine int
	// Parameters are the values passed to the template's parameters, by
	// name (the "value" of each). A resource.Unknown stays unknown.
	Parameters map[string]any
	// NameParameters are, for parameters whose value holds unknowns, the
	// value with "[parameters('x')]" placeholders, so that names and IDs
	// built from them still link documents (as the ARM reader does for
	// its own nested deployments).
	NameParameters map[string]string
	// Context is the deployment context inside the template: its scope,
	// subscription, resource group or management group, and its name
	// (deployment().name).
	Context armexpr.Deployment
	// Mode is the deployment mode reference() reports ("Incremental"
	// when empty).
	Mode any
	// Address prefixes the provenance addresses of its documents
	// ("vaultModule::").
	Address string
	// ReadRoot, when set, is where Path is read from instead of the
	// Engine's read root (a module from the Bicep restore cache).
	ReadRoot *ReadRoot
	// Maybe says why the deployment may not exist at all (the
	// placeholder copy of a module loop over an unknown collection), or
	// "": its resources carry it (see Resource.Maybe).
	Maybe string
	// Kind is the provenance kind of its documents: "arm" when empty;
	// the Bicep reader gives "bicep" for an inline template, which is
	// written in the Bicep file.
	Kind string
}

// Nested is a nested deployment being evaluated for another front end.
// Its documents go to the caller's Mapper; its problems to the caller's
// report function. It is not safe for concurrent use.
type Nested struct {
	ev    *evaluator
	f     *frame
	mode  any
	name  string
	ran   bool
	props map[string]any
}

// Nest prepares the nested deployment d: its documents will go to m (the
// caller's, so that resources link across the two front ends) and the
// problems found in the template to report. An error means the template
// could not be read at all; it is returned, not reported.
func (e *Engine) Nest(ctx context.Context, d Deployment, m *Mapper, report func(*resource.InputError)) (n *Nested, err *resource.InputError) {
	ev := newEvaluator(ctx, e, m)
	ev.report = report
	ev.input = d.Path
	if d.Kind != "" {
		ev.kind = d.Kind
	}
	defer func() {
		if p := recover(); p != nil {
			e.log.ErrorContext(ctx, "internal error reading template", "file", d.Path, "panic", p, "stack", string(debug.Stack()))
			n, err = nil, resource.Errorf(resource.Position{File: d.Path}, "internal error reading template: %v", p)
		}
	}()
	var t *template
	if d.Template != nil {
		at := jsonpos.Pos{Line: d.Line, Col: 1}
		end := jsonpos.Pos{Line: max(d.Line, d.EndLine)}
		t = &template{file: d.Path, root: ev.valueNode(d.Template, at, end)}
	} else {
		root, ie := e.readTemplate(d.Path, d.ReadRoot)
		if ie != nil {
			return nil, ie
		}
		t = &template{file: d.Path, root: root}
	}
	dep := d.Context.WithDefaults()
	supplied := make(map[string]suppliedValue, len(d.Parameters))
	for k, v := range d.Parameters {
		sv := suppliedValue{value: v}
		if alt, ok := d.NameParameters[k]; ok {
			sv.alt, sv.hasAlt = alt, true
		}
		supplied[strings.ToLower(k)] = sv
	}
	mode := d.Mode
	if mode == nil {
		mode = "Incremental"
	}
	f := ev.newFrame(t, nil, dep, targetOf(dep), d.Address, supplied)
	f.maybe = d.Maybe
	return &Nested{ev: ev, f: f, mode: mode, name: dep.DeploymentName}, nil
}

// Deploy adds the documents of the template's resources to the Mapper
// (once; later calls do nothing).
func (n *Nested) Deploy() {
	if n == nil || n.ran {
		return
	}
	n.ran = true
	defer n.recover()
	n.f.run()
}

// Outputs returns the values of the template's outputs, by name; a
// secure output is unknown.
func (n *Nested) Outputs() map[string]any {
	out := map[string]any{}
	if n == nil {
		return out
	}
	outs, _ := n.Properties()["outputs"].(map[string]any)
	for k, v := range outs {
		if o, ok := v.(map[string]any); ok {
			out[k] = o["value"]
		}
	}
	return out
}

// Properties returns what reference() gives for the deployment once
// deployed: {"outputs": {name: {"type", "value"}}, "provisioningState",
// "mode", ...}, with unknowns for what only Azure knows (timestamp,
// correlationId, ...).
func (n *Nested) Properties() map[string]any {
	if n == nil {
		return map[string]any{}
	}
	if n.props == nil {
		func() {
			defer n.recover()
			n.props = n.f.deploymentProperties(n.name, n.mode)
		}()
		if n.props == nil {
			n.props = map[string]any{}
		}
	}
	return n.props
}

func (n *Nested) recover() {
	if p := recover(); p != nil {
		n.ev.e.log.Error("internal error reading template", "file", n.f.t.file, "panic", p, "stack", string(debug.Stack()))
		n.ev.addErr(resource.Errorf(resource.Position{File: n.f.t.file}, "internal error reading template: %v", p))
	}
}

// deploymentProperties evaluates the outputs of a deployment's template
// (frame f) into what reference() returns for the deployment.
func (f *frame) deploymentProperties(name string, mode any) map[string]any {
	outs := map[string]any{}
	if on := f.t.root.GetFold("outputs"); on != nil && on.Kind == jsonpos.Object {
		for _, m := range on.Members {
			if m.Value.Kind != jsonpos.Object {
				continue
			}
			c := f.ctx(f.loops, false)
			c.file = f.t.file
			var v any
			switch {
			case m.Value.GetFold("value") != nil:
				v = c.evalQuiet(m.Value.GetFold("value"))
			case m.Value.GetFold("copy") != nil:
				v = c.evalCopyArray(m.Value.GetFold("copy"))
			}
			typ := ""
			if tn := m.Value.GetFold("type"); tn != nil && tn.Kind == jsonpos.String {
				typ = tn.Str
			}
			if strings.HasPrefix(strings.ToLower(typ), "secure") {
				v = resource.Unknown{Expr: "outputs('" + m.Key + "')"}
			}
			outs[m.Key] = map[string]any{"type": typ, "value": v}
		}
	}
	out := map[string]any{"outputs": outs, "provisioningState": "Succeeded", "mode": mode}
	for _, k := range []string{"correlationId", "timestamp", "duration", "templateHash", "outputResources", "dependencies", "parameters", "templateLink"} {
		out[k] = resource.Unknown{Expr: "reference('" + name + "')." + k}
	}
	return out
}

// valueNode builds a template node tree from data (an inline template a
// caller evaluated). Strings are escaped so that they stay literals;
// unknowns are held in ev.values, which evaluation returns as they are.
func (ev *evaluator) valueNode(v any, at, end jsonpos.Pos) *jsonpos.Node {
	n := &jsonpos.Node{Start: at, End: end}
	switch x := v.(type) {
	case nil:
		n.Kind = jsonpos.Null
	case bool:
		n.Kind, n.Bool = jsonpos.Bool, x
	case int64:
		n.Kind, n.Int, n.Float, n.IsInt = jsonpos.Number, x, float64(x), true
	case float64:
		n.Kind, n.Float = jsonpos.Number, x
	case string:
		n.Kind, n.Str = jsonpos.String, escapeLiteral(x)
	case []any:
		n.Kind = jsonpos.Array
		for _, e := range x {
			n.Items = append(n.Items, ev.valueNode(e, at, end))
		}
	case map[string]any:
		n.Kind = jsonpos.Object
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			n.Members = append(n.Members, jsonpos.Member{Key: escapeLiteral(k), KeyPos: at, Value: ev.valueNode(x[k], at, end)})
		}
	default:
		// resource.Unknown, or a value of another type: evaluation
		// returns it as it is.
		n.Kind = jsonpos.Null
		if ev.values == nil {
			ev.values = map[*jsonpos.Node]any{}
		}
		ev.values[n] = v
	}
	return n
}

// escapeLiteral writes a literal string as a template does: one that
// starts with "[" gets the "[[" escape.
func escapeLiteral(s string) string {
	if strings.HasPrefix(s, "[") {
		return "[" + s
	}
	return s
}

// readTemplate reads and parses a template file.
func (e *Engine) readTemplate(path string, rr *ReadRoot) (*jsonpos.Node, *resource.InputError) {
	var data []byte
	var err error
	if rr != nil {
		data, err = rr.ReadFile(path, MaxFileSize)
	} else {
		data, err = e.read(path, path)
	}
	if err != nil {
		return nil, resource.Errorf(resource.Position{File: path}, "read template: %w", err)
	}
	root, err := ParseJSON(data, path)
	if err != nil {
		return nil, SyntaxError(path, err)
	}
	if root.Kind != jsonpos.Object || root.GetFold("resources") == nil {
		return nil, resource.Errorf(pos(path, root.Start), "not an ARM template: no resources member")
	}
	return root, nil
}
