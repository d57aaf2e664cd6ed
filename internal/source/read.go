package source

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
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
	return read(ctx, paths, opts, kinds, workers(), emit, fail)
}

// read is Read with the given kinds, walking and reading with n
// goroutines each.
func read(ctx context.Context, paths []string, opts Options, reg registry, n int, emit func(*resource.Document), fail func(error)) error {
	g := &gate{emit: emit, fail: fail}
	opts.Logger = slog.New(&gatedHandler{g: g, h: opts.logger().Handler()})
	log := opts.Logger
	readers := map[Kind]Reader{}
	for _, spec := range reg {
		if spec.newReader != nil && readers[spec.kind] == nil {
			readers[spec.kind] = spec.newReader(&opts)
		}
	}
	r := &run{ctx: ctx, opts: &opts, reg: reg, readers: readers, emit: g.send, q: newQueue[job](false),
		holds: map[string]*hold{}, slots: make(chan struct{}, maxHeld*n)}
	pass := holdSink{emit: g.send, fail: g.error}
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
				if h := r.hold(inputKey(in)); h != nil {
					r.decide(h, true)
					return
				}
				r.q.push(job{in: in})
			},
			speculate: func(in Input) {
				h := newHold(ctx, in, pass)
				r.mu.Lock()
				r.holds[inputKey(in)] = h
				r.mu.Unlock()
				r.q.push(job{in: in, h: h})
			},
			reject: func(in Input) {
				if h := r.hold(inputKey(in)); h != nil {
					r.decide(h, false)
				}
			},
			skip: func(s Skipped) { log.Log(ctx, s.Level, "skipped", "file", s.Path, "why", s.Reason) },
			fail: func(e *resource.InputError) { g.error(e) },
		})
		// Every deployment offered is decided by now, but for one that
		// discovery gave under another spelling: it is read once.
		r.mu.Lock()
		holds := slices.Collect(maps.Values(r.holds))
		r.mu.Unlock()
		for _, h := range holds {
			r.decide(h, false)
		}
		r.q.close()
		pool.Wait()
		streams.Wait()
	}()
	select {
	case <-finished:
	case <-ctx.Done():
	}
	g.close()
	return ctx.Err()
}

// maxHeld is how many deployments per reader may be read, and held, before
// the walk is over and it is known whether they are read at all.
const maxHeld = 4

// run is one Read.
type run struct {
	ctx     context.Context
	opts    *Options
	reg     registry
	readers map[Kind]Reader
	emit    func(*resource.Document)
	q       *queue[job]

	mu    sync.Mutex
	holds map[string]*hold // the deployments offered to speculate, by inputKey
	// slots bounds the holds read and not yet decided, and so what
	// they keep.
	slots chan struct{}
}

// job is an input to read; h is set for a deployment offered to
// speculate.
type job struct {
	in Input
	h  *hold
}

func (r *run) hold(key string) *hold {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.holds[key]
}

// decide confirms or rejects a hold, freeing its slot; the run forgets
// it (a rejected input handed out later after all is read afresh).
func (r *run) decide(h *hold, confirm bool) {
	key := inputKey(h.in)
	r.mu.Lock()
	if r.holds[key] == h {
		delete(r.holds, key)
	}
	r.mu.Unlock()
	freed := false
	if confirm {
		freed = h.confirm(r.ctx)
	} else {
		freed = h.reject()
	}
	if freed {
		<-r.slots
	}
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
		case j.h == nil:
			r.read(j.in, fail)
		case r.speculate(j.h):
			r.readAs(j.h.ctx, j.in, j.h.emit, j.h.fail)
			j.h.cancel() // read: release the context
		}
		r.q.done()
	}
}

// speculate waits until a held deployment may be read: when it is
// confirmed, or when a slot is free while it is undecided. It reports
// false when the deployment is rejected (or the read cancelled).
func (r *run) speculate(h *hold) bool {
	for {
		switch h.decision() {
		case rejected:
			return false
		case confirmed:
			return true
		}
		select {
		case r.slots <- struct{}{}:
			if h.occupy() {
				return true
			}
			<-r.slots // decided meanwhile
		case <-h.decided:
		case <-r.ctx.Done():
			return false
		}
	}
}

func (r *run) read(in Input, fail func(error)) {
	r.readAs(r.ctx, in, r.emit, fail)
}

// readAs reads in under ctx, sending to emit and fail.
func (r *run) readAs(ctx context.Context, in Input, emit func(*resource.Document), fail func(error)) {
	if err := r.readOne(ctx, in, emit); err != nil {
		fail(err)
	}
}

// readOne reads one input with the reader of its kind. A panic becomes
// an error on the input.
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
	emit   func(*resource.Document)
	fail   func(error)
}

func (g *gate) send(d *resource.Document) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if !g.closed {
		g.emit(d)
	}
}

func (g *gate) error(err error) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if !g.closed {
		g.fail(err)
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
	if held := heldBy(ctx); held != nil {
		if kept, drop := held.log(h, r); kept || drop {
			return nil
		}
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
