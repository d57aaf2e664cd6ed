package webauth

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/kvguard/kvguard/internal/store"
	"github.com/kvguard/kvguard/internal/testsupport/pgtest"
)

// clock is an injected clock: tests move it, never sleep.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// syncBuffer is a log sink shared by the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// engine is a fresh database: a SQLite file always, a PostgreSQL schema
// when KVGUARD_TEST_POSTGRES is set.
type engine struct{ name, dsn string }

func engines(t testing.TB) []engine {
	t.Helper()
	out := []engine{{"sqlite", filepath.Join(t.TempDir(), "kvguard.db")}}
	if dsn, _ := pgtest.Schema(t, "kvguard_webauth_"); dsn != "" {
		out = append(out, engine{"postgres", dsn})
	}
	return out
}

func openStore(t testing.TB, dsn string, c *clock) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), dsn, store.Options{Now: c.Now, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// protected is the page the tests' server guards: it answers who the
// request is from, sends a browser without a session to sign in, and a
// bad credential 401, as kvguard serve does.
func protected(svc *Service) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/auth/", svc.Handler())
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		id, ok, err := svc.Authenticate(r)
		switch {
		case err != nil:
			http.Error(w, err.Error(), http.StatusUnauthorized)
		case !ok:
			http.Redirect(w, r, svc.SignInURL(r), http.StatusSeeOther)
		default:
			fmt.Fprintf(w, "%s %s %s", id.Name, id.Role, id.Kind)
		}
	})
	return mux
}

// server is a loopback test server whose URL is known before the service
// (which needs its redirect URL) is built.
func server(t testing.TB, build func(base string) http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	srv.Config.Handler = build("http://" + srv.Listener.Addr().String())
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}
