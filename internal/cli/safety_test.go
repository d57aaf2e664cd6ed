package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMalformedPolicyField: a custom policy whose field is tags['] (which
// panicked in policy.tagName, found by FuzzDefinition) is a usage error
// naming the definition's file and line, never a panic.
func TestMalformedPolicyField(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "p.json")
	def := `{"properties":{"mode":"All","policyRule":{"if":{"field":"tags[']","exists":true},"then":{"effect":"audit"}}}}`
	if err := os.WriteFile(p, []byte(def), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, []string{"scan", "--policy", p, examples}, "")
	if code != ExitError || !strings.Contains(stderr, "p.json:1:") || !strings.Contains(stderr, `tags[']`) {
		t.Fatalf("exit %d, stderr %q: want exit 2 and an error at p.json:1 naming the field", code, stderr)
	}
}

// TestFileNamesAreEscapedOnStderr: a file name holding an escape sequence
// and a newline reaches stderr escaped, in input errors and in the error
// printer; the report is still written.
func TestFileNamesAreEscapedOnStderr(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	name := filepath.Join(dir, "a\x1b[31mb\n.json")
	if err := os.WriteFile(name, []byte(`{"value": [`), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "gone\x1b]0;title\a\u202e.json")
	cases := []struct {
		name     string
		args     []string
		wantExit int
		wantErr  string
		wantOut  string
	}{
		{name: "bad input", args: []string{"scan", name, examples}, wantExit: ExitError, wantErr: `a\x1b[31mb\n.json":1:`, wantOut: "kv-legacy"},
		{name: "missing input", args: []string{"scan", missing}, wantExit: ExitError, wantErr: `gone\x1b]0;title\a\u202e.json"`},
		{name: "bad policy", args: []string{"scan", "--policy", name, examples}, wantExit: ExitError, wantErr: `a\x1b[31mb\n.json:1:`},
		{name: "missing policy", args: []string{"scan", "--policy", missing, examples}, wantExit: ExitError, wantErr: `gone\x1b]0;title\a\u202e.json`},
		{name: "inspect", args: []string{"inspect", name}, wantExit: ExitError, wantErr: `a\x1b[31mb\n.json":1:`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runCLI(t, c.args, "")
			if code != c.wantExit {
				t.Errorf("exit %d, want %d", code, c.wantExit)
			}
			if !strings.Contains(stderr, c.wantErr) {
				t.Errorf("stderr %q lacks %q", stderr, c.wantErr)
			}
			if strings.ContainsAny(stderr, "\x1b\a\r\u202e") || strings.Contains(stderr, "b\n.json") {
				t.Errorf("a control character reached stderr raw: %q", stderr)
			}
			if !strings.Contains(stdout, c.wantOut) {
				t.Errorf("stdout lacks %q", c.wantOut)
			}
		})
	}
}
