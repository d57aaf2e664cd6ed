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
// Manager accepts in templates when AllowComments is set. Capture and
// NewDecoderAt let a reader hand values to other goroutines to decode,
// with positions and errors still those of the whole file.
//
// The package imports nothing of kvguard's; every input package may use it.
package jsonpos

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
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
	// outer is the number of containers the input sits in (NewDecoderAt).
	outer int
	// captureMax is set while Capture runs: it bounds the bytes held;
	// captureHit says Capture had to give up (see fill).
	captureMax int
	captureHit bool
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

// drop moves the buffer's bytes from from on to its front, forgetting
// those before (read and not kept).
func (d *Decoder) drop(from int) {
	if from <= 0 {
		return
	}
	n := copy(d.buf, d.buf[from:])
	d.buf = d.buf[:n]
	d.base += int64(from)
	d.pos -= from
	if d.keep >= 0 {
		d.keep -= from
	}
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
	d.drop(from)
	if d.captureMax > 0 && (len(d.buf) == cap(d.buf) || len(d.buf)-d.keep >= d.captureMax) {
		// Capture gives up rather than grow the buffer, so that the
		// buffer's size, which decides when MaxValueBytes is enforced,
		// does not depend on what was captured.
		d.captureHit = true
		return false
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
	// Fast path, small enough to inline: compact JSON has no space
	// between most tokens.
	if p := d.pos; p < len(d.buf) {
		if c := d.buf[p]; c > ' ' && c != '/' {
			return c, true, nil
		}
	}
	return d.skipSpaceSlow()
}

func (d *Decoder) skipSpaceSlow() (byte, bool, error) {
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
	if d.depth() >= MaxDepth {
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
	if d.depth() >= MaxDepth {
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

// Depth is the number of open containers, counting those a decoder made
// with NewDecoderAt starts inside.
func (d *Decoder) Depth() int { return d.depth() }

func (d *Decoder) depth() int { return d.outer + len(d.stack) }

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
	v, err = d.value(c, d.depth())
	d.keep = -1
	return v, start, d.Pos(), err
}

func (d *Decoder) value(c byte, depth int) (any, error) { //nolint:funlen,gocognit // hot-path JSON decoder: one case per token, kept inline for speed
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
	if n, ok := d.parseIntFast(); ok {
		return n, float64(n), true, nil
	}
	p := d.Pos()
	i := 0
	isFloat := false
	// Fast path: the number ends inside the buffer (almost always).
	for j := d.pos; j < len(d.buf); j++ {
		c := d.buf[j]
		if (c >= '0' && c <= '9') || c == '-' || c == '+' {
			continue
		}
		if c == '.' || c == 'e' || c == 'E' {
			isFloat = true
			continue
		}
		i = j - d.pos
		goto scanned
	}
	i, isFloat = 0, false
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
scanned:
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

// parseIntFast reads a plain integer (no fraction or exponent, no leading
// zero, at most 18 digits) that ends inside the buffer, validating and
// converting in one pass; ok is false for anything else, which the general
// path then reads (and reports, if it is malformed).
func (d *Decoder) parseIntFast() (int64, bool) {
	j := d.pos
	neg := j < len(d.buf) && d.buf[j] == '-'
	if neg {
		j++
	}
	start := j
	var n int64
	for j < len(d.buf) && j-start < 19 {
		c := d.buf[j]
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int64(c-'0')
		j++
	}
	digits := j - start
	if digits == 0 || digits > 18 || j >= len(d.buf) || (digits > 1 && d.buf[start] == '0') {
		return 0, false
	}
	switch d.buf[j] {
	case '.', 'e', 'E', '+', '-':
		return 0, false
	}
	if c := d.buf[j]; c >= '0' && c <= '9' {
		return 0, false
	}
	d.pos = j
	if neg {
		n = -n
	}
	return n, true
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
