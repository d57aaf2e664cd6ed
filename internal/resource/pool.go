package resource

import (
	"sync"
	"unsafe"
)

// A saved estate is a million secrets, each a document read, judged once
// and dropped: its two maps (the body and the attributes) and the document
// itself were half the bytes a scan of it allocated, and the collector's
// work followed them. A reader whose documents have a single consumer that
// lets go of them after judging takes them from this pool instead
// (NewPooledComponent), and that consumer gives them back (Release).
//
// The strings a secret's document is made of (its ID, its name, the
// instants of its attributes) were a quarter of those bytes again, a
// string per secret. A slot also holds a buffer for them (Text), written
// over by the next document made in the slot: what the consumer keeps
// past Release it must copy.

// PoolSlot is a pooled document with its attributes map and the buffer
// of its strings.
type PoolSlot struct {
	doc   Document
	attrs map[string]any
	// text is the buffer Text's strings are views of; Release fills it
	// with poison bytes so that a string kept past it shows as garbage
	// in the report (and to the race detector) rather than as another
	// secret's plausible ID.
	text []byte
	// boxes are values the slot has put in an interface (Box): a string
	// put in an `any` is a header allocated on the heap, and a secret's
	// ID, name and instants were two thirds of the objects a saved
	// estate allocated. A string that is the same view of the same
	// memory as the last one boxed under its index reuses that box.
	boxes [NumBoxes]box
}

// box is a string and the interface holding it.
type box struct {
	s string
	v any
}

// Box caches under NumBoxes indexes: CallerBoxes for the caller (0 to
// CallerBoxes-1), then the ID's and the name's, which Component boxes.
const (
	CallerBoxes = 4
	NumBoxes    = CallerBoxes + 2
)

// Poison is the byte Release writes over a slot's text.
const Poison = 0xff

// poisonBytes is a run of Poison to copy from: a loop storing a byte at a
// time was half of Release's time (a million secrets of 200 bytes).
var poisonBytes = func() *[256]byte {
	var b [256]byte
	for i := range b {
		b[i] = Poison
	}
	return &b
}()

// poison writes Poison over all of b.
func poison(b []byte) {
	for len(b) > 0 {
		b = b[copy(b, poisonBytes[:]):]
	}
}

// Equal reports true: a document's pool entry is not part of what it is
// (see Document.Pool).
func (*PoolSlot) Equal(*PoolSlot) bool { return true }

// The pool holds slots in batches of batchSlots. The readers that take
// them and the assessor's workers that give them back run on different
// goroutines, usually on different processors: a slot at a time, every
// Put and Get was a transfer between processors' pools, and together
// they cost a twentieth of a saved estate's scan. A goroutine that takes
// or gives back many keeps a batch of its own (SlotCache, Releaser) and
// trades whole batches with the pool. Being a sync.Pool, it lets the
// collector have batches nobody takes.
const batchSlots = 64

// slotBatch is a batch of released slots, never empty in the pool.
type slotBatch struct {
	slots []*PoolSlot
}

var slotBatches sync.Pool // of *slotBatch

func newSlot() *PoolSlot {
	s := &PoolSlot{attrs: make(map[string]any, 5)}
	s.doc = Document{Body: make(map[string]any, 8), Pool: s}
	return s
}

// SlotCache takes slots for one goroutine: it is not safe for concurrent
// use. Its zero value is ready.
type SlotCache struct {
	b *slotBatch
}

// Take takes a slot, for Text and then Component. A slot whose document
// is never made, or never released, is simply dropped: nothing else may
// use its text.
func (c *SlotCache) Take() *PoolSlot {
	if c.b == nil || len(c.b.slots) == 0 {
		c.b, _ = slotBatches.Get().(*slotBatch)
		if c.b == nil {
			return newSlot()
		}
	}
	n := len(c.b.slots) - 1
	s := c.b.slots[n]
	c.b.slots[n] = nil
	c.b.slots = c.b.slots[:n]
	return s
}

// TakeComponent takes a slot as SlotCache.Take does, for a caller that
// takes few.
func TakeComponent() *PoolSlot {
	var c SlotCache
	s := c.Take()
	if c.b != nil && len(c.b.slots) > 0 {
		slotBatches.Put(c.b)
	}
	return s
}

// Text copies b into the slot's buffer and returns it as a string, valid
// until the document made in the slot is released (Release): neither the
// caller nor any consumer of the document may keep it, or a string
// sliced from it, past that. It is called at most once per document.
func (s *PoolSlot) Text(b []byte) string {
	return s.SetText(append(s.TextBuffer(), b...))
}

// Box returns str in an interface, reusing the one made for the last
// string boxed under index i (0 ≤ i < NumBoxes) when str is the same view
// of the same bytes: its length, and where they are. Two such strings
// hold the same bytes, so the box holds str, whatever those bytes are
// now. Text's strings sit at the same place in the slot's buffer from one
// document to the next (the instants at fixed offsets, say), so their
// boxes are made once per slot instead of once per document. A box is as
// valid as str: one of Text's is valid until Release.
func (s *PoolSlot) Box(i int, str string) any {
	if i < 0 || i >= len(s.boxes) {
		return str
	}
	b := &s.boxes[i]
	if b.v != nil && len(str) == len(b.s) && unsafe.StringData(str) == unsafe.StringData(b.s) {
		return b.v
	}
	b.s, b.v = str, str
	return b.v
}

// TextBuffer returns the slot's buffer, empty, for the caller to append
// the text to and give to SetText: Text without a copy.
func (s *PoolSlot) TextBuffer() []byte {
	return s.text[:0]
}

// SetText makes b, which the caller built by appending to TextBuffer's
// slice and no longer uses, the slot's text, and returns it as Text does.
func (s *PoolSlot) SetText(b []byte) string {
	s.text = b
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// Component is NewComponentOwning for a document made in the slot: its
// body is a map of the pool's (empty) to which the caller adds the type's
// own fields (contentType, keyType, tags, …: never nil and no
// rotationPolicy) before anything reads the document. Whoever consumes
// the document last calls Release, after which nothing may read it, any
// map in it or any string the slot's Text returned; other strings and
// values taken from it stay valid.
func (s *PoolSlot) Component(typ string, parent Ref, id, name string, attrs ObjectAttributes) *Document {
	body := s.doc.Body
	body["id"] = s.Box(boxID, id)
	body["name"] = s.Box(boxName, name)
	body["type"] = TypeValue(typ)
	body["attributes"] = attrs.into(s.attrs)
	s.doc = Document{ID: id, Type: typ, Name: name, Body: body, Parent: parent, Pool: s}
	return &s.doc
}

// The indexes Component boxes the ID and the name under.
const (
	boxID   = CallerBoxes
	boxName = CallerBoxes + 1
)

// NewPooledComponent is TakeComponent().Component(…): a pooled document
// whose strings are the caller's.
func NewPooledComponent(typ string, parent Ref, id, name string, attrs ObjectAttributes) *Document {
	return TakeComponent().Component(typ, parent, id, name, attrs)
}

// Release gives a document made in a pool's slot back to the pool, its
// text poisoned; it does nothing to any other document. A goroutine that
// releases many documents uses a Releaser.
func (d *Document) Release() {
	var r Releaser
	r.Release(d)
	r.Flush()
}

// Releaser gives documents back for one goroutine, a batch at a time: it
// is not safe for concurrent use. Its zero value is ready; Flush gives
// back what it holds.
type Releaser struct {
	b *slotBatch
}

// Release is Document.Release: d's slot, its text poisoned, goes back to
// the pool with the next batch, and nothing may read d from now on.
func (r *Releaser) Release(d *Document) {
	s := d.Pool
	if s == nil {
		return
	}
	body := d.Body
	clear(body)
	clear(s.attrs)
	poison(s.text)
	s.doc = Document{Body: body, Pool: s}
	if r.b == nil {
		r.b = &slotBatch{slots: make([]*PoolSlot, 0, batchSlots)}
	}
	r.b.slots = append(r.b.slots, s)
	if len(r.b.slots) == batchSlots {
		r.Flush()
	}
}

// Flush gives the slots held back to the pool.
func (r *Releaser) Flush() {
	if r.b != nil && len(r.b.slots) > 0 {
		slotBatches.Put(r.b)
	}
	r.b = nil
}
