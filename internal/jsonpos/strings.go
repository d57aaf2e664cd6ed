package jsonpos

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"unicode/utf16"
	"unicode/utf8"
)

// The tables of interned strings are bounded in entries and string length,
// so that hostile input cannot grow them without limit; past the bounds
// strings are allocated as usual.
const (
	maxInterned         = 4096
	maxInternedLen      = 64
	maxInternedValues   = 1024
	maxInternedValueLen = 40
)

// readKey reads an object key. Keys repeat across the resources of a file
// (a million secrets share a dozen member names), so short ones are
// interned: the decoder returns the same string for the same key instead
// of allocating a copy each time.
func (d *Decoder) readKey() (string, error) {
	raw, plain, err := d.scanString()
	if err != nil {
		return "", err
	}
	if plain && len(raw) <= maxInternedLen {
		// A direct-mapped cache in front of the table: most keys hit it,
		// and a byte comparison is cheaper than hashing.
		slot := &d.keyCache[cacheSlot(raw)]
		if *slot == string(raw) && len(raw) > 0 {
			return *slot, nil
		}
		if s, ok := d.keys[string(raw)]; ok { // the compiler looks up without converting
			*slot = s
			return s, nil
		}
		s := string(raw)
		if len(d.keys) < maxInterned {
			if d.keys == nil {
				d.keys = make(map[string]string, 64)
			}
			d.keys[s] = s
		}
		return s, nil
	}
	return d.finishString(raw, plain)
}

// readString reads a string starting at the opening quote.
func (d *Decoder) readString() (string, error) {
	raw, plain, err := d.scanString()
	if err != nil {
		return "", err
	}
	return d.finishString(raw, plain)
}

// readStringValue reads a string for Value. Short values are interned as
// the interface values Value returns: types, locations, enum values and
// timestamps repeat across resources, and boxing a string into an
// interface allocates even when the string itself is shared. Unique short
// values (names) fill the table early and are then allocated as usual.
func (d *Decoder) readStringValue() (any, error) {
	raw, plain, err := d.scanString()
	if err != nil {
		return nil, err
	}
	if !plain || len(raw) > maxInternedValueLen {
		return d.finishString(raw, plain)
	}
	slot := &d.valueCache[cacheSlot(raw)]
	if slot.s == string(raw) && slot.v != nil {
		return slot.v, nil
	}
	if v, ok := d.values[string(raw)]; ok {
		slot.s, slot.v = v.(string), v
		return v, nil
	}
	var v any = string(raw)
	if len(d.values) < maxInternedValues {
		if d.values == nil {
			d.values = make(map[string]any, 64)
		}
		d.values[v.(string)] = v
	}
	return v, nil
}

// plainRun returns the index of the first byte at or after i that needs
// attention inside a string (a quote, a backslash, a control character or
// a non-ASCII byte), or len(b). It tests eight bytes at a time: the long
// strings of Azure JSON (resource IDs, URIs) are plain ASCII throughout.
// It is kept out of line on purpose: inlined into its callers, the loop
// lost its registers to theirs and ran at three times the instructions.
//
//go:noinline
func plainRun(b []byte, i int) int {
	return PlainRun(b, i)
}

// PlainRun returns the index of the first byte at or after i that a JSON
// string cannot hold as it is (a quote, a backslash, a control character)
// or that is not ASCII, looking eight bytes at a time; it stops early,
// at the last multiple of eight bytes from i that fits in b, so that the
// caller checks the last few bytes itself. Readers that scan captured
// values (Capture) with their own code use it to cross long strings.
func PlainRun(b []byte, i int) int {
	const (
		ones = 0x0101010101010101
		hi   = 0x8080808080808080
	)
	for i+8 <= len(b) {
		w := binary.LittleEndian.Uint64(b[i:])
		// A byte is zero in x when x-ones borrows into its top bit and
		// the byte's own top bit was clear (the classic "has zero byte"
		// test, exact for the first zero byte, which is all that matters:
		// the byte loop then takes over).
		quote := w ^ (ones * '"')
		bslash := w ^ (ones * '\\')
		special := (((quote - ones) &^ quote) | ((bslash - ones) &^ bslash) | (w - ones*0x20) | w) & hi
		if special != 0 {
			// The lowest flagged byte is the first that needs attention
			// (the tests can only over-flag bytes above a real one).
			return i + bits.TrailingZeros64(special)>>3
		}
		i += 8
	}
	return i
}

// Byte classes inside a string: 0 for the bytes that need no attention.
const (
	clsControl = 1 + iota
	clsQuote
	clsBackslash
	clsNonASCII
)

var strClass = func() (t [256]uint8) {
	for c := 0; c < 0x20; c++ {
		t[c] = clsControl
	}
	t['"'] = clsQuote
	t['\\'] = clsBackslash
	for c := 0x80; c < 0x100; c++ {
		t[c] = clsNonASCII
	}
	return t
}()

// cacheSlot picks a slot of the interning caches from a string's length
// and three of its bytes.
func cacheSlot(raw []byte) uint8 {
	n := len(raw)
	if n == 0 {
		return 0
	}
	return uint8(n*7) ^ raw[0]*31 ^ raw[n-1]*131 ^ raw[n/2]*17
}

// finishString turns the raw bytes of a string into its value: as they are
// when plain (no escapes, valid UTF-8), unescaped otherwise.
func (d *Decoder) finishString(raw []byte, plain bool) (string, error) {
	if plain {
		return string(raw), nil
	}
	if !bytesHaveEscape(raw) {
		return string([]rune(string(raw))), nil // replaces invalid bytes with U+FFFD
	}
	s, ok := unescape(raw)
	if !ok {
		return "", d.errAt(d.strStart, "invalid escape sequence in string")
	}
	return s, nil
}

func bytesHaveEscape(raw []byte) bool {
	for _, c := range raw {
		if c == '\\' {
			return true
		}
	}
	return false
}

// scanString reads a string starting at the opening quote and returns its
// raw bytes (valid until the next read) and whether they are plain: free
// of escapes and valid UTF-8, so that the bytes are the value.
func (d *Decoder) scanString() (raw []byte, plain bool, err error) {
	p := d.Pos()
	d.strStart = p
	keep := d.keep
	if keep < 0 {
		d.keep = d.pos
	}
	start := d.pos + 1
	i := start
	escaped, ascii := false, true
	for {
		i = plainRun(d.buf, i)
		for i < len(d.buf) {
			c := d.buf[i]
			cls := strClass[c]
			if cls == 0 {
				// The word plainRun stopped in: go on byte by byte to
				// the byte that needs attention.
				i++
				continue
			}
			switch cls {
			case clsNonASCII:
				ascii = false
				i = plainRun(d.buf, i+1)
				continue
			case clsQuote:
				raw := d.buf[start:i]
				d.pos = i + 1
				d.keep = keep
				if escaped {
					return raw, false, nil
				}
				return raw, ascii || utf8.Valid(raw), nil
			case clsBackslash:
				escaped = true
				i += 2
				if i < len(d.buf) {
					i = plainRun(d.buf, i)
				}
				continue
			}
			d.keep = keep
			if c == '\n' {
				return nil, false, d.errAt(p, "unterminated string (a string cannot span lines)")
			}
			return nil, false, d.errAt(p, "invalid control character in string")
		}
		// refill keeps everything from d.keep; recompute indices after.
		off := i - d.pos
		soff := start - d.pos
		if !d.fill() {
			d.keep = keep
			return nil, false, d.errAt(p, "unterminated string")
		}
		i = d.pos + off
		start = d.pos + soff
	}
}

func unescape(raw []byte) (string, bool) {
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		if i >= len(raw) {
			return "", false
		}
		switch raw[i] {
		case '"', '\\', '/':
			out = append(out, raw[i])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := hex4(raw, i+1)
			if !ok {
				return "", false
			}
			i += 4
			if utf16.IsSurrogate(r) {
				if i+2 < len(raw) && raw[i+1] == '\\' && raw[i+2] == 'u' {
					if r2, ok2 := hex4(raw, i+3); ok2 {
						if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
							r = dec
							i += 6
						} else {
							r = utf8.RuneError
						}
					}
				} else {
					r = utf8.RuneError
				}
			}
			out = utf8.AppendRune(out, r)
		default:
			return "", false
		}
	}
	if !utf8.Valid(out) {
		return string([]rune(string(out))), true
	}
	return string(out), true
}

func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	return r, true
}

func quoteByte(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return "'" + string(c) + "'"
	}
	return fmt.Sprintf("byte 0x%02x", c)
}
