package table

import (
	"bytes"
	"strings"
	"testing"
	"unicode"

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
		width int
		in    string
		want  string
	}{
		{0, "no wrapping at all", "no wrapping at all"},
		{30, "too narrow to wrap usefully at all", "too narrow to wrap usefully at all"},
		{40, "one two three four five six seven eight nine", "one two three four five\n" + strings.Repeat(" ", 10) + "six seven eight nine"},
		{40, "ключ ключ ключ ключ ключ", "ключ ключ ключ ключ ключ"}, // 24 runes, 44 bytes
		{40, "a-single-word-longer-than-the-whole-line-stays whole", "a-single-word-longer-than-the-whole-line-stays\n" + strings.Repeat(" ", 10) + "whole"},
	}
	for _, tt := range tests {
		if got := (Writer{Width: tt.width}).wrap(tt.in, 15, 10); got != tt.want {
			t.Errorf("width %d: wrap(%q) = %q, want %q", tt.width, tt.in, got, tt.want)
		}
	}
}

func TestWriteError(t *testing.T) {
	t.Parallel()
	reporttest.CheckWriteError(t, Writer{})
}
