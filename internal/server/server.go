// Package server is kvguard serve's web server: the server-rendered
// views (html/template, usable without JavaScript), the REST API under
// /api/v1 with its OpenAPI 3.1 document, /metrics, /healthz and /readyz.
// One route table names each route's method, path and minimum role; the
// role checks, CSRF protection and security headers are applied from it,
// never by a handler. It reads the store's read model (store/views.go)
// and consumes what it declares: an Authenticator (sign-in and tokens,
// provided by package webauth through an adapter), a Scanner (scans
// started from the UI and the API) and a Reporter (reports pushed by CI).
// It imports the store and the catalog; nothing imports it but the CLI.
package server

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/kvguard/kvguard/internal/catalog"
	"github.com/kvguard/kvguard/internal/store"
)

// Role is what a principal may do: each role may do what the ones below
// it may.
type Role int

// The roles.
const (
	RoleNone   Role = 0
	RoleReader Role = 1
	RoleEditor Role = 2
	RoleAdmin  Role = 3
)

// String names the role.
func (r Role) String() string {
	switch r {
	case RoleReader:
		return "reader"
	case RoleEditor:
		return "editor"
	case RoleAdmin:
		return "admin"
	}
	return "none"
}

// Principal is who makes a request.
type Principal struct {
	Name string
	Role Role
}

// Authenticator identifies the principal of a request (API tokens,
// sessions) and serves the sign-in routes under /auth/.
type Authenticator interface {
	// Authenticate returns ok false when the request carries no
	// credential, and an error when it carries a bad one (401). The
	// error's message is shown to the client as it is: it says what is
	// wrong, starting "bad credential: " (the server adds what to do).
	Authenticate(r *http.Request) (p Principal, ok bool, err error)
	// Handler serves /auth/.
	Handler() http.Handler
	// SignInURL is where a browser without a session is sent.
	SignInURL(r *http.Request) string
}

// Scanner starts a live scan of a scope and returns the store's scan ID
// (store.ErrScopeBusy when one of that scope is running).
type Scanner interface {
	Scan(ctx context.Context, scope string) (scanID int64, err error)
}

// Reporter stores a JSON report pushed by CI as a repository scan of
// scope; done says whether the scan has already completed.
type Reporter interface {
	Report(ctx context.Context, scope string, labels store.Labels, report io.Reader) (scanID int64, done bool, err error)
}

// Options configure a Server.
type Options struct {
	// Store is the database (required).
	Store *store.Store
	// Catalog supplies each recommendation's remediation (nil: none shown).
	Catalog *catalog.Catalog
	// Auth authenticates requests; nil serves every request as an admin
	// named "local", which CheckListen allows only on loopback.
	Auth Authenticator
	// Scanner starts scans (nil: the scan-now button and POST
	// /api/v1/scans answer 503).
	Scanner Scanner
	// Reporter stores pushed reports (nil: in this process, at once).
	Reporter Reporter
	// DefaultScope is the scope a scan started without one covers.
	DefaultScope string
	// Schedule describes the scan schedule on the scans page ("" none).
	Schedule string
	// BaseURL is the server's external URL, for absolute links in API
	// answers ("" for /-rooted ones).
	BaseURL string
	// CSRFKey signs the forms' CSRF tokens (nil: random per process).
	CSRFKey []byte
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Logger receives diagnostics (discarded when nil).
	Logger *slog.Logger
}

// Server serves kvguard's views and API.
type Server struct {
	opts    Options
	st      *store.Store
	log     *slog.Logger
	pages   map[string]pageTemplate
	metrics *metrics
	handler http.Handler
}

// New builds a Server.
func New(opts Options) (*Server, error) {
	if opts.Store == nil {
		return nil, errors.New("server: no store")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.DefaultScope == "" {
		opts.DefaultScope = "tenant"
	}
	if len(opts.CSRFKey) == 0 {
		opts.CSRFKey = make([]byte, 32)
		_, _ = rand.Read(opts.CSRFKey)
	}
	s := &Server{opts: opts, st: opts.Store, log: opts.Logger, metrics: newMetrics()}
	if s.opts.Reporter == nil {
		s.opts.Reporter = storeReporter{st: opts.Store}
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	s.pages = pages
	s.handler = s.routes()
	return s, nil
}

// Handler is the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// ScanFinished records a finished scan's duration in the metrics; kvguard
// serve calls it when a scan completes or fails.
func (s *Server) ScanFinished(info store.ScanInfo) {
	if info.Finished.IsZero() {
		return
	}
	s.metrics.observeScan(string(info.Status), info.Finished.Sub(info.Started).Seconds())
}

// CheckListen refuses a listen address that is not loopback when
// authentication is off: without it, anyone who reaches the port could
// change exemptions.
func CheckListen(addr string, authOn bool) error {
	if authOn {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(strings.Trim(host, "[]")); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("listen address %q is not loopback and authentication is off: add --auth-oidc-issuer (sign-in) "+
		"or create API tokens with 'kvguard token create', or listen on 127.0.0.1", addr)
}

// storeReporter ingests a report in the request: begin, ingest, complete.
type storeReporter struct{ st *store.Store }

func (r storeReporter) Report(ctx context.Context, scope string, labels store.Labels, report io.Reader) (int64, bool, error) {
	// A report is ingested even when its client stops waiting (a client
	// that timed out retries with the same idempotency key and finds this
	// scan); a body cut short still fails it.
	ctx = context.WithoutCancel(ctx)
	sc, err := r.st.Begin(ctx, scope, store.Repository, labels)
	if err != nil {
		return 0, false, err
	}
	if err := sc.IngestReport(ctx, report); err != nil {
		return sc.ID(), false, errors.Join(err, sc.Fail(context.WithoutCancel(ctx), err.Error()))
	}
	if err := sc.Complete(ctx); err != nil {
		return sc.ID(), false, errors.Join(err, sc.Fail(context.WithoutCancel(ctx), err.Error()))
	}
	return sc.ID(), true, nil
}
