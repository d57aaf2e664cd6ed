package source

import (
	"context"
	"log/slog"
	"path/filepath"
	"sync"

	"github.com/kvguard/kvguard/internal/resource"
)

// Deployments are read while the walk goes on, before the plan knows
// which are roots: a speculation is one such reading, whose output is
// held until the deployment is confirmed (handed to its unit) or dropped
// (thrown away). This keeps both cores reading while the tree is still
// being walked, with no phase that waits for the whole walk.

// defaultHeldBudget bounds what speculations hold, in documents plus
// one per held input: about a hundred files' worth, a few MiB.
const defaultHeldBudget = 1024

// heldBudget is the bound on what speculations hold.
func (o *Options) heldBudget() int {
	if o.held > 0 {
		return o.held
	}
	return defaultHeldBudget
}

// The states of a speculation.
type specState uint8

const (
	specQueued   specState = iota // waiting for a reader
	specReading                   // being read
	specHeld                      // read, its output held
	specDeferred                  // not read: the budget was spent; waits for the plan
	specFinished                  // handed out or thrown away
)

// The plan's verdicts on a deployment.
type verdict uint8

const (
	undecided verdict = iota
	confirmed
	dropped
)

// speculation is the reading of one deployment found by the walk, or
// (confirmed from the start) of an input that is no deployment: what
// the run's queue holds, one pointer a job.
type speculation struct {
	in      Input
	state   specState
	verdict verdict
	hold    *holding
}

// holding is what a speculative reading gave: documents, problems and
// log records, in the order they came.
type holding struct {
	mu   sync.Mutex
	docs []*resource.Document
	err  error
	logs []heldRecord
}

type heldRecord struct {
	h slog.Handler
	r slog.Record
}

// holdKey is the context key under which a speculative reading's
// holding is found by the log handler.
type holdKey struct{}

func (h *holding) add(d *resource.Document) {
	h.mu.Lock()
	h.docs = append(h.docs, d)
	h.mu.Unlock()
}

func (h *holding) log(to slog.Handler, r slog.Record) {
	h.mu.Lock()
	h.logs = append(h.logs, heldRecord{h: to, r: r.Clone()})
	h.mu.Unlock()
}

// weight is what the holding counts against the budget.
func (h *holding) weight() int { return 1 + len(h.docs) }

// inputKey identifies an input: kind and cleaned path.
type inputKey struct {
	kind Kind
	path string
}

func keyOf(in Input) inputKey { return inputKey{in.Kind, filepath.Clean(in.Path)} }

// finish marks s finished and forgets it (with r.mu held), so that what
// the run keeps is the deployments still in play, not every one the
// walk found: the plan hands each input out once, so nothing asks for a
// finished speculation again.
func (r *run) finish(s *speculation) {
	s.state, s.hold = specFinished, nil
	if r.specs[keyOf(s.in)] == s {
		delete(r.specs, keyOf(s.in))
	}
}

// speculate queues a deployment the walk found for reading, unless what
// is held has reached the budget: then it waits for the plan, which
// queues it if it is a root (confirm), and the run keeps nothing for it
// meanwhile (in a large tree, most deployments are found so, faster than
// they are read).
func (r *run) speculate(in Input) {
	key := keyOf(in)
	r.mu.Lock()
	if r.specs[key] != nil || r.held >= r.budget {
		r.mu.Unlock()
		return
	}
	s := &speculation{in: in}
	r.specs[key] = s
	r.mu.Unlock()
	r.q.push(job{s: s})
}

// confirm takes an input to read for sure: a deployment the plan found
// to be a root, or an input that is no deployment. A deployment whose
// reading waits for the plan is forgotten as a speculation and queued as
// an input (see backlog), as is an input that is none; one whose reading
// is held is queued to be handed out.
func (r *run) confirm(in Input) {
	r.mu.Lock()
	s := r.specs[keyOf(in)]
	switch {
	case s == nil:
		r.mu.Unlock()
		r.q.push(job{in: in})
		return
	case s.state == specDeferred:
		r.finish(s)
		r.mu.Unlock()
		r.q.push(job{in: in})
		return
	}
	s.verdict = confirmed
	requeue := s.state == specHeld
	if requeue {
		r.held -= s.hold.weight()
	}
	r.mu.Unlock()
	if requeue {
		r.q.push(job{s: s})
	}
}

// planned is called once the plan is over: no input is looked up again,
// and the speculations left are finished as they are read or handed out.
// A map does not shrink as entries are deleted: the one the walk filled
// (an entry per deployment found, tens of thousands in a large tree) is
// replaced by one the size of what is left.
func (r *run) planned() {
	r.mu.Lock()
	defer r.mu.Unlock()
	left := make(map[inputKey]*speculation, len(r.specs))
	for k, s := range r.specs {
		left[k] = s
	}
	r.specs = left
}

// drop throws a deployment's speculation away: another deployment calls
// it.
func (r *run) drop(in Input) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.specs[keyOf(in)]
	if s == nil || s.verdict != undecided {
		return
	}
	s.verdict = dropped
	switch s.state {
	case specHeld:
		r.held -= s.hold.weight()
		r.finish(s)
	case specDeferred:
		r.finish(s)
	}
}

// advance takes a speculation off the queue: it reads it (for sure, or
// holding its output), hands its held output out, or leaves it.
func (r *run) advance(s *speculation, fail func(error)) {
	r.mu.Lock()
	switch {
	case s.verdict == dropped || s.state == specFinished:
		r.finish(s)
		r.mu.Unlock()
		return
	case s.state == specHeld:
		hold := s.hold
		r.finish(s)
		r.mu.Unlock()
		r.release(s.in, hold, fail)
		return
	case s.verdict == confirmed:
		r.finish(s)
		r.mu.Unlock()
		r.read(s.in, fail)
		return
	case r.held >= r.budget:
		s.state = specDeferred
		r.mu.Unlock()
		return
	}
	s.state = specReading
	r.mu.Unlock()

	hold := &holding{}
	err := r.readOne(context.WithValue(r.ctx, holdKey{}, hold), s.in, hold.add)
	hold.mu.Lock()
	hold.err = err
	hold.mu.Unlock()

	r.mu.Lock()
	switch s.verdict {
	case confirmed:
		r.finish(s)
		r.mu.Unlock()
		r.release(s.in, hold, fail)
		return
	case dropped:
		r.finish(s)
	default:
		s.state, s.hold = specHeld, hold
		r.held += hold.weight()
	}
	r.mu.Unlock()
}

// release hands what was held for a confirmed deployment to its unit, as
// read would have: its documents, its log records, its problems, Done.
func (r *run) release(in Input, hold *holding, fail func(error)) {
	u := r.open(in)
	for _, d := range hold.docs {
		r.g.send(u, d)
	}
	for _, l := range hold.logs {
		r.g.handle(r.ctx, l.h, l.r)
	}
	if hold.err != nil {
		fail(hold.err)
	}
	r.g.done(u)
}
