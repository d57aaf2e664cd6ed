package azurejson

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/kvguard/kvguard/internal/jsonpos"
	"github.com/kvguard/kvguard/internal/resource"
)

// fileReader reads one input. The JSON is walked member by member down to
// each resource object (so that containers of any size stream), and each
// resource is decoded on its own, keeping the positions of the members the
// recommendations read.
type fileReader struct {
	ctx     context.Context
	log     *slog.Logger
	d       *jsonpos.Decoder
	file    string
	lenient bool // a file found in a directory: unknown shapes are warnings
	emit    func(*resource.Document)

	errs    []error
	fatal   bool
	fields  []fieldPos // member positions of the objects being read (a stack)
	seen    idSet
	snap    *snapshot // the top-level snapshot being read, if any
	maxHeld int

	// the last kvguard.readAt parsed, which most resources share
	lastReadAt     string
	lastReadAtTime time.Time
	lastReadAtErr  bool

	// maps and rawObjects no document refers to any more, for reuse: a
	// million secrets would otherwise allocate several maps each
	maps        []map[string]any
	objs        []*rawObject
	attrScratch []attrEntry

	values    int // top-level values read
	docs      int
	skipped   map[string]int // resource types kvguard does not judge
	deleted   int            // deleted Key Vault objects skipped
	countdown int            // resources until the next cancellation check
}

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

// where names the object a member was read from.
type where uint8

const (
	inRoot where = iota
	inProps
	inNetworkACLs
	inPropsAttrs // properties.attributes of an ARM secret or key
	inAttrs      // attributes of a data-plane object (REST or az CLI)
	inTags
	inMetadata
	inKey // the JSON web key of az keyvault key show: positions not kept
)

// fieldPos is where a member's value starts.
type fieldPos struct {
	in  where
	key string
	pos jsonpos.Pos
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

// scope says what the objects of a container are.
type scope struct {
	kind string // provenance kind of the resources found there
	snap bool   // inside a snapshot's resources
}

// errStop ends the walk after a problem the decoder cannot read past.
var errStop = errors.New("stop")

func (fr *fileReader) run() {
	err := fr.walkTop()
	if fr.snap != nil {
		fr.finishSnapshot()
	}
	if err != nil && !errors.Is(err, errStop) {
		fr.decodeError(err)
	}
}

// walkTop reads the top-level values: usually one, but a JSON sequence (jq
// -c output, several az outputs appended) is read value by value.
func (fr *fileReader) walkTop() error {
	for {
		k, err := fr.d.Peek()
		if err != nil {
			return err
		}
		if k == jsonpos.EOF {
			if fr.values == 0 {
				fr.problem(resource.Position{File: fr.file}, "", "empty file")
			}
			return nil
		}
		fr.values++
		switch k {
		case jsonpos.Object:
			if err := fr.object(0, scope{kind: KindAzureJSON}, nil); err != nil {
				return err
			}
			if fr.snap != nil {
				fr.finishSnapshot()
			}
		case jsonpos.Array:
			if err := fr.array(0, scope{kind: KindAzureJSON}); err != nil {
				return err
			}
		default:
			start, _, err := fr.d.Skip()
			if err != nil {
				return err
			}
			fr.problem(fr.pos(start), "", "not a recognised Azure resource JSON shape: found %s at the top level", article(k))
		}
	}
}

// array streams the elements of an array whose first bracket is next.
// Elements that are not resources are reported once per array, at the
// first of them, so that a list of 10,000 names is one message.
func (fr *fileReader) array(level int, sc scope) error {
	if _, err := fr.d.BeginArray(); err != nil {
		return err
	}
	var agg unrecognised
	for {
		more, err := fr.d.More()
		if err != nil {
			return err
		}
		if !more {
			break
		}
		k, err := fr.d.Peek()
		if err != nil {
			return err
		}
		switch k {
		case jsonpos.Object:
			err = fr.object(level+1, sc, &agg)
		case jsonpos.Array:
			err = fr.array(level+1, sc)
		default:
			var start jsonpos.Pos
			start, _, err = fr.d.Skip()
			agg.add(start, article(k))
		}
		if err != nil {
			return err
		}
	}
	if _, err := fr.d.End(); err != nil {
		return err
	}
	if agg.n > 0 {
		msg := "not a recognised Azure resource JSON shape: found " + agg.what + " where a resource object was expected"
		if agg.n > 1 {
			msg += fmt.Sprintf(" (and %d more elements like it in this array)", agg.n-1)
		}
		fr.problem(fr.pos(agg.first), "", "%s", msg)
	}
	return nil
}

// unrecognised gathers the elements of one array that are not resources.
type unrecognised struct {
	first jsonpos.Pos
	what  string
	n     int
}

func (u *unrecognised) add(p jsonpos.Pos, what string) {
	if u.n == 0 {
		u.first, u.what = p, what
	}
	u.n++
}

// object reads the object whose '{' is next and emits what it holds:
// itself if it is a resource, the elements of its container arrays, or a
// snapshot's resources and gaps.
func (fr *fileReader) object(level int, sc scope, agg *unrecognised) error {
	base := len(fr.fields)
	o, err := fr.readObject(level, sc)
	if err != nil {
		return err
	}
	o.fields = fr.fields[base:]
	defer func() {
		fr.fields = fr.fields[:base]
		if len(fr.objs) < 64 {
			fr.objs = append(fr.objs, o)
		}
	}()

	fr.countdown--
	if fr.countdown <= 0 {
		fr.countdown = 1024
		if err := fr.ctx.Err(); err != nil {
			fr.errs = append(fr.errs, err)
			return errStop
		}
	}

	if id, pos, found := identity(o); found {
		fr.resource(o, sc, id, pos)
		return nil
	}
	if (o.containers > 0 || o.snapshot) && !o.template {
		return nil
	}
	what := describeObject(o)
	if agg != nil {
		agg.add(o.start, what)
		return nil
	}
	fr.problem(fr.pos(o.start), "", "not a recognised Azure resource JSON shape: found %s", what)
	return nil
}

// readObject reads an object member by member. Container arrays are
// streamed as they come; everything else is decoded into the body.
func (fr *fileReader) readObject(level int, sc scope) (*rawObject, error) {
	d := fr.d
	var o *rawObject
	if n := len(fr.objs); n > 0 {
		o = fr.objs[n-1]
		fr.objs = fr.objs[:n-1]
		*o = rawObject{}
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
	d := fr.d
	switch {
	case fold(key, "value"):
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
		_, _, err = d.Skip()
		return true, err
	case fold(key, "data"):
		k, err := d.Peek()
		if err != nil || k != jsonpos.Array {
			return false, err
		}
		o.containers++
		return true, fr.array(level, sc)
	case fold(key, "resources"):
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
	case level == 0 && fold(key, "gaps"):
		k, err := d.Peek()
		if err != nil || k != jsonpos.Array || o.resourceLike {
			return false, err
		}
		o.snapshot = true
		fr.startSnapshot(o.start)
		return true, fr.readGaps()
	case level == 0 && fold(key, "kvguardSnapshot"):
		v, vs, _, err := d.Value()
		if err != nil {
			return false, err
		}
		o.snapshot = true
		fr.startSnapshot(o.start)
		fr.snapshotHeader(v, vs)
		return true, nil
	case fold(key, "kvguard"):
		// kvguard's own provenance member: read, never kept in the body.
		return true, fr.provenanceMember(o)
	}
	var in where
	switch {
	case fold(key, "properties"):
		in = inProps
	case fold(key, "attributes"):
		in = inAttrs
	case fold(key, "tags"):
		in = inTags
	case fold(key, "metadata"):
		in = inMetadata
	default:
		return false, nil
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
func (fr *fileReader) readMembers(o *rawObject, in where) (map[string]any, error) {
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
			switch {
			case fold(key, "value"):
				// properties.value of an ARM secret PUT body: never kept.
				if _, _, err := d.Skip(); err != nil {
					return nil, err
				}
				continue
			case fold(key, "networkAcls"):
				sub = inNetworkACLs
			case fold(key, "attributes"):
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

// isComponentID reports whether id names an ARM-plane secret or key
// (Microsoft.KeyVault/vaults/{v}/secrets/{s}, .../keys/{k}, and managed
// HSM keys), without allocating.
func isComponentID(id string) (bool, armID) {
	a, ok := splitID(id)
	if !ok || a.depth != 2 || !strings.EqualFold(a.provider, "Microsoft.KeyVault") {
		return false, armID{}
	}
	t1, rest, _ := strings.Cut(a.rest, "/")
	_, rest, _ = strings.Cut(rest, "/")
	t2, _, _ := strings.Cut(rest, "/")
	ok = (fold(t1, "vaults") || fold(t1, "managedHSMs")) && (fold(t2, "secrets") || fold(t2, "keys"))
	a.id = id
	return ok, a
}

// unusedByComponents lists the members of an ARM secret or key that its
// component document does not carry (NewComponent keeps attributes,
// contentType, key type, size, curve, rotation policy and tags). Skipping
// them undecoded spares half the allocations of a secret; the ID decides,
// so a "type" contradicting it cannot make a vault lose members.
func unusedByComponents(in where, key string) bool {
	switch in {
	case inRoot:
		switch key {
		case "name", "location", "etag", "systemData", "resourceGroup", "subscriptionId":
			return true
		}
	case inProps:
		switch key {
		case "secretUri", "secretUriWithVersion", "keyUri", "keyUriWithVersion", "keyOps", "release_policy", "releasePolicy":
			return true
		}
	case inPropsAttrs:
		switch key {
		case "recoveryLevel", "recoverableDays", "exportable", "hsmPlatform":
			return true
		}
	}
	return false
}

// identity finds what names an object as a resource: its "id" (ARM, az,
// Resource Graph, data plane), "ResourceId" (Azure PowerShell), "kid" (a
// data-plane key list item) or "key.kid" (az keyvault key show).
func identity(o *rawObject) (id any, pos jsonpos.Pos, found bool) {
	for _, name := range [...]string{"id", "ResourceId", "kid"} {
		if v, key, ok := lookup(o.body, name); ok && v != nil {
			p, _ := o.pos(inRoot, key)
			return v, p, true
		}
	}
	if k, ok := o.body["key"].(map[string]any); ok {
		if v, ok := k["kid"].(string); ok {
			p, _ := o.pos(inRoot, "key")
			return v, p, true
		}
	}
	return nil, jsonpos.Pos{}, false
}

// resourceKeys are the members that make an object a resource rather than
// a container: once one is read, its "resources" are nested children
// (PSRule's export), not a snapshot's list.
func resourceKey(k string) bool {
	return fold(k, "id") || fold(k, "ResourceId") || fold(k, "type") || fold(k, "properties")
}

// describeObject says what an unrecognised object is, with a hint for the
// shapes people are likely to pass by mistake.
func describeObject(o *rawObject) string {
	tbl := o.body
	if d, ok := o.body["data"].(map[string]any); ok {
		tbl = d // Resource Graph REST with resultFormat table
	}
	_, _, cols := lookup(tbl, "columns")
	_, _, rows := lookup(tbl, "rows")
	_, _, tfv := lookup(o.body, "terraform_version")
	switch {
	case o.template:
		return "an ARM template (kvguard reads templates as templates, not as saved resources)"
	case cols && rows:
		return "a Resource Graph result in table format (use resultFormat objectArray, as az graph query does)"
	case tfv:
		return "Terraform JSON (kvguard reads plans as Terraform input)"
	case o.nkeys == 0:
		return "an empty object"
	}
	keys := append([]string(nil), o.firstKeys[:o.nkeys]...)
	s := "an object with members " + strings.Join(keys, ", ")
	if o.nkeys == len(o.firstKeys) {
		s += ", …"
	}
	if _, _, ok := lookup(o.body, "name"); ok {
		s += ` but no "id"`
	}
	return s
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

// lookup finds key in m as Azure does (exactly, then case-insensitively)
// and returns the key as spelled in the input.
func lookup(m map[string]any, key string) (any, string, bool) {
	if v, ok := m[key]; ok {
		return v, key, true
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v, k, true
		}
	}
	return nil, "", false
}

// fold compares ASCII case-insensitively without allocating.
func fold(a, b string) bool {
	return len(a) == len(b) && (a == b || strings.EqualFold(a, b))
}

// pos converts a decoder position to a resource position in this file.
func (fr *fileReader) pos(p jsonpos.Pos) resource.Position {
	return resource.Position{File: fr.file, Line: p.Line, Col: p.Col}
}

// problem records an error (a warning for a file found in a directory when
// it concerns the file's shape: it may be any JSON).
func (fr *fileReader) problem(p resource.Position, resourceID, format string, args ...any) {
	var e *resource.InputError
	if fr.lenient && (strings.HasPrefix(format, "not a recognised") || format == "empty file") {
		e = resource.Warnf(p, format, args...)
	} else {
		e = resource.Errorf(p, format, args...)
	}
	e.ResourceID = resourceID
	fr.errs = append(fr.errs, e)
}

func (fr *fileReader) warn(p resource.Position, resourceID, format string, args ...any) {
	e := resource.Warnf(p, format, args...)
	e.ResourceID = resourceID
	fr.errs = append(fr.errs, e)
}

// decodeError reports an error from the decoder. The decoder cannot read
// past malformed JSON (or a value over its size limit), so the rest of the
// file is abandoned, and the message says so.
func (fr *fileReader) decodeError(err error) {
	const rest = "; the rest of the file was not read"
	var se *jsonpos.SyntaxError
	if errors.As(err, &se) {
		fr.errs = append(fr.errs, &resource.InputError{
			Pos: resource.Position{File: fr.file, Line: se.Pos.Line, Col: se.Pos.Col},
			Msg: se.Msg + rest, Err: se,
		})
		return
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		fr.errs = append(fr.errs, err)
		return
	}
	p := fr.d.Pos()
	msg := err.Error()
	if u := errors.Unwrap(err); u != nil {
		msg = u.Error()
	}
	fr.errs = append(fr.errs, &resource.InputError{
		Pos: resource.Position{File: fr.file, Line: p.Line, Col: p.Col},
		Msg: "read error: " + msg + rest, Err: err,
	})
}

func (fr *fileReader) logSummary() {
	if len(fr.skipped) > 0 {
		types := make([]string, 0, len(fr.skipped))
		for t := range fr.skipped {
			types = append(types, t)
		}
		sort.Strings(types)
		for _, t := range types {
			fr.log.Debug("skipped resources of a type kvguard does not judge", "file", fr.file, "type", t, "count", fr.skipped[t])
		}
	}
	fr.log.Debug("read saved Azure JSON", "file", fr.file, "documents", fr.docs)
}

// article names a JSON kind with its article, for messages.
func article(k jsonpos.Kind) string {
	switch k {
	case jsonpos.Object:
		return "an object"
	case jsonpos.Array:
		return "an array"
	case jsonpos.String:
		return "a string"
	case jsonpos.Number:
		return "a number"
	case jsonpos.Bool:
		return "a boolean"
	case jsonpos.Null:
		return "null"
	}
	return "nothing"
}
