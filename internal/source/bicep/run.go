package bicep

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/kvguard/kvguard/internal/armexpr"
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

// parsedFile is a parsed source and its text.
type parsedFile struct {
	file *syntax.File
	src  string
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
