package arm

import (
	"fmt"
	"strings"

	"github.com/kvguard/kvguard/internal/armexpr"
	"github.com/kvguard/kvguard/internal/jsonpos"
	"github.com/kvguard/kvguard/internal/resource"
)

// param resolves a parameter: the supplied value, else its default, else
// null for a nullable parameter, else unknown (with a warning).
func (f *frame) param(name string, names bool) (any, error) {
	p := f.params[strings.ToLower(name)]
	if p == nil {
		return nil, fmt.Errorf("the template has no parameter %q", name)
	}
	if err := f.resolveParam(p); err != nil {
		return nil, err
	}
	v := p.value
	if p.secure {
		v = resource.Unknown{Expr: "parameters('" + p.name + "')"}
	} else if isSecureParam(p.def) {
		// secureObject values stay known, as loops over secret lists
		// need them; their strings are scrubbed from the documents.
		f.ev.mapper.Secret(v)
	}
	if names && resource.IsUnknown(v) {
		if p.hasAlt {
			return p.alt, nil
		}
		if !isStringParam(p.def) {
			// An array or object has no placeholder string: names built
			// from its parts write them as placeholders (Env.Placeholders).
			return resource.Unknown{Expr: "parameters('" + p.name + "')"}, nil
		}
		return "[parameters('" + p.name + "')]", nil
	}
	return v, nil
}

func (f *frame) resolveParam(p *paramState) error {
	switch p.state {
	case 2:
		return nil
	case 1:
		return fmt.Errorf("the default value of parameter %q refers to itself", p.name)
	}
	if err := f.ev.enter(); err != nil {
		return err
	}
	defer f.ev.leave()
	p.state = 1
	defer func() { p.state = 2 }()
	def := p.def
	if def == nil || def.Kind != jsonpos.Object {
		p.value = resource.Unknown{Expr: "parameters('" + p.name + "')"}
		return nil
	}
	if dv := def.GetFold("defaultValue"); dv != nil {
		c := p.f.ctx(p.f.loops, false)
		c.file = p.defFile
		p.value = c.eval(dv)
		if resource.IsUnknown(p.value) || armexpr.ContainsUnknown(p.value) {
			nc := p.f.ctx(p.f.loops, true)
			nc.file = p.defFile
			alt := nc.evalQuiet(dv)
			if s, ok := alt.(string); ok {
				p.alt, p.hasAlt = s, true
			}
		}
		return nil
	}
	if p.f.nullable(def) {
		p.value = nil
		return nil
	}
	p.value = unknownParam(p.name, def)
	if !p.warned && !isSecureParam(def) {
		p.warned = true
		f.ev.addErr(resource.Warnf(pos(p.defFile, def.Start), "parameter %q has no value (no default, and none given in a parameter file); it is treated as unknown", p.name))
	}
	return nil
}

// unknownParam is the value of a parameter without one: unknown, but one
// of its allowedValues, or true or false for a bool, when the declaration
// says so (the policy engine then judges every possibility).
func unknownParam(name string, def *jsonpos.Node) resource.Unknown {
	expr := "parameters('" + name + "')"
	if av := def.GetFold("allowedValues"); av != nil && av.Kind == jsonpos.Array && len(av.Items) > 0 && len(av.Items) <= 16 {
		vals := make([]any, len(av.Items))
		for i, it := range av.Items {
			vals[i] = resource.NormalizeNumbers(it.Interface())
		}
		return resource.UnknownOneOf(expr, vals...)
	}
	if t := def.GetFold("type"); t != nil && t.Kind == jsonpos.String && strings.EqualFold(t.Str, "bool") {
		return resource.UnknownOneOf(expr, true, false)
	}
	return resource.Unknown{Expr: expr}
}

// isStringParam reports whether a parameter declaration is a string (or
// declares no type): its names-mode value is the placeholder string.
func isStringParam(def *jsonpos.Node) bool {
	if def == nil || def.Kind != jsonpos.Object {
		return true
	}
	t := def.GetFold("type")
	if t == nil || t.Kind != jsonpos.String {
		return true
	}
	switch strings.ToLower(t.Str) {
	case "string", "securestring":
		return true
	}
	return false
}

// nullable reports whether a parameter declaration (or the type it
// refers to) allows null.
func (f *frame) nullable(def *jsonpos.Node) bool {
	for range 8 {
		if n := def.GetFold("nullable"); n != nil && n.Kind == jsonpos.Bool && n.Bool {
			return true
		}
		ref := def.GetFold("$ref")
		if ref == nil || ref.Kind != jsonpos.String {
			return false
		}
		name, ok := strings.CutPrefix(ref.Str, "#/definitions/")
		if !ok {
			return false
		}
		defs := f.t.root.GetFold("definitions")
		next := defs.GetFold(name)
		if next == nil {
			return false
		}
		def = next
	}
	return false
}

// variable resolves a variable, once per mode.
func (f *frame) variable(name string, names bool) (any, error) {
	v := f.vars[strings.ToLower(name)]
	if v == nil {
		return nil, fmt.Errorf("the template has no variable %q", name)
	}
	mode := 0
	if names {
		mode = 1
	}
	switch v.state[mode] {
	case 2:
		return v.value[mode], nil
	case 1:
		return nil, fmt.Errorf("variable %q refers to itself", v.name)
	}
	if mode == 1 && v.state[0] == 2 && !armexpr.ContainsUnknown(v.value[0]) {
		return v.value[0], nil
	}
	if err := f.ev.enter(); err != nil {
		return nil, err
	}
	defer f.ev.leave()
	v.state[mode] = 1
	c := v.f.ctx(v.f.loops, names)
	c.file = v.file
	var val any
	if v.copy {
		val = c.evalCopyArray(v.node)
	} else {
		val = c.eval(v.node)
	}
	v.value[mode], v.state[mode] = val, 2
	return val, nil
}

func (f *frame) callUserFunc(namespace, name string, args []any) (any, error) {
	uf := f.funcs[strings.ToLower(namespace+"."+name)]
	if uf == nil {
		return nil, fmt.Errorf("unknown user-defined function %s.%s", namespace, name)
	}
	if len(args) != len(uf.params) {
		return nil, fmt.Errorf("%s.%s expects %d arguments, got %d", namespace, name, len(uf.params), len(args))
	}
	if uf.output == nil {
		return nil, fmt.Errorf("%s.%s has no output value", namespace, name)
	}
	if err := f.ev.enter(); err != nil {
		return nil, err
	}
	defer f.ev.leave()
	c := uf.f.ctx(nil, false)
	c.udfArgs = make(map[string]any, len(args))
	for i, p := range uf.params {
		c.udfArgs[p] = args[i]
	}
	c.env = c.buildEnv()
	return c.evalStrict(uf.output)
}

// isSecureParam reports whether a declaration is a securestring or
// secureObject (or marked secure): its value is a secret no parameter
// file is expected to hold.
func isSecureParam(def *jsonpos.Node) bool {
	if t := def.GetFold("type"); t != nil && t.Kind == jsonpos.String && strings.HasPrefix(strings.ToLower(t.Str), "secure") {
		return true
	}
	if md := def.GetFold("metadata"); md != nil {
		if s := md.GetFold("__bicep_secure"); s != nil && s.Kind == jsonpos.Bool && s.Bool {
			return true
		}
	}
	return false
}
