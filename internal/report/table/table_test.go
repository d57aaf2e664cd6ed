package table

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/kvguard/kvguard/internal/assess"
	"github.com/kvguard/kvguard/internal/report/reporttest"
	"github.com/kvguard/kvguard/internal/source/saved"
)

func examples(tb testing.TB) *assess.Result {
	return reporttest.Scan(tb, saved.New(saved.Options{}).Read,
		"../../../examples/azure/vaults.json", "../../../examples/azure/secrets-arm.json", "../../../examples/azure/keys-az-cli.json")
}

func TestGolden(t *testing.T) {
	t.Parallel()
	type goldenCase struct {
		name   string
		writer Writer
		result func(tb testing.TB) *assess.Result
	}
	cases := []goldenCase{
		{"examples-azure", Writer{}, examples},
		{"examples-azure-verbose", Writer{Verbose: true}, examples},
		{"statuses-wrapped", Writer{Width: 80}, reporttest.Cases()[1].Result},
	}
	for _, c := range reporttest.Cases() {
		cases = append(cases, goldenCase{c.Name, Writer{}, c.Result})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if err := c.writer.Write(&buf, c.result(t)); err != nil {
				t.Fatal(err)
			}
			reporttest.Golden(t, c.name, buf.Bytes())
		})
	}
}

// TestOneFindingPerLine: text from the input (names, reasons, file names)
// cannot add lines or send control sequences to the terminal.
func TestOneFindingPerLine(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := (Writer{Verbose: true}).Write(&buf, reporttest.Constructed(t)); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, r := range out {
		if r != '\n' && (unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || r == '\u202e') {
			t.Errorf("output has control character %U", r)
		}
	}
	if !strings.Contains(out, `line one\nline two\ttab \u2028 separator, invalid `+"\uFFFD"+` byte`) {
		t.Errorf("the reason is not shown escaped on one line:\n%s", out)
	}
}

func TestPrintable(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"plain ключ", "plain ключ"},
		{"a\nb", `a\nb`},
		{"\x1b[31mred", `\x1b[31mred`},
		{"tab\there", `tab\there`},
		{"rtl \u202e override", `rtl \u202e override`},
		{"bad \xff", "bad \uFFFD"},
		{"c1 \u0085", `c1 \u0085`},
	}
	for _, tt := range tests {
		if got := printable(tt.in); got != tt.want {
			t.Errorf("printable(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestWrap(t *testing.T) {
	t.Parallel()
	tests := []struct {
		first, rest int
		in          string
		want        []string
	}{
		{0, 0, "no wrapping at all", []string{"no wrapping at all"}},
		{25, 20, "one two three four five six seven eight nine", []string{"one two three four five", "six seven eight nine"}},
		{40, 40, "ключ ключ ключ ключ ключ", []string{"ключ ключ ключ ключ ключ"}}, // 24 runes, 44 bytes
		{10, 10, "ключ ключ ключ", []string{"ключ ключ", "ключ"}},
		// A word longer than a line is cut: no line is wider than asked.
		{20, 20, "at /subscriptions/0000/resourceGroups/rg/kv1 now", []string{"at", "/subscriptions/0000/", "resourceGroups/rg/kv", "1 now"}},
		{10, 6, "abcdefghijklmnop", []string{"abcdefghij", "klmnop"}},
		{5, 5, "", []string{""}},
	}
	for _, tt := range tests {
		got := Wrap(tt.in, tt.first, tt.rest)
		if strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("Wrap(%q, %d, %d) = %q, want %q", tt.in, tt.first, tt.rest, got, tt.want)
		}
		for i, l := range got {
			limit := tt.rest
			if i == 0 {
				limit = tt.first
			}
			if limit > 0 && len([]rune(l)) > limit {
				t.Errorf("Wrap(%q): line %q is wider than %d", tt.in, l, limit)
			}
		}
	}
}

func TestWriteError(t *testing.T) {
	t.Parallel()
	reporttest.CheckWriteError(t, Writer{})
}

// TestEveryLineFits: at any width, no line is wider than the terminal,
// whatever the names, reasons and paths; colour adds no width.
func TestEveryLineFits(t *testing.T) {
	t.Parallel()
	results := map[string]*assess.Result{"examples": examples(t), "constructed": reporttest.Constructed(t)}
	for _, c := range reporttest.Cases() {
		results[c.Name] = c.Result(t)
	}
	ansi := regexp.MustCompile("\x1b\\[[0-9;]*m")
	for name, res := range results {
		for _, width := range []int{40, 80, 120, 200} {
			for _, color := range []bool{false, true} {
				var buf bytes.Buffer
				if err := (Writer{Verbose: true, Width: width, Color: color}).Write(&buf, res); err != nil {
					t.Fatal(err)
				}
				out := buf.String()
				if color != strings.Contains(out, "\x1b[") && strings.Contains(out, "Unhealthy") {
					t.Errorf("%s: colour %v, but escape sequences present: %v", name, color, !color)
				}
				for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
					if n := utf8.RuneCountInString(ansi.ReplaceAllString(line, "")); n > width {
						t.Errorf("%s at %d columns (colour %v): a line of %d: %q", name, width, color, n, line)
					}
				}
			}
		}
	}
}
