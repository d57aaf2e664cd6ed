package webauth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/kvguard/kvguard/internal/store"
)

// OIDCConfig is the OpenID Connect client: the issuer (Entra ID's
// https://login.microsoftonline.com/<tenant>/v2.0 or any other) and how
// its ID tokens' claims map to roles.
type OIDCConfig struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	// RedirectURL is this server's callback as the issuer knows it:
	// https://kvguard.example/auth/callback.
	RedirectURL string
	// RoleClaim is the claim holding the user's roles (default "roles",
	// where Entra ID puts app roles): a string or a list of strings.
	RoleClaim string
	// Roles maps claim values to roles; the highest wins. Default:
	// kvguard.reader, kvguard.editor, kvguard.admin.
	Roles map[string]Role
	// DefaultRole is given to users whose claims map to no role;
	// RoleNone (the default) refuses them with 403.
	DefaultRole Role
	// Scopes requested (default openid, profile, email).
	Scopes []string
}

// Options configure a Service.
type Options struct {
	// Store keeps tokens, sessions and sign-ins (required).
	Store *store.Store
	// Now is the clock (default time.Now): token and session expiry, and
	// the ID token's, read it.
	Now func() time.Time
	// Logger receives diagnostics (default: discard). Never a token.
	Logger *slog.Logger
	// OIDC enables browser sign-in; nil leaves API tokens only.
	OIDC *OIDCConfig
	// SessionTTL is a session's lifetime (default 8h).
	SessionTTL time.Duration
	// CookieSecure marks cookies Secure (and names them __Host-…): true
	// unless the server listens on loopback over plain HTTP, which the
	// caller decides.
	CookieSecure bool
	// HTTPClient reaches the issuer (default: a client with a 30 s
	// timeout).
	HTTPClient *http.Client
}

// Identity is who a request comes from.
type Identity struct {
	// Name is the user's name (preferred_username, email or subject) for
	// a session, "token:<name>" for an API token: the actor the audit log
	// records.
	Name string
	Role Role
	// Kind is "token" or "session".
	Kind string
}

// The kinds of identity.
const (
	KindToken   = "token"
	KindSession = "session"
)

// ErrCredential is wrapped by every error Authenticate returns for a
// credential it refuses (answer 401 with the message).
var ErrCredential = errors.New("bad credential")

// Service authenticates kvguard serve's requests and serves /auth/.
type Service struct {
	st      *store.Store
	now     func() time.Time
	log     *slog.Logger
	ttl     time.Duration
	secure  bool
	client  *http.Client
	session string // the session cookie's name
	flow    string // the sign-in cookie's name

	oidc     *OIDCConfig
	oauth    oauth2.Config
	verifier *oidc.IDTokenVerifier
}

// New prepares a Service; with OIDC it reads the issuer's discovery
// document (so the issuer must answer).
func New(ctx context.Context, o Options) (*Service, error) {
	if o.Store == nil {
		return nil, errors.New("webauth: no store")
	}
	s := &Service{st: o.Store, now: o.Now, log: o.Logger, ttl: o.SessionTTL, secure: o.CookieSecure, client: o.HTTPClient}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.ttl <= 0 {
		s.ttl = 8 * time.Hour
	}
	if s.client == nil {
		s.client = &http.Client{Timeout: 30 * time.Second}
	}
	s.session, s.flow = "kvguard_session", "kvguard_signin"
	if s.secure {
		// __Host-: the browser accepts it only Secure, Path=/ and without
		// a Domain, so no sibling host can plant or shadow it.
		s.session, s.flow = "__Host-"+s.session, "__Host-"+s.flow
	}
	if o.OIDC != nil {
		if err := s.setupOIDC(ctx, *o.OIDC); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (s *Service) setupOIDC(ctx context.Context, c OIDCConfig) error {
	switch {
	case c.Issuer == "":
		return errors.New("webauth: OpenID Connect needs an issuer")
	case c.ClientID == "":
		return errors.New("webauth: OpenID Connect needs a client ID")
	case c.RedirectURL == "":
		return errors.New("webauth: OpenID Connect needs a redirect URL (https://<host>/auth/callback)")
	case c.DefaultRole < RoleNone || c.DefaultRole > RoleAdmin:
		return fmt.Errorf("webauth: default role %d is not a role", int(c.DefaultRole))
	}
	if u, err := url.Parse(c.RedirectURL); err != nil || u.Scheme == "" || u.Host == "" {
		return fmt.Errorf("webauth: redirect URL %q is not an absolute URL", c.RedirectURL)
	}
	if c.RoleClaim == "" {
		c.RoleClaim = "roles"
	}
	if c.Roles == nil {
		c.Roles = map[string]Role{"kvguard.reader": RoleReader, "kvguard.editor": RoleEditor, "kvguard.admin": RoleAdmin}
	}
	if len(c.Scopes) == 0 {
		c.Scopes = []string{oidc.ScopeOpenID, "profile", "email"}
	}
	provider, err := oidc.NewProvider(oidc.ClientContext(ctx, s.client), c.Issuer)
	if err != nil {
		return fmt.Errorf("webauth: discover the OpenID Connect issuer %s: %w", c.Issuer, err)
	}
	s.oidc = &c
	s.oauth = oauth2.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, Endpoint: provider.Endpoint(),
		RedirectURL: c.RedirectURL, Scopes: c.Scopes}
	s.verifier = provider.VerifierContext(oidc.ClientContext(ctx, s.client),
		&oidc.Config{ClientID: c.ClientID, Now: s.now, SupportedSigningAlgs: []string{oidc.RS256, oidc.ES256, oidc.PS256}})
	return nil
}

// OIDCEnabled reports whether browser sign-in is configured.
func (s *Service) OIDCEnabled() bool { return s.oidc != nil }

// Authenticate says who r comes from: an API token in "Authorization:
// Bearer kvg_…" (which wins), else a session cookie. ok is false when r
// carries no credential, or a session cookie that is unknown or expired
// (a browser signs in again); err (wrapping ErrCredential) is a refused
// token, with a message to show.
func (s *Service) Authenticate(r *http.Request) (Identity, bool, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		return s.authToken(r.Context(), h)
	}
	for _, c := range r.CookiesNamed(s.session) {
		if c.Value != "" {
			return s.authSession(r.Context(), c.Value)
		}
	}
	return Identity{}, false, nil
}

func (s *Service) authSession(ctx context.Context, id string) (Identity, bool, error) {
	if len(id) != 43 { // base64url of 32 bytes
		return Identity{}, false, nil
	}
	sess, err := s.st.AuthSessionByHash(ctx, hashOf(id))
	if errors.Is(err, store.ErrUnknownSession) {
		return Identity{}, false, nil
	}
	if err != nil {
		return Identity{}, false, fmt.Errorf("authenticate a session: %w", err)
	}
	if !s.now().Before(sess.Expires) {
		return Identity{}, false, nil
	}
	role, _ := ParseRole(sess.Role) // RoleNone when unreadable: no session
	if role == RoleNone {
		return Identity{}, false, nil
	}
	return Identity{Name: sess.Name, Role: role, Kind: KindSession}, true, nil
}

// SignInURL is where a browser without a session goes: the sign-in
// route, returning to the page it asked for (a GET) afterwards.
func (s *Service) SignInURL(r *http.Request) string {
	back := "/"
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		back = r.URL.RequestURI()
	}
	return "/auth/signin?return_to=" + url.QueryEscape(safeReturn(back))
}

// safeReturn keeps a return address on this server: a /-rooted path,
// never //host or a scheme.
func safeReturn(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") || strings.HasPrefix(p, "/auth/") {
		return "/"
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || strings.ContainsAny(p, "\r\n") {
		return "/"
	}
	return p
}

// random is n random bytes, base64url without padding.
func random(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashOf is the SHA-256 of a token, session ID or state, in hex: what the
// store keeps instead of it.
func hashOf(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// Prune deletes the expired sessions and the sign-ins never finished
// (each sign-in also does): the server's maintenance tick may call it.
func (s *Service) Prune(ctx context.Context) error {
	n, err := s.st.PruneAuth(ctx, s.now())
	if err != nil {
		return fmt.Errorf("prune sessions: %w", err)
	}
	if n > 0 {
		s.log.Debug("expired sessions pruned", "rows", n)
	}
	return nil
}
