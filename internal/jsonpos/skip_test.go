package jsonpos

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// Skip must accept and reject exactly what Value does, end at the same
// place, and report errors at the same position.
func TestSkipAgreesWithValue(t *testing.T) {
	t.Parallel()
	cases := []string{
		`{}`, `[]`, `null`, `true`, `false`, `0`, `-1.5e3`, `"a\"b\\c\/\n\u00e9\ud83d\ude00"`,
		`{"a":[1,2,{"b":null}],"c":"d"} `, "[\n1,\n2\n]",
		`{"a":}`, `[1,]`, `{"a" 1}`, `{"a":1,}`, `"\x"`, `"\u12"`, `"\u12g4"`, "\"a\nb\"", `[01]`, `tru`,
		`{"a":[`, `"abc`, `{1:2}`, `[1 2]`, `{"a":1 "b":2}`, "\"\x01\"",
	}
	for _, c := range cases {
		t.Run(c, func(t *testing.T) {
			t.Parallel()
			for _, stream := range []bool{false, true} {
				dv, ds := NewBytesDecoder([]byte(c), "x.json"), NewBytesDecoder([]byte(c), "x.json")
				if stream {
					dv = NewDecoder(iotest.OneByteReader(strings.NewReader(c)), "x.json")
					ds = NewDecoder(iotest.OneByteReader(strings.NewReader(c)), "x.json")
				}
				_, vs, ve, verr := dv.Value()
				ss, se, serr := ds.Skip()
				if (verr == nil) != (serr == nil) {
					t.Fatalf("stream=%v: Value err %v, Skip err %v", stream, verr, serr)
				}
				if verr != nil {
					if !sameError(verr, serr) {
						t.Errorf("stream=%v: Value says %q, Skip says %q", stream, verr, serr)
					}
					continue
				}
				if vs != ss || ve != se {
					t.Errorf("stream=%v: Value spans %v-%v, Skip spans %v-%v", stream, vs, ve, ss, se)
				}
			}
		})
	}
}

// A skipped value is not held in memory, so it is not bound by
// MaxValueBytes: a huge secret value can be dropped without being refused.
func TestSkipIgnoresValueSizeLimit(t *testing.T) {
	t.Parallel()
	big := `{"value":"` + strings.Repeat("x", 1<<20) + `","id":"a"}`
	d := NewDecoder(iotest.HalfReader(strings.NewReader(big)), "big.json")
	d.MaxValueBytes = 64 << 10
	if _, err := d.BeginObject(); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := d.Key(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.Skip(); err != nil {
		t.Fatalf("Skip: %v", err)
	}
	k, _, ok, err := d.Key()
	if err != nil || !ok || k != "id" {
		t.Fatalf("Key after Skip = %q, %v, %v", k, ok, err)
	}
	if len(d.buf) > 256<<10 {
		t.Errorf("buffer grew to %d bytes while skipping", len(d.buf))
	}
}

func FuzzSkip(f *testing.F) {
	for _, s := range []string{`{"a":[1,2.5,"x",true,null]}`, `"\ud83d\ude00"`, `{"a":}`, `[1,]`, `"\u00zz"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, vs, ve, verr := NewDecoder(bytes.NewReader(data), "f.json").Value()
		ss, se, serr := NewDecoder(bytes.NewReader(data), "f.json").Skip()
		if (verr == nil) != (serr == nil) {
			t.Fatalf("Value err %v, Skip err %v", verr, serr)
		}
		if verr != nil && !sameError(verr, serr) {
			t.Fatalf("Value says %q, Skip says %q", verr, serr)
		}
		if verr == nil && (vs != ss || ve != se) {
			t.Fatalf("Value spans %v-%v, Skip spans %v-%v", vs, ve, ss, se)
		}
	})
}

// sameError compares errors at the same position; Skip may leave out the
// detail that needs a decoded key (the key's name).
func sameError(v, s error) bool {
	return strings.HasPrefix(v.Error(), s.Error())
}

// Walking with BeginArray reports too-deep nesting at the offending
// bracket, as Value does (it used to report the byte after it).
func TestBeginReportsDepthAtBracket(t *testing.T) {
	t.Parallel()
	in := strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1)
	_, _, _, verr := NewBytesDecoder([]byte(in), "d.json").Value()
	d := NewBytesDecoder([]byte(in), "d.json")
	var berr error
	for i := 0; i <= MaxDepth && berr == nil; i++ {
		_, berr = d.BeginArray()
	}
	if verr == nil || berr == nil || verr.Error() != berr.Error() {
		t.Fatalf("Value says %v, BeginArray says %v", verr, berr)
	}
	if want := "d.json:1:513: nesting deeper than 512 levels"; berr.Error() != want {
		t.Errorf("got %q, want %q", berr, want)
	}
}

// Scalar decodes what Value decodes, unboxed.
func TestScalarAgreesWithValue(t *testing.T) {
	t.Parallel()
	for _, c := range []string{`"a\u00e9"`, `0`, `-1`, `9223372036854775807`, `-9223372036854775808`, `9223372036854775808`,
		`18446744073709551616`, `1.5e3`, `-0`, `true`, `false`, `null`, `{"a":[1]}`, `[1,"x"]`, `01`, `"x`, `1e999`, `99999999999999999999`} {
		v, _, _, verr := NewBytesDecoder([]byte(c), "s.json").Value()
		s, _, _, serr := NewBytesDecoder([]byte(c), "s.json").Scalar()
		if (verr == nil) != (serr == nil) || (verr != nil && verr.Error() != serr.Error()) {
			t.Errorf("%s: Value err %v, Scalar err %v", c, verr, serr)
			continue
		}
		if verr == nil && !reflect.DeepEqual(v, s.Interface()) {
			t.Errorf("%s: Value %#v, Scalar %#v", c, v, s.Interface())
		}
	}
}
