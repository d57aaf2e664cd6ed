package resource

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"unsafe"
)

// TestPooledComponentReused: a pooled document given back and taken
// again holds nothing of its last use — no member, attribute or gap —
// and is the document NewComponent builds from the same values.
func TestPooledComponentReused(t *testing.T) {
	parent := Ref{ID: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv"}
	for i := range 50 {
		full := NewPooledComponent(TypeSecret, parent, parent.ID+"/secrets/a", "a",
			ObjectAttributes{Enabled: true, Expires: "2027-01-01T00:00:00Z", Created: "2026-01-01T00:00:00Z"})
		full.Body["contentType"] = "text/plain"
		full.Body["tags"] = map[string]any{"env": "prod"}
		full.Gaps = append(full.Gaps, Gap{})
		if full.Pool == nil {
			t.Fatal("a pooled document without its pool entry")
		}
		full.Release()
		bare := NewPooledComponent(TypeSecret, parent, parent.ID+"/secrets/b", "b", ObjectAttributes{Enabled: false})
		want := NewComponent(TypeSecret, parent, parent.ID+"/secrets/b", "b", ObjectAttributes{Enabled: false}, nil)
		if got := slices.Sorted(maps.Keys(bare.Body)); !slices.Equal(got, []string{"attributes", "id", "name", "type"}) {
			t.Fatalf("round %d: body members %v after reuse", i, got)
		}
		attrs, _ := bare.Body["attributes"].(map[string]any)
		if len(attrs) != 1 || attrs["enabled"] != false {
			t.Fatalf("round %d: attributes %v after reuse, want only enabled: false", i, attrs)
		}
		if bare.ID != want.ID || bare.Name != want.Name || bare.Type != want.Type || bare.Parent != want.Parent ||
			len(bare.Gaps) != 0 || bare.Body["type"] != want.Body["type"] {
			t.Fatalf("round %d: %+v, want %+v", i, bare, want)
		}
		bare.Release()
		// Releasing any other document does nothing.
		want.Release()
		if want.Body["id"] != parent.ID+"/secrets/b" {
			t.Fatal("Release emptied a document that is not pooled")
		}
	}
}

// TestPooledTextPoisoned: a slot's text is the document's until Release,
// then written over, so that a string kept past Release is visibly
// wrong; the clone a consumer is told to make survives.
func TestPooledTextPoisoned(t *testing.T) {
	const id = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv/secrets/a"
	s := TakeComponent()
	text := s.Text([]byte(id + "2027-01-01T00:00:00Z"))
	doc := s.Component(TypeSecret, Ref{ID: id[:len(id)-len("/secrets/a")]}, text[:len(id)], "a", ObjectAttributes{Expires: text[len(id):]})
	if doc.ID != id || doc.Body["id"] != id {
		t.Fatalf("ID %q, body id %v; want %q", doc.ID, doc.Body["id"], id)
	}
	kept, cloned := doc.ID, strings.Clone(doc.ID)
	doc.Release()
	if kept[0] != Poison || kept[len(kept)-1] != Poison {
		t.Errorf("a string kept past Release still reads %q, want poison", kept)
	}
	if cloned != id {
		t.Errorf("clone %q, want %q", cloned, id)
	}
	if s.Text(nil) != "" {
		t.Error("Text of nothing is not empty")
	}
}

// TestBoxReusedOnlyForTheSameView boxes views of a slot's text across two
// documents made in it: a view at the same place and of the same length
// gets the box made before (holding the new bytes), any other string a
// box of its own with its own value.
func TestBoxReusedOnlyForTheSameView(t *testing.T) {
	s := &PoolSlot{}
	first := s.Text([]byte("2027-01-01T00:00:00Z/a/b"))
	b1 := s.Box(0, first[:20])
	if b1 != any("2027-01-01T00:00:00Z") {
		t.Fatalf("box %v", b1)
	}
	// The next document's text, written over the same buffer.
	second := s.Text([]byte("2030-06-15T12:30:00Z/c/dd"))
	b2 := s.Box(0, second[:20])
	if b2 != any("2030-06-15T12:30:00Z") {
		t.Errorf("reused box holds %v, want the new instant", b2)
	}
	if allocs := testing.AllocsPerRun(100, func() { _ = s.Box(0, second[:20]) }); allocs != 0 {
		t.Errorf("boxing the same view allocates %v times", allocs)
	}
	// Same length, another place; another length, same place; another
	// index: each its own value.
	for _, c := range []struct {
		i    int
		str  string
		want string
	}{
		{0, second[1:21], "030-06-15T12:30:00Z/"},
		{0, second[:19], "2030-06-15T12:30:00"},
		{1, second[21:], "c/dd"},
		{NumBoxes, second[:4], "2030"},
		{-1, "x", "x"},
	} {
		if got := s.Box(c.i, c.str); got != any(c.want) {
			t.Errorf("Box(%d, %q) = %v, want %q", c.i, c.str, got, c.want)
		}
	}
	if got := s.Box(0, second[:20]); got != any("2030-06-15T12:30:00Z") {
		t.Errorf("after other views, box %v", got)
	}
}

// TestSlotCacheAndReleaser cycles slots through a Releaser and a
// SlotCache, a batch and more at a time: a slot taken is never one still
// held, and comes back empty (no document, body or attributes) with the
// text of its last document poisoned.
func TestSlotCacheAndReleaser(t *testing.T) {
	var take SlotCache
	var rel Releaser
	held := map[*PoolSlot]bool{}
	for round := range 4 {
		var docs []*Document
		for i := range 3*batchSlots + 5 {
			s := take.Take()
			if held[s] {
				t.Fatalf("round %d: a slot still held was taken again", round)
			}
			if s.doc.ID != "" || len(s.doc.Body) != 0 || len(s.attrs) != 0 {
				t.Fatalf("round %d: slot taken with document %q, body %v, attributes %v", round, s.doc.ID, s.doc.Body, s.attrs)
			}
			for _, c := range s.text {
				if c != Poison {
					t.Fatalf("round %d: slot taken with text %q", round, s.text)
				}
			}
			held[s] = true
			id := fmt.Sprintf("/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv/secrets/s%d", i)
			text := s.Text([]byte(id))
			docs = append(docs, s.Component(TypeSecret, Ref{ID: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv"}, text, text[len(text)-len(fmt.Sprint(i))-1:], ObjectAttributes{Enabled: true}))
		}
		for _, d := range docs {
			s := d.Pool
			rel.Release(d)
			delete(held, s)
		}
		rel.Flush()
	}
}

// TestSetTextIsTheSlotsText: text built in the slot's own buffer
// (TextBuffer, SetText) is the slot's text like Text's, boxed and
// poisoned alike, and the next document's text is built in the same
// buffer.
func TestSetTextIsTheSlotsText(t *testing.T) {
	s := &PoolSlot{attrs: map[string]any{}}
	s.doc = Document{Body: map[string]any{}, Pool: s}
	first := s.SetText(append(s.TextBuffer(), "2027-01-01T00:00:00Z/x/a"...))
	if first != "2027-01-01T00:00:00Z/x/a" {
		t.Fatalf("SetText gave %q", first)
	}
	box := s.Box(0, first[:20])
	doc := s.Component(TypeSecret, Ref{ID: "/x"}, first[20:], first[len(first)-1:], ObjectAttributes{Expires: box})
	doc.Release()
	if first[0] != Poison || first[len(first)-1] != Poison {
		t.Errorf("text built in place not poisoned on Release: %q", first)
	}
	second := s.SetText(append(s.TextBuffer(), "2031-05-05T05:05:05Z/x/b"...))
	if unsafe.StringData(second) != unsafe.StringData(first) {
		t.Error("the next text was not built in the same buffer")
	}
	if got := s.Box(0, second[:20]); got != any("2031-05-05T05:05:05Z") {
		t.Errorf("box of the next instant holds %v", got)
	}
}
