package bicep

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/kvguard/kvguard/internal/armexpr"
	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/source/bicep/syntax"
	"github.com/kvguard/kvguard/internal/source/internal/arm"
)

// maxReported caps the problems reported per scan.
const maxReported = 100

// maxFileSize is the largest Bicep source read.
const maxFileSize = 32 << 20

// Options configure a Reader.
type Options struct {
	// ParameterFiles are the --parameters files: .bicepparam or ARM
	// *.parameters.json. Empty: main.bicepparam beside main.bicep, if any.
	ParameterFiles []string
	// Deployment is the deployment context; zero means
	// armexpr.DefaultDeployment(). The file's targetScope overrides its
	// Scope: a file can only be deployed at the scope it declares.
	Deployment armexpr.Deployment
	// Logger receives diagnostics; nil discards them.
	Logger *slog.Logger
}

// Reader reads Bicep files into resource documents.
type Reader struct {
	opts Options
}

// New returns a Reader.
func New(opts Options) *Reader {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Reader{opts: opts}
}

// Read reads the Bicep file (or the .bicepparam file) at path and calls
// emit for each document, in declaration order. It returns nil or the
// errors.Join of *resource.InputError values; warnings (registry modules
// not followed, ...) have Warning set. Everything that can be read is
// read, whatever fails.
func (r *Reader) Read(ctx context.Context, path string, emit func(*resource.Document)) (err error) {
	rn := &run{ctx: ctx, opts: r.opts, log: r.opts.Logger, parsed: map[string]*parsedFile{},
		emit: emit, mapper: arm.NewMapper(r.opts.Logger), seen: map[string]bool{}}
	rn.dep = r.opts.Deployment
	if rn.dep == (armexpr.Deployment{}) {
		rn.dep = armexpr.DefaultDeployment()
	}
	rn.dep = rn.dep.WithDefaults()
	defer func() {
		if p := recover(); p != nil {
			r.opts.Logger.Error("bicep reader panic", "file", path, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			rn.report(resource.Errorf(resource.Position{File: path}, "internal error reading Bicep: %v", p))
		}
		err = errors.Join(rn.errs...)
	}()
	rn.read(path)
	rn.mapper.Finish(emit)
	return nil
}

// run is the state of one Read.
type run struct {
	ctx       context.Context
	opts      Options
	log       *slog.Logger
	dep       armexpr.Deployment
	errs      []error
	seen      map[string]bool
	steps     int
	callDepth int
	parsed    map[string]*parsedFile
	imports   map[string]*fileEval
	// reading holds the parameters files being read, against extends
	// cycles.
	reading map[string]bool
	emit    func(*resource.Document)
	// mapper turns evaluated resources into documents: the ARM template
	// reader's rules, so that a Bicep file and its compiled template
	// give equal documents.
	mapper *arm.Mapper
	arm    *arm.Engine
}

// armEngine is the template evaluation that evaluates modules written as
// templates and inline nested deployments.
func (r *run) armEngine() *arm.Engine {
	if r.arm == nil {
		r.arm = arm.New(arm.Options{Deployment: r.dep, Logger: r.log})
	}
	return r.arm
}

// add hands an evaluated resource to the mapper.
func (r *run) add(res *arm.Resource) {
	if err := r.mapper.Add(res); err != nil {
		r.report(err)
	}
}

// parsedFile is a parsed source and its text.
type parsedFile struct {
	file *syntax.File
	src  string
}

// report records a problem once.
func (r *run) report(e *resource.InputError) {
	key := e.Error()
	if r.seen[key] {
		return
	}
	r.seen[key] = true
	if len(r.errs) >= maxReported {
		if len(r.errs) == maxReported {
			r.errs = append(r.errs, resource.Errorf(e.Pos, "too many problems; the rest are not reported"))
		}
		return
	}
	r.errs = append(r.errs, e)
}

// reportAll records every InputError joined in err.
func (r *run) reportAll(err error) {
	for _, e := range unjoin(err) {
		var ie *resource.InputError
		if errors.As(e, &ie) {
			r.report(ie)
		} else if e != nil {
			r.report(resource.Errorf(resource.Position{}, "%v", e))
		}
	}
}

// parseFile reads and parses a Bicep or parameters file once per run.
// Syntax errors are reported; the tree holds what parsed.
func (r *run) parseFile(path string) (*parsedFile, error) {
	key := filepath.Clean(path)
	if pf, ok := r.parsed[key]; ok {
		if pf == nil {
			return nil, fmt.Errorf("%s is used by itself (a module or import cycle)", path)
		}
		return pf, nil
	}
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if info.Size() > maxFileSize {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, maxFileSize)
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	r.parsed[key] = nil
	parseFn := syntax.Parse
	if strings.EqualFold(filepath.Ext(path), ".bicepparam") {
		parseFn = syntax.ParseParams
	}
	f, perr := parseFn(src, path)
	if perr != nil {
		r.reportAll(perr)
	}
	pf := &parsedFile{file: f, src: string(src)}
	r.parsed[key] = pf
	return pf, nil
}

// read scans one input path.
func (r *run) read(path string) {
	main := path
	var params map[string]any
	if strings.EqualFold(filepath.Ext(path), ".bicepparam") {
		pf, err := r.readParamFile(path)
		if err != nil {
			r.reportAll(err)
			return
		}
		if pf.using == "" {
			r.report(resource.Errorf(resource.Position{File: path}, "parameters file has no using declaration naming its Bicep file"))
			return
		}
		main, params = pf.using, pf.values
		// --parameters files still apply on top.
		for _, f := range r.opts.ParameterFiles {
			more, err := r.readParamFile(f)
			if err != nil {
				r.reportAll(err)
				continue
			}
			for k, v := range more.values {
				params[k] = v
			}
		}
	} else {
		var err error
		params, err = r.paramsFor(path)
		if err != nil {
			r.reportAll(err)
		}
	}
	r.log.Debug("reading bicep", "file", main)
	pf, err := r.parseFile(main)
	if err != nil {
		r.report(resource.Errorf(resource.Position{File: main}, "read bicep: %v", err))
		return
	}
	fe, err := r.newFileEval(pf, r.dep, params, "", 0)
	if err != nil {
		r.reportAll(err)
		return
	}
	fe.run.checkUnusedParams(fe, params)
	fe.emitAll()
}

// checkUnusedParams warns about parameter values the file does not declare.
func (r *run) checkUnusedParams(fe *fileEval, params map[string]any) {
	for _, name := range slices.Sorted(maps.Keys(params)) {
		if !fe.declaresParam(name) {
			r.report(resource.Warnf(resource.Position{File: fe.file.Name}, "parameter %q is given a value but not declared", name))
		}
	}
}

// newFileEval declares the symbols of a file instance.
func (r *run) newFileEval(pf *parsedFile, dep armexpr.Deployment, params map[string]any, prefix string, depth int) (*fileEval, error) {
	fe := &fileEval{run: r, file: pf.file, src: pf.src, dep: dep, prefix: prefix, depth: depth,
		syms: map[string]*symbol{}, provided: params, paramsUnknown: params == nil}
	for _, d := range pf.file.Decls {
		if depth > 0 {
			// A module's scope is where its caller deploys it.
			break
		}
		if ts, ok := d.(*syntax.TargetScopeDecl); ok {
			if s, ok := ts.Value.(*syntax.StringExpr); ok {
				if v, ok := s.Literal(); ok {
					fe.dep.Scope = v
				}
			}
		}
	}
	fe.env = &armexpr.Env{Deployment: fe.dep}
	for _, d := range pf.file.Decls {
		fe.declare(d)
	}
	fe.check()
	return fe, nil
}

// declare adds a declaration's symbol.
func (fe *fileEval) declare(d syntax.Decl) {
	add := func(id *syntax.Ident, s *symbol) {
		if id == nil {
			return
		}
		if _, dup := fe.syms[id.Name]; dup {
			_ = fe.errorf(id.Pos(), "%q is declared more than once", id.Name)
			return
		}
		s.name, s.pos, s.owner = id.Name, id.Pos(), fe
		fe.syms[id.Name] = s
	}
	switch x := d.(type) {
	case *syntax.ParamDecl:
		add(x.Name, &symbol{kind: symParam, param: x})
	case *syntax.VarDecl:
		add(x.Name, &symbol{kind: symVar, varD: x})
	case *syntax.ParamAssign:
		add(x.Name, &symbol{kind: symVar, varD: &syntax.VarDecl{Span: x.Span, Name: x.Name, Value: x.Value}})
	case *syntax.FuncDecl:
		add(x.Name, &symbol{kind: symFunc, fn: x})
	case *syntax.ResourceDecl:
		rs, err := fe.declareResource(x, nil)
		if err == nil {
			add(x.Name, &symbol{kind: symResource, res: rs})
		}
	case *syntax.ModuleDecl:
		fe.declareModule(x)
	case *syntax.ImportDecl:
		fe.declareImport(x)
	}
}

// declareImport brings the exported symbols of another Bicep file in.
func (fe *fileEval) declareImport(d *syntax.ImportDecl) {
	p, ok := d.From.Literal()
	if !ok {
		_ = fe.errorf(d.From.Pos(), "an import path must be a literal string")
		return
	}
	if isRegistryPath(p) || !strings.EqualFold(filepath.Ext(p), ".bicep") {
		fe.run.report(resource.Warnf(fe.position(d.From.Pos()), "import from %s not followed; imported symbols are unknown", p))
		for _, it := range d.Items {
			name := it.Name
			if it.Alias != nil {
				name = it.Alias.Name
			}
			fe.syms[name] = &symbol{kind: symVar, name: name, state: [2]evalState{stateDone, stateDone},
				value: [2]any{resource.Unknown{Expr: name}, resource.Unknown{Expr: name}}, owner: fe}
		}
		return
	}
	target := filepath.Join(filepath.Dir(fe.file.Name), filepath.FromSlash(p))
	other, err := fe.run.importedFile(target, fe.dep)
	if err != nil {
		_ = fe.errorf(d.From.Pos(), "import %s: %v", p, err)
		return
	}
	if d.Wildcard != nil {
		fe.syms[d.Wildcard.Name] = &symbol{kind: symImportNS, name: d.Wildcard.Name, ns: other, owner: fe}
		return
	}
	for _, it := range d.Items {
		s, ok := other.syms[it.Name]
		if !ok {
			if !other.declaresType(it.Name) {
				_ = fe.errorf(it.Pos(), "%s does not export %q", p, it.Name)
			}
			continue
		}
		name := it.Name
		if it.Alias != nil {
			name = it.Alias.Name
		}
		fe.syms[name] = s
	}
}

// declaresType reports whether the file declares a type of that name
// (types matter to no value, but importing one is not an error).
func (fe *fileEval) declaresType(name string) bool {
	for _, d := range fe.file.Decls {
		if td, ok := d.(*syntax.TypeDecl); ok && td.Name.Name == name {
			return true
		}
	}
	return false
}

// importedFile evaluates an imported file once per run.
func (r *run) importedFile(path string, dep armexpr.Deployment) (*fileEval, error) {
	key := filepath.Clean(path)
	if r.imports == nil {
		r.imports = map[string]*fileEval{}
	}
	if fe, ok := r.imports[key]; ok {
		if fe == nil {
			return nil, errors.New("import cycle")
		}
		return fe, nil
	}
	r.imports[key] = nil
	pf, err := r.parseFile(path)
	if err != nil {
		return nil, err
	}
	fe, err := r.newFileEval(pf, dep, map[string]any{}, "", 0)
	if err != nil {
		return nil, err
	}
	r.imports[key] = fe
	return fe, nil
}

// declaresParam reports whether the file declares a parameter of that
// name (case-insensitively, as deployments match them).
func (fe *fileEval) declaresParam(name string) bool {
	for _, d := range fe.file.Decls {
		if p, ok := d.(*syntax.ParamDecl); ok && strings.EqualFold(p.Name.Name, name) {
			return true
		}
	}
	return false
}

// unjoin lists the errors joined in err.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
