package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestAPITokens: a token is created, found by its hash, touched at most
// once per interval, revoked once, and every change is audited without
// the hash.
func TestAPITokens(t *testing.T) {
	t.Parallel()
	for _, e := range engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			c := newClock()
			s := open(t, e.DSN, c)
			const hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
			if has, err := s.HasAPITokens(ctx); err != nil || has {
				t.Fatalf("HasAPITokens on an empty store = %v, %v", has, err)
			}
			expires := c.Now().Add(90 * 24 * time.Hour)
			tok, err := s.CreateAPIToken(ctx, "admin@example.com", APIToken{Name: "ci", Role: "editor", Expires: expires}, hash)
			if err != nil {
				t.Fatal(err)
			}
			want := APIToken{ID: tok.ID, Name: "ci", Role: "editor", CreatedBy: "admin@example.com", Created: c.Now(), Expires: expires}
			if diff := cmp.Diff(want, tok); diff != "" {
				t.Errorf("created (-want +got):\n%s", diff)
			}
			if _, err := s.CreateAPIToken(ctx, "admin", APIToken{Name: "dup", Role: "reader"}, hash); err == nil {
				t.Error("a second token with the same hash was accepted")
			}
			if _, err := s.CreateAPIToken(ctx, "admin", APIToken{Role: "reader"}, "other"); err == nil {
				t.Error("a token without a name was accepted")
			}
			got, err := s.APITokenByHash(ctx, hash)
			if err != nil || got != want {
				t.Errorf("by hash = %+v, %v; want %+v", got, err, want)
			}
			if _, err := s.APITokenByHash(ctx, strings.Repeat("0", 64)); !errors.Is(err, ErrUnknownToken) {
				t.Errorf("unknown hash: %v, want ErrUnknownToken", err)
			}

			// Touched once, then not again within the minute.
			used := c.Now().Add(time.Hour)
			for i, step := range []struct {
				at   time.Time
				want bool
			}{{used, true}, {used.Add(30 * time.Second), false}, {used.Add(59 * time.Second), false}, {used.Add(61 * time.Second), true}} {
				wrote, err := s.TouchAPIToken(ctx, tok.ID, step.at, time.Minute)
				if err != nil || wrote != step.want {
					t.Errorf("touch %d at %s = %v, %v; want %v", i, step.at, wrote, err, step.want)
				}
			}
			got, _ = s.APITokenByHash(ctx, hash)
			if !got.LastUsed.Equal(used.Add(61 * time.Second)) {
				t.Errorf("last used %s, want %s", got.LastUsed, used.Add(61*time.Second))
			}

			c.Add(time.Hour)
			if err := s.RevokeAPIToken(ctx, "admin@example.com", tok.ID); err != nil {
				t.Fatal(err)
			}
			c.Add(time.Hour)
			if err := s.RevokeAPIToken(ctx, "someone", tok.ID); err != nil {
				t.Errorf("revoking twice: %v", err)
			}
			if err := s.RevokeAPIToken(ctx, "admin", tok.ID+100); !errors.Is(err, ErrUnknownToken) {
				t.Errorf("revoking an unknown token: %v", err)
			}
			list, err := s.APITokens(ctx)
			if err != nil || len(list) != 1 || !list[0].Revoked.Equal(c.Now().Add(-time.Hour)) {
				t.Errorf("tokens = %+v, %v: want one revoked an hour ago", list, err)
			}
			if has, _ := s.HasAPITokens(ctx); has {
				t.Error("HasAPITokens counts a revoked token")
			}
			audit, err := s.Audit(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var actions []string
			for _, a := range audit {
				actions = append(actions, a.Actor+" "+a.Action+" "+a.Entity)
				if strings.Contains(a.Before+a.After, hash) {
					t.Errorf("the audit log holds the token's hash: %+v", a)
				}
			}
			if diff := cmp.Diff([]string{"admin@example.com create api-token", "admin@example.com revoke api-token"}, actions); diff != "" {
				t.Errorf("audit (-want +got):\n%s", diff)
			}
			if !strings.Contains(audit[1].After, `"revoked"`) || strings.Contains(audit[1].Before, `"revoked"`) {
				t.Errorf("revoke audit before/after: %q / %q", audit[1].Before, audit[1].After)
			}
		})
	}
}

// TestAuthSessionsAndFlows: sessions are found by hash and deleted; a
// sign-in in flight is taken once; pruning removes only expired rows;
// sign-ins are logged newest first.
func TestAuthSessionsAndFlows(t *testing.T) {
	t.Parallel()
	for _, e := range engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			c := newClock()
			s := open(t, e.DSN, c)
			now := c.Now()
			live := AuthSession{Subject: "u1", Name: "alice", Role: "admin", Created: now, Expires: now.Add(8 * time.Hour)}
			old := AuthSession{Subject: "u2", Name: "bob", Role: "reader", Created: now.Add(-9 * time.Hour), Expires: now.Add(-time.Hour)}
			for h, a := range map[string]AuthSession{"live": live, "old": old} {
				if err := s.CreateAuthSession(ctx, h, a); err != nil {
					t.Fatal(err)
				}
			}
			if got, err := s.AuthSessionByHash(ctx, "live"); err != nil || got != live {
				t.Errorf("session = %+v, %v; want %+v", got, err, live)
			}
			if err := s.CreateAuthFlow(ctx, "state1", AuthFlow{Nonce: "n", Verifier: "v", ReturnTo: "/x", Expires: now.Add(10 * time.Minute)}); err != nil {
				t.Fatal(err)
			}
			if err := s.CreateAuthFlow(ctx, "state2", AuthFlow{Nonce: "n2", Verifier: "v2", Expires: now.Add(-time.Minute)}); err != nil {
				t.Fatal(err)
			}
			n, err := s.PruneAuth(ctx, now)
			if err != nil || n != 2 {
				t.Errorf("pruned %d, %v; want 2 (one session, one flow)", n, err)
			}
			if _, err := s.AuthSessionByHash(ctx, "old"); !errors.Is(err, ErrUnknownSession) {
				t.Errorf("pruned session: %v", err)
			}
			f, err := s.TakeAuthFlow(ctx, "state1")
			if err != nil || f.Nonce != "n" || f.Verifier != "v" || f.ReturnTo != "/x" || !f.Expires.Equal(now.Add(10*time.Minute)) {
				t.Errorf("flow = %+v, %v", f, err)
			}
			if _, err := s.TakeAuthFlow(ctx, "state1"); !errors.Is(err, ErrUnknownFlow) {
				t.Errorf("second take: %v, want ErrUnknownFlow", err)
			}
			if err := s.DeleteAuthSession(ctx, "live"); err != nil {
				t.Fatal(err)
			}
			if _, err := s.AuthSessionByHash(ctx, "live"); !errors.Is(err, ErrUnknownSession) {
				t.Errorf("deleted session: %v", err)
			}
			if err := s.DeleteAuthSession(ctx, "live"); err != nil {
				t.Errorf("deleting twice: %v", err)
			}

			for _, l := range []AuthLogin{
				{Issuer: "https://idp", Subject: "u1", Name: "alice", Role: "admin", Outcome: "admitted"},
				{At: now.Add(time.Minute), Issuer: "https://idp", Subject: "u3", Name: "eve", Outcome: "refused", Reason: "no role"},
			} {
				if err := s.RecordAuthLogin(ctx, l); err != nil {
					t.Fatal(err)
				}
			}
			logins, err := s.AuthLogins(ctx, 10)
			if err != nil {
				t.Fatal(err)
			}
			want := []AuthLogin{
				{At: now.Add(time.Minute), Issuer: "https://idp", Subject: "u3", Name: "eve", Outcome: "refused", Reason: "no role"},
				{At: now, Issuer: "https://idp", Subject: "u1", Name: "alice", Role: "admin", Outcome: "admitted"},
			}
			if diff := cmp.Diff(want, logins); diff != "" {
				t.Errorf("logins (-want +got):\n%s", diff)
			}
		})
	}
}
