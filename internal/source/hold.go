package source

import (
	"context"
	"log/slog"
	"sync"

	"github.com/kvguard/kvguard/internal/resource"
)

// A hold keeps what a reader reads of a deployment offered to speculate
// (see discoverer) until discovery decides: confirmed, it is passed on,
// in the order it was read; rejected, it is dropped and the read is
// cancelled. Reading before the walk is over cannot change a report:
// a confirmed input's documents, problems and log records are those a
// read after the walk would give, and a rejected one gives none.
type hold struct {
	in     Input
	ctx    context.Context // the read's: cancelled on rejection
	cancel context.CancelFunc

	mu      sync.Mutex
	state   holdState
	decided chan struct{} // closed once confirmed or rejected
	slot    bool          // counted against maxHeld until decided
	docs    []*resource.Document
	errs    []error
	logs    []heldRecord
	// pass is where a confirmed hold sends what it kept, and what its
	// reader sends afterwards.
	pass holdSink
}

type holdState int

const (
	undecided holdState = iota
	confirmed
	rejected
)

// heldRecord is a log record kept by a hold, with the handler (and its
// attributes) that would have handled it.
type heldRecord struct {
	h slog.Handler
	r slog.Record
}

// holdSink receives a confirmed hold's output.
type holdSink struct {
	emit func(*resource.Document)
	fail func(error)
}

type holdKey struct{}

// heldBy is the hold a read's context belongs to, or nil.
func heldBy(ctx context.Context) *hold {
	h, _ := ctx.Value(holdKey{}).(*hold)
	return h
}

func newHold(parent context.Context, in Input, pass holdSink) *hold {
	h := &hold{in: in, decided: make(chan struct{}), pass: pass}
	h.ctx, h.cancel = context.WithCancel(context.WithValue(parent, holdKey{}, h))
	return h
}

func (h *hold) emit(d *resource.Document) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch h.state {
	case undecided:
		h.docs = append(h.docs, d)
	case confirmed:
		h.pass.emit(d)
	}
}

func (h *hold) fail(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch h.state {
	case undecided:
		h.errs = append(h.errs, err)
	case confirmed:
		h.pass.fail(err)
	}
}

// log keeps a record while undecided, and reports whether it did (else
// the caller handles it, or, rejected, drops it).
func (h *hold) log(handler slog.Handler, r slog.Record) (kept, drop bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch h.state {
	case undecided:
		h.logs = append(h.logs, heldRecord{h: handler, r: r.Clone()})
		return true, false
	case rejected:
		return false, true
	}
	return false, false
}

// confirm passes on what was kept, and everything read afterwards; ctx
// is the run's (not the hold's, whose records the hold would keep). It
// returns whether the hold had a speculation slot, now free.
func (h *hold) confirm(ctx context.Context) (freed bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.state != undecided {
		return false
	}
	h.state = confirmed
	for _, l := range h.logs {
		_ = l.h.Handle(ctx, l.r)
	}
	for _, d := range h.docs {
		h.pass.emit(d)
	}
	for _, err := range h.errs {
		h.pass.fail(err)
	}
	h.docs, h.errs, h.logs = nil, nil, nil
	close(h.decided)
	freed, h.slot = h.slot, false
	return freed
}

// reject drops what was kept and cancels the read. It returns whether
// the hold had a speculation slot, now free.
func (h *hold) reject() (freed bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.state != undecided {
		return false
	}
	h.state = rejected
	h.cancel()
	h.docs, h.errs, h.logs = nil, nil, nil
	close(h.decided)
	freed, h.slot = h.slot, false
	return freed
}

// occupy counts the hold against the speculation slots while it is
// undecided; it reports false once decided.
func (h *hold) occupy() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.state != undecided {
		return false
	}
	h.slot = true
	return true
}

func (h *hold) decision() holdState {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.state
}
