package bicep

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/source/internal/arm"
)

// Reader reads Bicep files into resource documents.
type Reader struct {
	opts  Options
	roots arm.RootDirs // opts.ReadRoots, resolved once
}

// New returns a Reader.
func New(opts Options) *Reader {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Reader{opts: opts, roots: arm.ResolveRootDirs(opts.ReadRoots)}
}

// Read reads the Bicep file (or the .bicepparam file) at path and calls
// emit for each document, in declaration order. It returns nil or the
// errors.Join of *resource.InputError values; warnings (registry modules
// not followed, ...) have Warning set. Everything that can be read is
// read, whatever fails.
func (r *Reader) Read(ctx context.Context, path string, emit func(*resource.Document)) (err error) {
	rn := newRunIn(ctx, r.opts, r.roots, path)
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
	r.log.DebugContext(r.ctx, "reading bicep", "file", main)
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
