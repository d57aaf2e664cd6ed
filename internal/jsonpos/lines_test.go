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
