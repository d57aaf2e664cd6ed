package cli

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/kvguard/kvguard/internal/azuresim"
	"github.com/kvguard/kvguard/internal/store"
)

func parseAuthFlags(t *testing.T, args ...string) (*serveAuthOptions, error) {
	t.Helper()
	o := &serveAuthOptions{getenv: func(string) string { return "" }}
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	o.AddFlags(fs)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	return o, nil
}

func authStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "kvguard.db"), store.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func TestServeAuthFlags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		args    []string
		enabled bool
		wantErr string
	}{
		{"none", nil, false, ""},
		{"client id alone", []string{"--auth-oidc-client-id", "x"}, false, "--auth-oidc-client-id needs --auth-oidc-issuer"},
		{"roles alone", []string{"--auth-oidc-roles", "a=admin"}, false, "--auth-oidc-roles needs --auth-oidc-issuer"},
		{"no client id", []string{"--auth-oidc-issuer", "http://127.0.0.1:1", "--auth-oidc-redirect-url", "http://127.0.0.1:8080/auth/callback"}, true, "--auth-oidc-client-id"},
		{"no redirect", []string{"--auth-oidc-issuer", "http://127.0.0.1:1", "--auth-oidc-client-id", "c"}, true, "--auth-oidc-redirect-url"},
		{"bad roles", []string{"--auth-oidc-issuer", "http://127.0.0.1:1", "--auth-oidc-client-id", "c",
			"--auth-oidc-redirect-url", "http://127.0.0.1:8080/auth/callback", "--auth-oidc-roles", "kvguard.admin=owner"}, true, "claimValue=reader|editor|admin"},
		{"bad default role", []string{"--auth-oidc-issuer", "http://127.0.0.1:1", "--auth-oidc-client-id", "c",
			"--auth-oidc-redirect-url", "http://127.0.0.1:8080/auth/callback", "--auth-oidc-default-role", "boss"}, true, "unknown role"},
		{"bad ttl", []string{"--auth-oidc-issuer", "http://127.0.0.1:1", "--auth-oidc-client-id", "c",
			"--auth-oidc-redirect-url", "http://127.0.0.1:8080/auth/callback", "--auth-session-ttl", "0s"}, true, "--auth-session-ttl"},
	} {
		o, err := parseAuthFlags(t, tc.args...)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if o.Enabled() != tc.enabled {
			t.Errorf("%s: Enabled() = %v", tc.name, o.Enabled())
		}
		_, err = o.Service(context.Background(), authStore(t), nil, nil)
		var usage *UsageError
		if tc.wantErr == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		if err == nil || !errors.As(err, &usage) || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%s: error %v, want a usage error saying %q", tc.name, err, tc.wantErr)
		}
	}
}

// TestServeAuthService: the flags build a working sign-in against the
// simulator's issuer, the secret read from a file or the environment;
// cookies are Secure unless on loopback; a failure never prints the
// secret.
func TestServeAuthService(t *testing.T) {
	t.Parallel()
	issuer, err := azuresim.NewOIDCIssuer(azuresim.OIDCOptions{ClientSecret: "file-secret-3f9a", Users: map[string]azuresim.OIDCUser{"alice": {}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = issuer.Close() })
	secretFile := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secretFile, []byte("file-secret-3f9a\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := []string{"--auth-oidc-issuer", issuer.URL(), "--auth-oidc-client-id", issuer.ClientID(),
		"--auth-oidc-redirect-url", "http://127.0.0.1:8080/auth/callback", "--auth-oidc-roles", "kvguard.admin=admin,ops=editor"}
	for _, tc := range []struct {
		name       string
		args       []string
		loopback   bool
		env        string
		wantCookie string
		wantSecure bool
	}{
		{"file, not loopback", append([]string{"--auth-oidc-client-secret-file", secretFile}, base...), false, "", "__Host-kvguard_signin", true},
		{"env, loopback", base, true, "file-secret-3f9a", "kvguard_signin", false},
		{"loopback, secure forced", append([]string{"--auth-cookie-secure"}, base...), true, "file-secret-3f9a", "__Host-kvguard_signin", true},
	} {
		o, err := parseAuthFlags(t, tc.args...)
		if err != nil {
			t.Fatal(err)
		}
		o.getenv = func(k string) string {
			if k == oidcSecretEnv {
				return tc.env
			}
			return ""
		}
		o.OnLoopback(tc.loopback)
		cfg, err := o.oidcConfig()
		if err != nil || cfg.ClientSecret != "file-secret-3f9a" || cfg.Roles["ops"] != 2 || len(cfg.Roles) != 2 {
			t.Errorf("%s: config %+v, %v", tc.name, cfg != nil, err)
		}
		svc, err := o.Service(context.Background(), authStore(t), nil, nil)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		w := httptest.NewRecorder()
		svc.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/auth/signin", nil))
		cs := w.Result().Cookies()
		if w.Code != http.StatusFound || !strings.HasPrefix(w.Header().Get("Location"), issuer.URL()+"/authorize?") ||
			len(cs) != 1 || cs[0].Name != tc.wantCookie || cs[0].Secure != tc.wantSecure {
			t.Errorf("%s: signin %d %q, cookies %v", tc.name, w.Code, w.Header().Get("Location"), cs)
		}
	}

	// An issuer that does not answer: the error names it, never the secret.
	o, _ := parseAuthFlags(t, "--auth-oidc-issuer", "http://127.0.0.1:1", "--auth-oidc-client-id", "c",
		"--auth-oidc-redirect-url", "http://127.0.0.1:8080/auth/callback", "--auth-oidc-client-secret-file", secretFile)
	_, err = o.Service(context.Background(), authStore(t), nil, nil)
	if err == nil || strings.Contains(err.Error(), "file-secret-3f9a") || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Errorf("unreachable issuer: %v", err)
	}
	o, _ = parseAuthFlags(t, append([]string{"--auth-oidc-client-secret-file", filepath.Join(t.TempDir(), "missing")}, base...)...)
	if _, err := o.Service(context.Background(), authStore(t), nil, nil); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing secret file: %v", err)
	}
}
