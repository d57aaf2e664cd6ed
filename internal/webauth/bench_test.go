package webauth

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/kvguard/kvguard/internal/store"
)

// BenchmarkAuthenticate measures one request's authentication: an API
// token (hash, indexed lookup, checks; its last use written once a
// minute, so not per request) and a session cookie, on each engine.
func BenchmarkAuthenticate(b *testing.B) {
	for _, e := range engines(b) {
		ctx := context.Background()
		c := newClock()
		st := openStore(b, e.DSN, c)
		svc, err := New(ctx, Options{Store: st, Now: c.Now})
		if err != nil {
			b.Fatal(err)
		}
		token, _, err := svc.CreateToken(ctx, "bench", NewToken{Name: "bench", Role: RoleEditor, Never: true})
		if err != nil {
			b.Fatal(err)
		}
		// Other tokens and sessions, so the lookups search a populated table.
		for range 1000 {
			if _, _, err := svc.CreateToken(ctx, "bench", NewToken{Name: "other", Role: RoleReader, Never: true}); err != nil {
				b.Fatal(err)
			}
			if err := st.CreateAuthSession(ctx, hashOf(random(32)), store.AuthSession{Name: "x", Role: "reader", Expires: c.Now().Add(time.Hour)}); err != nil {
				b.Fatal(err)
			}
		}
		session := random(32)
		if err := st.CreateAuthSession(ctx, hashOf(session), store.AuthSession{Subject: "s", Name: "alice", Role: "admin",
			Created: c.Now(), Expires: c.Now().Add(8 * time.Hour)}); err != nil {
			b.Fatal(err)
		}
		tokenReq := httptest.NewRequest(http.MethodGet, "/", nil)
		tokenReq.Header.Set("Authorization", "Bearer "+token)
		sessionReq := httptest.NewRequest(http.MethodGet, "/", nil)
		sessionReq.AddCookie(&http.Cookie{Name: "kvguard_session", Value: session})
		for _, bc := range []struct {
			name string
			req  *http.Request
			kind string
		}{{"token", tokenReq, KindToken}, {"session", sessionReq, KindSession}} {
			b.Run(e.Name+"/"+bc.name, func(b *testing.B) {
				for b.Loop() {
					id, ok, err := svc.Authenticate(bc.req)
					if !ok || err != nil || id.Kind != bc.kind {
						b.Fatalf("Authenticate = %+v, %v, %v", id, ok, err)
					}
				}
			})
		}
	}
}
