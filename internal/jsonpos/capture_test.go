package jsonpos

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// captureCases are array elements, valid and not, several spanning lines.
var captureCases = []string{
	`{}`, `[]`, `null`, `true`, `-1.5e3`, `"a\"b\\c\/\n\u00e9\ud83d\ude00"`,
	`{"a":[1,2,{"b":null}],"c":"d"}`, "{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": \"x\"\n}",
	`{"a":}`, `[1,]`, `{"a" 1}`, `{"a":1,}`, `"\x"`, `"\u12g4"`, "\"a\nb\"", `[01]`, `tru`,
	`{"a":[`, `"abc`, `{1:2}`, `[1 2]`, "{\"a\":1 \"b\":2}", "\"\x01\"", "{\"a\":\n[1,\n2}",
	`{"a":"x]}\"{["}`, `["\\", "]", "\\\""]`, "{\"a\":\"b\nc\"}", `{"a":[1}]`, `{"a":1}}`, `{"é":"ü"}`, `{"a":tru}`,
}

// elementDecoder returns a decoder over "[\n  1,\n  <c>\n]" placed at c,
// the second element.
func elementDecoder(t *testing.T, c string, stream bool) *Decoder {
	t.Helper()
	in := "[\n  1,\n  " + c + "\n]"
	d := NewBytesDecoder([]byte(in), "x.json")
	if stream {
		d = NewDecoder(iotest.OneByteReader(strings.NewReader(in)), "x.json")
	}
	if _, err := d.BeginArray(); err != nil {
		t.Fatal(err)
	}
	if more, err := d.More(); !more || err != nil {
		t.Fatal(more, err)
	}
	if _, _, err := d.Skip(); err != nil {
		t.Fatal(err)
	}
	if more, err := d.More(); !more || err != nil {
		return nil // not a value (FuzzCapture's inputs)
	}
	return d
}

type decoded struct {
	V          any
	Start, End Pos
	Err        string
}

func decodeValue(d *Decoder) decoded {
	v, s, e, err := d.Value()
	r := decoded{V: v, Start: s, End: e}
	if err != nil {
		r.V, r.End, r.Err = nil, Pos{}, err.Error()
	}
	return r
}

// TestCaptureAgreesWithValue: a captured value decoded with NewDecoderAt
// gives what Value gives in place (value, positions, errors); a value
// Capture refuses is left unread, so that Value then gives exactly what it
// would have; and the decoder reads on correctly either way.
func TestCaptureAgreesWithValue(t *testing.T) {
	t.Parallel()
	for _, c := range captureCases {
		t.Run(c, func(t *testing.T) {
			t.Parallel()
			for _, stream := range []bool{false, true} {
				for _, max := range []int{0, 4} {
					ref := elementDecoder(t, c, stream)
					want := decodeValue(ref)
					d := elementDecoder(t, c, stream)
					depth := d.Depth()
					raw, start, ok, err := d.Capture(max)
					if err != nil {
						t.Fatalf("stream=%v max=%d: %v", stream, max, err)
					}
					var got decoded
					if ok {
						if start != want.Start || !bytes.HasPrefix([]byte(c+"\n]"), raw) || (max > 0 && len(raw) > max) {
							t.Errorf("stream=%v max=%d: captured %q at %v", stream, max, raw, start)
						}
						got = decodeValue(NewDecoderAt(bytes.Clone(raw), "x.json", start, depth))
					} else {
						if want.Err == "" && max == 0 {
							t.Errorf("stream=%v: refused a valid value of %d bytes", stream, len(c))
						}
						got = decodeValue(d)
					}
					if !reflect.DeepEqual(want, got) {
						t.Errorf("stream=%v max=%d ok=%v:\nValue   %+v\nCapture %+v", stream, max, ok, want, got)
					}
					if want.Err != "" {
						continue
					}
					wantMore, wantErr := ref.More()
					if more, err := d.More(); more != wantMore || fmt.Sprint(err) != fmt.Sprint(wantErr) {
						t.Errorf("stream=%v max=%d: after the value, More = %v, %v; want %v, %v", stream, max, more, err, wantMore, wantErr)
					}
					wantEnd, wantErr := ref.End()
					if end, err := d.End(); end != wantEnd || fmt.Sprint(err) != fmt.Sprint(wantErr) {
						t.Errorf("stream=%v max=%d: End = %v, %v; want %v, %v", stream, max, end, err, wantEnd, wantErr)
					}
				}
			}
		})
	}
}

// TestCaptureKeepsTheBuffer: Capture gives up on a value longer than the
// decoder's buffer instead of growing it, and the value is then read as
// usual (here refused under MaxValueBytes exactly as without Capture).
func TestCaptureKeepsTheBuffer(t *testing.T) {
	t.Parallel()
	big := `["` + strings.Repeat("x", 200<<10) + `"]`
	read := func(capture bool) (int, string) {
		d := NewDecoder(iotest.HalfReader(strings.NewReader(big)), "big.json")
		d.MaxValueBytes = 100 << 10
		if _, err := d.BeginArray(); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Peek(); err != nil {
			t.Fatal(err)
		}
		if capture {
			if _, _, ok, err := d.Capture(0); ok || err != nil {
				t.Fatalf("Capture = %v, %v; want a refusal", ok, err)
			}
		}
		_, _, _, err := d.Value()
		return cap(d.buf), err.Error()
	}
	wantCap, wantErr := read(false)
	if gotCap, gotErr := read(true); gotErr != wantErr || gotCap != wantCap {
		t.Errorf("with Capture: buffer %d, %q; without: %d, %q", gotCap, gotErr, wantCap, wantErr)
	}
}

// TestDecoderAtDepth: a decoder placed inside open containers enforces
// MaxDepth as the whole file's decoder does, at the same position
// (Capture does not check depth: the placed decoder must).
func TestDecoderAtDepth(t *testing.T) {
	t.Parallel()
	in := strings.Repeat("[", MaxDepth-2) + "[[[1]]]" + strings.Repeat("]", MaxDepth-2)
	_, _, _, want := NewBytesDecoder([]byte(in), "d.json").Value()
	d := NewBytesDecoder([]byte(in), "d.json")
	for range MaxDepth - 2 {
		if _, err := d.BeginArray(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.Peek(); err != nil {
		t.Fatal(err)
	}
	depth := d.Depth()
	raw, start, ok, err := d.Capture(0)
	if !ok || err != nil || string(raw) != "[[[1]]]" {
		t.Fatalf("Capture = %q, %v, %v", raw, ok, err)
	}
	_, _, _, got := NewDecoderAt(raw, "d.json", start, depth).Value()
	if want == nil || got == nil || want.Error() != got.Error() {
		t.Errorf("whole file: %v; placed decoder: %v", want, got)
	}
}

// FuzzCapture: whatever the element, Capture followed by a decoder over
// what it captured gives what Value gives in place, or Capture declines
// and Value then gives exactly that.
func FuzzCapture(f *testing.F) {
	for _, c := range captureCases {
		f.Add(c, uint8(0))
	}
	f.Fuzz(func(t *testing.T, c string, limit uint8) {
		for _, stream := range []bool{false, true} {
			ref := elementDecoder(t, c, stream)
			if ref == nil {
				return
			}
			want := decodeValue(ref)
			d := elementDecoder(t, c, stream)
			depth := d.Depth()
			raw, _, ok, err := d.Capture(int(limit))
			if err != nil {
				t.Fatal(err)
			}
			var got decoded
			if ok {
				got = decodeValue(NewDecoderAt(bytes.Clone(raw), "x.json", want.Start, depth))
			} else {
				got = decodeValue(d)
			}
			if !reflect.DeepEqual(want, got) {
				t.Fatalf("stream=%v ok=%v:\nValue   %+v\nCapture %+v", stream, ok, want, got)
			}
		}
	})
}
