package saved

import (
	"fmt"
	"time"

	"github.com/kvguard/kvguard/internal/jsonpos"
	"github.com/kvguard/kvguard/internal/resource"
)

// attrEntry is one member of an attributes object, decoded unboxed.
type attrEntry struct {
	key string
	sp  spelling
	v   jsonpos.Scalar
	pos jsonpos.Pos
}

// attrEntries turns an attributes map into entries, with the positions
// recorded for its members.
func (fr *fileReader) attrEntries(o *rawObject, m map[string]any, in where) []attrEntry {
	out := fr.attrScratch[:0]
	for k, v := range m {
		sp, ok := attrSpelling(k)
		if v == nil || !ok {
			continue
		}
		p, _ := o.pos(in, k)
		out = append(out, attrEntry{key: k, sp: sp, v: scalarOf(v), pos: p})
	}
	fr.attrScratch = out
	return out
}

// scalarOf wraps a decoded value as a Scalar.
func scalarOf(v any) jsonpos.Scalar {
	switch x := v.(type) {
	case string:
		return jsonpos.Scalar{Kind: jsonpos.String, Str: x}
	case int64:
		return jsonpos.Scalar{Kind: jsonpos.Number, Int: x, Float: float64(x), IsInt: true}
	case float64:
		return jsonpos.Scalar{Kind: jsonpos.Number, Float: x}
	case bool:
		return jsonpos.Scalar{Kind: jsonpos.Bool, Bool: x}
	case nil:
		return jsonpos.Scalar{Kind: jsonpos.Null}
	case map[string]any:
		return jsonpos.Scalar{Kind: jsonpos.Object, Any: x}
	case []any:
		return jsonpos.Scalar{Kind: jsonpos.Array, Any: x}
	}
	return jsonpos.Scalar{Kind: jsonpos.Null}
}

// readAttrEntries reads an attributes object member by member into
// entries, numbers unboxed: the fast path for the million secrets of a
// saved estate, which would otherwise box three timestamps each into a map
// that is thrown away.
func (fr *fileReader) readAttrEntries(out []attrEntry, in where) ([]attrEntry, error) {
	d := fr.d
	if _, err := d.BeginObject(); err != nil {
		return nil, err
	}
	for {
		key, _, ok, err := d.Key()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		sp, known := attrSpelling(key)
		if !known {
			if _, _, err := d.Skip(); err != nil {
				return nil, err
			}
			continue
		}
		v, start, _, err := d.Scalar()
		if err != nil {
			return nil, err
		}
		fr.fields = append(fr.fields, fieldPos{in, key, start})
		if v.Kind != jsonpos.Null {
			out = append(out, attrEntry{key: key, sp: sp, v: v, pos: start})
		}
	}
	if _, err := d.End(); err != nil {
		return nil, err
	}
	return out, nil
}

// attributes maps Key Vault object attributes from any of their spellings:
// Unix seconds (exp, nbf, created, updated: ARM and data-plane REST), ISO
// strings (expires, notBefore, created, updated: az CLI), or the alias
// names themselves (expiresOn, ...). null is absent. Members are taken in
// name order, so that when two spellings of one attribute are both present
// (exp and expires) the same one wins whatever the input order.
func (fr *fileReader) attributes(entries []attrEntry, prefix string) (resource.ObjectAttributes, []*resource.InputError) {
	var a resource.ObjectAttributes
	var errs []*resource.InputError
	sortEntries(entries)
	var slots [5]any // enabled, expires, notBefore, created, updated
	var set [len(slots)]bool
	for i := range entries {
		e := &entries[i]
		sp := e.sp
		var val any
		msg := ""
		if sp.slot == 0 {
			if e.v.Kind == jsonpos.Bool {
				val = e.v.Bool
			} else {
				msg = "expected a boolean, found " + resource.Describe(e.v.Interface())
			}
		} else {
			var t string
			t, msg = instant(e.v, sp.unix, sp.iso)
			val = t
		}
		if msg != "" {
			errs = append(errs, resource.Errorf(fr.pos(e.pos), "%sattributes.%s: %s", prefix, e.key, msg))
			val = resource.Unknown{Expr: fmt.Sprintf("%s = %s (%s)", e.key, resource.Render(e.v.Interface()), sp.why())}
		}
		if !set[sp.slot] {
			slots[sp.slot], set[sp.slot] = val, true
		}
	}
	a.Enabled, a.Expires, a.NotBefore, a.Created, a.Updated = slots[0], slots[1], slots[2], slots[3], slots[4]
	return a, errs
}

// sortEntries is an insertion sort by name for the handful of attributes.
func sortEntries(s []attrEntry) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j].key < s[j-1].key; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// spelling is one way an attribute is written.
type spelling struct {
	slot      int // 0 enabled, 1 expires, 2 notBefore, 3 created, 4 updated
	unix, iso bool
}

func (sp spelling) why() string {
	switch {
	case sp.slot == 0:
		return "not a boolean"
	case sp.unix && sp.iso:
		return "not a time"
	case sp.unix:
		return "not Unix seconds"
	}
	return "not an ISO 8601 time"
}

// attrSpelling finds how k spells an attribute (in any case), or nil.
func attrSpelling(k string) (spelling, bool) {
	if len(k) > 12 {
		return spelling{}, false
	}
	var b [12]byte
	for i := 0; i < len(k); i++ {
		c := k[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	// A switch on the lower-cased bytes compiles to comparisons, with no
	// hashing or allocation.
	switch string(b[:len(k)]) {
	case "enabled":
		return spelling{slot: 0}, true
	case "exp":
		return spelling{slot: 1, unix: true}, true
	case "expires", "expireson":
		return spelling{slot: 1, iso: true}, true
	case "nbf":
		return spelling{slot: 2, unix: true}, true
	case "notbefore":
		return spelling{slot: 2, iso: true}, true
	case "created":
		return spelling{slot: 3, unix: true, iso: true}, true
	case "createdon":
		return spelling{slot: 3, iso: true}, true
	case "updated":
		return spelling{slot: 4, unix: true, iso: true}, true
	case "updatedon":
		return spelling{slot: 4, iso: true}, true
	}
	return spelling{}, false
}

// The instants kvguard accepts: 0001-01-01 to 9999-12-31, what TimeLayout
// can write.
const (
	minUnix = -62135596800
	maxUnix = 253402300799
)

// instant converts an attribute to TimeLayout. err is empty on success,
// else says what was wrong.
func instant(v jsonpos.Scalar, unix, iso bool) (string, string) {
	switch v.Kind {
	case jsonpos.Number:
		if !unix {
			break
		}
		if !v.IsInt {
			if v.Float < minUnix || v.Float > maxUnix {
				return "", fmt.Sprintf("%g is outside the years 1 to 9999", v.Float)
			}
			return unixTime(int64(v.Float)), ""
		}
		if v.Int < minUnix || v.Int > maxUnix {
			return "", fmt.Sprintf("%d is outside the years 1 to 9999", v.Int)
		}
		return unixTime(v.Int), ""
	case jsonpos.String:
		if !iso {
			break
		}
		t, ok := parseISO(v.Str)
		if !ok {
			return "", fmt.Sprintf("%s is not an ISO 8601 time", resource.Describe(v.Str))
		}
		return resource.FormatTime(t), ""
	}
	switch {
	case unix && iso:
		return "", "expected Unix seconds or an ISO 8601 time, found " + resource.Describe(v.Interface())
	case unix:
		return "", "expected a number (Unix seconds), found " + resource.Describe(v.Interface())
	}
	return "", "expected an ISO 8601 time, found " + resource.Describe(v.Interface())
}

// isoLayouts are the forms az CLI and PowerShell write instants in:
// Python's isoformat() (with +00:00, sometimes without a zone), RFC 3339.
var isoLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
}

// parseISO reads an ISO 8601 instant; one without a zone is UTC, as az
// CLI means it.
func parseISO(s string) (time.Time, bool) {
	for _, l := range isoLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
