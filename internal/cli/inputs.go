package cli

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"sync"

	"github.com/kvguard/kvguard/internal/armexpr"
	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/source"
	"github.com/kvguard/kvguard/internal/source/armtemplate"
	"github.com/kvguard/kvguard/internal/source/bicep"
	"github.com/kvguard/kvguard/internal/source/saved"
	"github.com/kvguard/kvguard/internal/source/terraform"
)

// reader is what every input package offers.
type reader interface {
	Read(ctx context.Context, path string, emit func(*resource.Document)) error
}

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

// maxInstancesHelp documents --max-instances.
const maxInstancesHelp = "cap the resource instances one IaC input may expand to (count, for_each and dynamic blocks, multiplied through modules); an input past it is an error, reported before it is expanded"

// readers builds one reader per input kind.
func (o *inputOptions) readers(logger *slog.Logger) (map[source.Kind]reader, *saved.Reader, error) {
	vars := map[string]string{}
	for _, v := range o.vars {
		name, value, ok := cutAssign(v)
		if !ok {
			return nil, nil, usageErrorf("--var %q: expected name=value", v)
		}
		vars[name] = value
	}
	aj := saved.New(saved.Options{Logger: logger})
	tf := terraform.New(terraform.Options{Vars: vars, VarFiles: o.varFiles, MaxInstances: o.maxInstances, Logger: logger})
	arm := armtemplate.New(armtemplate.Options{ParameterFiles: o.parameters, Deployment: armexpr.DefaultDeployment(), Logger: logger, ReadRoots: o.readRoots, MaxInstances: o.maxInstances})
	bc := bicep.New(bicep.Options{ParameterFiles: o.parameters, Deployment: armexpr.DefaultDeployment(), Logger: logger, ReadRoots: o.readRoots, AllowEnv: o.allowEnv, MaxInstances: o.maxInstances})
	return map[source.Kind]reader{
		source.AzureJSON:       aj,
		source.TerraformModule: tf,
		source.TerraformPlan:   tf,
		source.ARMTemplate:     arm,
		source.Bicep:           bc,
	}, aj, nil
}

// deploymentOf tags the documents of an IaC input with the deployment
// they belong to, so that two deployments declaring the same resource
// (dev/ and prod/ deploying one template) are judged apart.
func deploymentOf(in source.Input, emit func(*resource.Document)) func(*resource.Document) {
	switch in.Kind {
	case source.TerraformModule, source.TerraformPlan, source.ARMTemplate, source.Bicep:
		return func(d *resource.Document) {
			if d.Deployment == "" {
				d.Deployment = in.Path
			}
			emit(d)
		}
	}
	return emit
}

func cutAssign(s string) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == '=' {
			return s[:i], s[i+1:], i > 0
		}
	}
	return "", "", false
}

// readAll reads every input, concurrently, sending documents to emit and
// problems to fail. A reader that panics is reported as an error on its
// input; the others go on.
func (a *app) readAll(ctx context.Context, paths []string, opts *inputOptions, emit func(*resource.Document), fail func(error)) error {
	inputs, skipped, errs := source.Plan(paths)
	for _, e := range errs {
		fail(e)
	}
	for _, s := range skipped {
		a.logger.Info("skipped", "file", s.Path, "why", s.Reason)
	}
	readers, aj, err := opts.readers(a.logger)
	if err != nil {
		return err
	}
	sem := make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))
	var wg sync.WaitGroup
	for _, in := range inputs {
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		sem <- struct{}{}
		go func(in source.Input) {
			defer wg.Done()
			defer func() { <-sem }()
			defer func() {
				if p := recover(); p != nil {
					a.logger.Error("reader panic", "input", in.Path, "panic", p)
					fail(&resource.InputError{Pos: resource.Position{File: in.Path}, Msg: fmt.Sprintf("kvguard could not read this input (internal error: %v); please report it", p)})
				}
			}()
			a.logger.Debug("reading", "input", in.Path, "kind", in.Kind)
			var err error
			if in.Kind == source.Stdin {
				err = aj.ReadFrom(ctx, a.io.In, "<stdin>", emit)
			} else {
				err = readers[in.Kind].Read(ctx, in.Path, deploymentOf(in, emit))
			}
			if err != nil {
				fail(err)
			}
		}(in)
	}
	wg.Wait()
	return ctx.Err()
}
