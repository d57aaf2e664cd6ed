package source

import (
	"context"
	"fmt"
	"runtime"
	"sync"

	"github.com/kvguard/kvguard/internal/resource"
)

// Read discovers the inputs named by paths and reads them, GOMAXPROCS at
// a time, sending documents to emit and problems to fail (both may be
// called from several goroutines at once). "-" reads saved Azure JSON
// from opts.Stdin. A reader that panics is reported as an error on its
// input; the others go on. Read returns ctx's error when it was stopped.
func Read(ctx context.Context, paths []string, opts Options, emit func(*resource.Document), fail func(error)) error {
	log := opts.logger()
	inputs, skipped, errs := Discover(paths)
	for _, e := range errs {
		fail(e)
	}
	for _, s := range skipped {
		log.Info("skipped", "file", s.Path, "why", s.Reason)
	}
	readers := map[Kind]Reader{}
	for _, spec := range kinds {
		if spec.newReader != nil {
			readers[spec.kind] = spec.newReader(&opts)
		}
	}
	sem := make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))
	var wg sync.WaitGroup
	for _, in := range inputs {
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		sem <- struct{}{}
		go func(in Input) {
			defer wg.Done()
			defer func() { <-sem }()
			if err := readOne(ctx, in, readers, &opts, emit); err != nil {
				fail(err)
			}
		}(in)
	}
	wg.Wait()
	return ctx.Err()
}

// readOne reads one input with the reader of its kind. A panic becomes
// an error on the input.
func readOne(ctx context.Context, in Input, readers map[Kind]Reader, opts *Options, emit func(*resource.Document)) (err error) {
	log := opts.logger()
	defer func() {
		if p := recover(); p != nil {
			log.Error("reader panic", "input", in.Path, "panic", p)
			err = &resource.InputError{Pos: resource.Position{File: in.Path}, Msg: fmt.Sprintf("kvguard could not read this input (internal error: %v); please report it", p)}
		}
	}()
	log.Debug("reading", "input", in.Path, "kind", in.Kind)
	if in.Kind == Stdin {
		return readers[AzureJSON].(streamReader).ReadFrom(ctx, opts.Stdin, "<stdin>", emit)
	}
	return readers[in.Kind].Read(ctx, in.Path, deploymentOf(in, emit))
}

// deploymentOf tags the documents of an IaC input with the deployment
// they belong to, so that two deployments declaring the same resource
// (dev/ and prod/ deploying one template) are judged apart.
func deploymentOf(in Input, emit func(*resource.Document)) func(*resource.Document) {
	if spec := specOf(in.Kind); spec == nil || !spec.deployment {
		return emit
	}
	return func(d *resource.Document) {
		if d.Deployment == "" {
			d.Deployment = in.Path
		}
		emit(d)
	}
}
