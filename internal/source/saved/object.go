package saved

import (
	"strings"

	"github.com/kvguard/kvguard/internal/jsonpos"
)

// getMap returns an empty map, reused when one is free.
func (fr *fileReader) getMap() map[string]any {
	if n := len(fr.maps); n > 0 {
		m := fr.maps[n-1]
		fr.maps = fr.maps[:n-1]
		return m
	}
	return make(map[string]any, 8)
}

// recycle takes back maps that nothing refers to any more. Only maps
// decoded for a component, whose document NewComponent built afresh, are
// given back; a map reachable from an emitted document never is.
func (fr *fileReader) recycle(maps ...map[string]any) {
	for _, m := range maps {
		if m == nil || len(fr.maps) >= 64 || len(m) > 32 {
			continue
		}
		clear(m)
		fr.maps = append(fr.maps, m)
	}
}

// rawObject is one JSON object as read, before it is classified.
type rawObject struct {
	body       map[string]any
	start, end jsonpos.Pos
	fields     []fieldPos
	containers int  // "value", "data" or "resources" arrays streamed from it
	snapshot   bool // it is a kvguard snapshot (header, resources or gaps seen)
	template   bool // it is an ARM template ($schema, contentVersion)
	// resourceLike is set once a member that only resources have was
	// read (kept incrementally: checking the body at each "resources"
	// member would be quadratic in hostile input).
	resourceLike bool
	// component is set once the object's id names an ARM-plane secret or
	// key: members a component document does not use are then skipped
	// undecoded (see unusedByComponents).
	component bool
	aid       armID // the id taken apart, when component is set
	// secretValue is set when the object has a "value" member that is not
	// a list (a secret's value, skipped unread): what marks a secret show.
	secretValue bool
	// attrs are properties.attributes of a component, read unboxed
	// (readAttrEntries) when attrsRead is set.
	attrs      []attrEntry
	attrsRead  bool
	attrsBuf   [8]attrEntry // backing for attrs: rawObjects are reused, so this costs nothing
	firstKeys  [5]string
	nkeys      int
	apiVersion string
	readAt     string
	readAtPos  jsonpos.Pos
}

// reset empties a reused rawObject. It clears field by field rather than
// assigning a zero rawObject: the buffers (firstKeys, attrsBuf) are only
// read up to their counts, and zeroing them whole would run the GC's write
// barriers over a kilobyte per object.
func (o *rawObject) reset() {
	o.body, o.fields = nil, nil
	o.start, o.end = jsonpos.Pos{}, jsonpos.Pos{}
	o.containers, o.nkeys = 0, 0
	o.snapshot, o.template, o.resourceLike, o.component, o.attrsRead, o.secretValue = false, false, false, false, false, false
	o.aid, o.attrs = armID{}, nil
	o.apiVersion, o.readAt, o.readAtPos = "", "", jsonpos.Pos{}
}

// readObject reads an object member by member. Container arrays are
// streamed as they come; everything else is decoded into the body.
func (fr *fileReader) readObject(level int, sc scope) (*rawObject, error) {
	d := fr.d
	var o *rawObject
	if n := len(fr.objs); n > 0 {
		o = fr.objs[n-1]
		fr.objs = fr.objs[:n-1]
		o.reset()
	} else {
		o = &rawObject{}
	}
	start, err := d.BeginObject()
	if err != nil {
		return nil, err
	}
	o.start = start
	body := fr.getMap()
	for {
		key, _, ok, err := d.Key()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		if o.nkeys < len(o.firstKeys) {
			o.firstKeys[o.nkeys] = key
			o.nkeys++
		}
		if !o.resourceLike && resourceKey(key) {
			o.resourceLike = true
		}
		handled, err := fr.special(level, sc, o, body, key)
		if err != nil {
			return nil, err
		}
		if handled {
			continue
		}
		if o.component && unusedByComponents(inRoot, key) {
			if _, _, err := d.Skip(); err != nil {
				return nil, err
			}
			continue
		}
		v, vs, _, err := d.Value()
		if err != nil {
			return nil, err
		}
		fr.fields = append(fr.fields, fieldPos{inRoot, key, vs})
		body[key] = v
		if !o.component && key == "id" {
			if s, ok := v.(string); ok {
				o.component, o.aid = isComponentID(s)
			}
		}
		if level == 0 && (key == "$schema" || key == "contentVersion") {
			if s, _ := v.(string); key == "contentVersion" || strings.Contains(strings.ToLower(s), "deploymenttemplate") {
				o.template = true
			}
		}
	}
	end, err := d.End()
	if err != nil {
		return nil, err
	}
	o.end = end
	o.body = body
	return o, nil
}

// special handles the members that are not simply decoded: containers,
// snapshot parts, the members whose positions matter, and a secret's value,
// which is skipped unread. It reports whether it consumed the member.
func (fr *fileReader) special(level int, sc scope, o *rawObject, body map[string]any, key string) (bool, error) {
	kw := keyword(key)
	switch kw {
	case kwProperties, kwAttributes, kwTags, kwMetadata:
		return fr.watched(o, body, key, kw)
	case kwNone, kwID, kwResourceID, kwType, kwNetworkACLs:
		return false, nil
	}
	return fr.container(level, sc, o, kw)
}

// container handles the members that hold other things: the arrays of
// list bodies, Resource Graph results and snapshots, a snapshot's header
// and gaps, kvguard's provenance member, and a secret's value.
func (fr *fileReader) container(level int, sc scope, o *rawObject, name kw) (bool, error) {
	d := fr.d
	switch {
	case name == kwValue:
		k, err := d.Peek()
		if err != nil {
			return false, err
		}
		if k == jsonpos.Array {
			o.containers++
			return true, fr.array(level, sc)
		}
		// A secret's value (az keyvault secret show, a PUT body): never
		// decoded, kept or logged.
		o.secretValue = true
		_, _, err = d.Skip()
		return true, err
	case name == kwData:
		k, err := d.Peek()
		if err != nil || k != jsonpos.Array {
			return false, err
		}
		o.containers++
		return true, fr.array(level, sc)
	case name == kwResources:
		k, err := d.Peek()
		if err != nil || k != jsonpos.Array {
			return false, err
		}
		o.containers++
		if o.template {
			_, _, err := d.Skip()
			return true, err
		}
		inner := sc
		if level == 0 && !o.resourceLike {
			// The resources of a kvguard snapshot (docs/snapshot.md).
			o.snapshot = true
			fr.startSnapshot(o.start)
			inner = scope{kind: KindSnapshot, snap: true}
		}
		// Otherwise: child resources nested in their parent, as PSRule's
		// Export-AzRuleData writes them.
		return true, fr.array(level, inner)
	case level == 0 && name == kwGaps:
		k, err := d.Peek()
		if err != nil || k != jsonpos.Array || o.resourceLike {
			return false, err
		}
		o.snapshot = true
		fr.startSnapshot(o.start)
		return true, fr.readGaps()
	case level == 0 && name == kwSnapshot:
		v, vs, _, err := d.Value()
		if err != nil {
			return false, err
		}
		o.snapshot = true
		fr.startSnapshot(o.start)
		fr.snapshotHeader(v, vs)
		return true, nil
	case name == kwKvguard:
		// kvguard's own provenance member: read, never kept in the body.
		return true, fr.provenanceMember(o)
	}
	return false, nil
}

// watched reads the objects whose members' positions matter (properties,
// attributes, tags, metadata) member by member; a member of another type
// is left to the caller, which decodes it whole.
func (fr *fileReader) watched(o *rawObject, body map[string]any, key string, name kw) (bool, error) {
	d := fr.d
	in := inProps
	switch name {
	case kwAttributes:
		in = inAttrs
	case kwTags:
		in = inTags
	case kwMetadata:
		in = inMetadata
	}
	k, err := d.Peek()
	if err != nil || k != jsonpos.Object {
		return false, err
	}
	fr.fields = append(fr.fields, fieldPos{inRoot, key, d.Pos()})
	m, err := fr.readMembers(o, in)
	if err != nil {
		return false, err
	}
	body[key] = m
	return true, nil
}

// readMembers reads an object whose member positions matter (properties,
// attributes, tags), recording where each member's value starts.
func (fr *fileReader) readMembers(o *rawObject, in where) (map[string]any, error) { //nolint:funlen,gocognit // hot-path member decoder for saved Azure JSON, kept inline for speed
	d := fr.d
	if _, err := d.BeginObject(); err != nil {
		return nil, err
	}
	m := fr.getMap()
	for {
		key, _, ok, err := d.Key()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		if in == inProps {
			var sub where
			switch keyword(key) {
			case kwValue:
				// properties.value of an ARM secret PUT body: never kept.
				if _, _, err := d.Skip(); err != nil {
					return nil, err
				}
				continue
			case kwNetworkACLs:
				sub = inNetworkACLs
			case kwAttributes:
				sub = inPropsAttrs
				if o.component && !o.attrsRead {
					k, err := d.Peek()
					if err != nil {
						return nil, err
					}
					if k == jsonpos.Object {
						fr.fields = append(fr.fields, fieldPos{in, key, d.Pos()})
						if o.attrs, err = fr.readAttrEntries(o.attrsBuf[:0], inPropsAttrs); err != nil {
							return nil, err
						}
						o.attrsRead = true
						continue
					}
				}
			}
			if sub != inRoot {
				k, err := d.Peek()
				if err != nil {
					return nil, err
				}
				if k == jsonpos.Object {
					fr.fields = append(fr.fields, fieldPos{in, key, d.Pos()})
					sm, err := fr.readMembers(o, sub)
					if err != nil {
						return nil, err
					}
					m[key] = sm
					continue
				}
			}
		}
		if o.component && unusedByComponents(in, key) {
			if _, _, err := d.Skip(); err != nil {
				return nil, err
			}
			continue
		}
		v, vs, _, err := d.Value()
		if err != nil {
			return nil, err
		}
		fr.fields = append(fr.fields, fieldPos{in, key, vs})
		m[key] = v
	}
	if _, err := d.End(); err != nil {
		return nil, err
	}
	return m, nil
}

// pos finds where the member key of the object in was read.
func (o *rawObject) pos(in where, key string) (jsonpos.Pos, bool) {
	for _, f := range o.fields {
		if f.in == in && f.key == key {
			return f.pos, true
		}
	}
	for _, f := range o.fields {
		if f.in == in && strings.EqualFold(f.key, key) {
			return f.pos, true
		}
	}
	return o.start, false
}
