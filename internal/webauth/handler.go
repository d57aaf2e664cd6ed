package webauth

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/kvguard/kvguard/internal/store"
)

// Handler serves the routes under /auth/ (mount it at /auth/):
//
//	GET    /auth/signin          start an OpenID Connect sign-in (?return_to=/path, ?login_hint=user)
//	GET    /auth/callback        the issuer's redirect back
//	POST   /auth/signout         end the session
//	GET    /auth/me              who the request is from (JSON)
//	GET    /auth/tokens          list API tokens (admin)
//	POST   /auth/tokens          create one: {"name", "role", "expires": "90d" | date | "never"} (admin)
//	DELETE /auth/tokens/{id}     revoke one (admin)
//
// Every state change is refused when a browser sends it from another
// origin (http.CrossOriginProtection: Sec-Fetch-Site, then Origin against
// Host); requests without those headers (API clients) pass.
func (s *Service) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /auth/signin", s.signIn)
	mux.HandleFunc("GET /auth/callback", s.callback)
	mux.HandleFunc("POST /auth/signout", s.signOut)
	mux.HandleFunc("GET /auth/me", s.me)
	mux.HandleFunc("GET /auth/tokens", s.admin(s.listTokens))
	mux.HandleFunc("POST /auth/tokens", s.admin(s.createToken))
	mux.HandleFunc("DELETE /auth/tokens/{id}", s.admin(s.revokeToken))
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusForbidden, "cross-origin request refused")
	}))
	return securityHeaders(cop.Handler(mux))
}

// securityHeaders: these pages run no script and are never framed.
func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		h.ServeHTTP(w, r)
	})
}

// admin admits only an admin's requests to h, passing the identity.
func (s *Service) admin(h func(http.ResponseWriter, *http.Request, Identity)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok, err := s.Authenticate(r)
		switch {
		case errors.Is(err, ErrCredential):
			writeError(w, http.StatusUnauthorized, err.Error())
		case err != nil:
			s.log.Error("authenticate", "err", err)
			writeError(w, http.StatusInternalServerError, "authentication failed on the server's side")
		case !ok:
			writeError(w, http.StatusUnauthorized, "authentication required: an admin's API token (Authorization: Bearer kvg_…) or session")
		case id.Role < RoleAdmin:
			writeError(w, http.StatusForbidden, fmt.Sprintf("%s is %s: managing tokens needs admin", id.Name, id.Role))
		default:
			w.Header().Set("Cache-Control", "no-store")
			h(w, r, id)
		}
	}
}

func (s *Service) me(w http.ResponseWriter, r *http.Request) {
	id, ok, err := s.Authenticate(r)
	switch {
	case errors.Is(err, ErrCredential):
		writeError(w, http.StatusUnauthorized, err.Error())
	case err != nil:
		s.log.Error("authenticate", "err", err)
		writeError(w, http.StatusInternalServerError, "authentication failed on the server's side")
	case !ok:
		writeError(w, http.StatusUnauthorized, "not signed in")
	default:
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, http.StatusOK, map[string]any{"name": id.Name, "role": id.Role, "kind": id.Kind})
	}
}

func (s *Service) listTokens(w http.ResponseWriter, r *http.Request, _ Identity) {
	list, err := s.Tokens(r.Context())
	if err != nil {
		s.log.Error("list tokens", "err", err)
		writeError(w, http.StatusInternalServerError, "listing tokens failed")
		return
	}
	if list == nil {
		list = []store.APIToken{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": list})
}

// tokenRequest is POST /auth/tokens's body (JSON, or a form with the same
// field names).
type tokenRequest struct {
	Name    string `json:"name"`
	Role    string `json:"role"`
	Expires string `json:"expires"`
}

func (s *Service) createToken(w http.ResponseWriter, r *http.Request, id Identity) {
	var req tokenRequest
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/x-www-form-urlencoded" {
		r.Body = http.MaxBytesReader(w, r.Body, 1<<16)
		if err := r.ParseForm(); err != nil {
			writeError(w, http.StatusBadRequest, "read the form: "+err.Error())
			return
		}
		req = tokenRequest{Name: r.PostForm.Get("name"), Role: r.PostForm.Get("role"), Expires: r.PostForm.Get("expires")}
	} else {
		dec := json.NewDecoder(io.LimitReader(r.Body, 1<<16))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			writeError(w, http.StatusBadRequest, `the body must be JSON: {"name": …, "role": "reader|editor|admin", "expires": "90d|<date>|never"}`)
			return
		}
	}
	role, err := ParseRole(req.Role)
	if err != nil || role == RoleNone {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("role %q: use reader, editor or admin", req.Role))
		return
	}
	expires, never, err := ParseExpiry(req.Expires, s.now())
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	secret, rec, err := s.CreateToken(r.Context(), id.Name, NewToken{Name: req.Name, Role: role, Expires: expires, Never: never})
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusCreated, struct {
		store.APIToken
		Token string `json:"token"`
	}{rec, secret})
}

func (s *Service) revokeToken(w http.ResponseWriter, r *http.Request, id Identity) {
	n, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		writeError(w, http.StatusBadRequest, "the token ID must be a number")
		return
	}
	err = s.RevokeToken(r.Context(), id.Name, n)
	switch {
	case errors.Is(err, store.ErrUnknownToken):
		writeError(w, http.StatusNotFound, fmt.Sprintf("no API token %d", n))
	case err != nil:
		s.log.Error("revoke a token", "err", err)
		writeError(w, http.StatusInternalServerError, "revoking the token failed")
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers {"error": message}, as the rest of the API does,
// with the Bearer challenge on a 401.
func writeError(w http.ResponseWriter, status int, message string) {
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="kvguard"`)
	}
	writeJSON(w, status, map[string]string{"error": message})
}

// page answers a browser with a line of text.
func page(w http.ResponseWriter, status int, message string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, message+"\n")
}
