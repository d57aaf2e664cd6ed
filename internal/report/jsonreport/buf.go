package jsonreport

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"
	"unicode/utf8"
)

// flushSize is how much buf collects before handing it to the writer.
const flushSize = 1 << 16

// buf is a small JSON writer that remembers the first error. It collects
// the report in its own buffer and hands it out in chunks of about
// flushSize, so that strings are escaped straight into the buffer rather
// than escaped and then copied (as a bufio.Writer would need). A goroutine
// of its own writes the chunks out while the next one is filled: copying
// a report of a few hundred megabytes into the file (the system's time)
// then overlaps building it. Two buffers take turns, so memory stays
// bounded.
type buf struct {
	w      io.Writer
	b      []byte
	full   chan []byte // to the writing goroutine
	free   chan []byte // back from it
	done   chan struct{}
	closed bool
	err    error // the writing goroutine's first error, read after done
	// prefix is the last ID prefix escaped (escapedPrefix), and esc its
	// escaped form.
	prefix string
	esc    []byte
}

// escapedPrefix returns s escaped as inside a JSON string. The
// components of a vault share their ID prefix (the same string, not
// copies of it, so comparing it with the last is quick), and escaping a
// hundred-byte prefix per component was half of writing one: the last
// one is escaped once.
func (b *buf) escapedPrefix(s string) []byte {
	if s != b.prefix { // quick for the same string: the same bytes are not compared
		b.prefix, b.esc = s, appendEscaped(b.esc[:0], s)
	}
	return b.esc
}

func newBuf(w io.Writer) *buf {
	b := &buf{w: w, b: make([]byte, 0, 2*flushSize), full: make(chan []byte, 1), free: make(chan []byte, 1), done: make(chan struct{})}
	b.free <- make([]byte, 0, 2*flushSize)
	go b.writeOut(b.full, b.free)
	return b
}

// writeOut writes the chunks in order; after an error it only discards
// them.
func (b *buf) writeOut(full <-chan []byte, free chan<- []byte) {
	defer close(b.done)
	for p := range full {
		if b.err == nil {
			_, b.err = b.w.Write(p)
		}
		free <- p[:0]
	}
}

// grown hands the buffer out once it holds flushSize bytes.
func (b *buf) grown() {
	if len(b.b) >= flushSize {
		b.flush()
	}
}

// flush hands what is buffered to the writing goroutine and takes the
// other buffer. A buf without a writer (a piece, see writeAssessments)
// only collects.
func (b *buf) flush() {
	if len(b.b) == 0 || b.closed || b.full == nil {
		return
	}
	b.full <- b.b
	b.b = <-b.free
}

// handOff writes p out after what is buffered, as raw would, but without
// copying it when it is at least a chunk and there is a writer: p goes to
// the writing goroutine whole (a third of a gigabyte not copied for a
// million components), and the buffer it gives back in exchange is
// returned, empty, for the caller to reuse (p itself, emptied, when p was
// copied).
func (b *buf) handOff(p []byte) []byte {
	if len(p) < flushSize || b.closed || b.full == nil {
		b.b = append(b.b, p...)
		b.grown()
		return p[:0]
	}
	b.flush()
	b.full <- p
	return (<-b.free)[:0]
}

// close writes what is left, waits for the writing goroutine and returns
// its first error. Later calls return that error again.
func (b *buf) close() error {
	if !b.closed {
		b.flush()
		b.closed = true
		close(b.full)
		<-b.done
	}
	return b.err
}

func (b *buf) raw(s string) {
	b.b = append(b.b, s...)
	b.grown()
}

func (b *buf) int(n int) {
	b.b = strconv.AppendInt(b.b, int64(n), 10)
	b.grown()
}

func (b *buf) bool(v bool) {
	b.b = strconv.AppendBool(b.b, v)
	b.grown()
}

func (b *buf) str(s string) {
	b.b = appendString(b.b, s)
	b.grown()
}

// prefixed writes the string prefix+name, escaping the two apart (which
// a rune cannot straddle: prefix ends in an ASCII byte), the prefix once
// for all the strings that share it (escapedPrefix).
func (b *buf) prefixed(prefix, name string) {
	b.b = append(b.b, '"')
	b.b = append(b.b, b.escapedPrefix(prefix)...)
	b.b = appendEscaped(b.b, name)
	b.b = append(b.b, '"')
	b.grown()
}

func (b *buf) marshal(v any) {
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	data := []byte(strconv.Quote("(unrepresentable value)"))
	if err := enc.Encode(v); err == nil {
		data = bytes.TrimRight(out.Bytes(), "\n")
	}
	b.b = append(b.b, data...)
	b.grown()
}

const hex = "0123456789abcdef"

// appendString appends s as a JSON string, escaping what JSON requires
// (and U+2028/U+2029, for JavaScript consumers); like encoding/json with
// SetEscapeHTML(false).
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	dst = appendEscaped(dst, s)
	return append(dst, '"')
}

// appendEscaped appends s escaped as inside a JSON string.
func appendEscaped(dst []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		if i+8 <= len(s) && plain8(s[i:i+8]) {
			i += 8
			continue
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(dst, s[start:]...)
}

// plain8 reports whether the eight bytes of s are ASCII that JSON writes
// as they are (no control character, quote or backslash), testing all
// eight at once: string escaping is most of the writer's time, and IDs and
// names are almost always plain.
func plain8(s string) bool {
	_ = s[7]
	w := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	quote, backslash := w^(ones*'"'), w^(ones*'\\')
	// (x - ones*n) &^ x has a high bit set where some byte of x is below
	// n (for n <= 0x80); a zero byte of quote or backslash is a match.
	special := (w - ones*0x20) &^ w
	special |= (quote - ones) &^ quote
	special |= (backslash - ones) &^ backslash
	return (special|w)&highs == 0
}
