package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kvguard/kvguard/internal/assess"
	"github.com/kvguard/kvguard/internal/store"
	"github.com/kvguard/kvguard/internal/testsupport/testclock"
)

// clock is the injected clock: tests move it, never sleep.
type clock = testclock.Clock

// testAuth authenticates "Authorization: Bearer <role>" (reader, editor,
// admin) as a principal of that name; "Bearer bad" is a bad credential.
type testAuth struct{}

func (testAuth) Authenticate(r *http.Request) (Principal, bool, error) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return Principal{}, false, nil
	}
	for _, role := range []Role{RoleReader, RoleEditor, RoleAdmin} {
		if tok == role.String() {
			return Principal{Name: tok, Role: role}, true, nil
		}
	}
	return Principal{}, false, fmt.Errorf("bad credential: unknown token")
}

func (testAuth) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "sign-in") })
}

func (testAuth) SignInURL(*http.Request) string { return "/auth/signin" }

// fakeScanner records the scopes it was asked to scan.
type fakeScanner struct {
	mu     sync.Mutex
	st     *store.Store
	scopes []string
	begun  []*store.Scan
}

func (f *fakeScanner) Scan(ctx context.Context, scope string) (int64, error) {
	sc, err := f.st.Begin(ctx, scope, store.Live, store.Labels{})
	if err != nil {
		return 0, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.scopes = append(f.scopes, scope)
	f.begun = append(f.begun, sc)
	return sc.ID(), nil
}

const (
	subA = "00000000-0000-0000-0000-00000000000a"
	subB = "00000000-0000-0000-0000-00000000000b"
)

func vaultID(sub, rg, name string) string {
	return "/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/Microsoft.KeyVault/vaults/" + name
}

var testRecs = []store.RecommendationInfo{
	{ID: "keyvault-purge-protection", Title: "Key vaults should have deletion protection enabled", Severity: "Medium", Type: "Control plane"},
	{ID: "keyvault-secret-expiry", Title: "Key Vault secrets should have an expiration date", Severity: "High", Type: "Data plane"},
}

// estate is the test store's content: 6 vaults in two subscriptions;
// purge protection unhealthy on kv-0, kv-2, kv-4; secret expiry
// unhealthy on kv-1 (with a component), unknown on kv-5.
func estate() []store.Row {
	var rows []store.Row
	for i := range 6 {
		sub := subA
		if i >= 4 {
			sub = subB
		}
		ri := &store.ResourceInfo{ID: vaultID(sub, fmt.Sprintf("rg-%d", i%2), fmt.Sprintf("kv-%d", i)), Name: fmt.Sprintf("kv-%d", i),
			Type: "Microsoft.KeyVault/vaults", Tags: map[string]string{"env": []string{"prod", "dev"}[i%2]}}
		purge, expiry := assess.Healthy, assess.Healthy
		if i%2 == 0 {
			purge = assess.Unhealthy
		}
		if i == 1 {
			expiry = assess.Unhealthy
		}
		if i == 5 {
			expiry = assess.Unknown
		}
		rows = append(rows, store.Row{Resource: ri, Recommendation: testRecs[0].ID, Status: purge, Reason: "purge " + string(purge)},
			store.Row{Resource: ri, Recommendation: testRecs[1].ID, Status: expiry, Reason: "expiry " + string(expiry)})
		if i == 1 {
			rows = append(rows, store.Row{Resource: ri, Recommendation: testRecs[1].ID, Component: "db-password",
				Status: assess.Unhealthy, Reason: "The secret has no expiration date."})
		}
	}
	return rows
}

func scanRows(t *testing.T, st *store.Store, scope string, rows []store.Row) int64 {
	t.Helper()
	ctx := context.Background()
	sc, err := st.Begin(ctx, scope, store.Live, store.Labels{})
	if err != nil {
		t.Fatal(err)
	}
	seq := func(yield func(store.Row) bool) {
		for _, r := range rows {
			if !yield(r) {
				return
			}
		}
	}
	if err := sc.IngestRows(ctx, seq, testRecs, nil); err != nil {
		t.Fatal(err)
	}
	if err := sc.Complete(ctx); err != nil {
		t.Fatal(err)
	}
	return sc.ID()
}

type fixture struct {
	st      *store.Store
	clock   *clock
	srv     *Server
	ts      *httptest.Server
	scanner *fakeScanner
}

// newFixture opens a store on SQLite, fills it with estate() and serves
// it; auth nil serves without authentication.
func newFixture(t *testing.T, auth Authenticator) *fixture {
	t.Helper()
	return newFixtureAuth(t, func(*store.Store, *clock, string) Authenticator { return auth })
}

// newFixtureAuth is newFixture with an authenticator built on the
// fixture's store and clock, knowing the server's base URL (an OpenID
// Connect redirect URL names it).
func newFixtureAuth(t *testing.T, authFor func(st *store.Store, c *clock, base string) Authenticator) *fixture {
	t.Helper()
	c := testclock.At(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "kvguard.db"),
		store.Options{Now: c.Now, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	scanRows(t, st, "tenant", estate())
	fs := &fakeScanner{st: st}
	// The listener comes first, for its URL; the handler is set before
	// any request can arrive.
	var handler http.Handler
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(ts.Close)
	srv, err := New(Options{Store: st, Auth: authFor(st, c, ts.URL), Scanner: fs, Now: c.Now, CSRFKey: []byte("test-key")})
	if err != nil {
		t.Fatal(err)
	}
	handler = srv.Handler()
	return &fixture{st: st, clock: c, srv: srv, ts: ts, scanner: fs}
}

// noRedirect is a client that returns redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// answer is what a test reads of a response (its body is read and closed).
type answer struct {
	StatusCode int
	Header     http.Header
}

// do sends a request as token ("" for none) and returns the answer and body.
func (f *fixture) do(t *testing.T, method, path, token, contentType string, body io.Reader) (answer, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, f.ts.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{resp.StatusCode, resp.Header}, string(b)
}

func (f *fixture) get(t *testing.T, path, token string) (int, string) {
	t.Helper()
	resp, body := f.do(t, "GET", path, token, "", nil)
	return resp.StatusCode, body
}

// postForm posts a form with the principal's CSRF token.
func (f *fixture) postForm(t *testing.T, path, token string, form url.Values) answer {
	t.Helper()
	if form == nil {
		form = url.Values{}
	}
	name := token
	if token == "" {
		name = "local"
	}
	form.Set("csrf", f.srv.csrfToken(Principal{Name: name}))
	resp, _ := f.do(t, "POST", path, token, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	return resp
}

// text strips tags and collapses spaces, so tests match what a reader sees.
func text(html string) string {
	s := regexp.MustCompile(`(?s)<[^>]*>`).ReplaceAllString(html, " ")
	return strings.Join(strings.Fields(s), " ")
}

// ref is the store key of the resource named name, as the views link it.
func (f *fixture) ref(t *testing.T, name string) string {
	t.Helper()
	rows, _, err := f.st.ResourcesPage(t.Context(), store.ListFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Name == name {
			return strconv.FormatInt(r.Ref, 10)
		}
	}
	t.Fatalf("no resource %s", name)
	return ""
}

// checkPage gets path (200 expected) and checks its text holds every
// string of want and none of not.
func checkPage(t *testing.T, f *fixture, path string, want, not []string) {
	t.Helper()
	code, body := f.get(t, path, "")
	if code != http.StatusOK {
		t.Fatalf("%d\n%s", code, body)
	}
	got := text(body)
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("missing %q in\n%s", w, got)
		}
	}
	for _, w := range not {
		if strings.Contains(got, w) {
			t.Errorf("unexpected %q in\n%s", w, got)
		}
	}
}
