package htmlreport

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"html"
	"regexp"
	"strings"
	"testing"

	"github.com/kvguard/kvguard/internal/report/reporttest"
)

func TestGolden(t *testing.T) {
	t.Parallel()
	for _, c := range reporttest.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if err := (Writer{ToolVersion: reporttest.ToolVersion}).Write(&buf, c.Result(t)); err != nil {
				t.Fatal(err)
			}
			reporttest.Golden(t, c.Name+".html", buf.Bytes())
			checkSelfContained(t, buf.String())
		})
	}
}

var (
	cspMeta   = regexp.MustCompile(`<meta http-equiv="Content-Security-Policy" content="([^"]*)">`)
	styleEl   = regexp.MustCompile(`(?s)<style>(.*?)</style>`)
	scriptEl  = regexp.MustCompile(`(?s)<script>(.*?)</script>`)
	anchorIDs = regexp.MustCompile(`<section class="vault" id="([^"]*)">`)
	external  = regexp.MustCompile(`(?i)\bsrc=|href="(?:https?:|//)|url\(|@import|<link\b|<iframe|<object|<embed`)
)

// checkSelfContained asserts what the browser test shows, without a
// browser: one style and one script, both named by their hash in the
// page's CSP; nothing loaded from elsewhere; text from the scan never
// becomes markup; every vault anchor unique.
func checkSelfContained(t *testing.T, page string) {
	t.Helper()
	m := cspMeta.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no Content-Security-Policy meta element")
	}
	csp := html.UnescapeString(m[1])
	for _, el := range []*regexp.Regexp{styleEl, scriptEl} {
		all := el.FindAllStringSubmatch(page, -1)
		if len(all) != 1 {
			t.Fatalf("%d %s elements, want 1", len(all), el)
		}
		sum := sha256.Sum256([]byte(all[0][1]))
		if h := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !strings.Contains(csp, h) {
			t.Errorf("the CSP %q does not name the inline content's hash %s", csp, h)
		}
	}
	if !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("the CSP is not strict: %q", csp)
	}
	if loc := external.FindStringIndex(page); loc != nil {
		t.Errorf("the page refers to something outside it: %q", page[max(0, loc[0]-40):min(len(page), loc[1]+40)])
	}
	if n := strings.Count(page, "<script"); n != 1 {
		t.Errorf("%d script elements: text from the scan became markup", n)
	}
	seen := map[string]bool{}
	for _, id := range anchorIDs.FindAllStringSubmatch(page, -1) {
		if seen[id[1]] {
			t.Errorf("anchor %s used twice", id[1])
		}
		seen[id[1]] = true
		if !strings.Contains(page, `href="#`+id[1]+`"`) {
			t.Errorf("no link to the vault section %s", id[1])
		}
	}
}

func TestNameToAnchor(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"kv-Prod01", "kv-prod01"},
		{`kv-"odd" <b>&amp;</b> ключ`, "kv-oddbampb"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := name2anchor(tt.in); got != tt.want {
			t.Errorf("name2anchor(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCharts(t *testing.T) {
	t.Parallel()
	c := newChart("x", "t", []string{"a", "b", "c"}, []string{"bar-high", "bar-low", "bar-other"}, []int{10, 1, 0})
	if c.Height != 3*rowHeight || len(c.Bars) != 3 {
		t.Fatalf("chart %+v", c)
	}
	if c.Bars[0].BarWidth != barSpace {
		t.Errorf("the largest bar is %d px, want %d", c.Bars[0].BarWidth, barSpace)
	}
	if c.Bars[1].BarWidth < 2 {
		t.Errorf("a bar of 1 is %d px: invisible", c.Bars[1].BarWidth)
	}
	if c.Bars[2].BarWidth != 0 {
		t.Errorf("a bar of 0 is %d px", c.Bars[2].BarWidth)
	}
	if empty := newChart("x", "t", nil, nil, nil); empty.Height <= 0 {
		t.Error("an empty chart has no height")
	}
}

func TestWriteError(t *testing.T) {
	t.Parallel()
	reporttest.CheckWriteError(t, Writer{})
}

func BenchmarkWrite(b *testing.B) {
	reporttest.BenchmarkLarge(b, Writer{})
}
