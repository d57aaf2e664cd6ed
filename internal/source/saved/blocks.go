package saved

import (
	"bytes"
	"runtime/debug"

	"github.com/kvguard/kvguard/internal/jsonpos"
)

// Reading a long array in blocks of lines.
//
// Capturing each element on the reading goroutine (parallel.go) scans
// every byte twice, once there to find where the element ends and once in
// a worker to read it, and the first scan is serial. A saved estate puts
// one resource per line, so once an array goes parallel the reading
// goroutine hands the workers whole lines instead (jsonpos.Decoder.Lines:
// about a buffer's worth at a time, cut after a newline, which is never
// inside a string), and each worker finds the elements of its block as it
// reads them: separators and whitespace by hand, each object on the fast
// path or, when that declines it, up to its closing bracket as Capture
// would find it, then on the general path.
//
// A worker assumes that its block begins between two elements, before or
// after their separator (it sees which), and says where the block ends:
// between elements (clean, before or after a separator) or not. The
// chunks are applied in order, and each checks the assumption of the next:
// a block is used only if the one before it ended clean, in the state it
// begins in. The first block that ends otherwise (the array's closing
// bracket, an element that is not an object or goes on past the block, a
// missing separator, an element over the capture limit) or begins
// otherwise, ends block reading: its elements before that point are
// applied, the chunks after it are dropped unapplied, and the bytes from
// the end of the last element applied are given back to the decoder
// (jsonpos.Decoder.Resume), which reads on from there (with Capture and
// the workers, or on its own) and reports any error at its place, exactly
// as it would have without blocks.

// Block sizes: a block is cut at the first newline after blockMin bytes,
// looking no further than blockMax (the decoder's buffer); tests lower
// them to cut blocks everywhere.
const (
	defaultBlockMin = 48 << 10
	defaultBlockMax = 64 << 10
)

// sep is where a block begins or ends relative to the array's separators.
type sep uint8

const (
	sepAny    sep = iota // whitespace only: wherever the block before ended
	sepBefore            // after an element: a ',' (or the ']') comes next
	sepValue             // after a ',': an element comes next
)

// block is what a worker found in a block of lines.
type block struct {
	on      bool
	start   jsonpos.Pos // of data[0]
	first   sep         // where the block begins
	last    sep         // where it ends, when clean
	clean   bool        // it ends between elements
	lastEnd int         // offset just past its last element read, or -1
	endPos  jsonpos.Pos // the position of lastEnd
}

// blockState is the reading goroutine's side of block reading.
type blockState struct {
	on     bool
	expect sep // where the next block must begin
	// carry is the input from the end of the last element applied to the
	// end of the last block applied, at carryPos: what goes back to the
	// decoder when block reading ends. carryValue says it begins after a
	// separator (no element has been applied yet).
	carry      []byte
	carryPos   jsonpos.Pos
	carryValue bool
}

// startBlocks turns block reading on, at the decoder's position: after the
// separator before an element (Peek has consumed it).
func (p *parallel) startBlocks() {
	p.blk = blockState{on: true, expect: sepValue, carryPos: p.fr.d.Pos(), carryValue: true}
}

// runBlocks hands the array's input to the workers in blocks until block
// reading ends; the decoder has then been given back the input from the
// end of the last element applied.
func (p *parallel) runBlocks() error {
	fr := p.fr
	for p.blk.on {
		// The block is read into the decoder's buffer, which the chunk
		// takes, giving the decoder its own (free: the chunk was applied)
		// to read on in.
		c := p.newChunk()
		raw, start, ok := fr.d.LinesInto(fr.blockMin, fr.blockMax, c.data)
		if !ok {
			p.free = append(p.free, c)
			// A line longer than a block, or the end of the input: apply
			// what is in flight, then give the rest back.
			if err := p.drain(); err != nil || !p.blk.on {
				return err
			}
			p.blk.on = false
			fr.blockEnds++
			fr.d.Resume(p.blk.carry, p.blk.carryPos, p.blk.carryValue)
			return nil
		}
		c.data = raw
		c.blk = block{on: true, start: start}
		p.cur = c
		if err := p.dispatch(); err != nil {
			return err
		}
	}
	return nil
}

// consistent reports whether block c begins where the block before it
// ended.
func (p *parallel) consistent(c *chunk) bool {
	return c.blk.first == sepAny || c.blk.first == p.blk.expect
}

// advance moves past a clean block that has been applied.
func (p *parallel) advance(c *chunk) {
	b := &p.blk
	if c.blk.lastEnd >= 0 {
		b.carry = append(b.carry[:0], c.data[c.blk.lastEnd:]...)
		b.carryPos, b.carryValue = c.blk.endPos, false
	} else {
		b.carry = append(b.carry, c.data...)
	}
	if c.blk.first != sepAny {
		b.expect = c.blk.last
	}
	p.fr.blocks++
}

// resume ends block reading at chunk c: applied says c's elements were
// applied (it ended unclean), else c is dropped. The chunks after it are
// dropped once their workers are done with them, and the decoder is given
// back the input from the end of the last element applied.
func (p *parallel) resume(c *chunk, applied bool) error {
	b := &p.blk
	data := b.carry
	at, valueNext := b.carryPos, b.carryValue
	switch {
	case applied && c.blk.lastEnd >= 0:
		data = c.data[c.blk.lastEnd:]
		at, valueNext = c.blk.endPos, false
	default:
		data = append(data, c.data...)
	}
	pending := append([]byte(nil), data...)
	for _, later := range p.flight {
		<-later.done
		pending = append(pending, later.data...)
		later.reset()
		p.free = append(p.free, later)
	}
	p.flight = nil
	c.reset()
	p.free = append(p.free, c)
	b.on, b.carry = false, nil
	p.fr.blockEnds++
	p.fr.d.Resume(pending, at, valueNext)
	return nil
}

// readBlock reads the elements of a block of lines (see above), recording
// what the sequential path would do with each, until the block ends or
// something it does not read as an element comes.
func (fr *fileReader) readBlock(c *chunk, level int, sc scope, depth int) {
	fr.rec = &c.rec
	fr.errs = c.errs
	defer func() {
		if r := recover(); r != nil {
			c.panicked, c.panicVal, c.stack = true, r, debug.Stack()
		}
		c.errs = fr.errs
		fr.errs, fr.rec = nil, nil
	}()
	b, blk := c.data, &c.blk
	base := blk.start.Offset
	line, lineOff := blk.start.Line, base-int64(blk.start.Col-1)
	pos := func(i int) jsonpos.Pos {
		off := base + int64(i)
		return jsonpos.Pos{Line: line, Col: int(off-lineOff) + 1, Offset: off}
	}
	limit := min(captureMax, fr.d.MaxValueBytes)
	if fr.d.MaxValueBytes <= 0 {
		limit = captureMax
	}
	blk.lastEnd = -1
	state := sepAny
	for i := 0; ; {
		for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
			if b[i] == '\n' {
				line, lineOff = line+1, base+int64(i+1)
			}
			i++
		}
		if i == len(b) {
			blk.clean, blk.last = true, state
			return
		}
		if state == sepAny {
			state = sepValue
			if b[i] == ',' || b[i] == ']' {
				state = sepBefore
			}
			blk.first = state
		}
		if state == sepBefore {
			if b[i] != ',' {
				return // the closing bracket, or an error the decoder reports
			}
			i++
			state = sepValue
			continue
		}
		if b[i] != '{' {
			return // not an object: the decoder reads it
		}
		end, nl, ok := fr.blockElement(c, i, pos(i), limit, level, sc, depth)
		if !ok {
			return
		}
		// The fast path counts the element's newlines as it reads it; a
		// one-line element (all of a saved estate's) is not scanned again.
		if nl < 0 {
			nl = bytes.Count(b[i:end], newline)
		}
		if nl > 0 {
			line += nl
			lineOff = base + int64(i+bytes.LastIndexByte(b[i:end], '\n')+1)
		}
		i = end
		blk.lastEnd, blk.endPos = end, pos(end)
		state = sepBefore
	}
}

// newline is what bytes.Count looks for to count lines.
var newline = []byte{'\n'}

// blockElement reads the object at c.data[i:], which starts at start, and
// returns where it ends and how many newlines it holds (-1: not counted).
// It reports false when the block must stop before
// it: the object goes on past the block or is larger than limit, or it is
// malformed (c.err).
func (fr *fileReader) blockElement(c *chunk, i int, start jsonpos.Pos, limit, level int, sc scope, depth int) (end, nl int, ok bool) {
	b := c.data
	if end, nl, ok := fr.fastComponentAt(b[:min(len(b), i+limit)], i, false, start, sc); ok {
		return end, nl, true
	}
	end, ok = closingBracket(b, i)
	if !ok || end-i > limit {
		return 0, 0, false
	}
	fr.d.Reset(b[i:end], start, depth)
	fr.fields = fr.fields[:0]
	var agg unrecognised
	err := fr.object(level+1, sc, &agg)
	if agg.n > 0 {
		c.rec.aggs = append(c.rec.aggs, agg)
	}
	if err != nil {
		c.err = err
		return 0, 0, false
	}
	return end, -1, true
}

// closingBracket finds the end of the object or array at b[i] as Capture
// does: the bracket that closes it, outside strings, nothing else checked.
// It reports false when b ends first.
func closingBracket(b []byte, i int) (int, bool) {
	depth := 0
	for i < len(b) {
		switch b[i] {
		case '"':
			for i++; ; i++ {
				if i = jsonpos.PlainRun(b, i); i >= len(b) {
					return 0, false
				}
				if b[i] == '"' {
					break
				}
				if b[i] == '\\' {
					i++
				}
			}
		case '{', '[':
			depth++
		case '}', ']':
			if depth--; depth == 0 {
				return i + 1, true
			}
		}
		i++
	}
	return 0, false
}
