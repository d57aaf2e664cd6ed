package server

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/kvguard/kvguard/internal/azuresim"
	"github.com/kvguard/kvguard/internal/store"
	"github.com/kvguard/kvguard/internal/testsupport/headless"
	"github.com/kvguard/kvguard/internal/webauth"
)

// browser starts a headless Chromium, off the network but for loopback,
// with a profile (and so cookies) of its own.
func browser(t *testing.T) context.Context {
	t.Helper()
	ctx := headless.Browser(t)
	// A guard against a hang, not a measure: every step waits on the page.
	ctx, cancelT := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(cancelT)
	do(ctx, t, chromedp.Navigate("about:blank"))
	if _, err := chromedp.Call(ctx, cdppage.AddScriptToEvaluateOnNewDocument,
		cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: collectViolations}); err != nil {
		t.Fatal(err)
	}
	return ctx
}

// webauthAuth presents webauth's service as the server's Authenticator,
// as kvguard serve does (internal/cli authAdapter): the roles are
// numbered alike.
type webauthAuth struct{ s *webauth.Service }

func (a webauthAuth) Authenticate(r *http.Request) (Principal, bool, error) {
	id, ok, err := a.s.Authenticate(r)
	if err != nil || !ok {
		return Principal{}, ok, err
	}
	return Principal{Name: id.Name, Role: Role(id.Role)}, true, nil
}

func (a webauthAuth) Handler() http.Handler { return a.s.Handler() }

func (a webauthAuth) SignInURL(r *http.Request) string { return a.s.SignInURL(r) }

// newOIDCFixture serves the test estate with authentication on: the real
// webauth service, signing browsers in through the simulator's OpenID
// Connect issuer, which knows alice (app role kvguard.editor) and bob
// (kvguard.reader). Both read the fixture's clock.
func newOIDCFixture(t *testing.T) (*fixture, *azuresim.OIDCIssuer) {
	t.Helper()
	var issuer *azuresim.OIDCIssuer
	f := newFixtureAuth(t, func(st *store.Store, c *clock, base string) Authenticator {
		var err error
		issuer, err = azuresim.NewOIDCIssuer(azuresim.OIDCOptions{
			Now:          c.Now,
			RedirectURLs: []string{base + "/auth/callback"},
			Users: map[string]azuresim.OIDCUser{
				"alice": {Name: "Alice", Email: "alice@example.test", Roles: []string{"kvguard.editor"}},
				"bob":   {Name: "Bob", Email: "bob@example.test", Roles: []string{"kvguard.reader"}},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = issuer.Close() })
		svc, err := webauth.New(t.Context(), webauth.Options{Store: st, Now: c.Now, CookieSecure: false,
			OIDC: &webauth.OIDCConfig{Issuer: issuer.URL(), ClientID: issuer.ClientID(), ClientSecret: issuer.ClientSecret(),
				RedirectURL: base + "/auth/callback"}})
		if err != nil {
			t.Fatal(err)
		}
		return webauthAuth{svc}
	})
	return f, issuer
}

// signIn opens path without a session: the server sends the browser to
// the issuer, whose sign-in page it screenshots; it clicks user's button
// and, back on the server with a session, waits for ready.
func signIn(ctx context.Context, t *testing.T, base, path, user, ready, dir string) {
	t.Helper()
	button := `button[name="user"][value="` + user + `"]`
	do(ctx, t, chromedp.Navigate(base+path), chromedp.WaitVisible(chromedp.CSS(button)))
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(loc, base) {
		t.Fatalf("without a session %s stayed on the server: %s", path, loc)
	}
	shot(ctx, t, dir, "signin-"+user)
	do(ctx, t, chromedp.Click(chromedp.CSS(button)), chromedp.WaitReady(chromedp.CSS(ready)))
	if loc, err = chromedp.Run(ctx, chromedp.Location()); err != nil {
		t.Fatal(err)
	}
	if loc != base+path {
		t.Errorf("after signing in %s is at %s, want %s", user, loc, base+path)
	}
}

// collectViolations records the page's Content-Security-Policy
// violations (the devtools protocol injects it; the page has no script).
const collectViolations = `window.__violations = [];
document.addEventListener("securitypolicyviolation", e => window.__violations.push(e.violatedDirective));`

// artifacts is where screenshots are kept: KVGUARD_ARTIFACTS/serve when
// set, else the test's artifact directory (kept with go test -artifacts
// -outputdir DIR, removed otherwise).
func artifacts(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("KVGUARD_ARTIFACTS"); d != "" {
		d = filepath.Join(d, "serve")
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.ArtifactDir()
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

// TestBrowser drives the views in headless Chromium with authentication
// on: sign in through the simulator's OpenID Connect issuer as an editor,
// filter the overview, open a vault, exempt one of its findings and see
// it become Exempt, sign in as a reader and be refused a change, and
// watch a running scan finish. Screenshots of each view are kept
// (artifacts). Every wait is on the page, none on the clock.
func TestBrowser(t *testing.T) {
	f, issuer := newOIDCFixture(t)
	dir := artifacts(t)
	ed := browser(t)
	base := f.ts.URL

	signIn(ed, t, base, "/", "alice", "#total-unhealthy", dir)
	if got := textOf(ed, t, ".who"); got != "alice · editor" {
		t.Errorf("signed in as %q, want alice · editor", got)
	}
	if n := issuer.Issued(); n != 1 {
		t.Errorf("the issuer issued %d ID tokens, want 1", n)
	}
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

	// A reader (bob, app role kvguard.reader) sees no forms and is
	// refused a change.
	rd := browser(t)
	signIn(rd, t, base, "/exemptions", "bob", "main h1", dir)
	if got := textOf(rd, t, ".who"); got != "bob · reader" {
		t.Errorf("signed in as %q, want bob · reader", got)
	}
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
	if got := textOf(rd, t, ".who"); got != "bob · reader" {
		t.Errorf("the refusal's page names %q, want bob · reader", got)
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
