package markdown

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kvguard/kvguard/internal/assess"
	"github.com/kvguard/kvguard/internal/report/reporttest"
)

func write(t *testing.T, w Writer, r *assess.Result) string {
	t.Helper()
	var buf bytes.Buffer
	if err := w.Write(&buf, r); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestGolden(t *testing.T) {
	t.Parallel()
	for _, c := range reporttest.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			out := write(t, Writer{ToolVersion: reporttest.ToolVersion}, c.Result(t))
			reporttest.Golden(t, c.Name+".md", []byte(out))
			checkTables(t, out)
		})
	}
}

// checkTables asserts that every table row has as many cells as its
// header: a "|" from the scan that was not escaped would add one.
func checkTables(t *testing.T, out string) {
	t.Helper()
	want := -1
	for i, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "|") {
			want = -1
			continue
		}
		n := cells(line)
		if want < 0 {
			want = n
		} else if n != want {
			t.Errorf("line %d has %d cells, its table %d: %s", i+1, n, want, line)
		}
	}
}

func cells(line string) int {
	n := 0
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '\\':
			i++
		case '|':
			n++
		}
	}
	return n
}

// TestCommentLimit writes a scan with thousands of findings: the summary
// stays within GitHub's comment limit (in characters and in bytes), says
// how many findings it left out, and accounts for every one.
func TestCommentLimit(t *testing.T) {
	t.Parallel()
	r := reporttest.Large(t, 3000, 3000)
	listed := 0
	for a := range r.All() {
		if a.Status == assess.Unhealthy || a.Status == assess.Unknown || a.Status == assess.Exempt {
			listed++
		}
	}
	for _, limit := range []int{0, 20000} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			t.Parallel()
			out := write(t, Writer{ToolVersion: "1", Limit: limit}, r)
			most := limit
			if most == 0 {
				most = CommentLimit
			}
			if len(out) > most || utf8.RuneCountInString(out) > most {
				t.Errorf("%d bytes, %d characters; the limit is %d", len(out), utf8.RuneCountInString(out), most)
			}
			if !strings.Contains(out, "</sub>\n") || !strings.HasSuffix(out, "</sub>\n") {
				t.Error("the footer was cut")
			}
			rows := strings.Count(out, "\n| ❌") + strings.Count(out, "\n| ❔") + strings.Count(out, "\n| ⏸️")
			var more int
			if _, err := fmt.Sscanf(out[strings.Index(out, "> [!NOTE]\n> ")+len("> [!NOTE]\n> "):], "%d more", &more); err != nil {
				t.Fatalf("no truncation note: %v", err)
			}
			if rows+more != listed {
				t.Errorf("%d rows + %d left out = %d, want the %d findings", rows, more, rows+more, listed)
			}
			if strings.Count(out, "<details>") != strings.Count(out, "</details>") {
				t.Error("a collapsible section is not closed")
			}
		})
	}
}

func TestTopFindingsBySeverity(t *testing.T) {
	t.Parallel()
	r := reporttest.Large(t, 40, 40)
	top, err := topFindings(r)
	if err != nil {
		t.Fatal(err)
	}
	if len(top) != TopFindings {
		t.Fatalf("%d top findings, want %d", len(top), TopFindings)
	}
	for i := 1; i < len(top); i++ {
		if top[i].Recommendation.Severity.Rank() > top[i-1].Recommendation.Severity.Rank() {
			t.Errorf("finding %d (%s) ranks above finding %d (%s)", i, top[i].Recommendation.Severity, i-1, top[i-1].Recommendation.Severity)
		}
		if top[i].Status != assess.Unhealthy {
			t.Errorf("finding %d is %s", i, top[i].Status)
		}
	}
}

func TestEscape(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"kv-prod", "kv-prod"},
		{"- item", `\- item`},
		{"12. item", `12\. item`},
		{"v1.2", "v1.2"},
		{"[x](https://evil.example)", `\[x\](https://evil.example)`},
		{"@org/team", `\@org/team`},
		{"a|b", `a\|b`},
		{"<img src=x onerror=alert(1)>", `\<img src=x onerror=alert(1)\>`},
		{"**bold** _it_ ~~s~~", `\*\*bold\*\* \_it\_ \~\~s\~\~`},
		{"`code`", "\\`code\\`"},
		{"line\nbreak", `line\\nbreak`},
		{"&amp;", `\&amp;`},
		{"#12", `\#12`},
		{"ключ", "ключ"},
	}
	for _, tt := range tests {
		if got := escape(tt.in); got != tt.want {
			t.Errorf("escape(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCodeFence(t *testing.T) {
	t.Parallel()
	for body, want := range map[string]string{"plain": "```", "a ``` b": "````", "`x`": "```"} {
		if got := codeFence(body); got != want {
			t.Errorf("codeFence(%q) = %q, want %q", body, got, want)
		}
	}
}

func TestWriteError(t *testing.T) {
	t.Parallel()
	reporttest.CheckWriteError(t, Writer{})
}

func BenchmarkWrite(b *testing.B) { reporttest.BenchmarkLarge(b, Writer{}) }
