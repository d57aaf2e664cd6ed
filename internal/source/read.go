package source

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/kvguard/kvguard/internal/resource"
)

// Read discovers the inputs named by paths (see Discover) and reads
// them, GOMAXPROCS at a time, while the walk goes on: an input is read as
// soon as it is known to be one. Documents go to emit and problems to
// fail, both called from several goroutines at once. "-" reads saved
// Azure JSON from opts.Stdin. A reader that panics is reported as an
// error on its input; the others go on.
//
// When ctx is cancelled, Read returns ctx's error at once, without
// waiting for readers that have not noticed yet: what they emit, fail or
// log afterwards is dropped, so that what was read can be judged and
// written while they wind down.
func Read(ctx context.Context, paths []string, opts Options, emit func(*resource.Document), fail func(error)) error {
	return read(ctx, paths, opts, kinds, workers(), func(Input) Unit { return emitUnit(emit) }, fail)
}

// Unit receives the documents of one input: a deployment unit (a
// Terraform root module, a template, a Bicep entry file, a plan) or a
// file of saved Azure JSON, or standard input. Its consumer can link and
// judge the unit once Done is called, and drop its documents.
type Unit interface {
	// Add takes one document of the unit.
	Add(*resource.Document)
	// Done says that the unit has been read: Add is not called again.
	Done()
}

// ReadUnits is Read, unit by unit: open is called once per input, before
// its first document, on the goroutine that reads it; the input's
// documents go to that unit's Add, and its Done is called once the input
// has been read (after its problems went to fail). Units are read
// concurrently. When ctx is cancelled, Done is not called for the units
// still being read: the caller finishes them.
//
// Deployments are read while the walk goes on, before it is known which
// of them are roots (see discoverer): what such a reading gives (its
// documents, problems and the log records its reader made with the
// context it was given) is held until the deployment is found to be a
// root, then handed to its unit, or thrown away if another deployment
// calls it; open is called only for roots. What is held is bounded (see
// Options.held): past it, deployments wait for the plan.
func ReadUnits(ctx context.Context, paths []string, opts Options, open func(Input) Unit, fail func(error)) error {
	return read(ctx, paths, opts, kinds, workers(), open, fail)
}

// emitUnit is a unit that only passes documents on.
type emitUnit func(*resource.Document)

func (e emitUnit) Add(d *resource.Document) { e(d) }
func (emitUnit) Done()                      {}

// read is ReadUnits with the given kinds, walking and reading with n
// goroutines each.
func read(ctx context.Context, paths []string, opts Options, reg registry, n int, open func(Input) Unit, fail func(error)) error {
	g := &gate{fail: fail}
	opts.Logger = slog.New(&gatedHandler{g: g, h: opts.logger().Handler()})
	log := opts.Logger
	readers := map[Kind]Reader{}
	for _, spec := range reg {
		if spec.newReader != nil && readers[spec.kind] == nil {
			readers[spec.kind] = spec.newReader(&opts)
		}
	}
	r := &run{ctx: ctx, opts: &opts, reg: reg, readers: readers, open: open, g: g, q: newQueue[job](&readList{}),
		specs: map[inputKey]*speculation{}, budget: opts.heldBudget()}
	var pool sync.WaitGroup
	for range n {
		pool.Add(1)
		go func() { defer pool.Done(); r.work(g.error) }()
	}
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		var streams sync.WaitGroup
		discover(ctx, paths, reg, n, discoverer{
			input: func(in Input) {
				if in.Kind == Stdin || in.Kind == Stream {
					// Not in the pool: a stream may wait for its writer.
					streams.Add(1)
					go func() { defer streams.Done(); r.read(in, g.error) }()
					return
				}
				r.confirm(in)
			},
			skip:       func(s Skipped) { log.Log(ctx, s.Level, "skipped", "file", s.Path, "why", s.Reason) },
			fail:       func(e *resource.InputError) { g.error(e) },
			deployment: r.speculate,
			drop:       r.drop,
		})
		r.planned()
		r.q.close()
		pool.Wait()
		streams.Wait()
		if opts.finished != nil {
			opts.finished(r)
		}
	}()
	select {
	case <-finished:
	case <-ctx.Done():
	}
	g.close()
	return ctx.Err()
}

// run is one Read.
type run struct {
	ctx     context.Context
	opts    *Options
	reg     registry
	readers map[Kind]Reader
	open    func(Input) Unit
	g       *gate
	q       *queue[job]

	mu     sync.Mutex
	specs  map[inputKey]*speculation // the deployments still in play (see finish)
	held   int                       // the weight of what is held
	budget int                       // the most held before deployments wait
}

// work reads inputs from the queue until it is empty and closed.
func (r *run) work(fail func(error)) {
	for {
		j, ok := r.q.pop()
		if !ok {
			return
		}
		switch {
		case r.ctx.Err() != nil:
		case j.s != nil:
			r.advance(j.s, fail)
		default:
			r.read(j.in, fail)
		}
		r.q.done()
	}
}

// read reads one input as one unit: its documents, then its problems,
// then Done.
func (r *run) read(in Input, fail func(error)) {
	u := r.open(in)
	err := r.readOne(r.ctx, in, func(d *resource.Document) { r.g.send(u, d) })
	if err != nil {
		fail(err)
	}
	r.g.done(u)
}

// readOne reads one input with the reader of its kind, sending its
// documents to emit. A panic becomes an error on the input.
func (r *run) readOne(ctx context.Context, in Input, emit func(*resource.Document)) (err error) {
	opts, readers, log := r.opts, r.readers, r.opts.logger()
	defer func() {
		if p := recover(); p != nil {
			log.ErrorContext(ctx, "reader panic", "input", in.Path, "panic", p)
			err = &resource.InputError{Pos: resource.Position{File: in.Path}, Msg: fmt.Sprintf("kvguard could not read this input (internal error: %v); please report it", p)}
		}
	}()
	log.DebugContext(ctx, "reading", "input", in.Path, "kind", in.Kind)
	switch {
	case in.Kind == Stdin:
		if opts.Stdin == nil {
			return nil
		}
		sr, ok := readers[r.reg.fallback().kind].(streamReader)
		if !ok {
			return &resource.InputError{Pos: resource.Position{File: "-"}, Msg: "standard input cannot be read"}
		}
		return sr.ReadFrom(ctx, opts.Stdin, "<stdin>", emit)
	case in.Kind == Stream:
		return r.readStream(ctx, in.Path, emit)
	case in.Found:
		if fr, ok := readers[in.Kind].(foundReader); ok {
			return fr.ReadFound(ctx, in.Path, emit)
		}
	}
	return readers[in.Kind].Read(ctx, in.Path, r.tag(in, emit))
}

// tag tags the documents of an IaC input with the deployment they belong
// to, so that two deployments declaring the same resource (dev/ and prod/
// deploying one template) are judged apart.
func (r *run) tag(in Input, emit func(*resource.Document)) func(*resource.Document) {
	if spec := r.reg.specOf(in.Kind); spec == nil || !spec.deployment {
		return emit
	}
	return func(d *resource.Document) {
		if d.Deployment == "" {
			d.Deployment = in.Path
		}
		emit(d)
	}
}

// gate passes documents, problems and log records on until it is closed,
// and drops them afterwards.
type gate struct {
	mu     sync.RWMutex
	closed bool
	fail   func(error)
}

func (g *gate) send(u Unit, d *resource.Document) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if !g.closed {
		u.Add(d)
	}
}

func (g *gate) done(u Unit) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if !g.closed {
		u.Done()
	}
}

func (g *gate) error(err error) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if !g.closed {
		g.fail(err)
	}
}

// handle passes a log record held by a speculation to its handler.
func (g *gate) handle(ctx context.Context, h slog.Handler, r slog.Record) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if !g.closed {
		_ = h.Handle(ctx, r)
	}
}

func (g *gate) close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
}

// gatedHandler drops log records once its gate is closed.
type gatedHandler struct {
	g *gate
	h slog.Handler
}

func (h *gatedHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.h.Enabled(ctx, l)
}

func (h *gatedHandler) Handle(ctx context.Context, r slog.Record) error {
	if hold, ok := ctx.Value(holdKey{}).(*holding); ok {
		hold.log(h.h, r)
		return nil
	}
	h.g.mu.RLock()
	defer h.g.mu.RUnlock()
	if h.g.closed {
		return nil
	}
	return h.h.Handle(ctx, r)
}

func (h *gatedHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &gatedHandler{g: h.g, h: h.h.WithAttrs(attrs)}
}

func (h *gatedHandler) WithGroup(name string) slog.Handler {
	return &gatedHandler{g: h.g, h: h.h.WithGroup(name)}
}
