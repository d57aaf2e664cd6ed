package bicep

import (
	"fmt"

	"github.com/kvguard/kvguard/internal/armexpr"
	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/source/bicep/syntax"
)

func (fe *fileEval) evalIdent(id *syntax.Ident, sc *locals) (any, error) {
	if v, ok := sc.lookup(id.Name); ok {
		return v, nil
	}
	s, ok := fe.syms[id.Name]
	if !ok {
		return nil, &evalError{pos: id.Pos(), msg: fmt.Sprintf("unknown name %q", id.Name)}
	}
	return fe.symbolValue(s, id)
}

// symbolValue returns what a name refers to, evaluating parameters and
// variables on first use (once per mode).
func (fe *fileEval) symbolValue(s *symbol, at syntax.Node) (any, error) {
	switch s.kind {
	case symResource:
		return &resRef{sym: s.res, index: -1}, nil
	case symModule:
		return &modRef{sym: s.mod, index: -1}, nil
	case symFunc, symImportNS:
		return nil, &evalError{pos: at.Pos(), msg: fmt.Sprintf("%s cannot be used as a value", s.name)}
	case symParam:
		if rt, ok := s.param.Type.(*syntax.ResourceType); ok {
			v, err := fe.cachedValue(s, at)
			if err != nil {
				return nil, err
			}
			return newParamResource(v, rt), nil
		}
	}
	return fe.cachedValue(s, at)
}

// cachedValue evaluates a parameter or variable once per mode.
func (fe *fileEval) cachedValue(s *symbol, at syntax.Node) (any, error) {
	m := fe.modeIndex()
	if fe.names && s.kind == symVar && s.state[0] == stateDone && !armexpr.ContainsUnknown(s.value[0]) {
		// Names mode changes only what depends on unknown parameters.
		return s.value[0], nil
	}
	switch s.state[m] {
	case stateDone:
		return s.value[m], nil
	case stateBusy:
		return nil, fe.errorf(at.Pos(), "%s %q refers to itself (through %s)", kindName(s.kind), s.name, fe.text(at))
	}
	owner := s.owner.mode(fe.names)
	owner.varDepth++
	defer func() { owner.varDepth-- }()
	if owner.varDepth > maxVarDepth {
		return nil, fe.errorf(at.Pos(), "variables refer to variables more than %d levels deep", maxVarDepth)
	}
	s.state[m] = stateBusy
	v, err := owner.computeSymbol(s, at)
	if err != nil {
		// The problem is reported once; the symbol becomes unknown, so
		// that everything else can still be evaluated.
		_ = owner.fail(declNode(s), err)
		v = resource.Unknown{Expr: s.name}
	}
	s.state[m], s.value[m] = stateDone, v
	return v, nil
}

func (fe *fileEval) computeSymbol(s *symbol, at syntax.Node) (any, error) {
	switch s.kind {
	case symParam:
		if fe.names {
			return fe.paramNamesValue(s, at)
		}
		return fe.paramValue(s)
	case symVar:
		return fe.value(s.varD.Value, nil)
	}
	return s.value[fe.modeIndex()], nil
}

// paramValue is a parameter's value in value mode: given from outside,
// else its default, else null for a nullable type, else unknown. A
// @secure() parameter is always unknown, as the ARM template reader makes
// a securestring: its value is not for kvguard to read.
func (fe *fileEval) paramValue(s *symbol) (any, error) {
	v, err := fe.paramRaw(s)
	if err != nil {
		return nil, err
	}
	if isSecure(s.param) {
		return resource.Unknown{Expr: s.name}, nil
	}
	return v, nil
}

// paramNamesValue is a parameter's value in names mode: its value, or
// when that is unknown, the names-mode value of what gave it, or the
// placeholder "[parameters('name')]".
func (fe *fileEval) paramNamesValue(s *symbol, at syntax.Node) (any, error) {
	v, err := fe.mode(false).symbolValue(s, at)
	if err != nil {
		return nil, err
	}
	if !resource.IsUnknown(v) {
		return v, nil
	}
	if s.hasAlt {
		return s.alt, nil
	}
	if !isStringType(s.param.Type) {
		// An array or object has no placeholder string: names built from
		// its parts write them as placeholders, as the ARM reader does.
		return resource.Unknown{Expr: "parameters('" + s.name + "')"}, nil
	}
	return "[parameters('" + s.name + "')]", nil
}

// isStringType reports whether a parameter's declared type is string (or
// is not a plain type name kvguard can read): its names-mode value is the
// placeholder string.
func isStringType(t syntax.Type) bool {
	if n, ok := t.(*syntax.TypeName); ok && len(n.Parts) == 1 {
		switch n.Parts[0] {
		case "array", "object", "int", "bool":
			return false
		}
	}
	return true
}

// paramRaw resolves a parameter's value before the secure rule, and its
// names-mode alternative when the value holds unknowns.
func (fe *fileEval) paramRaw(s *symbol) (any, error) {
	d := s.param
	if fe.provided != nil {
		// Deployment parameters match case-insensitively, as in ARM.
		if v, ok := resource.LookupFold(fe.provided, s.name); ok {
			if alt, ok := fe.providedAlt[s.name]; ok {
				s.alt, s.hasAlt = alt, true
			}
			return v, nil
		}
	} else if fe.paramsUnknown {
		return resource.Unknown{Expr: s.name}, nil
	}
	if d.Default != nil {
		v, err := fe.value(d.Default, nil)
		if err != nil {
			return nil, err
		}
		if armexpr.ContainsUnknown(v) {
			if alt, err := fe.mode(true).value(d.Default, nil); err == nil {
				if str, ok := alt.(string); ok {
					s.alt, s.hasAlt = str, true
				}
			}
		}
		return v, nil
	}
	if fe.nullable(d.Type, 0) {
		return nil, nil
	}
	fe.run.report(resource.Warnf(fe.position(d.Name.Pos()), "parameter %q has no value (no default, and none given in a parameters file); it is treated as unknown", s.name))
	if choices := fe.paramChoices(d); len(choices) > 0 {
		// One of a few values: the policy engine judges each.
		return resource.UnknownOneOf(s.name, choices...), nil
	}
	return resource.Unknown{Expr: s.name}, nil
}

// paramChoices are the values a parameter without one can take, when
// there are few: its @allowed([...]) list, the members of a union of
// literal types ('a' | 'b'), or true and false for a bool.
func (fe *fileEval) paramChoices(d *syntax.ParamDecl) []any {
	for _, dec := range d.Decorators {
		c, ok := dec.Expr.(*syntax.CallExpr)
		if !ok || c.Name.Name != "allowed" || len(c.Args) != 1 {
			continue
		}
		if v, err := fe.value(c.Args[0], nil); err == nil {
			if arr, ok := v.([]any); ok && len(arr) > 0 && len(arr) <= 16 && !armexpr.ContainsUnknown(arr) {
				return arr
			}
		}
	}
	switch t := d.Type.(type) {
	case *syntax.TypeName:
		if len(t.Parts) == 1 && t.Parts[0] == "bool" {
			return []any{true, false}
		}
	case *syntax.UnionType:
		var out []any
		for _, m := range t.Members {
			lit, ok := m.(*syntax.LiteralType)
			if !ok {
				return nil
			}
			v, err := fe.value(lit.Value, nil)
			if err != nil || armexpr.ContainsUnknown(v) {
				return nil
			}
			out = append(out, v)
		}
		if len(out) <= 16 {
			return out
		}
	}
	return nil
}

// isSecure reports whether a parameter has the @secure() decorator.
func isSecure(d *syntax.ParamDecl) bool {
	return d != nil && hasDecorator(d.Decorators, "secure")
}

// hasDecorator reports whether ds hold @name(...) or @sys.name(...).
func hasDecorator(ds []*syntax.Decorator, name string) bool {
	for _, d := range ds {
		if c, ok := d.Expr.(*syntax.CallExpr); ok && c.Name.Name == name {
			if c.Recv == nil {
				return true
			}
			if id, ok := c.Recv.(*syntax.Ident); ok && id.Name == "sys" {
				return true
			}
		}
	}
	return false
}

// nullable reports whether a parameter type admits null (string?, or an
// alias of a nullable type), so that an unset parameter is null.
func (fe *fileEval) nullable(t syntax.Type, depth int) bool {
	if depth > 32 {
		return false
	}
	switch x := t.(type) {
	case *syntax.NullableType:
		return true
	case *syntax.ParenType:
		return fe.nullable(x.X, depth+1)
	case *syntax.UnionType:
		for _, m := range x.Members {
			if lit, ok := m.(*syntax.LiteralType); ok {
				if _, isNull := lit.Value.(*syntax.NullLit); isNull {
					return true
				}
			}
		}
	case *syntax.TypeName:
		if len(x.Parts) == 1 {
			for _, d := range fe.file.Decls {
				if td, ok := d.(*syntax.TypeDecl); ok && td.Name.Name == x.Parts[0] {
					return fe.nullable(td.Type, depth+1)
				}
			}
		}
	}
	return false
}
