// Package jsonpos decodes JSON while keeping track of where every value
// sits in its file (line and column), so that inputs can report errors as
// file:line:col and resource documents can carry the line range they came
// from.
//
// It offers two views of the same grammar: a streaming Decoder that walks
// large files (an exported estate of a million secrets) one value at a time
// in bounded memory, and Parse, which builds a positioned Node tree for
// small files whose nested objects need their own line ranges (ARM
// templates). Both accept the // and /* */ comments that Azure Resource
// Manager accepts in templates when AllowComments is set.
//
// The package imports nothing of kvguard's; every input package may use it.
package jsonpos

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxDepth bounds nesting so that hostile input cannot exhaust the stack.
const MaxDepth = 512

// DefaultMaxValueBytes bounds the size of one decoded value (a single
// resource, not the file), so that a multi-gigabyte file streams in bounded
// memory while a multi-gigabyte single string is refused with a position.
const DefaultMaxValueBytes = 256 << 20

// Pos is a position in a file: 1-based line and column (column counts
// bytes), and the 0-based byte offset.
type Pos struct {
	Line   int
	Col    int
	Offset int64
}

// String renders the position as line:col.
func (p Pos) String() string { return fmt.Sprintf("%d:%d", p.Line, p.Col) }

// SyntaxError is malformed JSON at a position.
type SyntaxError struct {
	File string
	Pos  Pos
	Msg  string
}

func (e *SyntaxError) Error() string {
	if e.File == "" {
		return fmt.Sprintf("%d:%d: %s", e.Pos.Line, e.Pos.Col, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Pos.Line, e.Pos.Col, e.Msg)
}

// Kind is the kind of the next JSON value.
type Kind uint8

// The kinds of JSON values.
const (
	EOF Kind = iota
	Object
	Array
	String
	Number
	Bool
	Null
)

func (k Kind) String() string {
	return [...]string{"end of input", "object", "array", "string", "number", "boolean", "null"}[k]
}

// Decoder reads JSON from a stream. Its methods walk the document's
// structure (BeginObject, Key, BeginArray, More, End) or decode a whole
// value at once (Value, Node, Skip).
type Decoder struct {
	r    io.Reader
	file string
	buf  []byte
	pos  int   // read position in buf
	base int64 // file offset of buf[0]
	eof  bool
	rerr error

	line      int
	lineStart int64 // file offset of the first byte of the current line

	// AllowComments accepts // and /* */ comments as whitespace.
	AllowComments bool
	// MaxValueBytes bounds one decoded value; 0 means DefaultMaxValueBytes.
	MaxValueBytes int

	// stack of open containers: '{' or '['; first[i] tells whether the
	// container has had no element yet.
	stack []byte
	first []bool
	// afterKey is set between Key and the member's value.
	afterKey bool
	// keep marks the start of bytes that must survive a refill (the value
	// being decoded), or -1.
	keep int
	// keys and values intern object keys and short string values (see
	// readKey, readStringValue).
	keys   map[string]string
	values map[string]any
	// strStart is where the string being read began, for errors.
	strStart Pos
	// keyCache and valueCache sit in front of keys and values.
	keyCache   [256]string
	valueCache [256]struct {
		s string
		v any
	}
}

// NewDecoder returns a decoder reading r; file names the input in errors.
func NewDecoder(r io.Reader, file string) *Decoder {
	return &Decoder{r: r, file: file, buf: make([]byte, 0, 64<<10), line: 1, keep: -1}
}

// NewBytesDecoder returns a decoder over an in-memory document.
func NewBytesDecoder(data []byte, file string) *Decoder {
	return &Decoder{file: file, buf: data, eof: true, line: 1, keep: -1}
}

// File is the name the decoder reports in errors.
func (d *Decoder) File() string { return d.file }

func (d *Decoder) maxValue() int {
	if d.MaxValueBytes > 0 {
		return d.MaxValueBytes
	}
	return DefaultMaxValueBytes
}

// fill reads more input, keeping bytes from d.keep (or d.pos) onwards.
// It reports false at end of input.
func (d *Decoder) fill() bool {
	if d.eof {
		return false
	}
	from := d.pos
	if d.keep >= 0 && d.keep < from {
		from = d.keep
	}
	if from > 0 {
		n := copy(d.buf, d.buf[from:])
		d.buf = d.buf[:n]
		d.base += int64(from)
		d.pos -= from
		if d.keep >= 0 {
			d.keep -= from
		}
	}
	if len(d.buf) == cap(d.buf) {
		if d.keep >= 0 && len(d.buf)-d.keep >= d.maxValue() {
			d.rerr = errValueTooLarge
			d.eof = true
			return false
		}
		nb := make([]byte, len(d.buf), 2*cap(d.buf)+4096)
		copy(nb, d.buf)
		d.buf = nb
	}
	for {
		n, err := d.r.Read(d.buf[len(d.buf):cap(d.buf)])
		d.buf = d.buf[:len(d.buf)+n]
		if err != nil {
			d.eof = true
			if !errors.Is(err, io.EOF) {
				d.rerr = err
			}
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
}

var errValueTooLarge = errors.New("value too large")

// sizeString renders a byte count in the largest binary unit that divides
// it, so that a limit of 64 KiB is not reported as "0 MiB".
func sizeString(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// Pos is the position of the next unread byte.
func (d *Decoder) Pos() Pos {
	off := d.base + int64(d.pos)
	return Pos{Line: d.line, Col: int(off-d.lineStart) + 1, Offset: off}
}

func (d *Decoder) errAt(p Pos, format string, args ...any) error {
	if d.rerr != nil && !errors.Is(d.rerr, errValueTooLarge) {
		return fmt.Errorf("read %s: %w", d.file, d.rerr)
	}
	if errors.Is(d.rerr, errValueTooLarge) {
		return &SyntaxError{File: d.file, Pos: p, Msg: fmt.Sprintf("a single value is larger than %s; kvguard reads one resource at a time and refuses values this large", sizeString(d.maxValue()))}
	}
	return &SyntaxError{File: d.file, Pos: p, Msg: fmt.Sprintf(format, args...)}
}

// skipSpace skips whitespace (and comments when allowed) and returns the
// next byte without consuming it, or 0 and false at end of input.
func (d *Decoder) skipSpace() (byte, bool, error) {
	for {
		for d.pos < len(d.buf) {
			c := d.buf[d.pos]
			switch c {
			case ' ', '\t', '\r':
				d.pos++
			case '\n':
				d.pos++
				d.line++
				d.lineStart = d.base + int64(d.pos)
			case '/':
				if !d.AllowComments {
					return c, true, nil
				}
				if err := d.skipComment(); err != nil {
					return 0, false, err
				}
			default:
				return c, true, nil
			}
		}
		if !d.fill() {
			if d.rerr != nil {
				return 0, false, d.errAt(d.Pos(), "read error")
			}
			return 0, false, nil
		}
	}
}

func (d *Decoder) peekByteAt(i int) (byte, bool) {
	for d.pos+i >= len(d.buf) {
		if !d.fill() {
			return 0, false
		}
	}
	return d.buf[d.pos+i], true
}

func (d *Decoder) skipComment() error {
	start := d.Pos()
	c, ok := d.peekByteAt(1)
	if !ok || (c != '/' && c != '*') {
		return d.errAt(start, "invalid character '/'")
	}
	d.pos += 2
	if c == '/' {
		for {
			for d.pos < len(d.buf) {
				if d.buf[d.pos] == '\n' {
					return nil // the newline is consumed by skipSpace
				}
				d.pos++
			}
			if !d.fill() {
				return nil
			}
		}
	}
	for {
		for d.pos < len(d.buf) {
			b := d.buf[d.pos]
			d.pos++
			switch b {
			case '\n':
				d.line++
				d.lineStart = d.base + int64(d.pos)
			case '*':
				if n, ok := d.peekByteAt(0); ok && n == '/' {
					d.pos++
					return nil
				}
			}
		}
		if !d.fill() {
			return d.errAt(start, "unterminated /* comment")
		}
	}
}

// prepareValue moves past the separator before the next value of the
// current container and reports the value's first byte. ok is false when
// the container (or input) has no more values.
func (d *Decoder) prepareValue() (c byte, ok bool, err error) {
	c, ok, err = d.skipSpace()
	if err != nil {
		return 0, false, err
	}
	if len(d.stack) == 0 {
		return c, ok, nil
	}
	if d.afterKey {
		d.afterKey = false
		if !ok {
			return 0, false, d.errAt(d.Pos(), "unexpected end of input, expected a value")
		}
		return c, true, nil
	}
	top := len(d.stack) - 1
	if d.stack[top] != '[' {
		return 0, false, d.errAt(d.Pos(), "expected a key, not a value")
	}
	if !ok {
		return 0, false, d.errAt(d.Pos(), "unexpected end of input in array")
	}
	if c == ']' {
		return c, false, nil
	}
	if !d.first[top] {
		if c != ',' {
			return 0, false, d.errAt(d.Pos(), "expected ',' or ']' after array element, found %s", quoteByte(c))
		}
		d.pos++
		c, ok, err = d.skipSpace()
		if err != nil {
			return 0, false, err
		}
		if !ok {
			return 0, false, d.errAt(d.Pos(), "unexpected end of input in array")
		}
		if c == ']' {
			return 0, false, d.errAt(d.Pos(), "trailing ',' before ']'")
		}
	}
	d.first[top] = false
	return c, true, nil
}

func kindOf(c byte) (Kind, bool) {
	switch c {
	case '{':
		return Object, true
	case '[':
		return Array, true
	case '"':
		return String, true
	case 't', 'f':
		return Bool, true
	case 'n':
		return Null, true
	}
	if c == '-' || (c >= '0' && c <= '9') {
		return Number, true
	}
	return EOF, false
}

// Peek reports the kind of the next value in the current container without
// consuming it; EOF means the container or the input has no more values.
func (d *Decoder) Peek() (Kind, error) {
	c, ok, err := d.prepareValue()
	if err != nil || !ok {
		return EOF, err
	}
	// prepareValue consumed a separator and cleared first/afterKey; make
	// the next prepareValue see the value directly.
	if len(d.stack) > 0 {
		d.afterKey = true
	}
	k, valid := kindOf(c)
	if !valid {
		return EOF, d.errAt(d.Pos(), "invalid character %s looking for beginning of value", quoteByte(c))
	}
	return k, nil
}

func (d *Decoder) push(c byte) error {
	if len(d.stack) >= MaxDepth {
		return d.errAt(d.Pos(), "nesting deeper than %d levels", MaxDepth)
	}
	d.stack = append(d.stack, c)
	d.first = append(d.first, true)
	return nil
}

// BeginObject consumes '{' and returns its position.
func (d *Decoder) BeginObject() (Pos, error) { return d.begin('{', Object) }

// BeginArray consumes '[' and returns its position.
func (d *Decoder) BeginArray() (Pos, error) { return d.begin('[', Array) }

func (d *Decoder) begin(open byte, k Kind) (Pos, error) {
	c, ok, err := d.prepareValue()
	if err != nil {
		return Pos{}, err
	}
	p := d.Pos()
	if !ok {
		return p, d.errAt(p, "expected %s, found end of input", k)
	}
	if c != open {
		got, _ := kindOf(c)
		return p, d.errAt(p, "expected %s, found %s", k, got)
	}
	if len(d.stack) >= MaxDepth {
		// Reported at the bracket, as Value reports it.
		return p, d.errAt(p, "nesting deeper than %d levels", MaxDepth)
	}
	d.pos++
	return p, d.push(open)
}

// Key reads the next member name of the current object. ok is false when
// the object has no more members; call End then.
func (d *Decoder) Key() (key string, p Pos, ok bool, err error) {
	top := len(d.stack) - 1
	if top < 0 || d.stack[top] != '{' || d.afterKey {
		return "", d.Pos(), false, d.errAt(d.Pos(), "internal: Key called outside an object")
	}
	c, more, err := d.skipSpace()
	if err != nil {
		return "", d.Pos(), false, err
	}
	if !more {
		return "", d.Pos(), false, d.errAt(d.Pos(), "unexpected end of input in object")
	}
	if c == '}' {
		return "", d.Pos(), false, nil
	}
	if !d.first[top] {
		if c != ',' {
			return "", d.Pos(), false, d.errAt(d.Pos(), "expected ',' or '}' after object member, found %s", quoteByte(c))
		}
		d.pos++
		c, more, err = d.skipSpace()
		if err != nil {
			return "", d.Pos(), false, err
		}
		if !more {
			return "", d.Pos(), false, d.errAt(d.Pos(), "unexpected end of input in object")
		}
		if c == '}' {
			return "", d.Pos(), false, d.errAt(d.Pos(), "trailing ',' before '}'")
		}
	}
	d.first[top] = false
	p = d.Pos()
	if c != '"' {
		return "", p, false, d.errAt(p, "expected a string key, found %s", quoteByte(c))
	}
	key, err = d.readKey()
	if err != nil {
		return "", p, false, err
	}
	c, more, err = d.skipSpace()
	if err != nil {
		return "", p, false, err
	}
	if !more || c != ':' {
		return "", p, false, d.errAt(d.Pos(), "expected ':' after object key %q", key)
	}
	d.pos++
	d.afterKey = true
	return key, p, true, nil
}

// More reports whether the current array has another element.
func (d *Decoder) More() (bool, error) {
	top := len(d.stack) - 1
	if top < 0 || d.stack[top] != '[' {
		return false, d.errAt(d.Pos(), "internal: More called outside an array")
	}
	k, err := d.Peek()
	if err != nil {
		return false, err
	}
	if k == EOF {
		d.afterKey = false
		return false, nil
	}
	return true, nil
}

// End consumes the closing bracket of the current container and returns
// the position just after it.
func (d *Decoder) End() (Pos, error) {
	top := len(d.stack) - 1
	if top < 0 {
		return d.Pos(), d.errAt(d.Pos(), "internal: End called outside a container")
	}
	want := byte('}')
	if d.stack[top] == '[' {
		want = ']'
	}
	c, ok, err := d.skipSpace()
	if err != nil {
		return d.Pos(), err
	}
	if !ok {
		return d.Pos(), d.errAt(d.Pos(), "unexpected end of input, expected %s", quoteByte(want))
	}
	if c == ',' {
		// a trailing element separator: report it at the comma.
		return d.Pos(), d.errAt(d.Pos(), "trailing ',' before %s", quoteByte(want))
	}
	if c != want {
		return d.Pos(), d.errAt(d.Pos(), "expected %s, found %s", quoteByte(want), quoteByte(c))
	}
	d.pos++
	d.stack = d.stack[:top]
	d.first = d.first[:top]
	d.afterKey = false
	return d.Pos(), nil
}

// Depth is the number of open containers.
func (d *Decoder) Depth() int { return len(d.stack) }

// Finish checks that only whitespace follows the top-level value.
func (d *Decoder) Finish() error {
	c, ok, err := d.skipSpace()
	if err != nil {
		return err
	}
	if ok {
		return d.errAt(d.Pos(), "invalid character %s after top-level value", quoteByte(c))
	}
	return nil
}

// Value decodes the next value into plain Go values: map[string]any,
// []any, string, int64 (integers that fit), float64, bool and nil. It
// returns the value's start position and the position just after it.
func (d *Decoder) Value() (v any, start, end Pos, err error) {
	c, ok, err := d.prepareValue()
	if err != nil {
		return nil, d.Pos(), d.Pos(), err
	}
	start = d.Pos()
	if !ok {
		return nil, start, start, d.errAt(start, "unexpected end of input, expected a value")
	}
	d.keep = d.pos
	v, err = d.value(c, len(d.stack))
	d.keep = -1
	return v, start, d.Pos(), err
}

// Skip consumes the next value without building it: it checks the value's
// syntax as Value does but allocates nothing, so that callers can drop a
// member they must not keep (a secret's value) or do not need, and a
// skipped value does not count towards MaxValueBytes.
func (d *Decoder) Skip() (start, end Pos, err error) {
	c, ok, err := d.prepareValue()
	if err != nil {
		return d.Pos(), d.Pos(), err
	}
	start = d.Pos()
	if !ok {
		return start, start, d.errAt(start, "unexpected end of input, expected a value")
	}
	err = d.skipValue(c, len(d.stack))
	return start, d.Pos(), err
}

// skipValue mirrors value without building anything. Containers are walked
// with an explicit count of open brackets per level, so only the current
// byte window is kept in memory however large the value is.
func (d *Decoder) skipValue(c byte, depth int) error {
	switch c {
	case '{', '[':
		if depth >= MaxDepth {
			return d.errAt(d.Pos(), "nesting deeper than %d levels", MaxDepth)
		}
		closer := byte('}')
		if c == '[' {
			closer = ']'
		}
		d.pos++
		for i := 0; ; i++ {
			c, ok, err := d.skipSpace()
			if err != nil {
				return err
			}
			if !ok {
				return d.errAt(d.Pos(), "unexpected end of input in %s", map[byte]string{'}': "object", ']': "array"}[closer])
			}
			if c == closer {
				if i > 0 {
					return d.errAt(d.Pos(), "trailing ',' before %s", quoteByte(closer))
				}
				d.pos++
				return nil
			}
			if closer == '}' {
				if c != '"' {
					return d.errAt(d.Pos(), "expected a string key, found %s", quoteByte(c))
				}
				if err := d.skipString(); err != nil {
					return err
				}
				c, ok, err = d.skipSpace()
				if err != nil {
					return err
				}
				if !ok || c != ':' {
					return d.errAt(d.Pos(), "expected ':' after object key")
				}
				d.pos++
				c, ok, err = d.skipSpace()
				if err != nil {
					return err
				}
				if !ok {
					return d.errAt(d.Pos(), "unexpected end of input, expected a value")
				}
			}
			if err := d.skipValue(c, depth+1); err != nil {
				return err
			}
			c, ok, err = d.skipSpace()
			if err != nil {
				return err
			}
			if !ok {
				return d.errAt(d.Pos(), "unexpected end of input in %s", map[byte]string{'}': "object", ']': "array"}[closer])
			}
			if c == closer {
				d.pos++
				return nil
			}
			if c != ',' {
				if closer == '}' {
					return d.errAt(d.Pos(), "expected ',' or '}' after object member, found %s", quoteByte(c))
				}
				return d.errAt(d.Pos(), "expected ',' or ']' after array element, found %s", quoteByte(c))
			}
			d.pos++
		}
	case '"':
		return d.skipString()
	case 't':
		return d.literal("true")
	case 'f':
		return d.literal("false")
	case 'n':
		return d.literal("null")
	}
	if c == '-' || (c >= '0' && c <= '9') {
		_, err := d.readNumber()
		return err
	}
	return d.errAt(d.Pos(), "invalid character %s looking for beginning of value", quoteByte(c))
}

// skipString consumes a string starting at the opening quote, checking its
// escapes as readString does, without keeping its bytes across refills. A
// bad escape is reported once the closing quote is found, as readString
// does, so that both report the same error for the same input.
func (d *Decoder) skipString() error {
	p := d.Pos()
	d.pos++
	badEscape := false
	for {
		for d.pos < len(d.buf) {
			c := d.buf[d.pos]
			switch {
			case c == '"':
				d.pos++
				if badEscape {
					return d.errAt(p, "invalid escape sequence in string")
				}
				return nil
			case c == '\\':
				e, ok := d.peekByteAt(1)
				if !ok {
					return d.errAt(p, "unterminated string")
				}
				d.pos += 2
				switch e {
				case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				case 'u':
					for i := 0; i < 4; i++ {
						h, ok := d.peekByteAt(i)
						if !ok || !isHex(h) {
							badEscape = true
							break
						}
					}
				default:
					badEscape = true
				}
			case c < 0x20:
				if c == '\n' {
					return d.errAt(p, "unterminated string (a string cannot span lines)")
				}
				return d.errAt(p, "invalid control character in string")
			default:
				d.pos++
			}
		}
		if !d.fill() {
			return d.errAt(p, "unterminated string")
		}
	}
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func (d *Decoder) value(c byte, depth int) (any, error) {
	switch c {
	case '{':
		if depth >= MaxDepth {
			return nil, d.errAt(d.Pos(), "nesting deeper than %d levels", MaxDepth)
		}
		d.pos++
		m := map[string]any{}
		for i := 0; ; i++ {
			c, ok, err := d.skipSpace()
			if err != nil {
				return nil, err
			}
			if !ok {
				return nil, d.errAt(d.Pos(), "unexpected end of input in object")
			}
			if c == '}' {
				if i > 0 {
					return nil, d.errAt(d.Pos(), "trailing ',' before '}'")
				}
				d.pos++
				return m, nil
			}
			if c != '"' {
				return nil, d.errAt(d.Pos(), "expected a string key, found %s", quoteByte(c))
			}
			k, err := d.readKey()
			if err != nil {
				return nil, err
			}
			c, ok, err = d.skipSpace()
			if err != nil {
				return nil, err
			}
			if !ok || c != ':' {
				return nil, d.errAt(d.Pos(), "expected ':' after object key %q", k)
			}
			d.pos++
			c, ok, err = d.skipSpace()
			if err != nil {
				return nil, err
			}
			if !ok {
				return nil, d.errAt(d.Pos(), "unexpected end of input, expected a value")
			}
			v, err := d.value(c, depth+1)
			if err != nil {
				return nil, err
			}
			m[k] = v
			c, ok, err = d.skipSpace()
			if err != nil {
				return nil, err
			}
			if !ok {
				return nil, d.errAt(d.Pos(), "unexpected end of input in object")
			}
			if c == '}' {
				d.pos++
				return m, nil
			}
			if c != ',' {
				return nil, d.errAt(d.Pos(), "expected ',' or '}' after object member, found %s", quoteByte(c))
			}
			d.pos++
		}
	case '[':
		if depth >= MaxDepth {
			return nil, d.errAt(d.Pos(), "nesting deeper than %d levels", MaxDepth)
		}
		d.pos++
		a := []any{}
		for i := 0; ; i++ {
			c, ok, err := d.skipSpace()
			if err != nil {
				return nil, err
			}
			if !ok {
				return nil, d.errAt(d.Pos(), "unexpected end of input in array")
			}
			if c == ']' {
				if i > 0 {
					return nil, d.errAt(d.Pos(), "trailing ',' before ']'")
				}
				d.pos++
				return a, nil
			}
			v, err := d.value(c, depth+1)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
			c, ok, err = d.skipSpace()
			if err != nil {
				return nil, err
			}
			if !ok {
				return nil, d.errAt(d.Pos(), "unexpected end of input in array")
			}
			if c == ']' {
				d.pos++
				return a, nil
			}
			if c != ',' {
				return nil, d.errAt(d.Pos(), "expected ',' or ']' after array element, found %s", quoteByte(c))
			}
			d.pos++
		}
	case '"':
		return d.readStringValue()
	case 't':
		return true, d.literal("true")
	case 'f':
		return false, d.literal("false")
	case 'n':
		return nil, d.literal("null")
	}
	if c == '-' || (c >= '0' && c <= '9') {
		return d.readNumber()
	}
	return nil, d.errAt(d.Pos(), "invalid character %s looking for beginning of value", quoteByte(c))
}

func (d *Decoder) literal(word string) error {
	p := d.Pos()
	for i := 0; i < len(word); i++ {
		c, ok := d.peekByteAt(i)
		if !ok || c != word[i] {
			return d.errAt(p, "invalid literal, expected %q", word)
		}
	}
	d.pos += len(word)
	return nil
}

func (d *Decoder) readNumber() (any, error) {
	i, f, isInt, err := d.parseNumber()
	if err != nil {
		return nil, err
	}
	if isInt {
		return i, nil
	}
	return f, nil
}

// parseNumber reads a number: an int64 when it is an integer that fits,
// else a float64.
func (d *Decoder) parseNumber() (int64, float64, bool, error) {
	p := d.Pos()
	i := 0
	isFloat := false
	for {
		c, ok := d.peekByteAt(i)
		if !ok {
			break
		}
		if (c >= '0' && c <= '9') || c == '-' || c == '+' {
			i++
			continue
		}
		if c == '.' || c == 'e' || c == 'E' {
			isFloat = true
			i++
			continue
		}
		break
	}
	lit := d.buf[d.pos : d.pos+i]
	if !validNumber(lit) {
		return 0, 0, false, d.errAt(p, "invalid number %q", string(lit))
	}
	d.pos += i
	if !isFloat {
		if n, ok := parseInt(lit); ok {
			return n, float64(n), true, nil
		}
	}
	f, err := strconv.ParseFloat(string(lit), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, 0, false, d.errAt(p, "invalid number %q", string(lit))
	}
	if math.IsInf(f, 0) {
		return 0, 0, false, d.errAt(p, "number %q is out of range", string(lit))
	}
	return 0, f, false, nil
}

// parseInt reads a valid JSON integer literal; ok is false when it does
// not fit an int64. It spares strconv's string conversion on the path
// every timestamp takes.
func parseInt(lit []byte) (int64, bool) {
	neg := len(lit) > 0 && lit[0] == '-'
	if neg {
		lit = lit[1:]
	}
	if len(lit) == 0 || len(lit) > 19 {
		return 0, false
	}
	var n uint64
	for _, c := range lit {
		n = n*10 + uint64(c-'0')
	}
	switch {
	case neg && n <= 1<<63:
		return int64(-n), true // -(1<<63) wraps to itself, which is right
	case !neg && n < 1<<63:
		return int64(n), true
	}
	return 0, false
}

// validNumber checks the JSON number grammar.
func validNumber(s []byte) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	if i >= len(s) {
		return false
	}
	if s[i] == '0' {
		i++
	} else if s[i] >= '1' && s[i] <= '9' {
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	} else {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			return false
		}
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			return false
		}
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	return i == len(s)
}

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
		defer func() { d.keep = -1 }()
	}
	start := d.pos + 1
	i := start
	escaped, ascii := false, true
	for {
		for i < len(d.buf) {
			c := d.buf[i]
			cls := strClass[c]
			if cls == 0 {
				// The common case: one table load and one branch per byte.
				i++
				continue
			}
			switch cls {
			case clsNonASCII:
				ascii = false
				i++
				continue
			case clsQuote:
				raw := d.buf[start:i]
				d.pos = i + 1
				if escaped {
					return raw, false, nil
				}
				return raw, ascii || utf8.Valid(raw), nil
			case clsBackslash:
				escaped = true
				i += 2
				continue
			}
			if c == '\n' {
				return nil, false, d.errAt(p, "unterminated string (a string cannot span lines)")
			}
			return nil, false, d.errAt(p, "invalid control character in string")
		}
		// refill keeps everything from d.keep; recompute indices after.
		off := i - d.pos
		soff := start - d.pos
		if !d.fill() {
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

// Scalar is one JSON value decoded without boxing: Kind says which field
// holds it. Objects and arrays, which Scalar also accepts, are decoded as
// Value would decode them, into Any.
type Scalar struct {
	Kind  Kind
	Str   string  // String
	Int   int64   // Number, when IsInt
	Float float64 // Number
	IsInt bool
	Bool  bool // Bool
	Any   any  // Object, Array
}

// Interface returns the value as Value would have returned it.
func (s Scalar) Interface() any {
	switch s.Kind {
	case String:
		return s.Str
	case Number:
		if s.IsInt {
			return s.Int
		}
		return s.Float
	case Bool:
		return s.Bool
	case Object, Array:
		return s.Any
	}
	return nil
}

// Scalar decodes the next value like Value, but returns scalars unboxed,
// so that a caller converting numbers (Unix timestamps) allocates nothing
// for them.
func (d *Decoder) Scalar() (s Scalar, start, end Pos, err error) {
	c, ok, err := d.prepareValue()
	if err != nil {
		return s, d.Pos(), d.Pos(), err
	}
	start = d.Pos()
	if !ok {
		return s, start, start, d.errAt(start, "unexpected end of input, expected a value")
	}
	d.keep = d.pos
	defer func() { d.keep = -1 }()
	switch {
	case c == '"':
		s.Kind = String
		s.Str, err = d.readString()
	case c == '-' || (c >= '0' && c <= '9'):
		s.Kind = Number
		s.Int, s.Float, s.IsInt, err = d.parseNumber()
	default:
		var v any
		v, err = d.value(c, len(d.stack))
		switch x := v.(type) {
		case bool:
			s.Kind, s.Bool = Bool, x
		case nil:
			s.Kind = Null
		case map[string]any:
			s.Kind, s.Any = Object, x
		case []any:
			s.Kind, s.Any = Array, x
		}
	}
	return s, start, d.Pos(), err
}
