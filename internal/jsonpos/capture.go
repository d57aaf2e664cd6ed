package jsonpos

// Capture moves past the next value and returns its bytes, so that the
// value can be decoded elsewhere (by another goroutine, with NewDecoderAt)
// while d reads on. raw is valid until the next call on d.
//
// Capture is fast because it does not check an object or array: it only
// finds the bracket that closes it, outside strings (a scalar, or anything
// when AllowComments is set, is checked as Skip checks it). That is
// enough: where the value is well-formed, that bracket is its end; where
// it is not, the first error lies before that bracket (up to the error,
// the bytes are a valid beginning, in which brackets match as Capture
// counts them), so a decoder over raw reports it exactly as d would have,
// at the same position.
//
// When the value is longer than max bytes (or MaxValueBytes, if smaller),
// or does not fit the decoder's buffer (64 KiB, or what a large value
// decoded earlier grew it to: Capture never grows it), or does not end
// before the input does, or is a malformed scalar, Capture consumes
// nothing and returns ok false: the caller then reads the value another
// way (Value, Skip or the streaming methods), which reports the error, or
// streams the large value, exactly as it would have without Capture. err
// is only an error found before the value (a missing separator), as Skip
// would return it.
func (d *Decoder) Capture(limit int) (raw []byte, start Pos, ok bool, err error) {
	if limit <= 0 || limit > d.maxValue() {
		limit = d.maxValue()
	}
	c, more, err := d.prepareValue()
	if err != nil {
		return nil, d.Pos(), false, err
	}
	start = d.Pos()
	if !more {
		return nil, start, false, d.errAt(start, "unexpected end of input, expected a value")
	}
	// Everything from the value's first byte is kept, so that the decoder
	// can go back there. prepareValue has already consumed a separator and
	// cleared the container's first-element mark; Peek-style, afterKey
	// makes the next read see the value directly again.
	line, lineStart := d.line, d.lineStart
	d.keep = d.pos
	d.captureMax, d.captureHit = limit, false
	if (c == '{' || c == '[') && !d.AllowComments {
		ok = d.scanContainer()
	} else {
		ok = d.skipValue(c, d.depth()) == nil
	}
	d.captureMax = 0
	if !ok || d.captureHit || d.pos-d.keep > limit {
		d.pos, d.line, d.lineStart = d.keep, line, lineStart
		d.keep, d.captureHit = -1, false
		if len(d.stack) > 0 {
			d.afterKey = true
		}
		return nil, start, false, nil
	}
	raw = d.buf[d.keep:d.pos]
	d.keep = -1
	return raw, start, true, nil
}

// scanContainer moves past the object or array whose opening bracket is
// at d.pos, counting brackets outside strings (and lines everywhere),
// without checking anything else. It reports false when the input ends
// first (or fill refuses to go on: see Capture).
func (d *Decoder) scanContainer() bool {
	depth := 0
	inString := false
	i := d.pos
	for {
		buf := d.buf
		for i < len(buf) {
			if inString {
				// Strings are most of the bytes: eight at a time to the
				// next quote, backslash, control or non-ASCII byte.
				if i = plainRun(buf, i); i >= len(buf) {
					break
				}
				switch buf[i] {
				case '"':
					inString = false
				case '\\':
					i++ // the escaped byte; may be past the buffer's end
				case '\n':
					d.line++
					d.lineStart = d.base + int64(i+1)
				}
				i++
				continue
			}
			switch buf[i] {
			case '"':
				inString = true
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					d.pos = i + 1
					return true
				}
			case '\n':
				d.line++
				d.lineStart = d.base + int64(i+1)
			}
			i++
		}
		over := i - len(buf) // an escape's second byte not yet read
		d.pos = len(buf)
		if !d.fill() {
			return false
		}
		i = d.pos + over
	}
}

// NewDecoderAt returns a decoder over data, one value that Capture
// returned: it starts at position at of file and sits inside depth open
// containers (Depth before the Capture), so that positions, errors and the
// nesting limit are those of the whole file.
func NewDecoderAt(data []byte, file string, at Pos, depth int) *Decoder {
	d := &Decoder{file: file}
	d.Reset(data, at, depth)
	return d
}

// Reset makes d read data as NewDecoderAt would, keeping its options and
// its interned strings (a decoder reused for many small values interns
// their keys once).
func (d *Decoder) Reset(data []byte, at Pos, depth int) {
	d.r, d.buf, d.pos, d.base, d.eof, d.rerr = nil, data, 0, at.Offset, true, nil
	d.line, d.lineStart = at.Line, at.Offset-int64(at.Col-1)
	d.stack, d.first = d.stack[:0], d.first[:0]
	d.afterKey, d.keep, d.outer = false, -1, depth
	d.captureMax, d.captureHit = 0, false
}
