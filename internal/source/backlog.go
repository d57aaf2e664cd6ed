package source

// job is what a reader takes from the run's queue: a speculation (a
// deployment found by the walk, or one whose held reading is to be
// handed out), or an input confirmed for reading.
type job struct {
	s  *speculation
	in Input
}

// readList is the run's queue of jobs: speculations first, in the order
// they came (there are few: those the walk is ahead of the readers by,
// and those held), then the confirmed inputs, in the order they came,
// kept in a backlog.
type readList struct {
	specs   []*speculation
	backlog backlog
}

func (l *readList) add(j job) {
	if j.s != nil {
		l.specs = append(l.specs, j.s)
		return
	}
	l.backlog.add(j.in)
}

func (l *readList) take() (job, bool) {
	if len(l.specs) > 0 {
		s := l.specs[0]
		l.specs[0] = nil
		l.specs = l.specs[1:]
		if len(l.specs) == 0 {
			l.specs = nil // let the array go
		}
		return job{s: s}, true
	}
	in, ok := l.backlog.take()
	return job{in: in}, ok
}

// backlog is a first-in, first-out list of inputs that keeps them free of
// pointers: each path's bytes in a chunk, and a record of where. After
// the plan it holds every root deployment of the tree waiting for a
// reader (tens of thousands in a tree of 100,000 files, for most of the
// scan): as strings and structs they were as many objects for the
// garbage collector to mark on every cycle, and the cycles come more
// often with more held live.
type backlog struct {
	chunks []*backlogChunk // the first is taken from, the last added to
	kinds  []Kind          // the kinds met, numbered (there are a handful)
}

// backlogChunk holds up to backlogRecs inputs, whose paths take at least
// backlogBytes (more for a path longer than that).
type backlogChunk struct {
	paths []byte
	recs  []backlogRec
	next  int // the first record not yet taken
}

const (
	backlogBytes = 64 << 10
	backlogRecs  = 1024
)

// backlogRec is one input of a chunk: its path is paths[start:end].
type backlogRec struct {
	start, end uint32
	kind       uint8
	found      bool
}

func (b *backlog) add(in Input) {
	kind := -1
	for i, k := range b.kinds {
		if k == in.Kind {
			kind = i
			break
		}
	}
	if kind < 0 {
		kind = len(b.kinds)
		b.kinds = append(b.kinds, in.Kind)
	}
	var c *backlogChunk
	if n := len(b.chunks); n > 0 {
		c = b.chunks[n-1]
	}
	if c == nil || len(c.recs) == cap(c.recs) || len(c.paths)+len(in.Path) > cap(c.paths) {
		c = &backlogChunk{paths: make([]byte, 0, max(backlogBytes, len(in.Path))), recs: make([]backlogRec, 0, backlogRecs)}
		b.chunks = append(b.chunks, c)
	}
	start := len(c.paths)
	c.paths = append(c.paths, in.Path...)
	c.recs = append(c.recs, backlogRec{start: uint32(start), end: uint32(len(c.paths)), kind: uint8(kind), found: in.Found})
}

func (b *backlog) take() (Input, bool) {
	for len(b.chunks) > 0 {
		c := b.chunks[0]
		if c.next < len(c.recs) {
			r := c.recs[c.next]
			c.next++
			return Input{Path: string(c.paths[r.start:r.end]), Kind: b.kinds[r.kind], Found: r.found}, true
		}
		if len(b.chunks) == 1 {
			// The last chunk: keep it for what comes next, emptied.
			c.paths, c.recs, c.next = c.paths[:0], c.recs[:0], 0
			return Input{}, false
		}
		b.chunks[0] = nil
		b.chunks = b.chunks[1:]
	}
	return Input{}, false
}
