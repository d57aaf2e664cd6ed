package cli

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// readmeNow is the instant the documented example runs are judged at, so
// that the rules comparing a date with the current time give the same
// verdicts on any day (the excerpts avoid such verdicts anyway).
var readmeNow = time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)

// readmeRun is a fenced block of a Markdown page that starts with
// "$ kvguard …": the command, and the lines of its output the page shows.
type readmeRun struct {
	page    string
	line    int
	command string
	want    []string
}

// readmeShowcases are the runs issue 11 asks the README to show, each
// with the command and a few lines of its real output: a pattern over the
// command, and what it stands for.
var readmeShowcases = []struct {
	re   *regexp.Regexp
	what string
}{
	{regexp.MustCompile(`^kvguard rules --all$`), "the whole catalog"},
	{regexp.MustCompile(`^kvguard scan examples/terraform/certificates\b`), "certificates"},
	{regexp.MustCompile(`^kvguard scan examples/(terraform|arm|bicep)/managed-hsm\S* .*--all`), "managed HSMs and their keys"},
	{regexp.MustCompile(`^kvguard scan examples/\S+ .*-r keyvault-resource-logs -r managedhsm-resource-logs`), "diagnostic settings (resource logs)"},
	{regexp.MustCompile(`^kvguard scan \S+ .*--framework \S+`), "a framework report"},
	{regexp.MustCompile(`^kvguard scan examples/assignments/main\.json( --assignments examples/assignments/policy/\S+)+ --target-scope \S+`), "a Deny preview with an assignments file"},
}

// TestReadmeRunsAreReal: every "$ kvguard …" block of the README and of
// the examples' pages shows that command's real output. The lines a block
// shows must appear in what the command prints, in order; a line "…"
// stands for any number of lines left out, and lines shown next to each
// other must be next to each other in the output. The command runs as
// written from the repository's top (the table unwrapped, as in a wide
// terminal, unless it sets --width) and must not end in an input error.
// The README must show each of readmeShowcases.
func TestReadmeRunsAreReal(t *testing.T) {
	t.Parallel()
	root := filepath.Join("..", "..")
	pages := []string{"README.md"}
	err := filepath.WalkDir(filepath.Join(root, "examples"), func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".md") {
			rel, _ := filepath.Rel(root, path)
			pages = append(pages, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var runs []readmeRun
	for _, page := range pages {
		b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(page)))
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, readmeRuns(page, string(b))...)
	}
	shown := make([]bool, len(readmeShowcases))
	for _, r := range runs {
		if r.page != "README.md" {
			continue
		}
		for i, s := range readmeShowcases {
			shown[i] = shown[i] || s.re.MatchString(r.command)
		}
	}
	for i, s := range readmeShowcases {
		if !shown[i] {
			t.Errorf("README.md shows no run of %s with its output (a \"$ kvguard …\" block matching %s)", s.what, s.re)
		}
	}
	for _, r := range runs {
		t.Run(r.page+":"+strconv.Itoa(r.line), func(t *testing.T) {
			t.Parallel()
			checkReadmeRun(t, root, r)
		})
	}
}

// readmeRuns finds the "$ kvguard …" blocks of a page, indented (in a
// list item) or not. A command may go on over lines ending in a
// backslash.
func readmeRuns(page, text string) []readmeRun {
	var runs []readmeRun
	lines := strings.Split(text, "\n")
	for i := 0; i < len(lines); i++ {
		fence := strings.TrimLeft(lines[i], " ")
		indent := lines[i][:len(lines[i])-len(fence)]
		if !strings.HasPrefix(fence, "```") || i+1 >= len(lines) || !strings.HasPrefix(lines[i+1], indent+"$ kvguard ") {
			continue
		}
		unindent := func(l string) string { return strings.TrimRight(strings.TrimPrefix(l, indent), " ") }
		r := readmeRun{page: page, line: i + 2}
		j := i + 1
		cmd := strings.TrimPrefix(unindent(lines[j]), "$ ")
		for strings.HasSuffix(cmd, "\\") && j+1 < len(lines) {
			j++
			cmd = strings.TrimSuffix(cmd, "\\") + " " + strings.TrimSpace(lines[j])
		}
		r.command = strings.Join(strings.Fields(cmd), " ")
		for j++; j < len(lines) && !strings.HasPrefix(strings.TrimLeft(lines[j], " "), "```"); j++ {
			r.want = append(r.want, unindent(lines[j]))
		}
		runs = append(runs, r)
		i = j
	}
	return runs
}

// checkReadmeRun runs r's command and compares its output with the lines
// r shows.
func checkReadmeRun(t *testing.T, root string, r readmeRun) {
	t.Helper()
	args, err := splitCommand(r.command)
	if err != nil {
		t.Fatalf("%s:%d: %v", r.page, r.line, err)
	}
	args = args[1:] // kvguard
	hasWidth := false
	for i, a := range args {
		hasWidth = hasWidth || a == "--width" || strings.HasPrefix(a, "--width=")
		if strings.HasPrefix(a, "examples/") || a == "examples" {
			args[i] = filepath.Join(root, filepath.FromSlash(a))
		}
	}
	if len(args) > 0 && args[0] == "scan" && !hasWidth {
		args = append(args, "--width", "0")
	}
	code, out, errOut := runCLIAt(t, readmeNow, args...)
	if code != ExitOK && code != ExitFindings {
		t.Fatalf("%s:%d: %s: exit %d\nstderr:\n%s", r.page, r.line, r.command, code, errOut)
	}
	out = strings.ReplaceAll(out, filepath.ToSlash(filepath.Join(root, "examples"))+"/", "examples/")
	var got []string
	for l := range strings.SplitSeq(strings.TrimRight(out, "\n"), "\n") {
		got = append(got, strings.TrimRight(l, " "))
	}
	if len(r.want) == 0 {
		t.Fatalf("%s:%d: %s: the block shows no output", r.page, r.line, r.command)
	}
	if missing := matchExcerpt(got, r.want); missing != "" {
		t.Errorf("%s:%d: %s: the page shows a line the command does not print where it says:\n  %s\nthe command prints:\n%s",
			r.page, r.line, r.command, missing, strings.Join(got, "\n"))
	}
}

// matchExcerpt reports the first line of want that is not where want puts
// it in got: want's runs between "…" lines must each appear in got as
// consecutive lines, in order.
func matchExcerpt(got, want []string) string {
	var chunks [][]string
	chunk := []string{}
	for _, w := range want {
		if w == "…" || w == "..." {
			chunks = append(chunks, chunk)
			chunk = []string{}
			continue
		}
		chunk = append(chunk, w)
	}
	chunks = append(chunks, chunk)
	at := 0
	for _, c := range chunks {
		if len(c) == 0 {
			continue
		}
		found := -1
		for i := at; i+len(c) <= len(got) && found < 0; i++ {
			if equalLines(got[i:i+len(c)], c) {
				found = i
			}
		}
		if found < 0 {
			return firstUnmatched(got[at:], c)
		}
		at = found + len(c)
	}
	return ""
}

func equalLines(a, b []string) bool {
	for i := range b {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// firstUnmatched names the line of a chunk that breaks it: the first
// line not printed at all, else the chunk's first line (its lines are
// printed, but not together).
func firstUnmatched(got, chunk []string) string {
	for _, w := range chunk {
		found := false
		for _, g := range got {
			found = found || g == w
		}
		if !found {
			return w
		}
	}
	return chunk[0] + "  (and the lines after it, not printed together)"
}

// splitCommand splits a documented command line into arguments: fields
// separated by spaces, with single quotes around a field kept together.
func splitCommand(s string) ([]string, error) {
	var args []string
	var cur strings.Builder
	inField, quoted := false, false
	for _, r := range s {
		switch {
		case r == '\'':
			quoted = !quoted
			inField = true
		case r == ' ' && !quoted:
			if inField {
				args = append(args, cur.String())
				cur.Reset()
				inField = false
			}
		case strings.ContainsRune("|<>;&$`\"", r) && !quoted:
			return nil, &commandError{s}
		default:
			cur.WriteRune(r)
			inField = true
		}
	}
	if quoted {
		return nil, &commandError{s}
	}
	if inField {
		args = append(args, cur.String())
	}
	return args, nil
}

// commandError is a documented command the test cannot run in-process.
type commandError struct{ command string }

func (e *commandError) Error() string {
	return "cannot run " + e.command + " in-process: only plain arguments and single quotes are understood"
}
