package server

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/kvguard/kvguard/internal/store"
	"github.com/kvguard/kvguard/internal/testsupport/headless"
)

// browser starts a headless Chromium, off the network but for loopback,
// whose requests carry the token of role (testAuth).
func browser(t *testing.T, role string) context.Context {
	t.Helper()
	ctx := headless.Browser(t)
	ctx, cancelT := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(cancelT)
	do(ctx, t, chromedp.Navigate("about:blank"))
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders,
		network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Authorization": "Bearer " + role}}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, cdppage.AddScriptToEvaluateOnNewDocument,
		cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: collectViolations}); err != nil {
		t.Fatal(err)
	}
	return ctx
}

// collectViolations records the page's Content-Security-Policy
// violations (the devtools protocol injects it; the page has no script).
const collectViolations = `window.__violations = [];
document.addEventListener("securitypolicyviolation", e => window.__violations.push(e.violatedDirective));`

// artifacts is where screenshots are kept: KVGUARD_ARTIFACTS, else a
// temporary directory.
func artifacts(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("KVGUARD_ARTIFACTS"); d != "" {
		d = filepath.Join(d, "serve")
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

func do(ctx context.Context, t *testing.T, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

func eval[T any](ctx context.Context, t *testing.T, js string, opts ...chromedp.EvaluateOption) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, opts...))
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return v
}

func shot(ctx context.Context, t *testing.T, dir, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
	if v := eval[[]string](ctx, t, `window.__violations || ["the violation collector did not run"]`); len(v) > 0 {
		t.Errorf("%s: Content-Security-Policy violations %v", name, v)
	}
}

func textOf(ctx context.Context, t *testing.T, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("%s: %v", sel, err)
	}
	return strings.Join(strings.Fields(s), " ")
}

// TestBrowser drives the views in headless Chromium: filter the
// overview, open a vault, exempt one of its findings as an editor and
// see it become Exempt, be refused as a reader, and watch a running scan
// finish. Screenshots of each view are kept (KVGUARD_ARTIFACTS).
func TestBrowser(t *testing.T) {
	f := newFixture(t, testAuth{})
	dir := artifacts(t)
	ed := browser(t, "editor")
	base := f.ts.URL

	do(ed, t, chromedp.Navigate(base+"/"), chromedp.WaitReady(chromedp.CSS("#total-unhealthy")))
	if got := textOf(ed, t, "#total-unhealthy"); got != "4" {
		t.Errorf("total unhealthy %q, want 4", got)
	}
	shot(ed, t, dir, "overview")
	do(ed, t, chromedp.SetValue(chromedp.CSS(`select[name="subscription"]`), subB),
		chromedp.Click(chromedp.CSS(`form.filters button[type="submit"]`)), chromedp.WaitReady(chromedp.CSS(`select[name="subscription"] option[selected]`)))
	loc, err := chromedp.Run(ed, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(loc, "subscription="+subB) {
		t.Errorf("the filter is not in the URL: %s", loc)
	}
	if got := textOf(ed, t, "#total-unhealthy"); got != "1" {
		t.Errorf("filtered total unhealthy %q, want 1", got)
	}
	shot(ed, t, dir, "overview-filtered")

	for _, v := range []struct{ path, name string }{{"/recommendations", "recommendations"}, {"/findings?status=Unhealthy", "findings"},
		{"/resources", "resources"}, {"/exemptions", "exemptions"}, {"/owners", "owners"}, {"/scans", "scans"}} {
		do(ed, t, chromedp.Navigate(base+v.path), chromedp.WaitReady(chromedp.CSS("main h1")))
		shot(ed, t, dir, v.name)
	}

	// Open kv-0 from the findings and exempt its purge-protection finding.
	ref := f.ref(t, "kv-0")
	row := `#verdicts tr[data-recommendation="keyvault-purge-protection"][data-component=""]`
	do(ed, t, chromedp.Navigate(base+"/findings?status=Unhealthy&recommendation=keyvault-purge-protection"),
		chromedp.Click(chromedp.CSS(`a[href="/resources/`+ref+`"]`)), chromedp.WaitReady(chromedp.CSS(row)))
	if got := textOf(ed, t, row+" td:nth-child(3)"); got != "Unhealthy" {
		t.Fatalf("kv-0 purge protection %q before the exemption", got)
	}
	shot(ed, t, dir, "resource")
	do(ed, t, chromedp.SendKeys(chromedp.CSS(row+` input[name="reason"]`), "accepted until the migration"),
		chromedp.Click(chromedp.CSS(row+` button[type="submit"]`)), chromedp.WaitReady(chromedp.CSS(".flash")))
	if got := textOf(ed, t, row+" td:nth-child(3)"); got != "Exempt" {
		t.Errorf("kv-0 purge protection %q after the exemption, want Exempt", got)
	}
	shot(ed, t, dir, "resource-exempt")

	// A reader sees no forms and is refused a change.
	rd := browser(t, "reader")
	do(rd, t, chromedp.Navigate(base+"/exemptions"), chromedp.WaitReady(chromedp.CSS("main h1")))
	if n := eval[int](rd, t, `document.querySelectorAll("main form[method=post]").length`); n != 0 {
		t.Errorf("a reader sees %d forms", n)
	}
	shot(rd, t, dir, "exemptions-reader")
	// The editor's revoke form, posted by the reader.
	eval[bool](rd, t, `(() => { const f = document.createElement("form"); f.method = "post"; f.action = "/exemptions/1/revoke";
		document.body.appendChild(f); f.submit(); return true; })()`)
	do(rd, t, chromedp.WaitReady(chromedp.CSS("p.error")))
	if got := textOf(rd, t, "main"); !strings.Contains(got, "Forbidden") || !strings.Contains(got, "needs the editor role") {
		t.Errorf("a reader's revoke was not refused: %s", got)
	}
	shot(rd, t, dir, "refused-reader")

	// Scan now: the scan page follows the running scan until it finishes.
	do(ed, t, chromedp.Navigate(base+"/scans"), chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)),
		chromedp.WaitReady(chromedp.CSS("#scan-status")))
	if got := textOf(ed, t, "#scan-status"); got != "running" {
		t.Errorf("the new scan is %q", got)
	}
	shot(ed, t, dir, "scan-running")
	f.scanner.mu.Lock()
	sc := f.scanner.begun[len(f.scanner.begun)-1]
	f.scanner.mu.Unlock()
	completeScan(t, sc)
	// The running scan's page refreshes itself until the scan is done.
	do(ed, t, chromedp.WaitReady(chromedp.CSS(`#scan-status[data-status="succeeded"]`)))
	shot(ed, t, dir, "scan-finished")
	// On a phone.
	do(ed, t, chromedp.EmulateViewport(390, 844), chromedp.Navigate(base+"/"), chromedp.WaitReady(chromedp.CSS("#score")))
	shot(ed, t, dir, "overview-phone")
	do(ed, t, chromedp.Navigate(base+"/resources/"+ref), chromedp.WaitReady(chromedp.CSS("#verdicts")))
	shot(ed, t, dir, "resource-phone")
	t.Logf("screenshots in %s", dir)
}

func completeScan(t *testing.T, sc *store.Scan) {
	t.Helper()
	ctx := t.Context()
	seq := func(yield func(store.Row) bool) {
		for _, r := range estate() {
			if !yield(r) {
				return
			}
		}
	}
	if err := sc.Progress(ctx, 1, 1); err != nil {
		t.Fatal(err)
	}
	if err := sc.IngestRows(ctx, seq, testRecs, nil); err != nil {
		t.Fatal(err)
	}
	if err := sc.Complete(ctx); err != nil {
		t.Fatal(fmt.Errorf("complete: %w", err))
	}
}
