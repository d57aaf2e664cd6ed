package server

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
	"time"
)

// route is one entry of the route table: the role checks, CSRF checks
// and metrics come from here, not from the handlers.
type route struct {
	method  string
	path    string
	min     Role
	handler http.HandlerFunc
}

// mutating reports whether the route changes state.
func (rt route) mutating() bool {
	return rt.method != http.MethodGet && rt.method != http.MethodHead
}

// api reports whether the route belongs to the JSON API.
func (rt route) api() bool { return strings.HasPrefix(rt.path, "/api/") }

// table is every route the server serves (besides /auth/, which the
// Authenticator serves).
func (s *Server) table() []route {
	return []route{
		{"GET", "/healthz", RoleNone, s.healthz},
		{"GET", "/readyz", RoleNone, s.readyz},
		{"GET", "/static/style.css", RoleNone, serveStyle},
		{"GET", "/metrics", RoleReader, s.serveMetrics},

		{"GET", "/{$}", RoleReader, s.overview},
		{"GET", "/recommendations", RoleReader, s.recommendationsPage},
		{"GET", "/findings", RoleReader, s.findingsPage},
		{"GET", "/resources", RoleReader, s.resourcesPage},
		{"GET", "/resources/{ref}", RoleReader, s.resourcePage},
		{"GET", "/exemptions", RoleReader, s.exemptionsPage},
		{"POST", "/exemptions", RoleEditor, s.createExemptionForm},
		{"POST", "/exemptions/{id}/revoke", RoleEditor, s.revokeExemptionForm},
		{"GET", "/owners", RoleReader, s.ownersPage},
		{"GET", "/owners/overdue.csv", RoleReader, s.overdueCSV},
		{"POST", "/owners", RoleEditor, s.addOwnerRuleForm},
		{"POST", "/owners/{id}/delete", RoleEditor, s.deleteOwnerRuleForm},
		{"GET", "/scans", RoleReader, s.scansPage},
		{"GET", "/scans/{id}", RoleReader, s.scanPage},
		{"POST", "/scans", RoleEditor, s.scanNowForm},

		{"GET", "/api/v1/openapi.json", RoleNone, serveOpenAPI},
		{"GET", "/api/v1/summary", RoleReader, s.apiSummary},
		{"GET", "/api/v1/trend", RoleReader, s.apiTrend},
		{"GET", "/api/v1/recommendations", RoleReader, s.apiRecommendations},
		{"GET", "/api/v1/findings", RoleReader, s.apiFindings},
		{"GET", "/api/v1/resources", RoleReader, s.apiResources},
		{"GET", "/api/v1/resources/{ref}", RoleReader, s.apiResource},
		{"GET", "/api/v1/exemptions", RoleReader, s.apiExemptions},
		{"POST", "/api/v1/exemptions", RoleEditor, s.apiCreateExemption},
		{"PATCH", "/api/v1/exemptions/{id}", RoleEditor, s.apiSetExemptionExpiry},
		{"DELETE", "/api/v1/exemptions/{id}", RoleEditor, s.apiRevokeExemption},
		{"GET", "/api/v1/owner-rules", RoleReader, s.apiOwnerRules},
		{"POST", "/api/v1/owner-rules", RoleEditor, s.apiAddOwnerRule},
		{"DELETE", "/api/v1/owner-rules/{id}", RoleEditor, s.apiDeleteOwnerRule},
		{"GET", "/api/v1/assignments", RoleReader, s.apiAssignments},
		{"GET", "/api/v1/scans", RoleReader, s.apiScans},
		{"GET", "/api/v1/scans/{id}", RoleReader, s.apiScan},
		{"POST", "/api/v1/scans", RoleEditor, s.apiStartScan},
		{"POST", "/api/v1/reports", RoleEditor, s.apiReport},
	}
}

type principalKey struct{}

// principal is the request's principal (set by the route's guard).
func principal(r *http.Request) Principal {
	p, _ := r.Context().Value(principalKey{}).(Principal)
	return p
}

// routes builds the handler: every route behind its guard, the whole
// behind the security headers and cross-origin protection.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.table() {
		mux.Handle(rt.method+" "+rt.path, s.guard(rt))
	}
	if s.opts.Auth != nil {
		mux.Handle("/auth/", s.opts.Auth.Handler())
	}
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, http.StatusForbidden, "cross-origin request refused")
	}))
	return securityHeaders(cop.Handler(mux))
}

// guard authenticates the request, checks the route's role (and, for a
// form, its CSRF token) and times it.
func (s *Server) guard(rt route) http.Handler {
	name := rt.method + " " + rt.path
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		defer func() { s.metrics.observeRequest(name, rec.status, time.Since(start).Seconds()) }()
		p, ok := s.authenticate(rec, r, rt)
		if !ok {
			return
		}
		if p.Role < rt.min {
			s.fail(rec, r, http.StatusForbidden, "this needs the "+rt.min.String()+" role; "+p.Name+" is "+p.Role.String())
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), principalKey{}, p))
		if rt.mutating() && !rt.api() && !s.validCSRF(r, p) {
			s.fail(rec, r, http.StatusForbidden, "the form's CSRF token is missing or wrong: reload the page")
			return
		}
		rt.handler(rec, r)
	})
}

// authenticate returns the request's principal; it answers the request
// itself (401, or a redirect to sign in) and returns false when there is
// none and the route needs one.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request, rt route) (Principal, bool) {
	if s.opts.Auth == nil {
		return Principal{Name: "local", Role: RoleAdmin}, true
	}
	p, ok, err := s.opts.Auth.Authenticate(r)
	switch {
	case err != nil:
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		s.fail(w, r, http.StatusUnauthorized, credentialRefused(err))
		return Principal{}, false
	case ok:
		return p, true
	case rt.min == RoleNone:
		return Principal{}, true
	case !rt.api() && r.Method == http.MethodGet && rt.path != "/metrics":
		http.Redirect(w, r, s.opts.Auth.SignInURL(r), http.StatusSeeOther)
		return Principal{}, false
	}
	w.Header().Set("WWW-Authenticate", "Bearer")
	s.fail(w, r, http.StatusUnauthorized, "sign in or send an API token (Authorization: Bearer …)")
	return Principal{}, false
}

// credentialRefused is the 401 message for a credential the
// Authenticator refused: its own message (which says what is wrong, and
// starts with "bad credential") and what to do.
func credentialRefused(err error) string {
	return err.Error() + ": send a current API token as Authorization: Bearer kvg_… (an admin creates one with 'kvguard token create')"
}

// csrfToken is the principal's form token: an HMAC of its name under the
// server's key (the cross-origin check stands in front of it).
func (s *Server) csrfToken(p Principal) string {
	m := hmac.New(sha256.New, s.opts.CSRFKey)
	m.Write([]byte("csrf\x00" + p.Name))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (s *Server) validCSRF(r *http.Request, p Principal) bool {
	got := r.PostFormValue("csrf")
	return got != "" && hmac.Equal([]byte(got), []byte(s.csrfToken(p)))
}

// contentSecurityPolicy allows no script at all, styles from this
// server only, and no framing.
const contentSecurityPolicy = "default-src 'none'; script-src 'none'; style-src 'self'; img-src 'self' data:; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// statusRecorder remembers the status a handler wrote, for the metrics.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
