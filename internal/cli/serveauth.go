package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/kvguard/kvguard/internal/store"
	"github.com/kvguard/kvguard/internal/webauth"
)

// oidcSecretEnv holds the OpenID Connect client secret when no file is
// named: never on the command line, where ps and shell history see it.
const oidcSecretEnv = "KVGUARD_OIDC_CLIENT_SECRET"

// serveAuthOptions are kvguard serve's authentication flags. API tokens
// (kvguard token create) are always accepted; OpenID Connect sign-in is on
// when --auth-oidc-issuer is set.
type serveAuthOptions struct {
	oidcIssuer           string
	oidcClientID         string
	oidcClientSecretFile string
	oidcRedirectURL      string
	oidcRoleClaim        string
	oidcRoles            []string
	oidcDefaultRole      string
	sessionTTL           time.Duration
	cookieSecure         bool

	// fs is the flag set AddFlags bound, to tell a flag given from its
	// default; loopback is set by OnLoopback.
	fs       *pflag.FlagSet
	loopback bool
	// getenv and readFile are os.Getenv and os.ReadFile (tests inject
	// others).
	getenv   func(string) string
	readFile func(string) ([]byte, error)
}

// AddFlags binds the --auth-* flags to fs.
func (o *serveAuthOptions) AddFlags(fs *pflag.FlagSet) {
	o.fs = fs
	fs.StringVar(&o.oidcIssuer, "auth-oidc-issuer", "", "OpenID Connect issuer URL for browser sign-in (docs/auth.md)")
	fs.StringVar(&o.oidcClientID, "auth-oidc-client-id", "", "the OpenID Connect client (application) ID")
	fs.StringVar(&o.oidcClientSecretFile, "auth-oidc-client-secret-file", "", "file holding the client secret (else $"+oidcSecretEnv+"; never on the command line)")
	fs.StringVar(&o.oidcRedirectURL, "auth-oidc-redirect-url", "", "this server's callback as registered with the issuer: https://<host>/auth/callback")
	fs.StringVar(&o.oidcRoleClaim, "auth-oidc-role-claim", "roles", "the ID token claim holding the user's roles (Entra ID app roles: roles)")
	fs.StringSliceVar(&o.oidcRoles, "auth-oidc-roles", nil, "claim value=role,… (default:\nkvguard.<role>=<role>)")
	fs.StringVar(&o.oidcDefaultRole, "auth-oidc-default-role", "none", "role of a signed-in user whose claims name none: none (refused), reader, editor or admin")
	fs.DurationVar(&o.sessionTTL, "auth-session-ttl", 8*time.Hour, "how long a browser session lasts")
	fs.BoolVar(&o.cookieSecure, "auth-cookie-secure", true, "mark cookies Secure (HTTPS only); defaults to false when serving on loopback")
}

// OnLoopback tells the options whether the server listens on loopback
// only: then, unless --auth-cookie-secure was given, cookies are not
// marked Secure, so that sign-in works over http://127.0.0.1.
func (o *serveAuthOptions) OnLoopback(loopback bool) { o.loopback = loopback }

// Enabled reports whether browser sign-in was configured
// (--auth-oidc-issuer). API tokens work either way once the store holds
// any.
func (o *serveAuthOptions) Enabled() bool { return o.oidcIssuer != "" }

// secure is the cookies' Secure attribute.
func (o *serveAuthOptions) secure() bool {
	if o.fs != nil && o.fs.Changed("auth-cookie-secure") {
		return o.cookieSecure
	}
	return o.cookieSecure && !o.loopback
}

// check reports flag mistakes as usage errors.
func (o *serveAuthOptions) check() error {
	if o.oidcIssuer == "" {
		for _, name := range []string{"auth-oidc-client-id", "auth-oidc-client-secret-file", "auth-oidc-redirect-url",
			"auth-oidc-role-claim", "auth-oidc-roles", "auth-oidc-default-role"} {
			if o.fs != nil && o.fs.Changed(name) {
				return usageErrorf("--%s needs --auth-oidc-issuer", name)
			}
		}
		return nil
	}
	switch {
	case o.oidcClientID == "":
		return usageErrorf("--auth-oidc-issuer needs --auth-oidc-client-id")
	case o.oidcRedirectURL == "":
		return usageErrorf("--auth-oidc-issuer needs --auth-oidc-redirect-url (https://<host>/auth/callback)")
	case o.sessionTTL <= 0:
		return usageErrorf("--auth-session-ttl must be positive")
	}
	return nil
}

// oidcConfig turns the flags into webauth's configuration, reading the
// client secret from its file or the environment.
func (o *serveAuthOptions) oidcConfig() (*webauth.OIDCConfig, error) {
	def, err := webauth.ParseRole(o.oidcDefaultRole)
	if err != nil {
		return nil, usageErrorf("--auth-oidc-default-role: %w", err)
	}
	c := &webauth.OIDCConfig{Issuer: o.oidcIssuer, ClientID: o.oidcClientID, RedirectURL: o.oidcRedirectURL,
		RoleClaim: o.oidcRoleClaim, DefaultRole: def}
	if len(o.oidcRoles) > 0 {
		c.Roles = map[string]webauth.Role{}
		for _, pair := range o.oidcRoles {
			value, name, ok := strings.Cut(pair, "=")
			role, err := webauth.ParseRole(name)
			if !ok || strings.TrimSpace(value) == "" || err != nil || role == webauth.RoleNone {
				return nil, usageErrorf("--auth-oidc-roles %q: use claimValue=reader|editor|admin", pair)
			}
			c.Roles[strings.TrimSpace(value)] = role
		}
	}
	getenv, readFile := o.getenv, o.readFile
	if getenv == nil {
		getenv = os.Getenv
	}
	if readFile == nil {
		readFile = os.ReadFile
	}
	if o.oidcClientSecretFile != "" {
		b, err := readFile(o.oidcClientSecretFile)
		if err != nil {
			// The error names the path, never the content.
			return nil, fmt.Errorf("read --auth-oidc-client-secret-file: %w", err)
		}
		c.ClientSecret = strings.TrimSpace(string(b))
		if c.ClientSecret == "" {
			return nil, fmt.Errorf("--auth-oidc-client-secret-file %s is empty", o.oidcClientSecretFile)
		}
	} else {
		c.ClientSecret = getenv(oidcSecretEnv)
	}
	return c, nil
}

// Service builds the authentication service on st: API tokens always,
// OpenID Connect when configured (reading the issuer's discovery
// document).
func (o *serveAuthOptions) Service(ctx context.Context, st *store.Store, now func() time.Time, logger *slog.Logger) (*webauth.Service, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	opts := webauth.Options{Store: st, Now: now, Logger: logger, SessionTTL: o.sessionTTL, CookieSecure: o.secure()}
	if o.Enabled() {
		c, err := o.oidcConfig()
		if err != nil {
			return nil, err
		}
		opts.OIDC = c
	}
	svc, err := webauth.New(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("authentication: %w", err)
	}
	return svc, nil
}
