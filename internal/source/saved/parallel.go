package saved

import (
	"runtime/debug"
	"sync"
	"sync/atomic"

	"github.com/kvguard/kvguard/internal/jsonpos"
	"github.com/kvguard/kvguard/internal/resource"
)

// Reading one long array on several cores.
//
// A saved estate is one file of a million resources, and building their
// documents costs several times what finding where each one starts and
// ends does. So once an array has had parallelAfter elements, the reading
// goroutine only finds its objects (jsonpos Capture: brackets counted,
// nothing built), copies them into chunks and hands the chunks to
// workers. A worker reads each object with the same code as the
// sequential path, on a decoder placed where the object is in the file
// (jsonpos.NewDecoderAt: positions and errors are the file's, malformed
// JSON included), and records what it would have done: the documents it
// would commit and the problems it found, in order. The reading goroutine
// applies the chunks in file order, so that duplicate IDs, the snapshot
// hold-back, emit and the error list all see the documents exactly as a
// sequential read would, on the caller's goroutine.
//
// Whatever a worker cannot take (an element that is not an object, an
// object over captureMax bytes or larger than the decoder's buffer, one
// the input ends inside) is read by the reading goroutine itself,
// sequentially, once the chunks in flight have been applied. A worker's
// error or panic is applied at its place in the order: what came before
// it is emitted, nothing after.

// Tuning: a chunk holds about chunkBytes of input (or chunkElems
// elements, whichever comes first); at most chunksPerWorker chunks per
// worker are in flight, so memory stays bounded whatever the array's
// length.
const (
	defaultParallelAfter = 256
	captureMax           = 1 << 20
	chunkBytes           = 64 << 10
	defaultChunkElems    = 512
	chunksPerWorker      = 4
)

// recording is what a worker's reader did with one chunk.
type recording struct {
	docs  []pendingDoc
	aggs  []unrecognised // unrecognised elements (each adds one to its array's)
	notes []pendingNote  // recognised shapes not read (shape.go)
}

// pendingDoc is a finished document waiting to be committed, after the
// first errs problems of its chunk.
type pendingDoc struct {
	doc   *resource.Document
	start jsonpos.Pos
	sc    scope
	errs  int
	hash  [2]uint64
}

// element is one captured object of a chunk.
type element struct {
	off, end int
	start    jsonpos.Pos
}

// chunk is a run of consecutive elements, and what a worker made of them.
type chunk struct {
	data  []byte
	elems []element
	done  chan struct{}

	rec      recording
	errs     []error
	err      error // the error that stopped the chunk (and the file)
	panicked bool
	panicVal any
	stack    []byte

	blk block // a block of lines (blocks.go) instead of captured elements
}

func (c *chunk) reset() {
	c.data, c.elems = c.data[:0], c.elems[:0]
	clear(c.rec.docs) // drop the documents for the collector
	c.rec.docs, c.rec.aggs, c.rec.notes = c.rec.docs[:0], c.rec.aggs[:0], c.rec.notes[:0]
	clear(c.errs)
	c.errs, c.err = c.errs[:0], nil
	c.panicked, c.panicVal, c.stack = false, nil, nil
	c.blk = block{}
}

// parallel reads the elements of one array with workers.
type parallel struct {
	fr    *fileReader
	level int
	sc    scope
	depth int // open containers around the elements
	agg   *unrecognised

	work    chan *chunk
	free    []*chunk
	flight  []*chunk // dispatched, not yet applied, in file order
	cur     *chunk
	window  int
	readers []*fileReader
	blk     blockState // blocks.go
	wg      sync.WaitGroup
	abort   atomic.Bool
	failed  bool // a chunk stopped the file: nothing more is applied
}

// parallelFrom reports whether the array being read should go parallel
// at its element n.
func (fr *fileReader) parallelFrom(n int) bool {
	return fr.rec == nil && fr.workers > 1 && n >= fr.parallelAfter
}

func (fr *fileReader) startParallel(level int, sc scope, agg *unrecognised) *parallel {
	p := &parallel{fr: fr, level: level, sc: sc, depth: fr.d.Depth(), agg: agg,
		window: chunksPerWorker * fr.workers}
	p.work = make(chan *chunk, p.window)
	for range fr.workers {
		wr := &fileReader{
			ctx: fr.ctx, log: fr.log, file: fr.file, lenient: fr.lenient, maxHeld: fr.maxHeld,
			d:    jsonpos.NewDecoderAt(nil, fr.file, jsonpos.Pos{}, 0),
			days: new(dayCache),
		}
		wr.d.MaxValueBytes = fr.d.MaxValueBytes
		p.readers = append(p.readers, wr)
		p.wg.Add(1)
		go p.worker(wr)
	}
	return p
}

// add hands the next element, of kind k, to the workers. It reports
// false when the caller must read the element itself: the chunks in
// flight have then been applied.
func (p *parallel) add(k jsonpos.Kind) (bool, error) {
	if k == jsonpos.Object {
		d := p.fr.d
		raw, start, ok, err := d.Capture(captureMax)
		if err != nil {
			return false, err
		}
		if ok {
			if p.cur == nil {
				p.cur = p.newChunk()
			}
			c := p.cur
			off := len(c.data)
			c.data = append(c.data, raw...)
			c.elems = append(c.elems, element{off: off, end: len(c.data), start: start})
			if len(c.data) >= chunkBytes || len(c.elems) >= p.fr.chunkElems {
				return true, p.dispatch()
			}
			return true, nil
		}
	}
	return false, p.drain()
}

func (p *parallel) newChunk() *chunk {
	if n := len(p.free); n > 0 {
		c := p.free[n-1]
		p.free = p.free[:n-1]
		return c
	}
	return &chunk{done: make(chan struct{}, 1), data: make([]byte, 0, chunkBytes+4096)}
}

// dispatch sends the current chunk to the workers and applies the chunks
// that are done, waiting for the oldest when the window is full. It checks
// for cancellation once per chunk.
func (p *parallel) dispatch() error {
	if c := p.cur; c != nil {
		p.cur = nil
		p.flight = append(p.flight, c)
		p.work <- c
	}
	for len(p.flight) > 0 {
		head := p.flight[0]
		if len(p.flight) >= p.window {
			<-head.done
		} else {
			select {
			case <-head.done:
			default:
				return p.cancelled()
			}
		}
		if err := p.apply(head); err != nil {
			return err
		}
	}
	return p.cancelled()
}

// cancelled stops the read when the context is done, after applying the
// chunks in flight (unless one of them stops it first).
func (p *parallel) cancelled() error {
	err := p.fr.ctx.Err()
	if err == nil {
		return nil
	}
	if derr := p.drain(); derr != nil {
		return derr
	}
	p.fr.errs = append(p.fr.errs, err)
	return errStop
}

// drain dispatches what is pending and applies every chunk in flight.
func (p *parallel) drain() error {
	if p == nil {
		return nil
	}
	if c := p.cur; c != nil && len(c.elems) > 0 {
		p.cur = nil
		p.flight = append(p.flight, c)
		p.work <- c
	}
	for len(p.flight) > 0 {
		head := p.flight[0]
		<-head.done
		if err := p.apply(head); err != nil {
			return err
		}
	}
	return nil
}

// settle is called when the array stops on err: what the workers read
// before it comes first in the file, and stops the file first if it holds
// an error of its own.
func (p *parallel) settle(err error) error {
	if p == nil || p.failed {
		return err
	}
	if derr := p.drain(); derr != nil {
		return derr
	}
	return err
}

// apply does on the reading goroutine, in file order, what the worker
// recorded: problems, documents (duplicate check, hold-back, emit) and
// unrecognised elements. A chunk that stopped returns its error, and a
// worker's panic goes on here, where the reader's boundary recovers it.
func (p *parallel) apply(c *chunk) error {
	p.flight = p.flight[1:]
	if c.blk.on && !p.consistent(c) {
		return p.resume(c, false)
	}
	fr := p.fr
	for _, pd := range c.rec.docs {
		fr.seen.sink += fr.seen.touch(pd.hash)
	}
	done := 0
	for _, pd := range c.rec.docs {
		fr.errs = append(fr.errs, c.errs[done:pd.errs]...)
		done = pd.errs
		fr.commit(pd.doc, pd.start, pd.sc, pd.hash)
	}
	fr.errs = append(fr.errs, c.errs[done:]...)
	for _, a := range c.rec.aggs {
		p.agg.add(a.first, a.what)
	}
	for _, n := range c.rec.notes {
		fr.addNote(n.kind, n.pos, n.id)
	}
	if c.panicked {
		p.fail()
		fr.log.Debug("panic in a parallel reader", "file", fr.file, "stack", string(c.stack))
		panic(c.panicVal)
	}
	if err := c.err; err != nil {
		p.fail()
		return err
	}
	if c.blk.on && !c.blk.clean {
		return p.resume(c, true)
	}
	if c.blk.on {
		p.advance(c)
	}
	c.reset()
	p.free = append(p.free, c)
	return nil
}

// fail stops the workers' remaining work: nothing after a chunk that
// stopped the file is applied.
func (p *parallel) fail() {
	p.failed = true
	p.abort.Store(true)
	p.flight = nil
}

// close stops the workers and folds their counts into the reader's. It is
// called on every way out of the array, panics included.
func (p *parallel) close() {
	if p == nil {
		return
	}
	p.abort.Store(true)
	close(p.work)
	p.wg.Wait()
	fr := p.fr
	for _, wr := range p.readers {
		fr.fastDocs += wr.fastDocs
		for t, n := range wr.skipped {
			if fr.skipped == nil {
				fr.skipped = map[string]int{}
			}
			fr.skipped[t] += n
		}
	}
}

func (p *parallel) worker(wr *fileReader) {
	defer p.wg.Done()
	for c := range p.work {
		switch {
		case p.abort.Load():
		case c.blk.on:
			wr.readBlock(c, p.level, p.sc, p.depth)
		default:
			wr.readChunk(c, p.level, p.sc, p.depth)
		}
		c.done <- struct{}{}
	}
}

// readChunk reads a chunk's elements as the sequential path reads array
// elements, recording instead of emitting. It stops at the first error,
// as the sequential read stops the file there.
func (fr *fileReader) readChunk(c *chunk, level int, sc scope, depth int) {
	fr.rec = &c.rec
	fr.errs = c.errs
	defer func() {
		if r := recover(); r != nil {
			c.panicked, c.panicVal, c.stack = true, r, debug.Stack()
		}
		c.errs = fr.errs
		fr.errs, fr.rec = nil, nil
	}()
	for _, e := range c.elems {
		if fr.fastComponent(c.data[e.off:e.end], e.start, sc) {
			continue
		}
		fr.d.Reset(c.data[e.off:e.end], e.start, depth)
		fr.fields = fr.fields[:0]
		var agg unrecognised
		err := fr.object(level+1, sc, &agg)
		if agg.n > 0 {
			c.rec.aggs = append(c.rec.aggs, agg)
		}
		if err != nil {
			c.err = err
			return
		}
	}
}
