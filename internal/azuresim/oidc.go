package azuresim

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// OIDCUser is a user the test issuer signs in. Its ID token carries sub,
// name, preferred_username, email and roles (as Entra ID puts app roles
// there), then Claims, which may add to or replace them.
type OIDCUser struct {
	// Subject is the sub claim (default: the user's key in Users).
	Subject string
	Name    string
	Email   string
	Roles   []string
	Claims  map[string]any
}

// OIDCFault makes the issuer misbehave, for the negative tests of a
// relying party: each fault spoils one thing that it must check.
type OIDCFault int32

// The faults.
const (
	// OIDCHonest issues correct tokens.
	OIDCHonest OIDCFault = iota
	// OIDCWrongAudience issues ID tokens for another client.
	OIDCWrongAudience
	// OIDCExpired issues ID tokens that expired an hour ago.
	OIDCExpired
	// OIDCBadSignature signs ID tokens with a key the JWKS does not hold
	// (under the published key ID).
	OIDCBadSignature
	// OIDCWrongNonce puts another nonce in the ID token than the one the
	// authorization request carried.
	OIDCWrongNonce
	// OIDCWrongIssuer issues ID tokens naming another issuer.
	OIDCWrongIssuer
	// OIDCDeny answers the authorization request with error=access_denied.
	OIDCDeny
)

// The client the test issuer accepts by default.
const (
	DefaultOIDCClientID     = "kvguard-test-client"
	DefaultOIDCClientSecret = "kvguard-test-client-secret" //nolint:gosec // a test issuer's well-known secret
)

// OIDCOptions configure a test OpenID Connect issuer.
type OIDCOptions struct {
	// Addr is the address to listen on (default 127.0.0.1:0).
	Addr string
	// ClientID and ClientSecret are the one client the issuer knows
	// (defaults DefaultOIDCClientID, DefaultOIDCClientSecret).
	ClientID     string
	ClientSecret string
	// RedirectURLs, when set, are the only redirect URIs accepted.
	RedirectURLs []string
	// Users are the accounts it signs in, by key: the authorization
	// request picks one with login_hint or the user query parameter (or
	// the only one there is).
	Users map[string]OIDCUser
	// Now is the issuer's clock (default time.Now): token lifetimes and
	// the expiry of authorization codes read it.
	Now func() time.Time
	// TokenTTL is an ID token's lifetime (default 1h).
	TokenTTL time.Duration
	// Fault makes it misbehave from the start (SetFault changes it).
	Fault OIDCFault
	// Logger receives diagnostics (default: discard).
	Logger *slog.Logger
}

// OIDCIssuer is an OpenID Connect provider for tests over loopback HTTP:
// discovery, a JWKS with an RS256 key generated at start, an
// authorization endpoint that approves the chosen user at once (PKCE S256
// required, nonce honoured), or shows a sign-in page listing its users
// when the request chose none of several, and a token endpoint that
// checks the code, its verifier, the client and the redirect URI.
type OIDCIssuer struct {
	opts   OIDCOptions
	logger *slog.Logger
	key    *rsa.PrivateKey
	rogue  *rsa.PrivateKey
	kid    string
	fault  atomic.Int32
	issued atomic.Int64

	mu    sync.Mutex
	codes map[string]oidcGrant

	ln  net.Listener
	srv *http.Server
	url string
}

// oidcGrant is an authorization code's request.
type oidcGrant struct {
	user      string
	redirect  string
	nonce     string
	challenge string
	expires   time.Time
}

// NewOIDCIssuer starts an issuer listening on opts.Addr; Close stops it.
func NewOIDCIssuer(opts OIDCOptions) (*OIDCIssuer, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.ClientID == "" {
		opts.ClientID = DefaultOIDCClientID
	}
	if opts.ClientSecret == "" {
		opts.ClientSecret = DefaultOIDCClientSecret
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = time.Hour
	}
	i := &OIDCIssuer{opts: opts, logger: opts.Logger, codes: map[string]oidcGrant{}}
	if i.logger == nil {
		i.logger = slog.New(slog.DiscardHandler)
	}
	var err error
	if i.key, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		return nil, fmt.Errorf("azuresim: oidc signing key: %w", err)
	}
	if i.rogue, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		return nil, fmt.Errorf("azuresim: oidc rogue key: %w", err)
	}
	i.kid = randomString(8)
	i.fault.Store(int32(opts.Fault))
	i.ln, err = net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("azuresim: oidc listen: %w", err)
	}
	i.url = "http://" + i.ln.Addr().String()
	i.srv = &http.Server{Handler: i.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := i.srv.Serve(i.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			i.logger.Error("oidc issuer stopped", "err", err)
		}
	}()
	return i, nil
}

// URL is the issuer's identifier and base URL (http://127.0.0.1:port).
func (i *OIDCIssuer) URL() string { return i.url }

// ClientID is the client the issuer accepts.
func (i *OIDCIssuer) ClientID() string { return i.opts.ClientID }

// ClientSecret is that client's secret.
func (i *OIDCIssuer) ClientSecret() string { return i.opts.ClientSecret }

// SetFault changes how the issuer misbehaves from the next request on.
func (i *OIDCIssuer) SetFault(f OIDCFault) { i.fault.Store(int32(f)) }

// Issued counts the ID tokens issued.
func (i *OIDCIssuer) Issued() int64 { return i.issued.Load() }

// Close stops the issuer.
func (i *OIDCIssuer) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second) //nolint:forbidigo // Close has no caller context
	defer cancel()
	if err := i.srv.Shutdown(ctx); err != nil {
		return fmt.Errorf("azuresim: stop the oidc issuer: %w", err)
	}
	return nil
}

// Handler serves the issuer's endpoints (for mounting it elsewhere; its
// URLs still name URL()).
func (i *OIDCIssuer) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", i.discovery)
	mux.HandleFunc("GET /keys", i.jwks)
	mux.HandleFunc("GET /authorize", i.authorize)
	mux.HandleFunc("POST /token", i.token)
	return mux
}

func (i *OIDCIssuer) discovery(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                i.url,
		"authorization_endpoint":                i.url + "/authorize",
		"token_endpoint":                        i.url + "/token",
		"jwks_uri":                              i.url + "/keys",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"scopes_supported":                      []string{"openid", "profile", "email"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
		"code_challenge_methods_supported":      []string{"S256"},
		"claims_supported":                      []string{"sub", "name", "preferred_username", "email", "roles", "nonce"},
	})
}

func (i *OIDCIssuer) jwks(w http.ResponseWriter, _ *http.Request) {
	pub := i.key.PublicKey
	writeJSON(w, http.StatusOK, map[string]any{"keys": []map[string]any{{
		"kty": "RSA", "use": "sig", "alg": "RS256", "kid": i.kid,
		"n": base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}}})
}

// oauthError answers a token request's error (RFC 6749 5.2).
func oauthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]any{"error": code, "error_description": desc})
}

// authorize approves the chosen user at once and redirects back with a
// code. Mistakes a relying party could make are answered 400 without a
// redirect, as an issuer must when it cannot trust the redirect URI.
func (i *OIDCIssuer) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirect := q.Get("redirect_uri")
	switch {
	case q.Get("client_id") != i.opts.ClientID:
		http.Error(w, "unknown client_id", http.StatusBadRequest)
		return
	case redirect == "" || (len(i.opts.RedirectURLs) > 0 && !slices.Contains(i.opts.RedirectURLs, redirect)):
		http.Error(w, "redirect_uri is not registered", http.StatusBadRequest)
		return
	case q.Get("response_type") != "code":
		http.Error(w, "response_type must be code", http.StatusBadRequest)
		return
	case !slices.Contains(strings.Fields(q.Get("scope")), "openid"):
		http.Error(w, "scope must include openid", http.StatusBadRequest)
		return
	case q.Get("code_challenge") == "" || q.Get("code_challenge_method") != "S256":
		http.Error(w, "this issuer requires PKCE with code_challenge_method S256", http.StatusBadRequest)
		return
	}
	back, err := url.Parse(redirect)
	if err != nil {
		http.Error(w, "redirect_uri is not a URL", http.StatusBadRequest)
		return
	}
	v := back.Query()
	v.Set("state", q.Get("state"))
	user, ok := i.pickUser(q)
	switch {
	case OIDCFault(i.fault.Load()) == OIDCDeny:
		v.Set("error", "access_denied")
		v.Set("error_description", "the user declined to sign in")
	case !ok && q.Get("login_hint") == "" && q.Get("user") == "" && len(i.opts.Users) > 1:
		i.signInPage(w, q)
		return
	case !ok:
		http.Error(w, "choose a user with login_hint or user: one of "+strings.Join(i.userKeys(), ", "), http.StatusBadRequest)
		return
	default:
		code := randomString(24)
		i.mu.Lock()
		i.codes[code] = oidcGrant{user: user, redirect: redirect, nonce: q.Get("nonce"), challenge: q.Get("code_challenge"),
			expires: i.opts.Now().Add(time.Minute)}
		i.mu.Unlock()
		v.Set("code", code)
	}
	back.RawQuery = v.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

// signInPage asks which user signs in: a form that repeats the
// authorization request with user set, one button per user, so that a
// browser test goes through the issuer as a person would (no script).
func (i *OIDCIssuer) signInPage(w http.ResponseWriter, q url.Values) {
	keys := make([]string, 0, len(q))
	for k := range q {
		if k != "user" && k != "login_hint" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in – kvguard test issuer</title></head>` +
		`<body><h1>Sign in</h1><form method="get" action="/authorize">`)
	for _, k := range keys {
		fmt.Fprintf(&b, `<input type="hidden" name="%s" value="%s">`, html.EscapeString(k), html.EscapeString(q.Get(k)))
	}
	for _, u := range i.userKeys() {
		fmt.Fprintf(&b, `<p><button type="submit" name="user" value="%s">Sign in as %s</button></p>`,
			html.EscapeString(u), html.EscapeString(u))
	}
	b.WriteString(`</form></body></html>`)
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// No form-action: the form's answer redirects to the relying party, and
	// Chromium applies form-action to the redirect too.
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, b.String())
}

func (i *OIDCIssuer) pickUser(q url.Values) (string, bool) {
	for _, k := range []string{q.Get("login_hint"), q.Get("user")} {
		if _, ok := i.opts.Users[k]; ok && k != "" {
			return k, true
		}
	}
	if len(i.opts.Users) == 1 && q.Get("login_hint") == "" && q.Get("user") == "" {
		for k := range i.opts.Users {
			return k, true
		}
	}
	return "", false
}

func (i *OIDCIssuer) userKeys() []string {
	keys := make([]string, 0, len(i.opts.Users))
	for k := range i.opts.Users {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// token exchanges a code for an ID token, checking the client (HTTP Basic
// or form), the redirect URI and the PKCE verifier.
func (i *OIDCIssuer) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	id, secret, basic := r.BasicAuth()
	if basic {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != i.opts.ClientID || subtle.ConstantTimeCompare([]byte(secret), []byte(i.opts.ClientSecret)) != 1 {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "unknown client or wrong secret")
		return
	}
	if r.PostForm.Get("grant_type") != "authorization_code" {
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "only authorization_code")
		return
	}
	code := r.PostForm.Get("code")
	i.mu.Lock()
	g, ok := i.codes[code]
	delete(i.codes, code)
	i.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	switch {
	case !ok || !i.opts.Now().Before(g.expires):
		oauthError(w, http.StatusBadRequest, "invalid_grant", "unknown, used or expired code")
		return
	case r.PostForm.Get("redirect_uri") != g.redirect:
		oauthError(w, http.StatusBadRequest, "invalid_grant", "redirect_uri differs from the authorization request's")
		return
	case base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge:
		oauthError(w, http.StatusBadRequest, "invalid_grant", "code_verifier does not match the code_challenge")
		return
	}
	idToken, err := i.idToken(g)
	if err != nil {
		oauthError(w, http.StatusInternalServerError, "server_error", err.Error())
		return
	}
	i.issued.Add(1)
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": randomString(24), "token_type": "Bearer", "expires_in": int(i.opts.TokenTTL.Seconds()),
		"id_token": idToken, "scope": "openid profile email",
	})
}

// idToken signs the ID token for a grant, spoiled by the current fault.
func (i *OIDCIssuer) idToken(g oidcGrant) (string, error) {
	u := i.opts.Users[g.user]
	now := i.opts.Now()
	claims := map[string]any{
		"iss": i.url, "aud": i.opts.ClientID, "sub": u.Subject,
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(i.opts.TokenTTL).Unix(),
		"name": u.Name, "preferred_username": g.user, "email": u.Email,
	}
	if u.Subject == "" {
		claims["sub"] = g.user
	}
	if u.Roles != nil {
		claims["roles"] = u.Roles
	}
	if g.nonce != "" {
		claims["nonce"] = g.nonce
	}
	for k, v := range u.Claims {
		claims[k] = v
	}
	key := i.key
	switch OIDCFault(i.fault.Load()) {
	case OIDCWrongAudience:
		claims["aud"] = "another-client"
	case OIDCExpired:
		claims["iat"], claims["nbf"], claims["exp"] = now.Add(-2*time.Hour).Unix(), now.Add(-2*time.Hour).Unix(), now.Add(-time.Hour).Unix()
	case OIDCBadSignature:
		key = i.rogue
	case OIDCWrongNonce:
		claims["nonce"] = g.nonce + "-replayed"
	case OIDCWrongIssuer:
		claims["iss"] = i.url + "/another-issuer"
	}
	return signJWT(key, i.kid, claims)
}

// signJWT writes a compact RS256 JWS.
func signJWT(key *rsa.PrivateKey, kid string, claims map[string]any) (string, error) {
	header, err := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT", "kid": kid})
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	input := base64.RawURLEncoding.EncodeToString(header) + "." + base64.RawURLEncoding.EncodeToString(payload)
	digest := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
	if err != nil {
		return "", fmt.Errorf("sign an ID token: %w", err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
