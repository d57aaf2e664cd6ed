package assess

import (
	"encoding/binary"
	"errors"
	"iter"
	"strings"
)

// Compact components: a vault's judged components, once rolled up, wait
// for the report in a form of about 30 bytes each instead of a Component's
// hundred-odd (and none of the pointers the garbage collector follows).
//
// A saved estate of a million secrets is judged at Finish, and every
// vault's assessments then wait, with their components, until the writers
// read them: as Components they were the scan's peak of memory, and their
// copies in a spilled run cost the most of writing it and reading it back.
// Compact, they are kept in a byte slice that a run holds as it is, and
// each assessment's Components are made again only as Result.All yields it
// (on a copy of the assessment, so that whatever the writer keeps stays
// whole), and are garbage once it has been written.

// compactMin is how many components an assessment must have to be kept
// compact; fewer are not worth it. Tests lower it (Assessor.compactMin).
const compactMin = 64

// compactComps are the components of one assessment, in order. Each is a
// record of recSize bytes in Recs: the length of its name (the names are
// end to end in Names), and the indexes of its status (in statuses), type,
// reason and ID prefix in the tables; a component the tables cannot
// describe (an ID of its own, a place in code, an exemption) has status
// oddStatus and is the next of Odd. Exported fields: a spilled run keeps
// it as it is (wireCompact).
type compactComps struct {
	Names    []byte
	Recs     []byte
	Prefixes []string
	Types    []string
	Reasons  []string
	Odd      []Component
}

const (
	recSize   = 8
	oddStatus = 0xFF
	maxTable  = 255 // entries of a table, so that an index fits a byte
)

// compactOf packs cs.
func compactOf(cs []Component) *compactComps {
	cc := &compactComps{Recs: make([]byte, 0, recSize*len(cs))}
	var lastPrefix *string
	lastPrefixIdx := -1
	for i := range cs {
		c := &cs[i]
		status, sok := statusIndex(c.Status)
		typ, tok := tableIndex(&cc.Types, c.Type)
		reason, rok := tableIndex(&cc.Reasons, c.Reason)
		prefix, pok := -1, c.ID == "" && c.idPrefix != nil
		if pok {
			if c.idPrefix == lastPrefix {
				prefix = lastPrefixIdx
			} else {
				prefix, pok = tableIndex(&cc.Prefixes, *c.idPrefix)
				lastPrefix, lastPrefixIdx = c.idPrefix, prefix
			}
		}
		if !sok || !tok || !rok || !pok || c.Source != nil || c.Exemption != nil || len(c.Name) > 1<<32-1 {
			odd := *c
			odd.Name = strings.Clone(c.Name) // not pinning the vault's names
			cc.Odd = append(cc.Odd, odd)
			cc.Recs = append(cc.Recs, 0, 0, 0, 0, oddStatus, 0, 0, 0)
			continue
		}
		cc.Names = append(cc.Names, c.Name...)
		cc.Recs = binary.LittleEndian.AppendUint32(cc.Recs, uint32(len(c.Name)))
		cc.Recs = append(cc.Recs, status, byte(typ), byte(reason), byte(prefix))
	}
	return cc
}

// tableIndex returns s's index in *table, adding it; false when the table
// is full.
func tableIndex(table *[]string, s string) (int, bool) {
	for i, x := range *table {
		if x == s {
			return i, true
		}
	}
	if len(*table) >= maxTable {
		return 0, false
	}
	*table = append(*table, strings.Clone(s))
	return len(*table) - 1, true
}

// len is how many components cc holds.
func (cc *compactComps) len() int { return len(cc.Recs) / recSize }

// size is about the memory cc holds, for the spill limit.
func (cc *compactComps) size() int {
	return len(cc.Names) + len(cc.Recs) + 160*len(cc.Odd)
}

// components makes the Components again, in order.
func (cc *compactComps) components() []Component {
	out := make([]Component, 0, cc.len())
	cc.each(func(c *Component) bool {
		out = append(out, *c)
		return true
	})
	return out
}

// each decodes the components in order into one variable, yielding it
// after each: valid until the next is yielded.
func (cc *compactComps) each(yield func(*Component) bool) {
	var c Component
	names := string(cc.Names) // one copy for all the names
	off, odd := 0, 0
	for i := 0; i+recSize <= len(cc.Recs); i += recSize {
		r := cc.Recs[i : i+recSize]
		if r[4] == oddStatus {
			c = cc.Odd[odd]
			odd++
		} else {
			n := int(binary.LittleEndian.Uint32(r))
			c = Component{Name: names[off : off+n], Status: statuses[r[4]], Type: cc.Types[r[5]],
				Reason: cc.Reasons[r[6]], idPrefix: &cc.Prefixes[r[7]]}
			off += n
		}
		if !yield(&c) {
			return
		}
	}
}

// NumComponents is how many components a has, whether they are kept
// compact (see Result.AllLean) or not.
func (a *Assessment) NumComponents() int {
	if a.compact != nil {
		return a.compact.len()
	}
	return len(a.Components)
}

// EachComponent yields a's components in order, whether they are kept
// compact (see Result.AllLean) or not, without making them all at once:
// a compact one is made in a variable of the iterator's, valid until the
// next is yielded.
func (a *Assessment) EachComponent() iter.Seq[*Component] {
	return func(yield func(*Component) bool) {
		if a.compact != nil {
			a.compact.each(yield)
			return
		}
		for i := range a.Components {
			if !yield(&a.Components[i]) {
				return
			}
		}
	}
}

// compact keeps as's components compact when there are enough of them.
func (a *Assessor) compact(as *Assessment) {
	if len(as.Components) < a.compactMin {
		return
	}
	as.compact = compactOf(as.Components)
	as.Components = nil
}

// whole returns as with its Components made again when they are compact:
// a copy, so that as stays compact.
func whole(as *Assessment) *Assessment {
	if as.compact == nil {
		return as
	}
	cp := *as
	cp.Components, cp.compact = as.compact.components(), nil
	return &cp
}

// wireCompact is compactComps as a run keeps it.
type wireCompact struct {
	Names, Recs              []byte
	Prefixes, Types, Reasons []string
	Odd                      []wireComponent
}

func (w *wireCompact) from(cc *compactComps) {
	*w = wireCompact{Names: cc.Names, Recs: cc.Recs, Prefixes: cc.Prefixes, Types: cc.Types, Reasons: cc.Reasons, Odd: w.Odd[:0]}
	for i := range cc.Odd {
		w.Odd = append(w.Odd, wireOf(&cc.Odd[i]))
	}
}

func (w *wireCompact) to() (*compactComps, error) {
	cc := &compactComps{Names: w.Names, Recs: w.Recs, Prefixes: w.Prefixes, Types: w.Types, Reasons: w.Reasons}
	if !w.valid() {
		return nil, errors.New("read spilled assessments back: malformed components")
	}
	if len(w.Odd) > 0 {
		cc.Odd = make([]Component, len(w.Odd))
		for i, c := range w.Odd {
			cc.Odd[i] = c.component()
		}
	}
	return cc, nil
}

// valid reports whether every record's indexes and name are in range, so
// that a damaged run is an error rather than a panic.
func (w *wireCompact) valid() bool {
	if len(w.Recs)%recSize != 0 {
		return false
	}
	names, odd := 0, 0
	for i := 0; i < len(w.Recs); i += recSize {
		r := w.Recs[i : i+recSize]
		if r[4] == oddStatus {
			odd++
			continue
		}
		names += int(binary.LittleEndian.Uint32(r))
		if int(r[4]) >= len(statuses) || int(r[5]) >= len(w.Types) || int(r[6]) >= len(w.Reasons) || int(r[7]) >= len(w.Prefixes) {
			return false
		}
	}
	return names == len(w.Names) && odd == len(w.Odd)
}
