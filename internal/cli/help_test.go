package cli

import (
	"strings"
	"testing"
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
			for _, w := range c.wantOut {
				if !strings.Contains(out, w) {
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
