package resource

import "sync"

// A saved estate is a million secrets, each a document read, judged once
// and dropped: its two maps (the body and the attributes) and the document
// itself were half the bytes a scan of it allocated, and the collector's
// work followed them. A reader whose documents have a single consumer that
// lets go of them after judging takes them from this pool instead
// (NewPooledComponent), and that consumer gives them back (Release).

// PoolSlot is a pooled document with its attributes map.
type PoolSlot struct {
	doc   Document
	attrs map[string]any
}

// Equal reports true: a document's pool entry is not part of what it is
// (see Document.Pool).
func (*PoolSlot) Equal(*PoolSlot) bool { return true }

var componentSlots = sync.Pool{New: func() any {
	s := &PoolSlot{attrs: make(map[string]any, 5)}
	s.doc = Document{Body: make(map[string]any, 8), Pool: s}
	return s
}}

// NewPooledComponent is NewComponentOwning for a document from the pool:
// its body is a map of the pool's (empty) to which the caller adds the
// type's own fields (contentType, keyType, tags, …: never nil and no
// rotationPolicy) before anything reads the document. Whoever consumes
// the document last calls Release, after which nothing may read it or any
// map in it; strings and values taken from it stay valid.
func NewPooledComponent(typ string, parent Ref, id, name string, attrs ObjectAttributes) *Document {
	s := componentSlots.Get().(*PoolSlot)
	body := s.doc.Body
	body["id"] = id
	body["name"] = name
	body["type"] = TypeValue(typ)
	body["attributes"] = attrs.into(s.attrs)
	s.doc = Document{ID: id, Type: typ, Name: name, Body: body, Parent: parent, Pool: s}
	return &s.doc
}

// Release gives a document made by NewPooledComponent back to the pool; it
// does nothing to any other document.
func (d *Document) Release() {
	s := d.Pool
	if s == nil {
		return
	}
	body := d.Body
	clear(body)
	clear(s.attrs)
	s.doc = Document{Body: body, Pool: s}
	componentSlots.Put(s)
}
