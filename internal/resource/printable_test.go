package resource

import (
	"errors"
	"testing"
)

// TestMessagesAreSafeOnATerminal: file names, resource IDs and messages
// with control, bidi or non-UTF-8 bytes print escaped; plain ones print as
// they are.
func TestMessagesAreSafeOnATerminal(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		err  *InputError
		want string
	}{
		{name: "plain", err: Errorf(Position{File: "infra/main.tf", Line: 3, Col: 5}, "bad"), want: "infra/main.tf:3:5: bad"},
		{name: "unicode is printable", err: Errorf(Position{File: "é/ü.json", Line: 1}, "bad"), want: "é/ü.json:1: bad"},
		{name: "escape and newline in the file", err: Errorf(Position{File: "a\x1b[31mb\n.json", Line: 2}, "bad"),
			want: `"a\x1b[31mb\n.json":2: bad`},
		{name: "carriage return, C1 and bidi override", err: Errorf(Position{File: "x\r\u009b\u202egnp.json"}, "bad"),
			want: `"x\r\u009b\u202egnp.json": bad`},
		{name: "not UTF-8", err: Errorf(Position{File: "a\xffb.json"}, "bad"), want: `"a\xffb.json": bad`},
		{name: "resource ID", err: &InputError{ResourceID: "/subscriptions/s/vaults/kv\x07", Msg: "forbidden"},
			want: `"/subscriptions/s/vaults/kv\a": forbidden`},
		{name: "file and resource ID", err: &InputError{Pos: Position{File: "f.json", Line: 1}, ResourceID: "id\n", Msg: "m"},
			want: `f.json:1 ("id\n"): m`},
		{name: "message naming the file", err: Errorf(Position{File: "a\x1b.json"}, "%v", errors.New("open a\x1b.json: denied\nforged line")),
			want: `"a\x1b.json": open a\x1b.json: denied\nforged line`},
		{name: "message only", err: &InputError{Msg: "line\u2028separator"}, want: `line\u2028separator`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got := c.err.Error()
			if got != c.want {
				t.Fatalf("Error() = %q, want %q", got, c.want)
			}
			for _, r := range got {
				if unsafeRune(r) {
					t.Fatalf("Error() = %q holds %U", got, r)
				}
			}
		})
	}
}
