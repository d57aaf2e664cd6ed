package bicep

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/kvguard/kvguard/internal/armexpr"
	"github.com/kvguard/kvguard/internal/readfs"
	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/source/bicep/syntax"
	"github.com/kvguard/kvguard/internal/source/internal/arm"
)

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
	// ReadRoots are the directories a Bicep file may read from (modules,
	// imports, parameters files it names, and the load*() functions),
	// besides the top level of the git repository holding it (else its
	// directory): the scanned trees. Nothing outside them is read, nor
	// through a symlink that leaves them, nor a device, FIFO or /proc.
	ReadRoots []string
	// AllowEnv names the environment variables readEnvironmentVariable()
	// may read in a .bicepparam file (--allow-env). Any other is refused
	// with an input error; the value is unknown.
	AllowEnv []string
	// RestoreCache is the Bicep restore cache registry modules are read
	// from; empty means the cacheRootDirectory of the nearest
	// bicepconfig.json, else ~/.bicep (where bicep restore puts them).
	RestoreCache string
	// MaxInstances caps the resource instances one input may expand to
	// (loops multiplied through modules and nested deployments); zero
	// means resource.DefaultMaxInstances.
	MaxInstances int
}

// maxReported caps the problems reported per scan.
const maxReported = 100

// maxFileSize is the largest Bicep source read.
const maxFileSize = 32 << 20

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
	configs   map[string]bicepConfig // bicepConfig's, by directory
	imports   map[string]*fileEval
	// reading holds the parameters files being read, against extends
	// cycles.
	reading map[string]bool
	// mapper turns evaluated resources into documents: the ARM template
	// reader's rules, so that a Bicep file and its compiled template
	// give equal documents.
	mapper *arm.Mapper
	arm    *arm.Engine
	// budget counts the resource instances of the read, modules and
	// nested templates included.
	budget *arm.Budget
	// root confines what the read may read besides its input; trusted
	// are the files the user named (the input, --parameters), by
	// cleaned path.
	root    *arm.ReadRoot
	trusted map[string]bool
}

// newRun prepares the read of the input at path.
func newRun(ctx context.Context, opts Options, path string) *run {
	return newRunIn(ctx, opts, arm.ResolveRootDirs(opts.ReadRoots), path)
}

// newRunIn is newRun with opts.ReadRoots already resolved.
func newRunIn(ctx context.Context, opts Options, roots arm.RootDirs, path string) *run {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	rn := &run{ctx: ctx, opts: opts, log: opts.Logger, parsed: map[string]*parsedFile{}, seen: map[string]bool{}}
	rn.mapper = arm.NewMapper(opts.Logger, rn.report)
	rn.budget = arm.NewBudget(opts.MaxInstances)
	rn.root = roots.For(path)
	rn.trusted = map[string]bool{filepath.Clean(path): true}
	for _, f := range opts.ParameterFiles {
		rn.trusted[filepath.Clean(f)] = true
	}
	rn.dep = opts.Deployment
	if rn.dep == (armexpr.Deployment{}) {
		rn.dep = armexpr.DefaultDeployment()
	}
	rn.dep = rn.dep.WithDefaults()
	return rn
}

// parsedFile is a parsed source and its text.
type parsedFile struct {
	file *syntax.File
	src  string
}

// armEngine is the template evaluation that evaluates modules written as
// templates and inline nested deployments.
func (r *run) armEngine() *arm.Engine {
	if r.arm == nil {
		r.arm = arm.New(arm.Options{Deployment: r.dep, Logger: r.log, Budget: r.budget, ReadRoot: r.root})
	}
	return r.arm
}

// add hands an evaluated resource to the mapper.
func (r *run) add(res *arm.Resource) {
	r.mapper.Add(res)
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

// unjoin lists the errors joined in err.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// readFile reads a file the read needs: the input and the --parameters
// files as they are (the user named them), anything else (modules,
// imports, parameters files the code names, load*() files) only through
// the read root.
func (r *run) readFile(path string, limit int64) ([]byte, error) {
	if !r.trusted[filepath.Clean(path)] {
		return r.root.ReadFile(path, limit)
	}
	if data, err := readfs.ReadFile(path, limit); !errors.Is(err, readfs.ErrSymlink) && !errors.Is(err, readfs.ErrNotRegular) {
		if errors.Is(err, readfs.ErrTooLarge) {
			return nil, fmt.Errorf("%s is larger than %d bytes", path, limit)
		}
		return data, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, limit)
	}
	return data, nil
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
	src, err := r.readFile(path, maxFileSize)
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

// isRegistryPath reports whether a module path names a registry module
// (br:, br/alias:, ts:, ts/alias:).
func isRegistryPath(p string) bool {
	for _, prefix := range []string{"br:", "br/", "ts:", "ts/"} {
		if strings.HasPrefix(p, prefix) {
			return true
		}
	}
	return false
}

// sameFile reports whether two paths name one file (the same inode, or
// the same cleaned path when either cannot be read).
func sameFile(a, b string) bool {
	ia, errA := os.Stat(a)
	ib, errB := os.Stat(b)
	if errA == nil && errB == nil {
		return os.SameFile(ia, ib)
	}
	return filepath.Clean(a) == filepath.Clean(b)
}
