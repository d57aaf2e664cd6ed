package assess

import (
	"slices"
	"strconv"
	"strings"

	"github.com/kvguard/kvguard/internal/catalog"
	"github.com/kvguard/kvguard/internal/resource"
)

// parentComps are the judged components of one vault, per data-plane
// recommendation.
//
// Until Finish they are kept packed: small records without pointers whose
// names sit end to end in one byte slice. The garbage collector runs
// dozens of times while a saved estate of a million secrets is read, and
// each time it would otherwise scan every Component kept so far (a million
// structs of eight pointers); a packed component costs it nothing. Finish
// turns them back into Components (materialize). A component that cannot
// be packed (its own ID, a location in code, an exemption, a reason of its
// own) is kept whole in odd.
type parentComps struct {
	ref        resource.Ref
	deployment string
	perRec     [][]packed
	names      []byte
	odd        []Component
}

// packed is one judged component in compact form. Its name is
// names[name:name+n], its ID the parent's ID (or URL) followed by
// /<type's last segment>/<name>, its type types[typ], its status
// statuses[status], and its reason one of the reason codes below. odd,
// when not -1, says the component is odd[odd] instead.
type packed struct {
	name, n uint32
	odd     int32
	status  uint8
	typ     uint8
	reason  uint8
}

// The statuses a packed component encodes, by index.
var statuses = [...]Status{"", Healthy, Unhealthy, NotApplicable, Unknown, Exempt}

// The reasons a packed component encodes: none, the recommendation's
// ComponentUnhealthyText, and the --enabled-only skip.
const (
	reasonNone uint8 = iota
	reasonRec
	reasonDisabled
)

const disabledReason = "disabled; skipped by --enabled-only"

// add keeps c, judged on the recommendation r (index i). prefixed says
// that c's ID is pc.ref's prefix for its type followed by its name. It is
// called with the assessor's lock held.
func (a *Assessor) add(pc *parentComps, i int, r *catalog.Recommendation, c *Component, prefixed bool) {
	v := packed{odd: -1}
	status, sok := statusIndex(c.Status)
	typ, tok := a.typeIndex(c.Type)
	reason, rok := reasonRec, c.Reason == r.ComponentUnhealthyText && c.Status == Unhealthy
	switch {
	case c.Reason == "":
		reason, rok = reasonNone, true
	case c.Reason == disabledReason && c.Status == NotApplicable:
		reason, rok = reasonDisabled, true
	}
	if a.keepWhole || !prefixed || !sok || !tok || !rok || c.Source != nil || c.Exemption != nil || len(pc.names)+len(c.Name) > 1<<32-1 {
		// Kept whole. Inputs may hand out names and IDs sliced from
		// larger strings; clones keep them without pinning those.
		odd := *c
		odd.Name = strings.Clone(c.Name)
		if odd.ID != "" {
			odd.ID = strings.Clone(odd.ID)
		}
		v.odd = int32(len(pc.odd))
		pc.odd = append(pc.odd, odd)
		pc.perRec[i] = append(pc.perRec[i], v)
		return
	}
	v.name, v.n = uint32(len(pc.names)), uint32(len(c.Name))
	v.status, v.typ, v.reason = status, typ, reason
	if pc.names == nil {
		// A vault rarely holds one object: starting at a few dozen
		// saves the first handful of times each slice grows.
		pc.names = make([]byte, 0, firstComps*16)
	}
	pc.names = append(pc.names, c.Name...)
	if pc.perRec[i] == nil {
		pc.perRec[i] = make([]packed, 0, firstComps)
	}
	pc.perRec[i] = append(pc.perRec[i], v)
}

// firstComps is the room a vault's packed components start with.
const firstComps = 32

func statusIndex(s Status) (uint8, bool) {
	for i, x := range statuses {
		if x == s {
			return uint8(i), true
		}
	}
	return 0, false
}

// typeIndex numbers component types for packing (with the lock held).
func (a *Assessor) typeIndex(t string) (uint8, bool) {
	for i, x := range a.types {
		if x == t {
			return uint8(i), true
		}
	}
	if len(a.types) > 255 {
		return 0, false
	}
	a.types = append(a.types, strings.Clone(t))
	return uint8(len(a.types) - 1), true
}

// componentTypes returns the component types numbered so far (see
// typeIndex), for materialize.
func (a *Assessor) componentTypes() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.types)
}

// mergeComps moves the groups of components of src into dst: a group
// under a key dst lacks is moved whole, one under a key dst has is
// appended to dst's (src's names and odd components renumbered).
func mergeComps(dst, src map[string]*parentComps) {
	for k, pc := range src {
		d := dst[k]
		if d == nil {
			dst[k] = pc
			continue
		}
		if len(d.names)+len(pc.names) > 1<<32-1 {
			// The renumbered names would not fit: keep them apart, under
			// a key of their own that sorts right after k.
			dst[k+"\x00"+strconv.Itoa(len(dst))] = pc
			continue
		}
		base, odd := uint32(len(d.names)), int32(len(d.odd))
		d.names = append(d.names, pc.names...)
		d.odd = append(d.odd, pc.odd...)
		for i, vs := range pc.perRec {
			for _, v := range vs {
				if v.odd >= 0 {
					v.odd += odd
				} else {
					v.name += base
				}
				d.perRec[i] = append(d.perRec[i], v)
			}
		}
	}
}

// materialize turns the packed components of recommendation i into
// Components, in the order they were judged, and drops them.
func materialize(pc *parentComps, i int, r *catalog.Recommendation, names string, prefixes map[uint8]*string, types []string) []Component {
	vs := pc.perRec[i]
	pc.perRec[i] = nil
	if len(vs) == 0 {
		return nil
	}
	out := make([]Component, len(vs))
	for j, v := range vs {
		if v.odd >= 0 {
			out[j] = pc.odd[v.odd]
			continue
		}
		c := &out[j]
		c.Name = names[v.name : v.name+v.n]
		c.Type = types[v.typ]
		c.Status = statuses[v.status]
		switch v.reason {
		case reasonRec:
			c.Reason = r.ComponentUnhealthyText
		case reasonDisabled:
			c.Reason = disabledReason
		}
		p := prefixes[v.typ]
		if p == nil {
			s := componentPrefix(pc.ref, c.Type)
			p = &s
			prefixes[v.typ] = p
		}
		c.idPrefix = p
	}
	return out
}

// componentPrefix is what the IDs of the components of type typ under the
// vault r start with: r's ID (or URL) and the type's last segment.
func componentPrefix(r resource.Ref, typ string) string {
	seg := typ[strings.LastIndexByte(typ, '/')+1:]
	if r.ID != "" {
		return strings.TrimRight(r.ID, "/") + "/" + seg + "/"
	}
	return "https://" + r.Host + "/" + seg + "/"
}
