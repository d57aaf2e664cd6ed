package webauth

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/kvguard/kvguard/internal/store"
	"github.com/kvguard/kvguard/internal/testsupport/pgtest"
	"github.com/kvguard/kvguard/internal/testsupport/testclock"
)

// clock is the injected clock: tests move it, never sleep.
type clock = testclock.Clock

func newClock() *clock { return testclock.New() }

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

// engines returns a fresh SQLite file and, when KVGUARD_TEST_POSTGRES is
// set, a fresh PostgreSQL schema (dropped at the end).
func engines(t testing.TB) []pgtest.Engine { return pgtest.Engines(t, "kvguard_webauth_") }

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
