package cli

import (
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestHelpAndMessages: what a new user meets first reads right.
func TestHelpAndMessages(t *testing.T) {
	t.Parallel()
	cases := []cliCase{
		{name: "mistyped-scan-flag", args: []string{"scan", examples, "--fial-on", "high"}, wantExit: ExitError,
			wantErr: []string{"unknown flag: --fial-on", "Run 'kvguard scan --help' for usage."}},
		{name: "mistyped-root-flag", args: []string{"--bogus"}, wantExit: ExitError,
			wantErr: []string{"Run 'kvguard --help' for usage."}},
		{name: "bad-fail-on-lists-none", args: []string{"scan", examples, "--fail-on", "severe"}, wantExit: ExitError,
			wantErr: []string{"low, medium, high or none"}},
		{name: "scan-help-cloud", args: []string{"scan", "--help"}, wantExit: ExitOK,
			wantOut: []string{"--cloud string", "'az cloud show -o json'", "--save string", "'kvguard scan FILE'", "-v, --verbose"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runCLI(t, c.args, c.stdin)
			if code != c.wantExit {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, c.wantExit, out, errOut)
			}
			// Help is wrapped to the width: compare words, not lines.
			flat := strings.Join(strings.Fields(out), " ")
			for _, w := range c.wantOut {
				if !strings.Contains(flat, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			for _, w := range c.wantErr {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
		})
	}
}

// TestVersionOnce: version and --version print the same line, and -v
// is not a second spelling of it (under scan it is --verbose).
func TestVersionOnce(t *testing.T) {
	t.Parallel()
	_, a, _ := runCLI(t, []string{"version"}, "")
	_, b, _ := runCLI(t, []string{"--version"}, "")
	if a != b || !strings.HasPrefix(a, "kvguard ") {
		t.Errorf("version printed %q, --version %q", a, b)
	}
	if code, _, _ := runCLI(t, []string{"-v"}, ""); code != ExitError {
		t.Errorf("kvguard -v: exit %d, want %d (no -v at the top)", code, ExitError)
	}
}

// TestOutputFitsWidth: every line of the table and of rules fits the
// width (80 when standard output is not a terminal, as here), live-scan
// length reasons included.
func TestOutputFitsWidth(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args  []string
		width int
	}{
		{[]string{"scan", "../../examples", "-v"}, 80},
		{[]string{"scan", "../../examples", "-v", "--width", "200"}, 200},
		{[]string{"scan", "../../examples", "--width", "40"}, 40},
		{[]string{"rules"}, 80},
		{[]string{"rules", "--width", "50"}, 50},
	} {
		_, out, _ := runCLI(t, c.args, "")
		if !strings.Contains(out, "\n") {
			t.Fatalf("%v printed nothing", c.args)
		}
		for _, line := range strings.Split(out, "\n") {
			if n := len([]rune(line)); n > c.width {
				t.Errorf("%v: a line of %d columns: %q", c.args, n, line)
			}
		}
		if strings.Contains(out, "\x1b[") {
			t.Errorf("%v: colour in a pipe", c.args)
		}
	}
}

func TestColorWanted(t *testing.T) {
	t.Parallel()
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	cases := []struct {
		tty  bool
		env  map[string]string
		want bool
	}{
		{true, nil, true},
		{false, nil, false},
		{true, map[string]string{"NO_COLOR": "1"}, false},
		{true, map[string]string{"TERM": "dumb"}, false},
	}
	for _, c := range cases {
		if got := colorWanted(c.tty, env(c.env)); got != c.want {
			t.Errorf("tty %v env %v: %v, want %v", c.tty, c.env, got, c.want)
		}
	}
}

// TestHelpFitsWidth: every command's --help fits 80 columns (standard
// output is not a terminal here), its description refilled, its flags
// wrapped under their descriptions.
func TestHelpFitsWidth(t *testing.T) {
	t.Parallel()
	var paths [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		paths = append(paths, path)
		for _, sub := range c.Commands() {
			walk(sub, append(slices.Clone(path), sub.Name()))
		}
	}
	walk(newRootCmd(&app{}, new(slog.LevelVar)), nil)
	if len(paths) < 8 {
		t.Fatalf("only %d commands found", len(paths))
	}
	for _, p := range paths {
		code, out, errOut := runCLI(t, append(p, "--help"), "")
		if code != ExitOK {
			t.Errorf("%v --help: exit %d: %s", p, code, errOut)
			continue
		}
		for _, line := range strings.Split(out, "\n") {
			if n := len([]rune(line)); n > defaultWidth {
				t.Errorf("kvguard %s --help: a line of %d columns:\n%s", strings.Join(p, " "), n, line)
			}
		}
	}
	// The flags' descriptions are wrapped, not cut: a long one is whole.
	_, out, _ := runCLI(t, []string{"scan", "--help"}, "")
	if !strings.Contains(out, "      --width int                  table: wrap lines to this many columns, 0 for\n                                   none") {
		t.Errorf("scan --help: --width's description is not wrapped under itself:\n%s", out)
	}
}

func TestFitHelp(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, in string
		width    int
		want     string
	}{
		{"a paragraph is refilled", "one two three\nfour five\n\nUsage:\n", 10, "one two\nthree four\nfive\n\nUsage:\n"},
		{"a listed line hangs under its description", "Usage:\n  -a, --all   judge every one of them\n", 34, "Usage:\n  -a, --all   judge every one of\n              them\n"},
		{"too narrow a description column: left whole", "Usage:\n  -a, --all   judge every one of them\n", 30, "Usage:\n  -a, --all   judge every one of them\n"},
		{"an example is left whole", "Usage:\n  kvguard scan ./a/very/long/path\n", 10, "Usage:\n  kvguard scan ./a/very/long/path\n"},
		{"short lines are untouched", "Usage:\n  kvguard   x\n", 80, "Usage:\n  kvguard   x\n"},
	}
	for _, c := range cases {
		if got := fitHelp(c.in, c.width); got != c.want {
			t.Errorf("%s: got\n%q\nwant\n%q", c.name, got, c.want)
		}
	}
}

// TestTableLayout: the terminal's width and colour apply to standard
// output on a terminal only; a report file gets 80 columns and no
// colour; --width wins, within the narrowest table laid out.
func TestTableLayout(t *testing.T) {
	t.Parallel()
	tty := &app{io: IOStreams{OutWidth: 120, OutColor: true}}
	pipe := &app{}
	cases := []struct {
		name      string
		a         *app
		toStdout  bool
		flag      int
		width     int
		wantColor bool
	}{
		{"terminal", tty, true, -1, 120, true},
		{"a file beside a terminal", tty, false, -1, defaultWidth, false},
		{"a pipe", pipe, true, -1, defaultWidth, false},
		{"--width 200 in a pipe", pipe, true, 200, 200, false},
		{"--width 10 on a terminal", tty, true, 10, minWidth, true},
		{"--width 0: no wrapping", tty, true, 0, 0, true},
	}
	for _, c := range cases {
		w, color := c.a.tableLayout(c.toStdout, c.flag)
		if w != c.width || color != c.wantColor {
			t.Errorf("%s: width %d colour %v, want %d %v", c.name, w, color, c.width, c.wantColor)
		}
	}
}
