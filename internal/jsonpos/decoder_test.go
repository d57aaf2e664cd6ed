package jsonpos

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

func TestValueMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	cases := []string{
		`{}`, `[]`, `null`, `true`, `false`, `0`, `-1.5e3`, `12345678901234`, `"a\"b\\c\/\n\u00e9\ud83d\ude00"`,
		`{"a":[1,2,{"b":null}],"c":"d"}`,
		` [ 1 , "x" , [ ] , { } ] `,
	}
	for _, c := range cases {
		t.Run(c, func(t *testing.T) {
			t.Parallel()
			var want any
			if err := json.Unmarshal([]byte(c), &want); err != nil {
				t.Fatal(err)
			}
			for name, d := range map[string]*Decoder{
				"bytes":  NewBytesDecoder([]byte(c), "x.json"),
				"stream": NewDecoder(iotest.OneByteReader(strings.NewReader(c)), "x.json"),
			} {
				got, _, _, err := d.Value()
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if diff := cmp.Diff(normalise(want), normalise(got)); diff != "" {
					t.Errorf("%s: (-want +got)\n%s", name, diff)
				}
			}
		})
	}
}

// normalise maps numbers to float64 so that int64 and float64 compare.
func normalise(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalise(e)
		}
	case []any:
		for i, e := range x {
			x[i] = normalise(e)
		}
	case int64:
		return float64(x)
	}
	return v
}

func TestSyntaxErrorsCarryPositions(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, in  string
		line, col int
		msg       string
	}{
		{"missing comma", "{\n  \"a\": 1\n  \"b\": 2\n}", 3, 3, "expected ',' or '}'"},
		{"trailing comma", "[1,\n2,\n]", 3, 1, "trailing ','"},
		{"bad literal", "{\"a\": tru}", 1, 7, "invalid literal"},
		{"unterminated string", "{\"a\": \"abc", 1, 7, "unterminated string"},
		{"bad number", "[01]", 1, 2, "invalid number"},
		{"garbage after", "{} x", 1, 4, "after top-level value"},
		{"empty", "", 1, 1, "unexpected end of input"},
		{"comment not allowed", "// c\n{}", 1, 1, "invalid character '/'"},
		{"yes is not a value", "{\"enableRbacAuthorization\": yes}", 1, 29, "invalid character 'y'"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(c.in), "f.json", false)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("want SyntaxError, got %v", err)
			}
			if se.Pos.Line != c.line || se.Pos.Col != c.col || !strings.Contains(se.Msg, c.msg) {
				t.Errorf("got %s, want %d:%d %q", se.Error(), c.line, c.col, c.msg)
			}
			if !strings.HasPrefix(se.Error(), "f.json:") {
				t.Errorf("error does not name the file: %s", se.Error())
			}
		})
	}
}

func TestCommentsWhenAllowed(t *testing.T) {
	t.Parallel()
	in := "// leading\n{\n  /* block\n  comment */ \"a\": 1, // trailing\n  \"b\": [2]\n}\n"
	n, err := Parse([]byte(in), "t.json", true)
	if err != nil {
		t.Fatal(err)
	}
	b := n.Get("b")
	if b == nil || b.Start.Line != 5 || b.Items[0].Int != 2 {
		t.Fatalf("b = %+v", b)
	}
	if n.Start.Line != 2 || n.End.Line != 6 {
		t.Errorf("object spans %d-%d, want 2-6", n.Start.Line, n.End.Line)
	}
}

func TestStreamingWalkReportsElementRanges(t *testing.T) {
	t.Parallel()
	in := "{\"nextLink\": null,\n \"value\": [\n  {\"id\": \"a\"},\n  {\n   \"id\": \"b\"\n  }\n ]\n}"
	d := NewDecoder(iotest.HalfReader(strings.NewReader(in)), "list.json")
	if _, err := d.BeginObject(); err != nil {
		t.Fatal(err)
	}
	type rng struct {
		ID       string
		From, To int
	}
	var got []rng
	for {
		k, _, ok, err := d.Key()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		if k != "value" {
			if _, _, err := d.Skip(); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if _, err := d.BeginArray(); err != nil {
			t.Fatal(err)
		}
		for {
			more, err := d.More()
			if err != nil {
				t.Fatal(err)
			}
			if !more {
				break
			}
			v, s, e, err := d.Value()
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, rng{v.(map[string]any)["id"].(string), s.Line, e.Line})
		}
		if _, err := d.End(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.End(); err != nil {
		t.Fatal(err)
	}
	if err := d.Finish(); err != nil {
		t.Fatal(err)
	}
	want := []rng{{"a", 3, 3}, {"b", 4, 6}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
}

func TestValueSizeLimit(t *testing.T) {
	t.Parallel()
	big := `["` + strings.Repeat("x", 1<<20) + `"]`
	d := NewDecoder(strings.NewReader(big), "big.json")
	d.MaxValueBytes = 64 << 10
	_, _, _, err := d.Value()
	var se *SyntaxError
	if !errors.As(err, &se) || !strings.Contains(se.Msg, "larger than") {
		t.Fatalf("want size error, got %v", err)
	}
}

func TestDepthLimit(t *testing.T) {
	t.Parallel()
	in := strings.Repeat("[", MaxDepth+5) + strings.Repeat("]", MaxDepth+5)
	_, err := Parse([]byte(in), "deep.json", false)
	if err == nil || !strings.Contains(err.Error(), "nesting deeper") {
		t.Fatalf("want depth error, got %v", err)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

func TestReadErrorIsReported(t *testing.T) {
	t.Parallel()
	d := NewDecoder(io.MultiReader(strings.NewReader(`{"a": `), errReader{}), "r.json")
	_, _, _, err := d.Value()
	if err == nil || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("want wrapped read error, got %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"a":[1,2.5,"x",true,null]}`, `[{"id":"/subscriptions/x"}]`, "// c\n{}", `"\ud83d\ude00"`, `{"a":}`, `[1,]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := Parse(data, "fuzz.json", true)
		v, _, _, err2 := NewDecoder(bytes.NewReader(data), "fuzz.json").Value()
		if err != nil {
			return
		}
		// A document that parses as a tree must also decode as a value, to the same thing.
		if err2 != nil && !bytes.Contains(data, []byte("/")) {
			t.Fatalf("Parse ok but Value failed: %v", err2)
		}
		if err2 == nil && !bytes.Contains(data, []byte("/")) {
			if !reflect.DeepEqual(normalise(n.Interface()), normalise(v)) {
				t.Fatalf("tree and value differ")
			}
		}
		// Whatever encoding/json accepts without comments, we accept identically.
		var want any
		if json.Unmarshal(data, &want) == nil {
			// reflect.DeepEqual, not cmp.Diff: cmp is exponential on deeply nested arrays.
			if !reflect.DeepEqual(normalise(want), normalise(n.Interface())) {
				t.Fatalf("differs from encoding/json")
			}
		}
	})
}
