package arm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/kvguard/kvguard/internal/armexpr"
	"github.com/kvguard/kvguard/internal/jsonpos"
	"github.com/kvguard/kvguard/internal/resource"
)

// Limits that keep hostile templates from exhausting time and memory.
const (
	// MaxCopyCount is Azure's limit on the iterations of one copy loop; a
	// larger count is an error and only the first MaxCopyCount are read.
	MaxCopyCount = 800
	// MaxDocuments bounds the documents one Read may produce.
	MaxDocuments = 200_000
	// MaxDeploymentDepth bounds nested and linked deployments.
	MaxDeploymentDepth = 16
	// maxEvalDepth bounds variables, parameters and user functions that
	// refer to one another.
	maxEvalDepth = 128
	// MaxFileSize bounds a template or parameter file.
	MaxFileSize = 64 << 20
)

// Options configures an Engine.
type Options struct {
	// Deployment is the deployment context; the zero value means
	// armexpr.DefaultDeployment(). When its Scope is empty, a template's
	// $schema decides the scope.
	Deployment armexpr.Deployment
	// Logger receives diagnostics; nil discards them.
	Logger *slog.Logger
	// ReadRoot confines what linked templates and modules written as
	// templates may read; nil means the default root of each template
	// evaluated (NewReadRoot(nil, path)).
	ReadRoot *ReadRoot
	// MaxInstances caps the resource instances of one input (see Budget);
	// zero means resource.DefaultMaxInstances.
	MaxInstances int
	// Budget, when set, is the caller's: the instances of templates this
	// Engine evaluates count against the caller's own (a Bicep file's
	// modules written as templates). Nil means a Budget of MaxInstances.
	Budget *Budget
}

// Engine evaluates templates as Azure Resource Manager deploys them. One
// Engine serves one input (the templates it evaluates share its read
// root and its instance budget); it is not safe for concurrent use.
type Engine struct {
	opts   Options
	dep    armexpr.Deployment
	log    *slog.Logger
	budget *Budget
}

// New returns an Engine with opts.
func New(opts Options) *Engine {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	b := opts.Budget
	if b == nil {
		b = NewBudget(opts.MaxInstances)
	}
	return &Engine{opts: opts, dep: opts.Deployment.WithDefaults(), log: log, budget: b}
}

// Deploy evaluates the template root (the file at path) as a top-level
// deployment with the given parameter values (lower-cased names, from
// parameter files), handing its resources to m and its problems to
// report.
func (e *Engine) Deploy(ctx context.Context, path string, root *jsonpos.Node, values map[string]any, m *Mapper, report func(*resource.InputError)) {
	ev := newEvaluator(ctx, e, m)
	ev.report = report
	ev.input = path
	dep := e.dep
	if e.opts.Deployment.Scope == "" {
		if s := scopeFromSchema(root); s != "" {
			dep.Scope = s
		}
	}
	supplied := make(map[string]suppliedValue, len(values))
	for k, v := range values {
		supplied[k] = suppliedValue{value: v}
	}
	f := ev.newFrame(&template{file: path, root: root}, nil, dep, targetOf(dep), "", supplied)
	f.run()
}

// read reads a file a template names (a linked template, a module),
// through the ReadRoot.
func (e *Engine) read(path, input string) ([]byte, error) {
	root := e.opts.ReadRoot
	if root == nil {
		root = NewReadRoot(nil, input)
	}
	return root.ReadFile(path, MaxFileSize)
}

// ReadFile reads a template or parameter file the user named (an input, a
// --parameters file), at most MaxFileSize bytes. Files a template names
// are read through a ReadRoot instead.
func ReadFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("file is larger than %d MiB", MaxFileSize>>20)
	}
	return data, nil
}

// SyntaxError is the input error of a file that ParseJSON refused.
func SyntaxError(path string, err error) *resource.InputError {
	var se *jsonpos.SyntaxError
	if errors.As(err, &se) {
		return &resource.InputError{Pos: resource.Position{File: path, Line: se.Pos.Line, Col: se.Pos.Col}, Msg: "invalid JSON: " + se.Msg, Err: err}
	}
	return resource.Errorf(resource.Position{File: path}, "invalid JSON: %w", err)
}

// Pos converts a position in a template file.
func Pos(file string, p jsonpos.Pos) resource.Position {
	return resource.Position{File: file, Line: p.Line, Col: p.Col}
}

func pos(file string, p jsonpos.Pos) resource.Position { return Pos(file, p) }
