package cli

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kvguard/kvguard/internal/store"
	"github.com/kvguard/kvguard/internal/testsupport/pgtest"
	"github.com/kvguard/kvguard/internal/webauth"
)

// tokenDBs are the stores the token commands are tried on: a SQLite file
// always, a PostgreSQL schema when KVGUARD_TEST_POSTGRES is set.
func tokenDBs(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{"sqlite": filepath.Join(t.TempDir(), "kvguard.db")}
	if dsn, _ := pgtest.Schema(t, "kvguard_cli_token_"); dsn != "" {
		out["postgres"] = dsn
	}
	return out
}

// authenticate asks a token-only service on db whether token is accepted.
func authenticate(t *testing.T, db, token string) (webauth.Identity, error) {
	t.Helper()
	st, err := store.Open(context.Background(), db, store.Options{Recover: store.RecoverExpired, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc, err := webauth.New(context.Background(), webauth.Options{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	id, _, err := svc.Authenticate(r)
	return id, err
}

// TestTokenCommands: create prints the token alone on stdout and it
// works; list never shows it; revoke stops it.
func TestTokenCommands(t *testing.T) {
	t.Parallel()
	for name, db := range tokenDBs(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runCLI(t, []string{"token", "create", "--db", db, "--name", "ci", "--role", "editor", "--expires", "90d"}, "")
			token := strings.TrimSuffix(out, "\n")
			if code != ExitOK || !strings.HasPrefix(token, "kvg_") || strings.Contains(token, "\n") || strings.Contains(errOut, token) {
				t.Fatalf("create: exit %d, stdout %q, stderr %q: want the token alone on stdout", code, out, errOut)
			}
			if id, err := authenticate(t, db, token); err != nil || id.Role != webauth.RoleEditor || id.Name != "token:ci" {
				t.Errorf("the created token: %+v, %v", id, err)
			}
			if code, _, _ := runCLI(t, []string{"token", "create", "--db", db, "--name", "dash", "--role", "reader", "--expires", "never"}, ""); code != ExitOK {
				t.Errorf("create never: exit %d", code)
			}

			code, out, _ = runCLI(t, []string{"token", "list", "--db", db}, "")
			if code != ExitOK || !strings.Contains(out, "ci") || !strings.Contains(out, "editor") || !strings.Contains(out, "never") ||
				strings.Contains(out, token[4:]) {
				t.Errorf("list: exit %d\n%s", code, out)
			}
			code, out, _ = runCLI(t, []string{"token", "list", "--db", db, "--format", "json"}, "")
			var list []store.APIToken
			if err := json.Unmarshal([]byte(out), &list); code != ExitOK || err != nil || len(list) != 2 || strings.Contains(out, token[4:]) {
				t.Errorf("list json: exit %d, %v\n%s", code, err, out)
			}

			if code, _, errOut := runCLI(t, []string{"token", "revoke", "--db", db, "1"}, ""); code != ExitOK || !strings.Contains(errOut, "revoked") {
				t.Errorf("revoke: exit %d, %s", code, errOut)
			}
			if _, err := authenticate(t, db, token); !errors.Is(err, webauth.ErrCredential) || !strings.Contains(err.Error(), "revoked") {
				t.Errorf("revoked token: %v", err)
			}
			if _, out, _ := runCLI(t, []string{"token", "list", "--db", db}, ""); !strings.Contains(out, "revoked") {
				t.Errorf("list after revoke:\n%s", out)
			}
		})
	}
}

func TestTokenUsage(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "kvguard.db")
	for _, tc := range []struct {
		name    string
		args    []string
		wantErr string
		want    int
	}{
		{"no expiry", []string{"create", "--name", "x", "--role", "reader"}, "--expires", ExitError},
		{"no name", []string{"create", "--role", "reader", "--expires", "1d"}, "--name is required", ExitError},
		{"bad role", []string{"create", "--name", "x", "--role", "root", "--expires", "1d"}, "--role", ExitError},
		{"bad expiry", []string{"create", "--name", "x", "--role", "reader", "--expires", "soon"}, "expiry", ExitError},
		{"bad id", []string{"revoke", "abc"}, "not a token ID", ExitError},
		{"unknown id", []string{"revoke", "42"}, "no API token 42", ExitError},
		{"bad format", []string{"list", "--format", "xml"}, "unknown --format", ExitError},
	} {
		code, out, errOut := runCLI(t, append(append([]string{"token"}, tc.args...), "--db", db), "")
		if code != tc.want || out != "" || !strings.Contains(errOut, tc.wantErr) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want %d and %q", tc.name, code, out, errOut, tc.want, tc.wantErr)
		}
	}
}

// TestTokenDSNRedacted: a connection string's password never reaches
// the terminal, whatever fails.
func TestTokenDSNRedacted(t *testing.T) {
	t.Parallel()
	const password = "s3cr3t-pw"
	// Port 1 on loopback: nothing listens, the connection is refused.
	dsn := "postgres://kvguard:" + password + "@127.0.0.1:1/kvguard?sslmode=disable&connect_timeout=5"
	for _, args := range [][]string{
		{"token", "list", "--db", dsn},
		{"token", "create", "--db", dsn, "--name", "x", "--role", "reader", "--expires", "1d"},
		{"token", "revoke", "--db", dsn, "3"},
	} {
		code, out, errOut := runCLI(t, args, "")
		if code != ExitError || strings.Contains(out+errOut, password) || !strings.Contains(errOut, "kvguard:xxxxx@127.0.0.1") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q: want an error naming the redacted DSN", args[:2], code, out, errOut)
		}
	}
}
