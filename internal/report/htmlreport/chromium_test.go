package htmlreport

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/kvguard/kvguard/internal/assess"
	"github.com/kvguard/kvguard/internal/report/reporttest"
	"github.com/kvguard/kvguard/internal/testsupport/headless"
)

// screenshotDir is where the screenshot is kept: KVGUARD_SCREENSHOT_DIR,
// else the test's artifact directory (kept with go test -artifacts).
func screenshotDir(t *testing.T) string {
	if d := os.Getenv("KVGUARD_SCREENSHOT_DIR"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.ArtifactDir()
}

func run[T any](ctx context.Context, t *testing.T, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return v
}

func do(ctx context.Context, t *testing.T, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatal(err)
	}
}

// collectViolations records the page's Content-Security-Policy
// violations before any of its own code runs.
const collectViolations = `window.__violations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__violations.push(e.violatedDirective + " " + e.blockedURI);
});`

type rendered struct {
	Charts []struct {
		ID        string    `json:"id"`
		W         float64   `json:"w"`
		H         float64   `json:"h"`
		BarWidths []float64 `json:"barWidths"`
		Fills     []string  `json:"fills"`
	} `json:"charts"`
	FiltersShown bool     `json:"filtersShown"`
	Rows         int      `json:"rows"`
	Resources    []string `json:"resources"`
	Violations   []string `json:"violations"`
}

const inspect = `(() => {
  const charts = [...document.querySelectorAll("svg.chart")].map(s => {
    const b = s.getBoundingClientRect(), rects = [...s.querySelectorAll("rect")];
    return {id: s.id, w: b.width, h: b.height,
      barWidths: rects.map(r => r.getBoundingClientRect().width),
      fills: rects.map(r => getComputedStyle(r).fill)};
  });
  return {charts, filtersShown: !document.getElementById("filters").hidden,
    rows: document.querySelectorAll("tr[data-status]").length,
    resources: performance.getEntriesByType("resource").map(e => e.name),
    violations: window.__violations || ["the violation collector did not run"]};
})()`

type visibleRows struct {
	Total   int      `json:"total"`
	Texts   []string `json:"texts"`
	Status  []string `json:"status"`
	Vaults  []string `json:"vaults"`
	Counter string   `json:"counter"`
}

const visible = `(() => {
  const rows = [...document.querySelectorAll("tr[data-status]")];
  const vis = rows.filter(r => !r.hidden && r.offsetParent !== null);
  return {total: rows.length,
    texts: vis.map(r => (r.textContent + " " + (r.getAttribute("data-vault") || "")).toLowerCase()),
    status: vis.map(r => r.getAttribute("data-status")),
    vaults: [...document.querySelectorAll("section.vault")].filter(s => s.offsetParent !== null).map(s => s.id),
    counter: document.getElementById("f-count").textContent};
})()`

// resetFilters empties the filters as a user would, firing the events
// the page listens to.
const resetFilters = `(() => {
  const t = document.getElementById("f-text");
  t.value = "";
  t.dispatchEvent(new Event("input"));
  for (const id of ["f-status", "f-severity"]) {
    const s = document.getElementById(id);
    s.value = "";
    s.dispatchEvent(new Event("change"));
  }
})()`

type target struct {
	Hash    string  `json:"hash"`
	Target  string  `json:"target"`
	Top     float64 `json:"top"`
	ScrollY float64 `json:"scrollY"`
	Inner   float64 `json:"inner"`
}

const whereAmI = `(() => {
  const t = document.querySelector(":target");
  return {hash: location.hash, target: t ? t.id : "", top: t ? t.getBoundingClientRect().top : -1,
    scrollY: window.scrollY, inner: window.innerHeight};
})()`

// TestInChromium opens the report in headless Chromium: it renders (the
// inline style and script run under the page's own CSP, the charts are
// drawn and sized, nothing is fetched), it filters (typing and selecting
// hide the rows that do not match), it links (a vault link brings its
// section into view), and without script every row shows. A screenshot
// is kept as an artefact.
func TestInChromium(t *testing.T) {
	ctx := headless.Browser(t)
	r := reporttest.Judge(t, reporttest.Estate(0), reporttest.InputErrors()...)
	file := filepath.Join(t.TempDir(), "report.html")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := (Writer{ToolVersion: reporttest.ToolVersion}).Write(f, r); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	pageURL := (&url.URL{Scheme: "file", Path: filepath.ToSlash(file)}).String()
	var assessments, findings, unknown int
	for a := range r.All() {
		assessments++
		switch a.Status {
		case assess.Unknown:
			unknown++
			findings++
		case assess.Unhealthy, assess.Exempt:
			findings++
		}
	}

	do(ctx, t, chromedp.Navigate("about:blank"))
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: collectViolations}); err != nil {
		t.Fatal(err)
	}
	do(ctx, t, chromedp.Navigate(pageURL), chromedp.WaitVisible(chromedp.ID("summary")))

	t.Run("renders", func(t *testing.T) {
		got := run[rendered](ctx, t, inspect)
		if len(got.Violations) > 0 {
			t.Errorf("Content-Security-Policy violations: %q", got.Violations)
		}
		if len(got.Resources) > 0 {
			t.Errorf("the page fetched %q; it must be self-contained", got.Resources)
		}
		if !got.FiltersShown {
			t.Error("the filter form is hidden: the inline script did not run under the page's CSP")
		}
		if got.Rows != assessments+findings {
			t.Errorf("%d rows, want %d (every assessment in its vault's section, every finding in the findings table)", got.Rows, assessments+findings)
		}
		if len(got.Charts) != 2 {
			t.Fatalf("%d charts, want 2", len(got.Charts))
		}
		for _, c := range got.Charts {
			if c.W < 100 || c.H < 20 {
				t.Errorf("chart %s is %.0f×%.0f px", c.ID, c.W, c.H)
			}
			widest := 0.0
			for i, w := range c.BarWidths {
				widest = max(widest, w)
				if c.Fills[i] == "" || c.Fills[i] == "rgb(0, 0, 0)" {
					t.Errorf("chart %s bar %d has fill %q: the inline style did not apply", c.ID, i, c.Fills[i])
				}
			}
			if widest < 100 {
				t.Errorf("chart %s: the longest bar is %.0f px", c.ID, widest)
			}
		}
		if len(got.Charts[0].BarWidths) != len(r.Recommendations) {
			t.Errorf("%d bars by recommendation, want %d", len(got.Charts[0].BarWidths), len(r.Recommendations))
		}
		shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(screenshotDir(t), "report.png")
		if err := os.WriteFile(out, shot, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s (%d bytes)", out, len(shot))
	})

	t.Run("filters by text", func(t *testing.T) {
		do(ctx, t, chromedp.SendKeys(chromedp.ID("f-text"), "kv-bad"))
		got := run[visibleRows](ctx, t, visible)
		if len(got.Texts) == 0 || len(got.Texts) >= got.Total {
			t.Fatalf("%d of %d rows visible after typing kv-bad", len(got.Texts), got.Total)
		}
		for _, text := range got.Texts {
			if !strings.Contains(text, "kv-bad") {
				t.Errorf("a row without kv-bad is visible: %s", text)
			}
		}
		if len(got.Vaults) != 1 || !strings.HasPrefix(got.Vaults[0], "vault-kv-bad-") {
			t.Errorf("visible vault sections %q, want kv-bad's alone", got.Vaults)
		}
		if want := "of " + itoa(got.Total) + " rows shown"; !strings.HasSuffix(got.Counter, want) {
			t.Errorf("counter %q", got.Counter)
		}
	})

	t.Run("filters by status", func(t *testing.T) {
		run[chromedp.Void](ctx, t, resetFilters+`;(() => {
  const s = document.getElementById("f-status");
  s.value = "Unknown";
  s.dispatchEvent(new Event("change"));
})()`)
		got := run[visibleRows](ctx, t, visible)
		// Each Unknown assessment shows twice: in the findings table and
		// in its vault's section.
		if len(got.Status) != 2*unknown {
			t.Errorf("%d rows visible, want %d", len(got.Status), 2*unknown)
		}
		for _, s := range got.Status {
			if s != "Unknown" {
				t.Errorf("a %s row is visible with the Unknown filter", s)
			}
		}
	})

	t.Run("links", func(t *testing.T) {
		run[chromedp.Void](ctx, t, resetFilters+`; window.scrollTo(0, 0)`)
		for _, link := range []string{`#vaults > ul > li:last-child > a`, `#findings tbody a[href^="#vault-"]`} {
			href := run[string](ctx, t, `document.querySelector(`+quote(link)+`).getAttribute("href")`)
			do(ctx, t, chromedp.Click(chromedp.CSS(link), chromedp.NodeVisible))
			got := run[target](ctx, t, whereAmI)
			if got.Hash != href || "#"+got.Target != href {
				t.Errorf("after clicking %s (%s): location %q, :target %q", link, href, got.Hash, got.Target)
			}
			if got.Top <= -1 || got.Top >= got.Inner || got.ScrollY <= 0 {
				t.Errorf("after clicking %s: the section is at %.0f px in a %.0f px window, scrolled %.0f px", link, got.Top, got.Inner, got.ScrollY)
			}
			run[chromedp.Void](ctx, t, `window.scrollTo(0, 0)`)
		}
	})

	t.Run("without script", func(t *testing.T) {
		tab, cancel := chromedp.NewContext(ctx)
		defer cancel()
		do(tab, t, chromedp.Navigate("about:blank"))
		if _, err := chromedp.Call(tab, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
			t.Fatal(err)
		}
		do(tab, t, chromedp.Navigate(pageURL), chromedp.WaitVisible(chromedp.ID("summary")))
		got := run[visibleRows](tab, t, visible)
		if len(got.Texts) != assessments+findings || got.Total != assessments+findings {
			t.Errorf("%d of %d rows visible without script, want all %d", len(got.Texts), got.Total, assessments+findings)
		}
		if shown := run[bool](tab, t, `getComputedStyle(document.getElementById("filters")).display !== "none"`); shown {
			t.Error("the filter form shows without script, where it cannot work")
		}
		if got.Counter != "" {
			t.Errorf("the page's script ran: counter %q", got.Counter)
		}
	})
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }

func itoa(n int) string { return strconv.Itoa(n) }
