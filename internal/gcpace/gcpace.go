// Package gcpace paces Go's garbage collector to a heap budget instead of
// a fixed ratio.
//
// A scan allocates far more than it keeps: parse trees, tokens and
// documents live for one deployment unit and are dropped. With the
// runtime's default (GOGC=100) the collector runs whenever the heap has
// doubled since the last cycle, so a scan whose live heap is 20 MB
// collects every 20 MB allocated and spends a sixth of its CPU marking.
// Memory is budgeted (bench/replicas: 150 MiB at 10,000 files), so the
// heap may grow well past twice the live data while the live data is
// small. After every cycle, Start's pacer sets the ratio that lets the
// heap reach the budget before the next one, or grow by three quarters of
// the budget past the live heap when that is more (see room): high while
// little is live, back to the default (never lower) once three quarters
// of the budget are live. The heap then stays within max(budget,
// live + ¾ budget, 2 × live), and the collector runs a few times less
// often than by default, about as often per byte allocated whatever the
// size of the scan.
//
// Start also sets a soft memory limit (debug.SetMemoryLimit) above the
// budget: the ratio alone lets a heap whose live part nears three
// quarters of the budget grow to one and a half times the budget, and
// twice the live heap past that, and the limit makes the collector run
// sooner then instead. A live heap close to the limit would make the
// collector run almost without pause, so after every cycle the limit is
// raised to twice the live heap when that is more (limitFor), what the
// runtime's default ratio would allow: a scan whose live data is large
// (a saved estate of a million secrets, judged at the end) collects as
// often as it would without the limit, never all the time.
//
// It paces nothing when the user set GOGC or GOMEMLIMIT: their choice
// wins. Nothing it does changes what a scan reports.
package gcpace

import (
	"math"
	"math/bits"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"sync/atomic"
)

// Bounds of the ratio the pacer sets: never below the runtime's default,
// never so high that a burst of allocation before the next cycle could
// run far past the budget.
const (
	minPercent = 100
	maxPercent = 800
)

// Pacer adjusts the collector's ratio after every cycle until Stop.
type Pacer struct {
	// mu orders an adjustment and Stop, so that Stop's restored ratio is
	// the last word.
	mu       sync.Mutex
	budget   uint64
	stopped  atomic.Bool
	old      int
	oldLimit int64
	limit    uint64 // 0: no memory limit
	sample   []metrics.Sample
	// Cycles counts the adjustments made, for tests.
	cycles atomic.Int64
	last   atomic.Int64
}

// Start paces the collector to keep the heap within budget bytes (or
// twice the live heap, when that is more), and sets the runtime's soft
// memory limit to limit bytes (0: none). getenv reads the environment
// (os.Getenv): with GOGC or GOMEMLIMIT set it does nothing. The returned
// Pacer's Stop restores the ratio and the limit in force before.
func Start(budget, limit uint64, getenv func(string) string) *Pacer {
	p := &Pacer{budget: budget}
	if getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "" || budget == 0 {
		p.stopped.Store(true)
		return p
	}
	p.sample = []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	p.old = debug.SetGCPercent(percentFor(budget, 0))
	if limit > 0 {
		p.limit = limit
		p.oldLimit = debug.SetMemoryLimit(limitFor(limit, 0))
	}
	p.arm()
	return p
}

// Stop ends the pacing and restores the previous ratio.
func (p *Pacer) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped.Swap(true) {
		return
	}
	debug.SetGCPercent(p.old)
	if p.limit > 0 {
		debug.SetMemoryLimit(p.oldLimit)
	}
}

// Percent is the ratio the pacer set last (0 before its first cycle).
func (p *Pacer) Percent() int { return int(p.last.Load()) }

// Cycles is the number of collections the pacer has seen.
func (p *Pacer) Cycles() int64 { return p.cycles.Load() }

// sentinel is an object whose only job is to become garbage: its
// finalizer runs once per collection that finds it unreachable. It
// holds a pointer so that the allocator never places it in a tiny block
// shared with other objects (whose finalizer would then be delayed).
type sentinel struct {
	p *Pacer
}

func (p *Pacer) arm() {
	s := &sentinel{p: p}
	runtime.SetFinalizer(s, func(s *sentinel) {
		if s.p.adjust() {
			s.p.arm()
		}
	})
}

// adjust sets the ratio for the live heap now, unless stopped (false).
func (p *Pacer) adjust() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped.Load() {
		return false
	}
	metrics.Read(p.sample)
	var live uint64
	if p.sample[0].Value.Kind() == metrics.KindUint64 {
		live = p.sample[0].Value.Uint64()
	}
	pct := percentFor(p.budget, live)
	debug.SetGCPercent(pct)
	if p.limit > 0 {
		debug.SetMemoryLimit(limitFor(p.limit, live))
	}
	p.last.Store(int64(pct))
	p.cycles.Add(1)
	return true
}

// percentFor is the ratio that lets a heap of live bytes grow to budget
// before the next collection, or by room(budget) past the live heap when
// that is more, within [minPercent, maxPercent].
func percentFor(budget, live uint64) int {
	if live == 0 {
		return maxPercent
	}
	grow := room(budget)
	if live < budget {
		grow = max(grow, budget-live)
	}
	if grow <= live {
		return minPercent
	}
	hi, lo := bits.Mul64(grow, 100)
	if hi >= live { // over 2^64: far past maxPercent
		return maxPercent
	}
	pct, _ := bits.Div64(hi, lo, live)
	return int(min(max(pct, minPercent), maxPercent))
}

// room is the least the heap may grow by between collections while the
// live heap is under it: three quarters of the budget. A scan's live
// heap grows with its input (what links across inputs is kept to the
// end); were the heap held to the budget, the collections would come
// more often as it grows, each marking more: a scan of 100,000 files
// collected every 30 MB allocated against every 60 MB for 1,000, and
// spent twice the CPU per file collecting. With the room kept, a
// collection comes every 60 MB or so at any size while the live heap is
// under three quarters of the budget, the heap then reaching at most
// one and a half times the budget (under the memory limit).
func room(budget uint64) uint64 { return budget / 4 * 3 }

// limitFor is the memory limit for a heap of live bytes: limit, or
// twice live when that is more.
func limitFor(limit, live uint64) int64 {
	room := 2 * live
	if room < live { // overflow
		return math.MaxInt64
	}
	return int64(min(max(limit, room), math.MaxInt64))
}
