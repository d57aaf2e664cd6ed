package jsonpos

import (
	"bytes"
	"io"
)

// Lines and Resume let a reader parse the elements of a long array itself,
// on several goroutines, in blocks of whole lines: a newline never sits
// inside a JSON string (a raw control character there is malformed), so a
// cut after a newline is always between two tokens of a well-formed
// prefix. The reader cannot know from the bytes alone where in the array's
// structure a block begins; it finds out by parsing the blocks in order,
// and gives back to the decoder, with Resume, the bytes from the end of the
// last element it read, so that the decoder goes on (and reports any
// error) exactly as if it had read everything itself.

// Lines returns the next bytes of input, up to and including a newline,
// and moves past them without decoding them: through the first newline
// that is at least `least` bytes in, looking no further than `most` bytes
// (and the buffer's size); failing that, through the last newline before;
// at the end of input, the rest. ok is false when those bytes hold no
// newline, or nothing is left: nothing is consumed then. start is the position of the
// first byte. raw is valid until the next call on d.
//
// The decoder's containers are left as they were: once it has been given
// bytes with Lines, a decoder must be given back with Resume where its
// caller stopped reading before it is used again.
func (d *Decoder) Lines(least, most int) (raw []byte, start Pos, ok bool) {
	most = min(most, cap(d.buf))
	least = max(least, 1)
	for len(d.buf)-d.pos < most && d.fill() {
	}
	avail := d.buf[d.pos:]
	start = d.Pos()
	if len(avail) == 0 {
		return nil, start, false
	}
	region := avail[:min(len(avail), most)]
	cut := -1
	if least <= len(region) {
		if i := bytes.IndexByte(region[least-1:], '\n'); i >= 0 {
			cut = least - 1 + i
		}
	}
	if cut < 0 {
		cut = bytes.LastIndexByte(region, '\n')
	}
	switch {
	case cut >= 0:
		raw = region[:cut+1]
	case d.eof && len(region) == len(avail):
		raw = region
	default:
		return nil, start, false
	}
	d.pos += len(raw)
	if n := bytes.Count(raw, []byte{'\n'}); n > 0 {
		d.line += n
		d.lineStart = start.Offset + int64(bytes.LastIndexByte(raw, '\n')+1)
	}
	return raw, start, true
}

// LinesInto is Lines for a caller that keeps raw past the next call
// instead of copying it: raw is the front of the decoder's own buffer,
// which the caller takes, and the decoder reads on in spare (of its
// buffer's capacity: made anew if spare is smaller), into which it copies only
// what follows raw. A saved estate's blocks were copied whole, once more
// than the input needs; a caller that hands each block's buffer back as a
// later call's spare once done with it reads without that copy. The
// caller must not use spare after the call, nor hand raw back while
// anything still reads it.
func (d *Decoder) LinesInto(least, most int, spare []byte) (raw []byte, start Pos, ok bool) {
	if d.keep >= 0 {
		// Bytes before the position are kept: the buffer stays.
		raw, start, ok = d.Lines(least, most)
		if !ok {
			return nil, start, false
		}
		return append(spare[:0], raw...), start, true
	}
	d.drop(d.pos) // raw must begin the buffer, so that the caller has it whole
	raw, start, ok = d.Lines(least, most)
	if !ok {
		return nil, start, false
	}
	// The buffer keeps its capacity (see Resume).
	if cap(spare) < cap(d.buf) {
		spare = make([]byte, 0, cap(d.buf))
	}
	next := append(spare[:0:cap(d.buf)], d.buf[d.pos:]...)
	d.base += int64(d.pos)
	d.buf, d.pos = next, 0
	return raw, start, true
}

// Resume puts data, the input from position at on, back in front of what
// the decoder has not read, after Lines: the decoder then reads it as if
// it had never moved past it. The innermost open container must be the
// array whose elements the caller read; valueNext says whether data
// begins after a separator (an element comes next) or after an element
// (a ',' or the closing bracket comes next). data is copied.
//
// The buffer keeps its size, so that the values Capture can take and the
// point where MaxValueBytes stops a value do not depend on how the input
// was read.
func (d *Decoder) Resume(data []byte, at Pos, valueNext bool) {
	pending := make([]byte, 0, len(data)+len(d.buf)-d.pos)
	pending = append(append(pending, data...), d.buf[d.pos:]...)
	readers := []io.Reader{bytes.NewReader(pending)}
	switch {
	case d.rerr != nil:
		readers = append(readers, stickyErr{d.rerr})
	case !d.eof && d.r != nil:
		readers = append(readers, d.r)
	}
	d.r = io.MultiReader(readers...)
	d.buf, d.pos, d.base, d.eof, d.rerr = d.buf[:0], 0, at.Offset, false, nil
	d.line, d.lineStart = at.Line, at.Offset-int64(at.Col-1)
	d.keep = -1
	if top := len(d.stack) - 1; top >= 0 {
		d.first[top] = false
		d.afterKey = valueNext
	}
}

// stickyErr repeats the read error the decoder had met before Resume.
type stickyErr struct{ err error }

func (r stickyErr) Read([]byte) (int, error) { return 0, r.err }
