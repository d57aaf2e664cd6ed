package saved

import (
	"time"

	"github.com/kvguard/kvguard/internal/jsonpos"
	"github.com/kvguard/kvguard/internal/resource"
)

// The fast path for ARM-plane secrets and keys.
//
// A saved estate is a million ARM secret bodies, each read once and
// dropped. The general path decodes each into maps (with every member's
// position, in case a message needs it), then builds the component
// document from them. For a body in the form Azure and kvguard's own
// snapshots write it, this path reads the captured bytes once, keeps only
// what the component document holds (ID, attributes, content type or key
// type, size and curve, tags, kvguard's provenance member) and builds the
// same document, with no intermediate map and no positions.
//
// It takes a body only when it is sure to give exactly what the general
// path gives: every member it meets is one it knows, spelled as Azure
// spells it, once, with the JSON type the general path accepts without a
// message; strings are plain ASCII without escapes; numbers are integers
// (timestamps in range). Anything else (a member it does not know, a
// wrong type, a kvguard:ignore tag, a rotation policy, malformed JSON)
// makes it give up before it has changed anything, and the general path
// reads the body, with its positions and messages. TestParallelMatchesSequential
// holds the two paths to the same output: the fast path runs only in the
// parallel workers, the sequential read never takes it.

// fastComp is what the fast path keeps of one body.
type fastComp struct {
	id, typ, apiVersion, readAt []byte
	contentType, kty, curveName []byte
	keySize                     int64
	hasKeySize, hasTags         bool
	enabled                     int8 // -1 absent, 0 false, 1 true
	unix                        [4]int64
	hasUnix                     [4]bool // exp, nbf, created, updated
	tags                        [][2][]byte
	seen                        uint32 // members read, to refuse duplicates
}

// fastScan is a cursor over one captured object.
type fastScan struct {
	b  []byte
	i  int
	nl int // newlines crossed
}

// Member bits for fastComp.seen.
const (
	seenID = 1 << iota
	seenType
	seenKvguard
	seenProps
	seenTags
	seenSkipped // a root member skipped unread: may repeat
	seenAttrs
	seenContentType
	seenKty
	seenCurve
	seenKeySize
	seenEnabled
	seenUnix // four bits: exp, nbf, created, updated
)

// fastComponent reads raw, one captured object of a chunk starting at
// start, on the fast path; it reports false, having recorded nothing,
// when the general path must read it.
func (fr *fileReader) fastComponent(raw []byte, start jsonpos.Pos, sc scope) bool {
	_, _, ok := fr.fastComponentAt(raw, 0, true, start, sc)
	return ok
}

// fastComponentAt reads the object at b[i:] (starting at start) on the fast
// path, as fastComponent does; whole requires it to end where b does. It
// returns where the object ends and the newlines it holds, and records
// nothing unless ok.
func (fr *fileReader) fastComponentAt(b []byte, i int, whole bool, start jsonpos.Pos, sc scope) (end, nl int, ok bool) {
	// The cursor lives in the reader: the member readers are called
	// through function values, which would move a local one to the heap,
	// once per secret. (It keeps pointing into a chunk's buffer, which the
	// reader's chunks keep anyway.)
	s := &fr.scan
	*s = fastScan{b: b, i: i}
	c := &fr.fast
	*c = fastComp{enabled: -1, tags: c.tags[:0]}
	if !s.object(c, (*fastScan).rootMember) || (whole && s.i != len(b)) {
		return 0, 0, false
	}
	if !fr.fastDocument(c, start, start.Line+s.nl, sc) {
		return 0, 0, false
	}
	return s.i, s.nl, true
}

// object reads an object, calling member for each of its members.
func (s *fastScan) object(c *fastComp, member func(*fastScan, *fastComp, []byte) bool) bool {
	if s.i >= len(s.b) || s.b[s.i] != '{' {
		return false
	}
	s.i++
	if s.ws() == '}' {
		s.i++
		return true
	}
	for {
		s.ws()
		key, ok := s.str()
		if !ok || s.ws() != ':' {
			return false
		}
		s.i++
		s.ws()
		if !member(s, c, key) {
			return false
		}
		switch s.ws() {
		case ',':
			s.i++
		case '}':
			s.i++
			return true
		default:
			return false
		}
	}
}

// once marks bit as seen; false when it was seen before.
func (c *fastComp) once(bit uint32) bool {
	if c.seen&bit != 0 {
		return false
	}
	c.seen |= bit
	return true
}

func (s *fastScan) rootMember(c *fastComp, key []byte) bool {
	var ok bool
	switch string(key) {
	case "id":
		c.id, ok = s.str()
		return ok && c.once(seenID)
	case "type":
		c.typ, ok = s.str()
		return ok && c.once(seenType)
	case "kvguard":
		return c.once(seenKvguard) && s.object(c, (*fastScan).kvguardMember)
	case "properties":
		return c.once(seenProps) && s.object(c, (*fastScan).propsMember)
	case "tags":
		c.hasTags = true
		return c.once(seenTags) && s.object(c, (*fastScan).tagMember)
	case "name", "location", "etag", "resourceGroup", "subscriptionId", "systemData":
		// What a component document does not keep (unusedByComponents).
		return s.skip(0)
	}
	return false
}

func (s *fastScan) kvguardMember(c *fastComp, key []byte) bool {
	var ok bool
	switch string(key) {
	case "apiVersion":
		c.apiVersion, ok = s.str()
		return ok && c.apiVersion != nil
	case "readAt":
		c.readAt, ok = s.str()
		return ok && c.readAt != nil
	}
	return false
}

func (s *fastScan) propsMember(c *fastComp, key []byte) bool {
	var ok bool
	switch string(key) {
	case "attributes":
		return c.once(seenAttrs) && s.object(c, (*fastScan).attrMember)
	case "contentType":
		c.contentType, ok = s.strOrNull()
		return ok && c.once(seenContentType)
	case "kty":
		c.kty, ok = s.strOrNull()
		return ok && c.once(seenKty)
	case "curveName":
		c.curveName, ok = s.strOrNull()
		return ok && c.once(seenCurve)
	case "keySize":
		if s.null() {
			return c.once(seenKeySize)
		}
		c.keySize, ok = s.int()
		c.hasKeySize = ok
		return ok && c.once(seenKeySize)
	case "secretUri", "secretUriWithVersion", "keyUri", "keyUriWithVersion", "keyOps", "release_policy", "releasePolicy", "value":
		// Not kept (unusedByComponents); a secret's value is skipped
		// unread.
		return s.skip(0)
	}
	return false
}

func (s *fastScan) attrMember(c *fastComp, key []byte) bool {
	var slot int
	switch string(key) {
	case "enabled":
		if !c.once(seenEnabled) {
			return false
		}
		switch {
		case s.lit("true"):
			c.enabled = 1
		case s.lit("false"):
			c.enabled = 0
		default:
			return s.null()
		}
		return true
	case "exp":
		slot = 0
	case "nbf":
		slot = 1
	case "created":
		slot = 2
	case "updated":
		slot = 3
	case "recoveryLevel", "recoverableDays", "exportable", "hsmPlatform":
		return s.skip(0)
	default:
		return false
	}
	if !c.once(seenUnix << slot) {
		return false
	}
	if s.null() {
		return true
	}
	v, ok := s.int()
	if !ok || v < minUnix || v > maxUnix {
		return false
	}
	c.unix[slot], c.hasUnix[slot] = v, true
	return true
}

func (s *fastScan) tagMember(c *fastComp, key []byte) bool {
	if len(c.tags) >= 16 || foldBytes(key, resource.SuppressionMarker) {
		return false // suppressions need their positions: the general path
	}
	for _, t := range c.tags {
		if string(t[0]) == string(key) {
			return false
		}
	}
	v, ok := s.str()
	if !ok {
		return false
	}
	c.tags = append(c.tags, [2][]byte{key, v})
	return true
}

// ws skips whitespace and returns the next byte (0 at the end).
func (s *fastScan) ws() byte {
	for s.i < len(s.b) {
		switch c := s.b[s.i]; c {
		case ' ', '\t', '\r':
			s.i++
		case '\n':
			s.i++
			s.nl++
		default:
			return c
		}
	}
	return 0
}

// str reads a string of plain ASCII without escapes and returns its
// bytes (aliasing the input).
func (s *fastScan) str() ([]byte, bool) {
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return nil, false
	}
	start := s.i + 1
	end := plainASCII(s.b, start)
	if end >= len(s.b) || s.b[end] != '"' {
		return nil, false // an escape, a control or non-ASCII byte, or the end
	}
	s.i = end + 1
	return s.b[start:end:end], true
}

// strOrNull reads a string or null (nil, true).
func (s *fastScan) strOrNull() ([]byte, bool) {
	if s.null() {
		return nil, true
	}
	return s.str()
}

func (s *fastScan) null() bool { return s.lit("null") }

// lit consumes word when it comes next as a whole literal.
func (s *fastScan) lit(word string) bool {
	end := s.i + len(word)
	if end > len(s.b) || string(s.b[s.i:end]) != word || (end < len(s.b) && isWordByte(s.b[end])) {
		return false
	}
	s.i = end
	return true
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '+'
}

// int reads an integer as the decoder's fast path does (no fraction or
// exponent, no leading zero, at most 18 digits).
func (s *fastScan) int() (int64, bool) {
	j := s.i
	neg := j < len(s.b) && s.b[j] == '-'
	if neg {
		j++
	}
	start := j
	var n int64
	for j < len(s.b) && s.b[j] >= '0' && s.b[j] <= '9' && j-start < 19 {
		n = n*10 + int64(s.b[j]-'0')
		j++
	}
	digits := j - start
	if digits == 0 || digits > 18 || (digits > 1 && s.b[start] == '0') || (j < len(s.b) && isWordByte(s.b[j])) {
		return 0, false
	}
	s.i = j
	if neg {
		n = -n
	}
	return n, true
}

// skip moves past a value it can check completely: plain strings,
// integers, literals, and objects and arrays of those, a few levels deep.
func (s *fastScan) skip(depth int) bool {
	if depth > 8 || s.i >= len(s.b) {
		return false
	}
	switch c := s.b[s.i]; {
	case c == '"':
		_, ok := s.str()
		return ok
	case c == 't':
		return s.lit("true")
	case c == 'f':
		return s.lit("false")
	case c == 'n':
		return s.null()
	case c == '-' || c >= '0' && c <= '9':
		_, ok := s.int()
		return ok
	case c == '{':
		return s.object(nil, func(s *fastScan, _ *fastComp, _ []byte) bool { return s.skip(depth + 1) })
	case c == '[':
		s.i++
		if s.ws() == ']' {
			s.i++
			return true
		}
		for {
			s.ws()
			if !s.skip(depth + 1) {
				return false
			}
			switch s.ws() {
			case ',':
				s.i++
			case ']':
				s.i++
				return true
			default:
				return false
			}
		}
	}
	return false
}

// plainASCII returns the index of the first byte at or after i that is a
// quote, a backslash, a control character or not ASCII.
func plainASCII(b []byte, i int) int {
	i = jsonpos.PlainRun(b, i)
	for i < len(b) {
		if c := b[i]; c == '"' || c == '\\' || c < 0x20 || c >= 0x80 {
			return i
		}
		i++
	}
	return i
}

// foldBytes compares ASCII case-insensitively.
func foldBytes(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		x, y := b[i], s[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// armComponentTypes are the ARM types of the components the fast path
// reads, as Azure spells them, with the component type each becomes.
var armComponentTypes = map[string]string{
	resource.TypeARMSecret: resource.TypeSecret,
	resource.TypeARMKey:    resource.TypeKey,
	resource.TypeARMHSMKey: resource.TypeHSMKey,
}

// fastDocument builds the document of a body the fast path read, as
// armComponent and finish would, and records it for the reading
// goroutine (parallel.go). It reports false, having recorded nothing,
// when the general path must read the body after all.
func (fr *fileReader) fastDocument(c *fastComp, start jsonpos.Pos, endLine int, sc scope) bool { //nolint:funlen // hot-path decoder for saved Azure JSON documents, kept inline for speed
	if c.id == nil || c.seen&seenAttrs == 0 {
		return false // no attributes: the general path notes it
	}
	// One string holds the ID and the attributes' instants: one
	// allocation instead of four, and none for a secret, whose document
	// comes from the pool with a buffer for it (resource.PoolSlot.Text)
	// reused once the assessor has judged it. Nothing keeps a slice of it
	// but the document: the parent's ID is idCache's clone.
	slot, all := fr.idAndInstants(c)
	instants, id := all[:instantsRoom], all[instantsRoom:]
	ok, aid := fr.lastID.componentID(id)
	if !ok {
		return false
	}
	var armType string
	if c.typ != nil {
		switch string(c.typ) {
		case resource.TypeARMSecret:
			armType = resource.TypeARMSecret
		case resource.TypeARMKey:
			armType = resource.TypeARMKey
		case resource.TypeARMHSMKey:
			armType = resource.TypeARMHSMKey
		}
		if armType == "" || !aid.typeIs(armType) {
			return false
		}
	} else if armType = canonicalType(aid.fullType()); roles[armType] != roleComponent {
		return false
	}
	src := resource.Provenance{Kind: sc.kind, File: fr.file, StartLine: start.Line, EndLine: endLine}
	if c.apiVersion != nil {
		if string(c.apiVersion) != fr.lastAPIVersion {
			fr.lastAPIVersion = string(c.apiVersion)
		}
		src.APIVersion = fr.lastAPIVersion
	}
	if c.readAt != nil {
		if string(c.readAt) != fr.lastReadAt {
			readAt := string(c.readAt)
			t, err := time.Parse(time.RFC3339Nano, readAt)
			fr.lastReadAt, fr.lastReadAtTime, fr.lastReadAtErr = readAt, t, err != nil
		}
		if fr.lastReadAtErr {
			return false // the general path warns about it
		}
		src.ReadAt = fr.lastReadAtTime
	}

	typ := armComponentTypes[armType]
	var attrs resource.ObjectAttributes
	if c.enabled >= 0 {
		attrs.Enabled = c.enabled == 1
	}
	slots := [4]*any{&attrs.Expires, &attrs.NotBefore, &attrs.Created, &attrs.Updated}
	j := 0
	for i, has := range c.hasUnix {
		if has {
			t := instants[j*len(resource.TimeLayout) : (j+1)*len(resource.TimeLayout)]
			if slot != nil {
				// The j-th instant present is always at the same place
				// in the slot's text: its box is made once per slot.
				*slots[i] = slot.Box(j, t)
			} else {
				*slots[i] = t
			}
			j++
		}
	}
	var doc *resource.Document
	var fields map[string]any
	if typ == resource.TypeSecret {
		// A secret's only consumer is the assessor, which gives its
		// document back once judged (resource.NewPooledComponent). Keys
		// are not pooled: the rotation policies may hold one until the
		// scan's end (estate.RotationPolicies). idAndInstants took a slot
		// for every body that may be a secret's.
		doc = slot.Component(typ, resource.Ref{ID: aid.parent}, id, aid.name, attrs)
		fields = doc.Body
		if c.contentType != nil {
			fields["contentType"] = fr.internValue(c.contentType)
		}
	} else {
		// The document's own body (NewComponentOwning): up to eight
		// members fit the map's first group.
		fields = make(map[string]any, 8)
		if c.kty != nil {
			fields["keyType"] = fr.internValue(c.kty)
		}
		if c.hasKeySize {
			fields["keySize"] = c.keySize
		}
		if c.curveName != nil {
			fields["ellipticCurveName"] = fr.internValue(c.curveName)
		}
	}
	if c.hasTags {
		tags := make(map[string]any, len(c.tags))
		for _, t := range c.tags {
			tags[string(t[0])] = string(t[1])
		}
		fields["tags"] = tags
	}
	if doc == nil {
		doc = resource.NewComponentOwning(typ, resource.Ref{ID: aid.parent}, id, aid.name, attrs, fields)
	}
	doc.Source = src
	fr.rec.docs = append(fr.rec.docs, pendingDoc{doc: doc, start: start, sc: sc, errs: len(fr.errs), hash: foldHash(doc.ID)})
	fr.fastDocs++
	return true
}

// internValue returns a short string value boxed once for all the
// reader's documents (content types and key types repeat a million
// times; boxing each would allocate).
func (fr *fileReader) internValue(b []byte) any {
	if v, ok := fr.interned[string(b)]; ok {
		return v
	}
	var v any = string(b)
	if len(fr.interned) < 256 && len(b) <= 64 {
		if fr.interned == nil {
			fr.interned = map[string]any{}
		}
		fr.interned[v.(string)] = v
	}
	return v
}

// instantsRoom is the room idAndInstants gives the instants before the
// ID: all four of them.
const instantsRoom = 4 * len(resource.TimeLayout)

// idAndInstants returns the instants the attributes hold, written end to
// end in resource.TimeLayout (in the order exp, nbf, created, updated;
// absent ones left out) and padded to instantsRoom bytes, followed by the
// ID, as one string: the text of a pooled slot when the body may be a
// secret's, else a string of its own. The instants come first, at the
// same offsets whatever the ID's length, so that a slot's boxes of them
// are reused (resource.PoolSlot.Box).
func (fr *fileReader) idAndInstants(c *fastComp) (*resource.PoolSlot, string) {
	var slot *resource.PoolSlot
	b := fr.scratch[:0]
	if c.typ == nil || string(c.typ) == resource.TypeARMSecret {
		// Written straight into the slot's text. A slot taken for a body
		// the general path reads after all, or that turns out to be a
		// key, is dropped, not put back.
		slot = fr.slots.Take()
		b = slot.TextBuffer()
	}
	for i, has := range c.hasUnix {
		if has {
			b = fr.days.appendUnixTime(b, c.unix[i])
		}
	}
	for len(b) < instantsRoom {
		b = append(b, ' ')
	}
	b = append(b, c.id...)
	if slot != nil {
		return slot, slot.SetText(b)
	}
	fr.scratch = b
	return nil, string(b)
}
