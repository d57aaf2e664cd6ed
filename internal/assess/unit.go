package assess

import (
	"sync"
	"sync/atomic"

	"github.com/kvguard/kvguard/internal/estate"
	"github.com/kvguard/kvguard/internal/resource"
)

// Unit is one input's documents: a deployment unit (a Terraform root
// module, a template, a Bicep entry file, a plan), a file of saved Azure
// JSON, or standard input. Its documents are given to Add, from any
// goroutine, and Done says that there are no more.
//
// When the unit is done, if none of its documents crosses units (see
// estate.Crosses), it is linked and judged on its own and its documents
// are dropped; otherwise they are kept until Finish, which judges them
// with everything else that may link across units.
type Unit struct {
	a       *Assessor
	mu      sync.Mutex
	docs    []*resource.Document
	crosses bool
	done    bool
	// comps are the unit's judged components; pending counts those still
	// being judged.
	comps   map[string]*parentComps
	pending sync.WaitGroup
}

// Unit opens a unit. Every unit must be done (Unit.Done) before Finish,
// or Finish finishes it.
func (a *Assessor) Unit() *Unit {
	u := &Unit{a: a, comps: map[string]*parentComps{}}
	a.mu.Lock()
	a.open[u] = true
	a.mu.Unlock()
	return u
}

// Add takes one document of the unit.
func (u *Unit) Add(doc *resource.Document) {
	if doc == nil {
		return
	}
	crosses := estate.Crosses(doc)
	if u.a.rot.Take(doc) {
		// Held until Finish (estate.RotationPolicies): what the unit
		// links to it must wait too.
		u.mu.Lock()
		u.crosses = u.crosses || crosses
		u.mu.Unlock()
		return
	}
	if estate.IsComponent(doc) {
		if crosses {
			u.mu.Lock()
			u.crosses = true
			u.mu.Unlock()
		}
		u.pending.Add(1)
		u.a.work <- work{doc: doc, unit: u}
		return
	}
	u.a.docs.add(1)
	u.mu.Lock()
	u.docs = append(u.docs, doc)
	u.crosses = u.crosses || crosses
	u.mu.Unlock()
}

// Done ends the unit: once its components are judged, it is judged and
// dropped, or kept until Finish (see Unit). A second call does nothing.
func (u *Unit) Done() {
	u.mu.Lock()
	if u.done {
		u.mu.Unlock()
		return
	}
	u.done = true
	u.mu.Unlock()
	u.pending.Wait()
	a := u.a
	a.mu.Lock()
	delete(a.open, u)
	a.mu.Unlock()
	n := len(u.docs)
	if u.crosses {
		for _, d := range u.docs {
			a.est.Add(d)
		}
		a.docs.keep(n)
		a.mu.Lock()
		mergeComps(a.comps, u.comps)
		a.mu.Unlock()
		u.docs, u.comps = nil, nil
		return
	}
	est := estate.New()
	for _, d := range u.docs {
		est.Add(d)
	}
	u.docs = nil
	// Judged on this goroutine: units are read (and done) on several at
	// once.
	a.record(a.judge(nil, est, u.comps, 1), false)
	u.comps = nil
	a.docs.add(-n)
}

// docCount counts the documents held (given to Add and not yet dropped),
// their peak, and those kept until Finish: what bounds the assessor's
// memory (Stats).
type docCount struct {
	live, peak, held, total atomic.Int64
}

func (c *docCount) add(n int) {
	if n > 0 {
		c.total.Add(int64(n))
	}
	v := c.live.Add(int64(n))
	for {
		p := c.peak.Load()
		if v <= p || c.peak.CompareAndSwap(p, v) {
			return
		}
	}
}

func (c *docCount) keep(n int) { c.held.Add(int64(n)) }

func (c *docCount) kept() int { return int(c.held.Load()) }

// Stats counts the documents (other than components, which are judged as
// they arrive and dropped) an assessor holds.
type Stats struct {
	// Documents is how many were given; Live is how many are held now,
	// Peak the most held at once.
	Documents, Live, Peak int
	// Kept is how many were kept until Finish, because they may link
	// across units (see Unit).
	Kept int
}

// Stats returns the assessor's document counts.
func (a *Assessor) Stats() Stats {
	return Stats{Documents: int(a.docs.total.Load()), Live: int(a.docs.live.Load()), Peak: int(a.docs.peak.Load()), Kept: a.docs.kept()}
}
