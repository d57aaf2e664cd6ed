package cli

import (
	"context"

	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/source"
)

// maxInstancesHelp documents --max-instances.
const maxInstancesHelp = "cap the resource instances one IaC input may expand to (count, for_each and dynamic blocks, multiplied through modules); an input past it is an error, reported before it is expanded"

// inputOptions are the flags that shape how inputs are read.
type inputOptions struct {
	vars       []string // --var name=value
	varFiles   []string
	parameters []string
	// maxInstances is --max-instances: the cap on the resource instances
	// one IaC input may expand to.
	maxInstances int
	readRoots    []string // ARM/Bicep: where templates may read (the scanned trees, --read-root)
	allowEnv     []string // Bicep: --allow-env
}

// sourceOptions turns the flags into the inputs' options.
func (o *inputOptions) sourceOptions(a *app) (source.Options, error) {
	vars := map[string]string{}
	for _, v := range o.vars {
		name, value, ok := cutAssign(v)
		if !ok {
			return source.Options{}, usageErrorf("--var %q: expected name=value", v)
		}
		vars[name] = value
	}
	return source.Options{Vars: vars, VarFiles: o.varFiles, ParameterFiles: o.parameters, Stdin: a.io.In, Logger: a.logger,
		MaxInstances: o.maxInstances, ReadRoots: o.readRoots, AllowEnv: o.allowEnv}, nil
}

func cutAssign(s string) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == '=' {
			return s[:i], s[i+1:], i > 0
		}
	}
	return "", "", false
}

// readAll reads every input (see source.Read), sending documents to emit
// and problems to fail.
func (a *app) readAll(ctx context.Context, paths []string, opts *inputOptions, emit func(*resource.Document), fail func(error)) error {
	so, err := opts.sourceOptions(a)
	if err != nil {
		return err
	}
	// Templates may read inside the trees named (and --read-root), for
	// scan and inspect alike.
	so.ReadRoots = append(scannedTrees(paths), so.ReadRoots...)
	return source.Read(ctx, paths, so, emit, fail)
}

// readUnits is readAll, unit by unit (see source.ReadUnits).
func (a *app) readUnits(ctx context.Context, paths []string, opts *inputOptions, open func(source.Input) source.Unit, fail func(error)) error {
	so, err := opts.sourceOptions(a)
	if err != nil {
		return err
	}
	so.ReadRoots = append(scannedTrees(paths), so.ReadRoots...)
	return source.ReadUnits(ctx, paths, so, open, fail)
}
