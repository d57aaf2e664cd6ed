package bicep

import (
	"errors"
	"fmt"
	"strings"

	"github.com/kvguard/kvguard/internal/armexpr"
	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/source/bicep/syntax"
)

// Limits that keep a hostile or broken file from hanging a scan.
const (
	// maxLoop is the most iterations one loop may have; Azure Resource
	// Manager's own copy limit is 800.
	maxLoop = 800
	// maxSteps bounds the expression nodes evaluated per scan.
	maxSteps = 5_000_000
	// maxVarDepth bounds chains of variables referring to variables.
	maxVarDepth = 500
	// maxModuleDepth bounds modules calling modules.
	maxModuleDepth = 16
)

// errReported marks an evaluation failure whose cause has already been
// reported; dependents turn it into an unknown without a second message.
var errReported = errors.New("error already reported")

// evalError is an evaluation problem at a node.
type evalError struct {
	pos syntax.Pos
	msg string
	err error
}

func (e *evalError) Error() string { return e.msg }

func (e *evalError) Unwrap() error { return e.err }

// locals is a chain of local bindings: loop variables, lambda parameters.
type locals struct {
	parent *locals
	name   string
	value  any
}

func (l *locals) lookup(name string) (any, bool) {
	for s := l; s != nil; s = s.parent {
		if s.name == name {
			return s.value, true
		}
	}
	return nil, false
}

func (l *locals) bind(name string, v any) *locals {
	return &locals{parent: l, name: name, value: v}
}

// symKind classifies a file-level symbol.
type symKind uint8

const (
	symParam symKind = iota + 1
	symVar
	symResource
	symModule
	symFunc
	symImportNS
)

// String renders a symbol kind for messages.
func (k symKind) String() string {
	switch k {
	case symParam:
		return "parameter"
	case symVar:
		return "variable"
	case symResource:
		return "resource"
	case symModule:
		return "module"
	case symFunc:
		return "function"
	}
	return fmt.Sprintf("symbol(%d)", int(k))
}

func kindName(k symKind) string {
	if k == symParam {
		return "parameter"
	}
	return "variable"
}

// evalState tracks lazy evaluation of a variable or parameter, to find
// cycles.
type evalState uint8

const (
	stateNew evalState = iota
	stateBusy
	stateDone
)

// symbol is a name declared in a file (or imported into it).
type symbol struct {
	kind symKind
	name string
	pos  syntax.Pos
	// state and value cache the symbol per mode (value, names).
	state [2]evalState
	value [2]any
	// alt is a parameter's value in names mode when it was given from
	// outside (a module's params) with an unknown value.
	alt    any
	hasAlt bool
	// owner is the file the declaration belongs to (imports bring symbols
	// of other files).
	owner *fileEval
	param *syntax.ParamDecl
	varD  *syntax.VarDecl
	fn    *syntax.FuncDecl
	res   *resSym
	mod   *modSym
	ns    *fileEval
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

// fileEval evaluates one instance of a Bicep file: the main file, or a
// module with the parameters its caller passes.
type fileEval struct {
	run    *run
	file   *syntax.File
	src    string
	dep    armexpr.Deployment
	env    *armexpr.Env
	prefix string // address prefix for resources of a module instance
	depth  int    // module nesting
	syms   map[string]*symbol
	// provided are parameter values given from outside (parameters file,
	// module params); missing names take their defaults.
	provided map[string]any
	// providedAlt are names-mode values of provided parameters whose value
	// holds unknowns (see mode).
	providedAlt map[string]any
	// resources in declaration order, nested ones after their parent.
	resources []*resSym
	modules   []*modSym
	varDepth  int
	// caller is the file instance whose module this one is, if any.
	caller *fileEval
	// names is set in the names-mode view of the instance; twin is the
	// other view (see mode).
	names bool
	twin  *fileEval
	// paramsUnknown is set when the caller's params object is unknown.
	paramsUnknown bool
	// maybe says why the file instance's resources may not be deployed
	// at all (a module copy of a loop over an unknown collection), or "".
	maybe string
}

// take reserves n resource instances of the read's budget (see
// arm.Budget); false means the cap is passed: that is reported once, and
// nothing more is expanded.
func (fe *fileEval) take(n int, at syntax.Node) bool {
	b := fe.run.budget
	wasSpent := b.Spent()
	if b.Take(n) {
		return true
	}
	if !wasSpent {
		fe.run.report(resource.Errorf(fe.position(at.Pos()), "the input expands to more than %d resource instances (loops multiplied through modules and nested deployments; %d so far, %d more here); it is not expanded further, and the rest of the input is not read (--max-instances raises the cap)",
			b.Max(), b.Used(), n))
	}
	return false
}

// errorf records an evaluation error at pos and returns errReported.
func (fe *fileEval) errorf(pos syntax.Pos, format string, args ...any) error {
	if fe.names {
		// Names mode repeats evaluations value mode has reported; its
		// failures fall back to the value-mode result.
		return errReported
	}
	fe.run.report(resource.Errorf(resource.Position{File: fe.file.Name, Line: pos.Line, Col: pos.Col}, format, args...))
	return errReported
}

// fail turns an error from evaluating node n into errReported, reporting
// it unless that already happened.
func (fe *fileEval) fail(n syntax.Node, err error) error {
	if errors.Is(err, errReported) {
		return errReported
	}
	var ee *evalError
	if errors.As(err, &ee) {
		return fe.errorf(ee.pos, "%s", ee.msg)
	}
	return fe.errorf(n.Pos(), "%v", err)
}

// text returns the source text of a node, on one line, for unknown values
// and messages.
func (fe *fileEval) text(n syntax.Node) string {
	from, to := n.Pos().Offset, n.End().Offset
	if from < 0 || to > len(fe.src) || from >= to {
		return "?"
	}
	s := strings.Join(strings.Fields(fe.src[from:to]), " ")
	if len(s) > 200 {
		s = s[:197] + "..."
	}
	return s
}

// unknownAt is the unknown value of expression n.
func (fe *fileEval) unknownAt(n syntax.Node) resource.Unknown {
	return resource.Unknown{Expr: fe.text(n)}
}

// position converts a Pos of this file to a resource.Position.
func (fe *fileEval) position(p syntax.Pos) resource.Position {
	return resource.Position{File: fe.file.Name, Line: p.Line, Col: p.Col}
}

// step counts evaluation work against maxSteps.
func (fe *fileEval) step(n syntax.Node) error {
	fe.run.steps++
	if fe.run.steps == maxSteps {
		return fe.errorf(n.Pos(), "evaluation stopped after %d steps: the file is too expensive to evaluate (huge loops or recursion)", maxSteps)
	}
	if fe.run.steps > maxSteps {
		return errReported
	}
	if fe.run.steps%4096 == 0 && fe.run.ctx.Err() != nil {
		return fe.run.ctx.Err()
	}
	return nil
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
// IDs of related resources still match, and format() writes any other
// unknown part as "[expression]" (armexpr.Env.Placeholders). Both views
// share the symbols, which cache a value per mode.
func (fe *fileEval) mode(names bool) *fileEval {
	if fe.names == names {
		return fe
	}
	if fe.twin == nil {
		t := *fe
		t.names = names
		t.varDepth = 0
		t.twin = fe
		env := *fe.env
		env.Placeholders = names
		t.env = &env
		fe.twin = &t
	}
	return fe.twin
}

// isBuiltinNamespace reports whether name is one of the built-in
// namespaces: sys.concat(), az.resourceGroup().
func isBuiltinNamespace(name string) bool { return name == "sys" || name == "az" }

// builtin finds a template function: the library's, or one of the
// functions added for Bicep (armexpr.BicepExtra).
func builtin(name string) (armexpr.Func, bool) {
	if fn, ok := armexpr.Builtin(name); ok {
		return fn, true
	}
	return armexpr.BicepExtra(name)
}

// callBuiltin calls an ARM template function by name. An unknown result
// is renamed after the Bicep expression n that produced it.
func (fe *fileEval) callBuiltin(n syntax.Node, name string, args ...any) (any, error) {
	fn, ok := builtin(name)
	if !ok {
		return nil, &evalError{pos: n.Pos(), msg: fmt.Sprintf("function %s is not available", name)}
	}
	v, err := fn(fe.env, args)
	if err != nil {
		return nil, &evalError{pos: n.Pos(), msg: fmt.Sprintf("%s: %v", name, err), err: err}
	}
	if u, ok := v.(resource.Unknown); ok {
		// Renamed after the Bicep expression; its choices stay.
		r := fe.unknownAt(n)
		r.Choices = u.Choices
		return r, nil
	}
	return v, nil
}
