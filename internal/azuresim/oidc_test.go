package azuresim

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"html"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// testClock is a clock the test moves; the issuer reads it from its own
// goroutines.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *testClock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

// oidcClient never follows redirects: the test reads them.
var oidcClient = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func startIssuer(t *testing.T, now func() time.Time) *OIDCIssuer {
	t.Helper()
	i, err := NewOIDCIssuer(OIDCOptions{
		Now:          now,
		RedirectURLs: []string{"http://127.0.0.1:1/auth/callback"},
		Users: map[string]OIDCUser{
			"alice": {Name: "Alice", Email: "alice@example.test", Roles: []string{"kvguard.admin"}},
			"bob":   {Subject: "bob-oid", Name: "Bob"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = i.Close() })
	return i
}

const testVerifier = "a-verifier-of-enough-length-for-pkce-0123456789"

func challenge(v string) string {
	s := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(s[:])
}

// authorizeURL is an authorization request for user with PKCE S256.
func authorizeURL(i *OIDCIssuer, user string, change func(url.Values)) string {
	q := url.Values{"client_id": {i.ClientID()}, "redirect_uri": {"http://127.0.0.1:1/auth/callback"}, "response_type": {"code"},
		"scope": {"openid profile"}, "state": {"st4te"}, "nonce": {"n0nce"}, "login_hint": {user},
		"code_challenge": {challenge(testVerifier)}, "code_challenge_method": {"S256"}}
	if change != nil {
		change(q)
	}
	return i.URL() + "/authorize?" + q.Encode()
}

// code runs an authorization request and returns the redirect's query.
func code(t *testing.T, i *OIDCIssuer, user string, change func(url.Values)) (url.Values, int) {
	t.Helper()
	resp, err := oidcClient.Get(authorizeURL(i, user, change))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		return nil, resp.StatusCode
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(loc.String(), "http://127.0.0.1:1/auth/callback?") {
		t.Fatalf("redirect to %q (%v)", resp.Header.Get("Location"), err)
	}
	return loc.Query(), resp.StatusCode
}

func exchange(t *testing.T, i *OIDCIssuer, form url.Values) (map[string]any, int) {
	t.Helper()
	resp, err := oidcClient.PostForm(i.URL()+"/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out, resp.StatusCode
}

func tokenForm(i *OIDCIssuer, code string) url.Values {
	return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "client_id": {i.ClientID()},
		"client_secret": {i.ClientSecret()}, "redirect_uri": {"http://127.0.0.1:1/auth/callback"}, "code_verifier": {testVerifier}}
}

// claims checks an ID token's RS256 signature against the issuer's JWKS
// and returns its claims (ok false when the signature does not verify).
func claims(t *testing.T, i *OIDCIssuer, jwt string) (map[string]any, bool) {
	t.Helper()
	resp, err := oidcClient.Get(i.URL() + "/keys")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set struct{ Keys []struct{ N, E, Kid string } }
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil || len(set.Keys) != 1 {
		t.Fatalf("jwks: %+v, %v", set, err)
	}
	n, _ := base64.RawURLEncoding.DecodeString(set.Keys[0].N)
	e, _ := base64.RawURLEncoding.DecodeString(set.Keys[0].E)
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWS: %q", jwt)
	}
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	ok := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig) == nil
	raw, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var c map[string]any
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	return c, ok
}

func TestOIDCIssuerFlow(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	clk := &testClock{t: now}
	i := startIssuer(t, clk.Now)

	resp, err := oidcClient.Get(i.URL() + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var disc map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&disc)
	resp.Body.Close()
	if disc["issuer"] != i.URL() || disc["jwks_uri"] != i.URL()+"/keys" {
		t.Errorf("discovery: %v", disc)
	}

	q, _ := code(t, i, "alice", nil)
	if q.Get("state") != "st4te" || q.Get("code") == "" {
		t.Fatalf("redirect query %v", q)
	}
	// A wrong verifier, secret or redirect URI costs the attempt nothing
	// but is refused; the right one gets an ID token once.
	bad := tokenForm(i, q.Get("code"))
	bad.Set("client_secret", "wrong")
	if out, st := exchange(t, i, bad); st != http.StatusUnauthorized || out["error"] != "invalid_client" {
		t.Errorf("wrong secret: %d %v", st, out)
	}
	out, st := exchange(t, i, tokenForm(i, q.Get("code")))
	if st != http.StatusOK {
		t.Fatalf("exchange: %d %v", st, out)
	}
	c, ok := claims(t, i, out["id_token"].(string))
	if !ok {
		t.Error("the ID token's signature does not verify against the JWKS")
	}
	if c["iss"] != i.URL() || c["aud"] != i.ClientID() || c["sub"] != "alice" || c["nonce"] != "n0nce" ||
		c["exp"] != float64(now.Add(time.Hour).Unix()) || c["email"] != "alice@example.test" {
		t.Errorf("claims %v", c)
	}
	if roles, _ := c["roles"].([]any); len(roles) != 1 || roles[0] != "kvguard.admin" {
		t.Errorf("roles %v", c["roles"])
	}
	if out, st := exchange(t, i, tokenForm(i, q.Get("code"))); st != http.StatusBadRequest || out["error"] != "invalid_grant" {
		t.Errorf("code reused: %d %v", st, out)
	}
	if i.Issued() != 1 {
		t.Errorf("issued %d tokens, want 1", i.Issued())
	}
}

func TestOIDCIssuerRefusals(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	clk := &testClock{t: now}
	i := startIssuer(t, clk.Now)
	for _, tc := range []struct {
		name   string
		change func(url.Values)
	}{
		{"no PKCE", func(q url.Values) { q.Del("code_challenge") }},
		{"plain PKCE", func(q url.Values) { q.Set("code_challenge_method", "plain") }},
		{"unknown client", func(q url.Values) { q.Set("client_id", "other") }},
		{"unregistered redirect", func(q url.Values) { q.Set("redirect_uri", "http://127.0.0.1:2/cb") }},
		{"no openid scope", func(q url.Values) { q.Set("scope", "profile") }},
		{"unknown user", func(q url.Values) { q.Set("login_hint", "mallory") }},
	} {
		if _, st := code(t, i, "alice", tc.change); st != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", tc.name, st)
		}
	}
	for _, tc := range []struct {
		name   string
		change func(url.Values)
	}{
		{"wrong verifier", func(f url.Values) { f.Set("code_verifier", testVerifier+"x") }},
		{"wrong redirect", func(f url.Values) { f.Set("redirect_uri", "http://127.0.0.1:1/other") }},
	} {
		q, _ := code(t, i, "bob", nil)
		f := tokenForm(i, q.Get("code"))
		tc.change(f)
		if out, st := exchange(t, i, f); st != http.StatusBadRequest || out["error"] != "invalid_grant" {
			t.Errorf("%s: %d %v", tc.name, st, out)
		}
	}
	q, _ := code(t, i, "bob", nil)
	clk.Add(2 * time.Minute)
	if out, st := exchange(t, i, tokenForm(i, q.Get("code"))); st != http.StatusBadRequest {
		t.Errorf("expired code: %d %v", st, out)
	}
}

func TestOIDCIssuerFaults(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	clk := &testClock{t: now}
	i := startIssuer(t, clk.Now)
	for _, tc := range []struct {
		fault OIDCFault
		check func(c map[string]any, signed bool) bool
	}{
		{OIDCWrongAudience, func(c map[string]any, s bool) bool { return s && c["aud"] != i.ClientID() }},
		{OIDCExpired, func(c map[string]any, s bool) bool { return s && c["exp"].(float64) < float64(now.Unix()) }},
		{OIDCBadSignature, func(c map[string]any, s bool) bool { return !s && c["aud"] == i.ClientID() }},
		{OIDCWrongNonce, func(c map[string]any, s bool) bool { return s && c["nonce"] != "n0nce" }},
		{OIDCWrongIssuer, func(c map[string]any, s bool) bool { return s && c["iss"] != i.URL() }},
	} {
		i.SetFault(tc.fault)
		q, _ := code(t, i, "bob", nil)
		out, st := exchange(t, i, tokenForm(i, q.Get("code")))
		if st != http.StatusOK {
			t.Fatalf("fault %d: %d %v", tc.fault, st, out)
		}
		c, signed := claims(t, i, out["id_token"].(string))
		if c["sub"] != "bob-oid" || !tc.check(c, signed) {
			t.Errorf("fault %d: claims %v, signature verifies: %v", tc.fault, c, signed)
		}
	}
	i.SetFault(OIDCDeny)
	q, _ := code(t, i, "bob", nil)
	if q.Get("error") != "access_denied" || q.Get("code") != "" || q.Get("state") != "st4te" {
		t.Errorf("deny: %v", q)
	}
}

// TestOIDCIssuerSignInPage: a request that names no user, to an issuer
// with several, gets a page with one button per user; submitting its form
// as one of them approves that user, with the request's state and nonce.
func TestOIDCIssuerSignInPage(t *testing.T) {
	t.Parallel()
	clk := &testClock{t: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
	i := startIssuer(t, clk.Now)
	resp, err := oidcClient.Get(authorizeURL(i, "", func(q url.Values) { q.Del("login_hint") }))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page := string(b)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("status %d, %s: %s", resp.StatusCode, resp.Header.Get("Content-Type"), page)
	}
	if strings.Contains(page, "<script") {
		t.Error("the sign-in page has a script")
	}
	var buttons []string
	for _, m := range regexp.MustCompile(`<button type="submit" name="user" value="([^"]*)">`).FindAllStringSubmatch(page, -1) {
		buttons = append(buttons, m[1])
	}
	if strings.Join(buttons, ",") != "alice,bob" {
		t.Errorf("buttons for %v, want alice,bob", buttons)
	}
	// Submit the form as bob: its hidden fields plus the button's value.
	form := url.Values{"user": {"bob"}}
	for _, m := range regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`).FindAllStringSubmatch(page, -1) {
		form.Set(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	resp, err = oidcClient.Get(i.URL() + "/authorize?" + form.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || loc == nil || loc.Query().Get("code") == "" || loc.Query().Get("state") != "st4te" {
		t.Fatalf("submitted form: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	out, st := exchange(t, i, tokenForm(i, loc.Query().Get("code")))
	if st != http.StatusOK {
		t.Fatalf("exchange: %d %v", st, out)
	}
	c, ok := claims(t, i, out["id_token"].(string))
	if !ok || c["sub"] != "bob-oid" || c["nonce"] != "n0nce" {
		t.Errorf("ID token claims %v (signature ok %v), want bob's with the nonce", c, ok)
	}
}
