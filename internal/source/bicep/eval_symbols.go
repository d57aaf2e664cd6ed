package bicep

import (
	"fmt"
	"strings"

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

func kindName(k symKind) string {
	if k == symParam {
		return "parameter"
	}
	return "variable"
}

func declNode(s *symbol) syntax.Node {
	switch {
	case s.param != nil:
		return s.param
	case s.varD != nil:
		return s.varD
	}
	return &syntax.Ident{Span: syntax.Span{From: s.pos, To: s.pos}, Name: s.name}
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

// modeIndex is 0 in value mode, 1 in names mode.
func (fe *fileEval) modeIndex() int {
	if fe.names {
		return 1
	}
	return 0
}

// mode returns the view of the file instance that evaluates in names mode
// (names true) or value mode. Names mode is how the ARM template reader
// builds resource names and IDs: a parameter without a value becomes the
// placeholder "[parameters('name')]" instead of an unknown, so that the
// IDs of related resources still match. Both views share the symbols,
// which cache a value per mode.
func (fe *fileEval) mode(names bool) *fileEval {
	if fe.names == names {
		return fe
	}
	if fe.twin == nil {
		t := *fe
		t.names = names
		t.varDepth = 0
		t.twin = fe
		fe.twin = &t
	}
	return fe.twin
}

// paramResource is the value of a resource-typed parameter ("param kv
// resource 'Microsoft.KeyVault/vaults@2023-07-01'"): a resource known by
// its ID, which the parameter holds.
type paramResource struct {
	id      any
	typ     string
	version string
}

func newParamResource(id any, rt *syntax.ResourceType) *paramResource {
	p := &paramResource{id: id}
	if rt.Type != nil {
		if lit, ok := rt.Type.Literal(); ok {
			p.typ, p.version = splitType(lit)
		}
	}
	return p
}

// property is kv.id, kv.name (the last segment of the ID), kv.type and
// kv.apiVersion; anything else is read from the deployed resource.
func (p *paramResource) property(name string) (any, bool) {
	switch name {
	case "id":
		return p.id, true
	case "name":
		if s, ok := p.id.(string); ok {
			return s[strings.LastIndexByte(s, '/')+1:], true
		}
		return p.id, true
	case "type":
		return p.typ, true
	case "apiVersion":
		return p.version, true
	}
	return nil, false
}
