package webauth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/kvguard/kvguard/internal/store"
)

// flowTTL is how long a sign-in may take at the issuer.
const flowTTL = 10 * time.Minute

// cookie is one of the service's cookies: HttpOnly, SameSite=Lax (Strict
// would drop the session cookie on the issuer's redirect back), Path=/,
// Secure when configured. maxAge < 0 deletes it.
func (s *Service) cookie(name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode}
}

// signIn starts the authorization code flow: a state bound to this
// browser by a cookie, a nonce and a PKCE verifier kept server-side.
func (s *Service) signIn(w http.ResponseWriter, r *http.Request) {
	if s.oidc == nil {
		page(w, http.StatusNotFound, "Sign-in is not configured on this server: use an API token (Authorization: Bearer kvg_…).")
		return
	}
	ctx := r.Context()
	now := s.now()
	if _, err := s.st.PruneAuth(ctx, now); err != nil {
		s.log.Warn("prune expired sessions", "err", err)
	}
	state, nonce, verifier := random(32), random(32), oauth2.GenerateVerifier()
	err := s.st.CreateAuthFlow(ctx, hashOf(state), store.AuthFlow{Nonce: nonce, Verifier: verifier,
		ReturnTo: safeReturn(r.URL.Query().Get("return_to")), Expires: now.Add(flowTTL)})
	if err != nil {
		s.log.Error("begin a sign-in", "err", err)
		page(w, http.StatusInternalServerError, "Sign-in could not begin: the database refused it. Try again.")
		return
	}
	http.SetCookie(w, s.cookie(s.flow, state, int(flowTTL/time.Second)))
	opts := []oauth2.AuthCodeOption{oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)}
	if hint := r.URL.Query().Get("login_hint"); hint != "" {
		opts = append(opts, oauth2.SetAuthURLParam("login_hint", hint))
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, s.oauth.AuthCodeURL(state, opts...), http.StatusFound)
}

// refusal is a sign-in that failed: the status and message shown, and
// what the sign-in log records.
type refusal struct {
	status  int
	message string
	reason  string
	// unlogged: refused before any sign-in of ours was found (a stray or
	// forged callback), so that anyone on the network cannot fill the
	// sign-in log.
	unlogged bool
}

func (e *refusal) Error() string { return e.reason }

// callback finishes the flow: the state matches the browser's cookie and
// a flow not yet used, the code is exchanged with the verifier, the ID
// token is verified (signature, issuer, audience, expiry) and carries the
// nonce; the role comes from its claims; a session begins.
func (s *Service) callback(w http.ResponseWriter, r *http.Request) {
	if s.oidc == nil {
		page(w, http.StatusNotFound, "Sign-in is not configured on this server.")
		return
	}
	http.SetCookie(w, s.cookie(s.flow, "", -1))
	user, returnTo, err := s.finish(r)
	if err != nil {
		var rf *refusal
		if !errors.As(err, &rf) {
			s.log.Error("sign-in", "err", err)
			page(w, http.StatusInternalServerError, "Sign-in failed on the server's side. Try again.")
			return
		}
		s.log.Warn("sign-in refused", "subject", user.Subject, "name", user.Name, "reason", rf.reason)
		if !rf.unlogged {
			s.recordLogin(r.Context(), user, "refused", rf.reason)
		}
		page(w, rf.status, rf.message)
		return
	}
	id := random(32)
	user.Created, user.Expires = s.now(), s.now().Add(s.ttl)
	if err := s.st.CreateAuthSession(r.Context(), hashOf(id), user); err != nil {
		s.log.Error("create a session", "err", err)
		page(w, http.StatusInternalServerError, "Sign-in failed on the server's side. Try again.")
		return
	}
	s.recordLogin(r.Context(), user, "admitted", "")
	s.log.Info("signed in", "name", user.Name, "role", user.Role)
	http.SetCookie(w, s.cookie(s.session, id, int(s.ttl/time.Second)))
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, returnTo, http.StatusSeeOther)
}

func (s *Service) recordLogin(ctx context.Context, u store.AuthSession, outcome, reason string) {
	err := s.st.RecordAuthLogin(ctx, store.AuthLogin{At: s.now(), Issuer: s.oidc.Issuer, Subject: u.Subject, Name: u.Name,
		Role: u.Role, Outcome: outcome, Reason: reason})
	if err != nil {
		s.log.Error("record a sign-in", "err", err)
	}
}

func refuse(status int, message, reason string) error {
	return &refusal{status: status, message: message, reason: reason}
}

// finish checks a callback and returns the user it signs in.
func (s *Service) finish(r *http.Request) (store.AuthSession, string, error) {
	ctx := r.Context()
	q := r.URL.Query()
	c, err := r.Cookie(s.flow)
	state := q.Get("state")
	if err != nil || state == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(state)) != 1 {
		return store.AuthSession{}, "", &refusal{status: http.StatusBadRequest, unlogged: true,
			message: "This sign-in was not started by this browser, or took too long. Sign in again.",
			reason:  "state does not match the browser's cookie"}
	}
	flow, err := s.st.TakeAuthFlow(ctx, hashOf(state))
	if errors.Is(err, store.ErrUnknownFlow) || (err == nil && !s.now().Before(flow.Expires)) {
		return store.AuthSession{}, "", &refusal{status: http.StatusBadRequest, unlogged: true,
			message: "This sign-in was already used or has expired. Sign in again.", reason: "unknown, used or expired state"}
	}
	if err != nil {
		return store.AuthSession{}, "", err
	}
	if e := q.Get("error"); e != "" {
		return store.AuthSession{}, "", refuse(http.StatusForbidden, "The identity provider refused the sign-in: "+e+".",
			"issuer answered "+e+": "+q.Get("error_description"))
	}
	ctx = oidc.ClientContext(ctx, s.client)
	tok, err := s.oauth.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(flow.Verifier))
	if err != nil {
		return store.AuthSession{}, "", refuse(http.StatusUnauthorized, "The identity provider did not accept the sign-in. Sign in again.",
			"code exchange: "+err.Error())
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return store.AuthSession{}, "", refuse(http.StatusUnauthorized, "The identity provider sent no ID token.", "no id_token in the token response")
	}
	idt, err := s.verifier.Verify(ctx, raw)
	if err != nil {
		return store.AuthSession{}, "", refuse(http.StatusUnauthorized, "The identity provider's ID token was not valid. Sign in again.",
			"ID token: "+err.Error())
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(flow.Nonce)) != 1 {
		return store.AuthSession{Subject: idt.Subject}, "", refuse(http.StatusUnauthorized,
			"The ID token does not belong to this sign-in. Sign in again.", "ID token nonce does not match")
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return store.AuthSession{Subject: idt.Subject}, "", fmt.Errorf("read the ID token's claims: %w", err)
	}
	user := store.AuthSession{Subject: idt.Subject, Name: displayName(claims, idt.Subject)}
	role := s.roleOf(claims)
	if role == RoleNone {
		return user, "", refuse(http.StatusForbidden,
			fmt.Sprintf("You are signed in as %s, but have no kvguard role. Ask an admin to grant you one (the %q claim).", user.Name, s.oidc.RoleClaim),
			"no role in the "+s.oidc.RoleClaim+" claim")
	}
	user.Role = role.String()
	return user, flow.ReturnTo, nil
}

// roleOf maps the role claim (a string or a list) to the highest role,
// or the default role.
func (s *Service) roleOf(claims map[string]any) Role {
	var values []string
	switch v := claims[s.oidc.RoleClaim].(type) {
	case string:
		values = []string{v}
	case []any:
		for _, x := range v {
			if str, ok := x.(string); ok {
				values = append(values, str)
			}
		}
	}
	best := RoleNone
	for _, v := range values {
		if r := s.oidc.Roles[v]; r > best {
			best = r
		}
	}
	if best == RoleNone {
		return s.oidc.DefaultRole
	}
	return best
}

// displayName is the name the audit log records for a user.
func displayName(claims map[string]any, subject string) string {
	for _, k := range []string{"preferred_username", "email", "name"} {
		if v, ok := claims[k].(string); ok && v != "" {
			return v
		}
	}
	return subject
}

// signOut ends the session and clears its cookie (POST only, behind the
// cross-origin check of Handler).
func (s *Service) signOut(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(s.session); err == nil && c.Value != "" {
		if err := s.st.DeleteAuthSession(r.Context(), hashOf(c.Value)); err != nil {
			s.log.Error("sign out", "err", err)
			page(w, http.StatusInternalServerError, "Sign-out failed on the server's side. Try again.")
			return
		}
	}
	http.SetCookie(w, s.cookie(s.session, "", -1))
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
