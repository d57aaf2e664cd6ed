package assess

import (
	"encoding/binary"
	"slices"
	"unicode/utf8"

	"github.com/kvguard/kvguard/internal/catalog"
)

// Packed components straight to compact ones.
//
// At Finish a vault's packed components (packed.go) used to become
// Components (materialize), be sorted and deduplicated (dedupe), counted
// (judgeRollUp) and packed again (compact.go): for a saved estate of a
// million secrets, a million 100-byte structs made and dropped, and a
// sixth of the scan's time after reading. When the components of one
// recommendation are all packed and already in report order without a
// duplicate (names ASCII and strictly increasing case-insensitively: what
// a listing of a vault gives), dedupe would leave them as they are, so
// they are counted and packed compact directly, giving the compactComps
// that compact would have made of the Components. Anything else takes the
// general path.

// packedRollUp is the compact form of one recommendation's components and
// their counts.
type packedRollUp struct {
	cc *compactComps
	n  componentCounts
}

// packedCompact returns the components of recommendation i (r) of pc,
// compact and counted, and drops them from pc; nil, leaving pc as it is,
// when they must take the general path. types are the component types
// numbered for packing.
func (a *Assessor) packedCompact(pc *parentComps, i int, r *catalog.Recommendation, types []string) *packedRollUp {
	vs := pc.perRec[i]
	if len(vs) < a.compactMin {
		return nil
	}
	names := pc.names
	vs, ok := inNameOrder(vs, names, types)
	if !ok {
		return nil
	}
	d := &packedRollUp{cc: &compactComps{Recs: make([]byte, 0, recSize*len(vs))}}
	cc := d.cc
	// The tables' indexes by packed type and reason code, -1 until used.
	var typeAt, prefixAt [256]int16
	for k := range typeAt {
		typeAt[k], prefixAt[k] = -1, -1
	}
	reasonAt := [3]int16{-1, -1, -1}
	size := 0
	for j := range vs {
		size += int(vs[j].n)
	}
	cc.Names = make([]byte, 0, size)
	for j := range vs {
		v := &vs[j]
		if typeAt[v.typ] < 0 {
			ti, tok := tableIndex(&cc.Types, types[v.typ])
			pi, pok := tableIndex(&cc.Prefixes, componentPrefix(pc.ref, types[v.typ]))
			if !tok || !pok {
				return nil
			}
			typeAt[v.typ], prefixAt[v.typ] = int16(ti), int16(pi)
		}
		if int(v.reason) >= len(reasonAt) {
			return nil
		}
		if reasonAt[v.reason] < 0 {
			ri, ok := tableIndex(&cc.Reasons, reasonText(v.reason, r))
			if !ok {
				return nil
			}
			reasonAt[v.reason] = int16(ri)
		}
		name := names[v.name : v.name+v.n]
		d.count(v, name, r)
		cc.Names = append(cc.Names, name...)
		cc.Recs = binary.LittleEndian.AppendUint32(cc.Recs, v.n)
		cc.Recs = append(cc.Recs, v.status, byte(typeAt[v.typ]), byte(reasonAt[v.reason]), byte(prefixAt[v.typ]))
	}
	pc.perRec[i] = nil
	a.directs.Add(1)
	return d
}

// inNameOrder returns vs in the order dedupe sorts Components (by
// lower-cased name), sorting a copy if need be; false when dedupe must
// decide: an odd component, a type not numbered, a name not ASCII, or two
// names equal case-insensitively.
func inNameOrder(vs []packed, names []byte, types []string) ([]packed, bool) {
	sorted := true
	for j := range vs {
		v := &vs[j]
		if v.odd >= 0 || int(v.typ) >= len(types) {
			return nil, false
		}
		name := names[v.name : v.name+v.n]
		for _, c := range name {
			if c >= utf8.RuneSelf {
				return nil, false
			}
		}
		if j > 0 && sorted && compareFoldASCII(names[vs[j-1].name:vs[j-1].name+vs[j-1].n], name) >= 0 {
			sorted = false
		}
	}
	if sorted {
		return vs, true
	}
	// Every name starts with the same common bytes (case-insensitively):
	// the comparisons start after them ("secret-" of secret-0 to
	// secret-99999).
	first := names[vs[0].name : vs[0].name+vs[0].n]
	common := len(first)
	for j := 1; j < len(vs) && common > 0; j++ {
		common = min(common, foldPrefix(first, names[vs[j].name:vs[j].name+vs[j].n]))
	}
	tail := func(v packed) []byte { return names[v.name+uint32(common) : v.name+v.n] }
	vs = slices.Clone(vs)
	slices.SortFunc(vs, func(x, y packed) int { return compareFoldASCII(tail(x), tail(y)) })
	for j := 1; j < len(vs); j++ {
		if compareFoldASCII(tail(vs[j-1]), tail(vs[j])) == 0 {
			return nil, false
		}
	}
	return vs, true
}

// count adds one packed component to the counts, as countComponents does.
func (d *packedRollUp) count(v *packed, name []byte, r *catalog.Recommendation) {
	n := &d.n
	switch st := statuses[v.status]; st {
	case Unhealthy:
		if n.bad < maxNames {
			n.badNames[n.bad] = string(name)
		}
		n.bad++
	case Unknown:
		if n.unknown == 0 {
			n.firstUnknown = &Component{Name: string(name), Status: st, Reason: reasonText(v.reason, r)}
		}
		n.unknown++
	case Exempt:
		n.exempt++
	}
	if statuses[v.status] != NotApplicable {
		n.judged++
	}
}

// reasonText is the reason a packed reason code stands for (materialize).
func reasonText(code uint8, r *catalog.Recommendation) string {
	switch code {
	case reasonRec:
		return r.ComponentUnhealthyText
	case reasonDisabled:
		return disabledReason
	}
	return ""
}

// foldPrefix is the length of the longest common prefix of a and b,
// ASCII case-insensitively.
func foldPrefix(a, b []byte) int {
	n := min(len(a), len(b))
	for k := range n {
		if lowerASCII(a[k]) != lowerASCII(b[k]) {
			return k
		}
	}
	return n
}

// lowerASCII is c lower-cased when it is an ASCII capital.
func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// compareFoldASCII compares two ASCII names as strings.Compare compares
// their strings.ToLower.
func compareFoldASCII(a, b []byte) int {
	for k := range min(len(a), len(b)) {
		if x, y := lowerASCII(a[k]), lowerASCII(b[k]); x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return len(a) - len(b)
}
