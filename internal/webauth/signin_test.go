package webauth

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kvguard/kvguard/internal/azuresim"
	"github.com/kvguard/kvguard/internal/store"
)

// oidcSetup is a test server with OpenID Connect sign-in against the
// simulator's issuer.
type oidcSetup struct {
	clock  *clock
	store  *store.Store
	issuer *azuresim.OIDCIssuer
	svc    *Service
	srv    *httptest.Server
	logs   *syncBuffer
}

func newOIDCSetup(t *testing.T, dsn string, change func(*OIDCConfig)) *oidcSetup {
	t.Helper()
	s := &oidcSetup{clock: newClock(), logs: &syncBuffer{}}
	s.store = openStore(t, dsn, s.clock)
	issuer, err := azuresim.NewOIDCIssuer(azuresim.OIDCOptions{
		Now: s.clock.Now,
		Users: map[string]azuresim.OIDCUser{
			"alice": {Subject: "a1", Email: "alice@example.test", Roles: []string{"kvguard.reader", "kvguard.admin"}},
			"bob":   {Subject: "b2", Roles: []string{"kvguard.editor"}},
			"eve":   {Subject: "e3", Roles: []string{"someone.else"}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = issuer.Close() })
	s.issuer = issuer
	s.srv = server(t, func(base string) http.Handler {
		cfg := &OIDCConfig{Issuer: issuer.URL(), ClientID: issuer.ClientID(), ClientSecret: issuer.ClientSecret(),
			RedirectURL: base + "/auth/callback"}
		if change != nil {
			change(cfg)
		}
		s.svc, err = New(context.Background(), Options{Store: s.store, Now: s.clock.Now, OIDC: cfg,
			Logger: slog.New(slog.NewTextHandler(s.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
		if err != nil {
			t.Fatal(err)
		}
		return protected(s.svc)
	})
	return s
}

// browser is a cookie-keeping client that does not follow redirects, so
// that each step (and each Set-Cookie) can be checked.
func browser(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

type step struct {
	status   int
	location string
	body     string
	cookies  []*http.Cookie
}

func get(t *testing.T, c *http.Client, method, u string) step {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return step{resp.StatusCode, resp.Header.Get("Location"), string(b), resp.Cookies()}
}

// signIn runs the flow from a protected page to the callback's answer.
func (s *oidcSetup) signIn(t *testing.T, c *http.Client, user string) step {
	t.Helper()
	st := get(t, c, "GET", s.srv.URL+"/scans/7?tab=errors")
	if st.status != http.StatusSeeOther || !strings.HasPrefix(st.location, "/auth/signin?return_to=") {
		t.Fatalf("protected page without a session: %d %q", st.status, st.location)
	}
	st = get(t, c, "GET", s.srv.URL+st.location+"&login_hint="+user)
	if st.status != http.StatusFound || !strings.HasPrefix(st.location, s.issuer.URL()+"/authorize?") {
		t.Fatalf("signin: %d %q", st.status, st.location)
	}
	q, _ := url.Parse(st.location)
	if q.Query().Get("code_challenge_method") != "S256" || q.Query().Get("nonce") == "" || q.Query().Get("state") == "" {
		t.Errorf("authorization request lacks PKCE S256, nonce or state: %s", st.location)
	}
	st = get(t, c, "GET", st.location)
	if st.status != http.StatusFound || !strings.HasPrefix(st.location, s.srv.URL+"/auth/callback?") {
		t.Fatalf("issuer: %d %q %s", st.status, st.location, st.body)
	}
	return get(t, c, "GET", st.location)
}

func findCookie(cs []*http.Cookie, name string) *http.Cookie {
	for _, c := range cs {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// TestOIDCFlow: sign in → session → Authenticate → sign out, over real
// HTTP against the simulator's issuer, on each engine.
func TestOIDCFlow(t *testing.T) {
	t.Parallel()
	for _, e := range engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			s := newOIDCSetup(t, e.DSN, nil)
			c := browser(t)
			st := s.signIn(t, c, "alice")
			if st.status != http.StatusSeeOther || st.location != "/scans/7?tab=errors" {
				t.Fatalf("callback: %d %q %s", st.status, st.location, st.body)
			}
			sess := findCookie(st.cookies, "kvguard_session")
			if sess == nil || !sess.HttpOnly || sess.SameSite != http.SameSiteLaxMode || sess.Path != "/" || sess.Secure ||
				sess.MaxAge != int((8*time.Hour)/time.Second) {
				t.Errorf("session cookie %+v: want HttpOnly, SameSite=Lax, Path=/, not Secure (CookieSecure off), 8h", sess)
			}
			if flow := findCookie(st.cookies, "kvguard_signin"); flow == nil || flow.MaxAge >= 0 {
				t.Errorf("the sign-in cookie is not cleared: %+v", flow)
			}
			if st := get(t, c, "GET", s.srv.URL+"/scans/7"); st.status != 200 || st.body != "alice admin session" {
				t.Errorf("signed in: %d %q, want alice as admin (her highest role)", st.status, st.body)
			}
			logins, _ := s.store.AuthLogins(context.Background(), 10)
			if len(logins) != 1 || logins[0].Outcome != "admitted" || logins[0].Subject != "a1" || logins[0].Role != "admin" ||
				logins[0].Issuer != s.issuer.URL() {
				t.Errorf("sign-in log %+v", logins)
			}

			// Sign-out: a cross-site POST is refused, a same-origin one ends
			// the session in the database and clears the cookie.
			req, _ := http.NewRequest("POST", s.srv.URL+"/auth/signout", nil)
			req.Header.Set("Sec-Fetch-Site", "cross-site")
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("cross-site sign-out: %d, want 403", resp.StatusCode)
			}
			if st := get(t, c, "GET", s.srv.URL+"/"); st.status != 200 {
				t.Errorf("the refused sign-out ended the session: %d", st.status)
			}
			hash := hashOf(sess.Value)
			st = get(t, c, "POST", s.srv.URL+"/auth/signout")
			if st.status != http.StatusSeeOther || findCookie(st.cookies, "kvguard_session") == nil || findCookie(st.cookies, "kvguard_session").MaxAge >= 0 {
				t.Errorf("sign-out: %d, cookies %v", st.status, st.cookies)
			}
			if _, err := s.store.AuthSessionByHash(context.Background(), hash); err == nil {
				t.Error("the session is still in the database after sign-out")
			}
			// The old cookie, replayed, is no session.
			r := httptest.NewRequest("GET", "/", nil)
			r.AddCookie(&http.Cookie{Name: "kvguard_session", Value: sess.Value})
			if _, ok, err := s.svc.Authenticate(r); ok || err != nil {
				t.Errorf("replayed cookie after sign-out: ok %v, %v", ok, err)
			}

			// A session ends by itself after its TTL.
			st = s.signIn(t, c, "bob")
			if got := get(t, c, "GET", s.srv.URL+"/"); got.body != "bob editor session" {
				t.Errorf("bob: %q", got.body)
			}
			s.clock.Add(8*time.Hour + time.Second)
			if got := get(t, c, "GET", s.srv.URL+"/"); got.status != http.StatusSeeOther {
				t.Errorf("expired session: %d, want a redirect to sign in", got.status)
			}
			bobs := findCookie(st.cookies, "kvguard_session")
			if bobs == nil {
				t.Fatal("bob has no session cookie")
			}
			if _, err := s.store.AuthSessionByHash(context.Background(), hashOf(bobs.Value)); err != nil {
				t.Errorf("the expired session is gone before Prune: %v", err)
			}
			if err := s.svc.Prune(context.Background()); err != nil {
				t.Fatal(err)
			}
			if _, err := s.store.AuthSessionByHash(context.Background(), hashOf(bobs.Value)); err == nil {
				t.Error("Prune kept the expired session")
			}
			for _, secret := range []string{s.issuer.ClientSecret(), sess.Value} {
				if strings.Contains(s.logs.String(), secret) {
					t.Errorf("the logs hold a secret (%.6s…)", secret)
				}
			}
		})
	}
}

// TestOIDCRefusals: each thing the relying party must check, spoilt by
// the issuer or the browser, refuses the sign-in without a session, and
// the refusal is logged.
func TestOIDCRefusals(t *testing.T) {
	t.Parallel()
	dsn := engines(t)[0].DSN
	s := newOIDCSetup(t, dsn, nil)
	for _, tc := range []struct {
		name   string
		fault  azuresim.OIDCFault
		user   string
		status int
		reason string
	}{
		{"wrong audience", azuresim.OIDCWrongAudience, "alice", http.StatusUnauthorized, "audience"},
		{"expired", azuresim.OIDCExpired, "alice", http.StatusUnauthorized, "expired"},
		{"bad signature", azuresim.OIDCBadSignature, "alice", http.StatusUnauthorized, "signature"},
		{"wrong nonce", azuresim.OIDCWrongNonce, "alice", http.StatusUnauthorized, "nonce"},
		{"wrong issuer", azuresim.OIDCWrongIssuer, "alice", http.StatusUnauthorized, "issuer"},
		{"denied", azuresim.OIDCDeny, "alice", http.StatusForbidden, "access_denied"},
		{"no role", azuresim.OIDCHonest, "eve", http.StatusForbidden, "no role"},
	} {
		s.issuer.SetFault(tc.fault)
		c := browser(t)
		st := s.signIn(t, c, tc.user)
		if st.status != tc.status || findCookie(st.cookies, "kvguard_session") != nil {
			t.Errorf("%s: %d %q, cookies %v; want %d and no session", tc.name, st.status, st.body, st.cookies, tc.status)
		}
		if got := get(t, c, "GET", s.srv.URL+"/"); got.status != http.StatusSeeOther {
			t.Errorf("%s: after the refusal the page answers %d %q", tc.name, got.status, got.body)
		}
		logins, _ := s.store.AuthLogins(context.Background(), 1)
		if len(logins) != 1 || logins[0].Outcome != "refused" || !strings.Contains(strings.ToLower(logins[0].Reason), tc.reason) {
			t.Errorf("%s: sign-in log %+v, want refused saying %q", tc.name, logins, tc.reason)
		}
	}
	s.issuer.SetFault(azuresim.OIDCHonest)

	// The browser side: a callback without this browser's state cookie,
	// a callback replayed, a state that expired.
	c := browser(t)
	st := get(t, c, "GET", s.srv.URL+"/auth/signin?login_hint=alice")
	st = get(t, c, "GET", st.location)
	callback := st.location
	if got := get(t, browser(t), "GET", callback); got.status != http.StatusBadRequest {
		t.Errorf("callback in another browser: %d, want 400", got.status)
	}
	if got := get(t, c, "GET", callback); got.status != http.StatusSeeOther {
		t.Fatalf("callback: %d %s", got.status, got.body)
	}
	if got := get(t, c, "GET", callback); got.status != http.StatusBadRequest {
		t.Errorf("callback replayed: %d, want 400", got.status)
	}
	c = browser(t)
	st = get(t, c, "GET", s.srv.URL+"/auth/signin?login_hint=alice")
	st = get(t, c, "GET", st.location)
	s.clock.Add(11 * time.Minute)
	if got := get(t, c, "GET", st.location); got.status != http.StatusBadRequest {
		t.Errorf("callback after 11 minutes: %d, want 400", got.status)
	}
	logins, _ := s.store.AuthLogins(context.Background(), 100)
	if len(logins) != 8 {
		t.Errorf("%d sign-ins logged, want 8: the 7 refusals and 1 admission, not the stray callbacks", len(logins))
	}
	// Only local return addresses.
	for _, in := range []string{"//evil.example/x", "https://evil.example/", "/\\evil.example", "/auth/signout", "relative"} {
		if got := safeReturn(in); got != "/" {
			t.Errorf("safeReturn(%q) = %q, want /", in, got)
		}
	}
}

// TestDefaultRole: a user whose claims map to no role gets the default
// role when one is set; the role claim is configurable.
func TestDefaultRole(t *testing.T) {
	t.Parallel()
	s := newOIDCSetup(t, engines(t)[0].DSN, func(c *OIDCConfig) {
		c.DefaultRole = RoleReader
		c.RoleClaim = "groups"
		c.Roles = map[string]Role{"kvguard-editors": RoleEditor}
	})
	c := browser(t)
	if st := s.signIn(t, c, "alice"); st.status != http.StatusSeeOther {
		t.Fatalf("alice: %d %s", st.status, st.body)
	}
	if got := get(t, c, "GET", s.srv.URL+"/"); got.body != "alice reader session" {
		t.Errorf("alice with roles in another claim: %q, want the default role reader", got.body)
	}
}

// TestCookieSecure: with CookieSecure the cookies are Secure and
// __Host- prefixed.
func TestCookieSecure(t *testing.T) {
	t.Parallel()
	c := newClock()
	st := openStore(t, engines(t)[0].DSN, c)
	issuer, err := azuresim.NewOIDCIssuer(azuresim.OIDCOptions{Now: c.Now, Users: map[string]azuresim.OIDCUser{"alice": {}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = issuer.Close() })
	svc, err := New(context.Background(), Options{Store: st, Now: c.Now, CookieSecure: true,
		OIDC: &OIDCConfig{Issuer: issuer.URL(), ClientID: issuer.ClientID(), ClientSecret: issuer.ClientSecret(), RedirectURL: "https://kvguard.example/auth/callback"}})
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	svc.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/auth/signin", nil))
	cookies := w.Result().Cookies()
	if len(cookies) != 1 || cookies[0].Name != "__Host-kvguard_signin" || !cookies[0].Secure || !cookies[0].HttpOnly ||
		cookies[0].SameSite != http.SameSiteLaxMode || cookies[0].Path != "/" || cookies[0].Domain != "" {
		t.Errorf("sign-in cookie %+v", cookies)
	}
	if got := w.Header().Get("Content-Security-Policy"); !strings.Contains(got, "default-src 'none'") {
		t.Errorf("CSP %q", got)
	}
	if !strings.Contains(svc.SignInURL(httptest.NewRequest("GET", "/recommendations?severity=high", nil)), "return_to=%2Frecommendations%3Fseverity%3Dhigh") {
		t.Errorf("SignInURL %q", svc.SignInURL(httptest.NewRequest("GET", "/recommendations?severity=high", nil)))
	}
	if got := svc.SignInURL(httptest.NewRequest("POST", "/api/v1/exemptions", nil)); got != "/auth/signin?return_to=%2F" {
		t.Errorf("SignInURL of a POST %q", got)
	}
}
