package bicep

import (
	"errors"
	"fmt"

	"github.com/kvguard/kvguard/internal/source/bicep/syntax"
)

// eval evaluates an expression to plain JSON data plus unknowns and
// references (resRef, modRef, armexpr.Lambda) that only member access and
// calls consume; value() converts those for storage.
func (fe *fileEval) eval(e syntax.Expr, sc *locals) (any, error) {
	if err := fe.step(e); err != nil {
		return nil, err
	}
	switch x := e.(type) {
	case *syntax.IntLit:
		return x.Value, nil
	case *syntax.BoolLit:
		return x.Value, nil
	case *syntax.NullLit:
		return nil, nil
	case *syntax.StringExpr:
		return fe.evalString(x, sc)
	case *syntax.ParenExpr:
		return fe.eval(x.X, sc)
	case *syntax.NonNullExpr:
		return fe.eval(x.X, sc)
	case *syntax.ArrayExpr:
		return fe.evalArray(x, sc)
	case *syntax.ObjectExpr:
		return fe.evalObject(x, sc)
	case *syntax.ForExpr:
		return fe.evalFor(x, sc)
	case *syntax.UnaryExpr:
		return fe.evalUnary(x, sc)
	case *syntax.BinaryExpr:
		return fe.evalBinary(x, sc)
	case *syntax.TernaryExpr:
		return fe.evalTernary(x, sc)
	case *syntax.Ident:
		return fe.evalIdent(x, sc)
	case *syntax.CallExpr:
		return fe.evalCall(x, sc)
	case *syntax.PropertyExpr, *syntax.IndexExpr, *syntax.ResourceAccessExpr:
		v, _, err := fe.evalAccess(e, sc)
		return v, err
	case *syntax.LambdaExpr:
		return fe.lambda(x, sc), nil
	case *syntax.IfExpr:
		return nil, &evalError{pos: x.Pos(), msg: "'if' is only allowed in a resource or module declaration"}
	}
	return nil, &evalError{pos: e.Pos(), msg: fmt.Sprintf("cannot evaluate %T", e)}
}

// value evaluates e for storage in a body: references become unknowns
// (the compiler turns a bare resource symbol into reference(..., 'full')).
func (fe *fileEval) value(e syntax.Expr, sc *locals) (any, error) {
	v, err := fe.eval(e, sc)
	if err != nil {
		return nil, err
	}
	return fe.plain(v, e), nil
}

// member evaluates an element of an array or object literal. A failure
// is reported and makes that element unknown, not the whole literal: the
// compiled template has the element as an expression of its own, which
// the ARM template reader evaluates on its own.
func (fe *fileEval) member(e syntax.Expr, sc *locals) (any, error) {
	v, err := fe.value(e, sc)
	if err == nil || errors.Is(err, fe.run.ctx.Err()) {
		return v, err
	}
	if fe.run.steps >= maxSteps {
		return nil, err
	}
	_ = fe.fail(e, err)
	return fe.unknownAt(e), nil
}

// plain converts a reference to what a body holds for it: an unknown
// (a resource or module symbol), or a resource parameter's ID. Only the
// top level needs it: arrays and objects are built from plain values.
func (fe *fileEval) plain(v any, n syntax.Node) any {
	switch x := v.(type) {
	case *resRef, *modRef, *scopeRef:
		return fe.unknownAt(n)
	case *paramResource:
		return x.id
	}
	return v
}
