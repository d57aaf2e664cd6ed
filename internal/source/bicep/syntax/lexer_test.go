package syntax

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLex(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  string
		want []string // kind:value for string and identifier tokens, the kind otherwise
	}{
		{"operators", "a ?? b ?: c :: d => e .? f ... g !~ h =~ i != j == k <= l >= m && n || o",
			[]string{"a", "??", "b", "?", ":", "c", "::", "d", "=>", "e", ".", "?", "f", "...", "g", "!~", "h", "=~", "i", "!=", "j", "==", "k", "<=", "l", ">=", "m", "&&", "n", "||", "o"}},
		{"keywords are identifiers", "resource if for in true false null", []string{"resource", "if", "for", "in", "true", "false", "null"}},
		{"escapes", `'a\'b\\c\nd\$e\u{263A}'`, []string{"string:a'b\\c\nd$e☺"}},
		{"interpolation", "'a${b}c${d}e'", []string{"string-left:a", "b", "string-middle:c", "d", "string-right:e"}},
		{"nested braces in a hole", "'${f({})}'", []string{"string-left:", "f", "(", "{", "}", ")", "string-right:"}},
		{"escaped interpolation", `'\${x}'`, []string{"string:${x}"}},
		{"multi-line string", "'''\nab'c\n'''", []string{"string:ab'c\n"}},
		{"multi-line with CRLF", "'''\r\nab\r\n'''", []string{"string:ab\r\n"}},
		{"extra closing quotes", "''''a''''", []string{"string:'a'"}},
		{"interpolated multi-line", "$'''${a} $${b}'''", []string{"string-left:", "a", "string-middle: $", "b", "string-right:"}},
		{"comments and directives", "a // c1\n#disable-next-line BCP081\n/* c2\n */ b", []string{"a", "new line", "new line", "b"}},
		{"new lines collapse", "a\n\n\r\n\nb", []string{"a", "new line", "b"}},
		{"byte order mark", "\uFEFFparam", []string{"param"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := lex(tc.src, "t.bicep")
			if len(l.errs) > 0 {
				t.Fatalf("errors: %v", l.errs)
			}
			var got []string
			for _, tok := range l.toks {
				switch tok.kind {
				case TokEOF:
				case TokIdent, TokTrue, TokFalse, TokNull:
					got = append(got, tok.text(l.src))
				case TokString:
					got = append(got, "string:"+stringValue(l.src, tok))
				case TokStringLeft:
					got = append(got, "string-left:"+stringValue(l.src, tok))
				case TokStringMiddle:
					got = append(got, "string-middle:"+stringValue(l.src, tok))
				case TokStringRight:
					got = append(got, "string-right:"+stringValue(l.src, tok))
				default:
					got = append(got, tok.kind.String())
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("tokens (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLexPositions(t *testing.T) {
	t.Parallel()
	l := lex("var x = 'é'\n  y", "t.bicep")
	var got []string
	for _, tok := range l.toks {
		got = append(got, tok.pos().String()+"-"+tok.endPos().String())
	}
	// Columns count code points: 'é' is one column, two bytes.
	want := []string{"1:1-1:4", "1:5-1:6", "1:7-1:8", "1:9-1:12", "1:12-1:12", "2:3-2:4", "2:4-2:4"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("positions (-want +got):\n%s", diff)
	}
	if len(l.comments) != 0 {
		t.Errorf("comments = %v", l.comments)
	}
}

func TestLexErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		src, want string
	}{
		{"'abc", "t.bicep:1:1: unterminated string"},
		{"'abc\nx", "t.bicep:1:1: unterminated string: strings cannot span lines"},
		{`'\q'`, `t.bicep:1:2: invalid escape sequence`},
		{`'\u{110000}'`, `t.bicep:1:2: invalid escape sequence`},
		{"'''abc", "t.bicep:1:1: unterminated multi-line string"},
		{"/* abc", "t.bicep:1:1: unterminated multi-line comment"},
		{`"abc"`, `t.bicep:1:1: strings use single quotes`},
		{"a § b", `t.bicep:1:3: unexpected character "§"`},
		{"'${a\n}'", "t.bicep:1:5: unterminated string: new line in an interpolation"},
	}
	for _, tc := range tests {
		l := lex(tc.src, "t.bicep")
		if len(l.errs) == 0 || !strings.HasPrefix(l.errs[0].Error(), tc.want) {
			t.Errorf("lex(%q) errors = %v, want one starting %q", tc.src, l.errs, tc.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		src, want string
	}{
		{"param", "t.bicep:1:6: expected a parameter name, found 'end of file'"},
		{"resource kv 'T@v' = 1", "t.bicep:1:21: expected '{', 'if' or '[for', found '1'"},
		{"var x = [for i in y: ]", "t.bicep:1:22: expected an expression, found ']'"},
		{"var x = {a: 1 b: 2}", "t.bicep:1:15: expected a new line or ',' before 'b'"},
		{"var x = f(1 2)", "t.bicep:1:13: expected ')', found '2'"},
		{"@description('x') var y = 1", "t.bicep:1:19: expected a new line after the decorator, found 'var'"},
		{"var x = 1 var y = 2", "t.bicep:1:11: expected a new line after the declaration, found 'var'"},
		{"bogus x", "t.bicep:1:1: expected a declaration (param, var, resource, module, output, ...), found 'bogus'"},
		{"var x = 99999999999999999999", "t.bicep:1:9: integer 99999999999999999999 is too large"},
		{"var x = '${ {} }'", "t.bicep:1:13: objects are not allowed here"},
	}
	for _, tc := range tests {
		f, err := Parse([]byte(tc.src), "t.bicep")
		if f == nil {
			t.Errorf("Parse(%q) returned no tree", tc.src)
		}
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("Parse(%q) error = %v, want one starting %q", tc.src, err, tc.want)
		}
	}
}

// TestParseRecovers checks that a syntax error costs only its own
// declaration: parsing resumes at the next declaration.
func TestParseRecovers(t *testing.T) {
	t.Parallel()
	src := "var a = (1 +\nvar b = 2\n@description('x')\nresource r 'T@v' = {\n  name: 'r'\n  bad: = 3\n}\nparam c string\n"
	f, err := Parse([]byte(src), "t.bicep")
	if err == nil {
		t.Fatal("no error")
	}
	var names []string
	for _, d := range f.Decls {
		switch x := d.(type) {
		case *VarDecl:
			names = append(names, x.Name.Name)
		case *ParamDecl:
			names = append(names, x.Name.Name)
		case *ResourceDecl:
			names = append(names, x.Name.Name)
		}
	}
	if diff := cmp.Diff([]string{"b", "c"}, names); diff != "" {
		t.Errorf("declarations kept (-want +got):\n%s", diff)
	}
	if got := len(unjoin(err)); got != 2 {
		t.Errorf("got %d errors, want 2: %v", got, err)
	}
}
