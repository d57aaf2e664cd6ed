package jsonpos

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// walkArray reads the elements of the array the decoder is in to its end,
// and what follows it, as values with their positions (or the error that
// stops it).
func walkArray(d *Decoder) []decoded {
	var out []decoded
	for {
		more, err := d.More()
		if err != nil {
			return append(out, decoded{Err: err.Error()})
		}
		if !more {
			break
		}
		r := decodeValue(d)
		if out = append(out, r); r.Err != "" {
			return out
		}
	}
	if _, err := d.End(); err != nil {
		return append(out, decoded{Err: err.Error()})
	}
	return append(out, decodeValue(d)) // the object's next member value
}

// TestLinesResume: a decoder that has handed out lines and been given
// back, with Resume, the input from any point between two elements reads
// on exactly as a decoder that never handed anything out: the same values,
// positions and errors, whatever the reads' sizes.
func TestLinesResume(t *testing.T) {
	t.Parallel()
	inputs := []string{
		"[\n  {\"a\": 1},\n  [2, 3],\n  \"x\"\n]\n",
		"[\r\n{\"a\": 1}\r\n, {\"b\": \"c\"}\r\n]",
		"[\n{\"a\": 1},\n{\"a\" 2},\n{\"a\": 3}\n]",
		"[\n{\"a\": 1},\n{\"a\": 2},\n]",
		"[\n{\"a\": 1},\n{\"a\": 2}\n{\"a\": 3}]",
		"[\n{\"a\": 1},\n{\"a\": 2},\n",
	}
	for n, in := range inputs {
		for _, stream := range []bool{false, true} {
			open := func() *Decoder {
				var d *Decoder
				if stream {
					d = NewDecoder(iotest.OneByteReader(strings.NewReader("{\"k\": "+in)), "x.json")
				} else {
					d = NewBytesDecoder([]byte("{\"k\": "+in), "x.json")
				}
				if _, err := d.BeginObject(); err != nil {
					t.Fatal(err)
				}
				if _, _, ok, err := d.Key(); !ok || err != nil {
					t.Fatal(ok, err)
				}
				if _, err := d.BeginArray(); err != nil {
					t.Fatal(err)
				}
				return d
			}
			want := walkArray(open())
			// Give back from after the first element (and its separator,
			// when on its line), having taken one line or all of them.
			for _, most := range []int{1, 4, 1 << 20} {
				t.Run(fmt.Sprintf("%d/stream=%v/most=%d", n, stream, most), func(t *testing.T) {
					d := open()
					if more, err := d.More(); !more || err != nil {
						t.Fatal(more, err)
					}
					first := decodeValue(d)
					at := d.Pos()
					var taken []byte
					for range 2 {
						raw, start, ok := d.Lines(1, most)
						if !ok {
							break
						}
						if start.Offset != at.Offset+int64(len(taken)) {
							t.Fatalf("Lines started at %+v after %d bytes from %+v", start, len(taken), at)
						}
						taken = append(taken, raw...)
					}
					d.Resume(taken, at, false)
					if got := append([]decoded{first}, walkArray(d)...); !reflect.DeepEqual(got, want) {
						t.Errorf("after Lines and Resume:\n got %+v\nwant %+v", got, want)
					}
				})
			}
		}
	}
}

// TestLinesIntoMatchesLines reads the same input with Lines and with
// LinesInto, handing each block's buffer back as a later spare (two
// calls later, as a caller with blocks in flight would), and requires the
// same blocks at the same positions; the blocks LinesInto gave must still
// hold their bytes while the caller keeps them, and the decoder must read
// on normally (Pos, then the rest with Resume) after the last block.
func TestLinesIntoMatchesLines(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("[\n")
	for i := range 3000 { // several times the decoder's buffer
		fmt.Fprintf(&b, "{\"id\": \"/x/%d\", \"pad\": %q},\n", i, strings.Repeat("p", i%97))
	}
	b.WriteString("{\"last\": true}\n]\n")
	in := b.String()
	for _, stream := range []bool{false, true} {
		for _, sizes := range [][2]int{{1, 64}, {100, 300}, {2000, 4000}, {40 << 10, 60 << 10}, {1, 1 << 20}} {
			open := func() *Decoder {
				var d *Decoder
				if stream {
					d = NewDecoder(iotest.HalfReader(strings.NewReader(in)), "x.json")
				} else {
					d = NewBytesDecoder([]byte(in), "x.json")
				}
				if _, err := d.BeginArray(); err != nil {
					t.Fatal(err)
				}
				return d
			}
			type blk struct {
				raw   string
				start Pos
			}
			var want []blk
			d := open()
			for range 40 {
				raw, start, ok := d.Lines(sizes[0], sizes[1])
				if !ok {
					break
				}
				want = append(want, blk{string(raw), start})
			}
			wantPos := d.Pos()
			d = open()
			var held [][]byte
			var spare []byte
			for i, w := range want {
				raw, start, ok := d.LinesInto(sizes[0], sizes[1], spare)
				if !ok || string(raw) != w.raw || start != w.start {
					t.Fatalf("stream=%v sizes=%v block %d: %q at %+v (%v), want %q at %+v", stream, sizes, i, raw, start, ok, w.raw, w.start)
				}
				held = append(held, raw)
				spare = nil
				if len(held) > 2 {
					spare, held = held[0], held[1:]
				}
				for j, h := range held {
					if k := i - len(held) + 1 + j; string(h) != want[k].raw {
						t.Fatalf("stream=%v sizes=%v: block %d, still held, now reads %q", stream, sizes, k, h)
					}
				}
			}
			if got := d.Pos(); got != wantPos {
				t.Fatalf("stream=%v sizes=%v: after the blocks at %+v, want %+v", stream, sizes, got, wantPos)
			}
		}
	}
}
