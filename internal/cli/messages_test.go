package cli

import (
	"bytes"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kvguard/kvguard/internal/report"
	"github.com/kvguard/kvguard/internal/resource"
)

func TestEscapeTerminal(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"main.tf:3: a \"quoted\" name": "main.tf:3: a \"quoted\" name",
		"infra/ключ.json":              "infra/ключ.json",
		"evil\x1b[2J.json":             `evil\x1b[2J.json`,
		"two\nlines":                   `two\nlines`,
		"tab\there":                    `tab\there`,
		"bidi\u202egnp.exe":            `bidi\u202egnp.exe`,
		"bad\xffutf8":                  `bad\xffutf8`,
	} {
		if got := escapeTerminal(in); got != want {
			t.Errorf("escapeTerminal(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestKindOf(t *testing.T) {
	t.Parallel()
	for msg, want := range map[string]string{
		"duplicate resource ID /subscriptions/s (first at a.json:3)":               "duplicate resource ID",
		"not a recognised Azure resource JSON shape: found an object":              "not a recognised Azure resource JSON shape",
		`the object has no property "location" (it has name)`:                      "the object has no property",
		"registry module br/public:avm/res/key-vault/vault:0.9.0 was not followed": "registry module br",
		"":        "other",
		"42 is 3": "other",
	} {
		if got := kindOf(msg); got != want {
			t.Errorf("kindOf(%q) = %q, want %q", msg, got, want)
		}
	}
}

// At scale, stderr lists the first problems and counts the rest by kind,
// saying where every one is kept; under the limit it lists them all.
func TestPrintMessages(t *testing.T) {
	t.Parallel()
	jsonFormat, err := report.Lookup("json")
	if err != nil {
		t.Fatal(err)
	}
	var many []*resource.InputError
	for i := range 30 {
		many = append(many, resource.Warnf(resource.Position{File: fmt.Sprintf("w%02d.json", i%7), Line: i + 1}, "duplicate resource ID /x/%d", i))
	}
	for i := range 3 {
		many = append(many, resource.Errorf(resource.Position{File: "z.json", Line: i + 1}, "invalid JSON: expected ','"))
	}
	cases := []struct {
		name     string
		errs     []*resource.InputError
		outs     []output
		lines    int
		want     []string
		wantNone []string
	}{
		{"few", many[:maxListed], nil, maxListed, nil, []string{"more"}},
		{"many", many, []output{{format: jsonFormat, path: "out.json"}}, maxListed + 4, []string{
			"kvguard: error: z.json:1: invalid JSON", // errors first
			"… and 13 more; in all 3 errors and 30 warnings, in 8 files:",
			"3 error   invalid JSON (1 file)",
			"30 warning duplicate resource ID (7 files)",
			"every message is in out.json",
		}, nil},
		{"many-no-json", many, nil, maxListed + 4, []string{"add --format json=kvguard.json"}, nil},
	}
	for _, tc := range cases {
		var b bytes.Buffer
		printMessages(&b, slices.Values(tc.errs), tc.outs, false)
		got := b.String()
		if n := strings.Count(got, "\n"); n != tc.lines {
			t.Errorf("%s: %d lines, want %d:\n%s", tc.name, n, tc.lines, got)
		}
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: no %q in:\n%s", tc.name, w, got)
			}
		}
		for _, w := range tc.wantNone {
			if strings.Contains(got, w) {
				t.Errorf("%s: %q in:\n%s", tc.name, w, got)
			}
		}
		if tc.name == "many" && !strings.HasPrefix(got, "kvguard: error: z.json:1:") {
			t.Errorf("errors are not listed first:\n%s", got)
		}
	}
}

// A scan with many problems prints a bounded summary on stderr, keeps
// every problem in the JSON report, and still exits 2.
func TestScanSummarisesManyMessages(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const n = 3 * maxListed
	for i := range n {
		write(t, filepath.Join(dir, fmt.Sprintf("bad%03d.json", i)), `{"value": [{"id": "/subscriptions/s/resourceGroups/r/providers/Microsoft.KeyVault/vaults/x" "type": 1}]}`)
	}
	code, out, errOut := runCLI(t, []string{"scan", dir, "--format", "json"}, "")
	if code != ExitError {
		t.Errorf("exit %d, want 2", code)
	}
	if lines := strings.Count(errOut, "\n"); lines > maxListed+6 {
		t.Errorf("%d lines on stderr for %d problems:\n%s", lines, n, errOut)
	}
	if !strings.Contains(errOut, fmt.Sprintf("in all %d errors", n)) {
		t.Errorf("stderr does not count the problems:\n%s", errOut)
	}
	if got := len(parseScanReport(t, out).Errors); got != n {
		t.Errorf("the JSON report keeps %d problems, want %d", got, n)
	}
}
