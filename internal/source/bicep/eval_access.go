package bicep

import (
	"fmt"

	"github.com/kvguard/kvguard/internal/armexpr"
	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/source/bicep/syntax"
)

// evalAccess evaluates x.name, x[i] and x::child. short reports that a
// safe access (.? or [?]) earlier in the chain met null, which makes the
// rest of the chain null too.
func (fe *fileEval) evalAccess(e syntax.Expr, sc *locals) (v any, short bool, err error) {
	switch x := e.(type) {
	case *syntax.PropertyExpr:
		return fe.evalProperty(x, sc)
	case *syntax.IndexExpr:
		return fe.evalIndex(x, sc)
	case *syntax.ResourceAccessExpr:
		base, err := fe.eval(x.X, sc)
		if err != nil {
			return nil, false, err
		}
		r, ok := base.(*resRef)
		if !ok {
			return nil, false, &evalError{pos: x.Pos(), msg: "'::' needs a resource on its left"}
		}
		child, ok := r.sym.children[x.Name.Name]
		if !ok {
			return nil, false, &evalError{pos: x.Name.Pos(), msg: fmt.Sprintf("resource %s has no nested resource %q", r.sym.decl.Name.Name, x.Name.Name)}
		}
		return &resRef{sym: child, index: -1}, false, nil
	}
	v, err = fe.eval(e, sc)
	return v, false, err
}

// base evaluates the left side of an access, keeping the chain's
// short-circuit state.
func (fe *fileEval) base(e syntax.Expr, sc *locals) (any, bool, error) {
	switch x := e.(type) {
	case *syntax.PropertyExpr, *syntax.IndexExpr, *syntax.ResourceAccessExpr:
		return fe.evalAccess(e, sc)
	case *syntax.NonNullExpr:
		return fe.base(x.X, sc)
	}
	v, err := fe.eval(e, sc)
	return v, false, err
}

func (fe *fileEval) evalProperty(x *syntax.PropertyExpr, sc *locals) (any, bool, error) {
	// ns.name for a wildcard import.
	if id, ok := x.X.(*syntax.Ident); ok {
		if _, local := sc.lookup(id.Name); !local {
			if s, ok := fe.syms[id.Name]; ok && s.kind == symImportNS {
				t, ok := s.ns.syms[x.Name.Name]
				if !ok {
					return nil, false, &evalError{pos: x.Name.Pos(), msg: fmt.Sprintf("%s has no exported symbol %q", id.Name, x.Name.Name)}
				}
				v, err := s.ns.symbolValue(t, x)
				return v, false, err
			}
		}
	}
	b, short, err := fe.base(x.X, sc)
	if err != nil || short {
		return nil, short, err
	}
	if b == nil && x.Safe {
		return nil, true, nil
	}
	switch r := b.(type) {
	case *resRef:
		v, err := fe.resourceProperty(r, x)
		return v, false, err
	case *modRef:
		v, err := fe.moduleProperty(r, x)
		return v, false, err
	case *paramResource:
		v, ok := r.property(x.Name.Name)
		if !ok || resource.IsUnknown(v) {
			return fe.unknownAt(x), false, nil
		}
		return v, false, nil
	case *scopeRef:
		v, ok := r.property(x.Name.Name)
		if !ok || resource.IsUnknown(v) {
			return fe.unknownAt(x), false, nil
		}
		return v, false, nil
	case resource.Unknown:
		if fe.names {
			// Names mode keeps the base's expression, so that names built
			// from it (written as placeholders) stay apart.
			return resource.Unknown{Expr: r.Expr + "." + x.Name.Name}, false, nil
		}
		return fe.unknownAt(x), false, nil
	}
	if x.Safe {
		if m, ok := b.(map[string]any); ok {
			v, found := resource.LookupFold(m, x.Name.Name)
			if !found {
				return nil, true, nil
			}
			return v, v == nil, nil
		}
	}
	v, err := armexpr.Property(b, x.Name.Name)
	if err != nil {
		return nil, false, &evalError{pos: x.Name.Pos(), msg: err.Error(), err: err}
	}
	if resource.IsUnknown(v) {
		return fe.unknownAt(x), false, nil
	}
	return v, false, nil
}

func (fe *fileEval) evalIndex(x *syntax.IndexExpr, sc *locals) (any, bool, error) {
	b, short, err := fe.base(x.X, sc)
	if err != nil || short {
		return nil, short, err
	}
	idx, err := fe.value(x.Index, sc)
	if err != nil {
		return nil, false, err
	}
	if b == nil && x.Safe {
		return nil, true, nil
	}
	switch r := b.(type) {
	case *resRef:
		if name, ok := idx.(string); ok {
			// kv['id'] is kv.id.
			v, err := fe.resourceProperty(r, &syntax.PropertyExpr{Span: x.Span, X: x.X, Name: &syntax.Ident{Span: syntax.Span{From: x.Index.Pos(), To: x.Index.End()}, Name: name}})
			return v, false, err
		}
		if u, ok := idx.(resource.Unknown); ok && fe.names && r.index < 0 && r.sym.loop != nil {
			// kvs[i % 2] in names mode: the copy whose loop item is
			// unknown, so that an ID built from it is still written out.
			return &resRef{sym: r.sym, index: -1, unknownIdx: &u}, false, nil
		}
		return fe.indexLoop(x, idx, r.index, func(i int) any { return &resRef{sym: r.sym, index: i} })
	case *modRef:
		return fe.indexLoop(x, idx, r.index, func(i int) any { return &modRef{sym: r.sym, index: i} })
	case resource.Unknown:
		if fe.names {
			return resource.Unknown{Expr: r.Expr + "[" + armexpr.RenderValue(idx) + "]"}, false, nil
		}
		return fe.unknownAt(x), false, nil
	}
	if resource.IsUnknown(idx) {
		return fe.unknownAt(x), false, nil
	}
	if x.FromEnd {
		arr, ok := b.([]any)
		n, isInt := idx.(int64)
		if !ok || !isInt {
			return nil, false, &evalError{pos: x.Pos(), msg: "[^i] needs an array and an integer"}
		}
		idx = int64(len(arr)) - n
	}
	v, err := armexpr.Index(b, idx)
	if err != nil {
		if x.Safe {
			return nil, true, nil
		}
		return nil, false, &evalError{pos: x.Index.Pos(), msg: err.Error(), err: err}
	}
	if x.Safe && v == nil {
		return nil, true, nil
	}
	if resource.IsUnknown(v) {
		return fe.unknownAt(x), false, nil
	}
	return v, false, nil
}

// indexLoop selects one copy of a looped resource or module: kvs[2].
func (fe *fileEval) indexLoop(x *syntax.IndexExpr, idx any, cur int, ref func(int) any) (any, bool, error) {
	if cur >= 0 {
		return nil, false, &evalError{pos: x.Pos(), msg: "a resource copy cannot be indexed again"}
	}
	if resource.IsUnknown(idx) {
		return fe.unknownAt(x), false, nil
	}
	i, ok := idx.(int64)
	if !ok || i < 0 || i > maxLoop {
		return nil, false, &evalError{pos: x.Index.Pos(), msg: fmt.Sprintf("a resource copy index must be an integer from 0, not %s", armexpr.RenderValue(idx))}
	}
	return ref(int(i)), false, nil
}
