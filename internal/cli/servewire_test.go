package cli

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/kvguard/kvguard/internal/server"
	"github.com/kvguard/kvguard/internal/webauth"
)

// TestServeWiresAuth: on loopback without OIDC serve trusts the machine
// (no authenticator); beyond loopback API tokens are required, and a
// token's role reaches the server as the same role.
func TestServeWiresAuth(t *testing.T) {
	t.Parallel()
	st := authStore(t)
	now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		listen string
		want   bool
	}{
		{"127.0.0.1:8080", false},
		{"localhost:8080", false},
		{"0.0.0.0:8080", true},
		{":8080", true},
	} {
		o := &serveOptions{listen: tc.listen, now: func() time.Time { return now }}
		wireAuth(&cobra.Command{}, o)
		auth, err := o.Authenticator(context.Background(), st)
		if err != nil {
			t.Fatalf("%s: %v", tc.listen, err)
		}
		if got := auth != nil; got != tc.want {
			t.Fatalf("%s: authentication on = %v, want %v", tc.listen, got, tc.want)
		}
		if auth == nil {
			continue
		}
		svc := auth.(authAdapter).s
		tok, _, err := svc.CreateToken(context.Background(), "test", webauth.NewToken{Name: "ed", Role: webauth.RoleEditor, Never: true})
		if err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequest("GET", "/api/v1/findings", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		p, ok, err := auth.Authenticate(r)
		if err != nil || !ok || p.Role != server.RoleEditor || p.Name != "token:ed" {
			t.Fatalf("%s: Authenticate = %+v, %v, %v; want token:ed as editor", tc.listen, p, ok, err)
		}
		r.Header.Set("Authorization", "Bearer kvg_forged")
		if _, _, err := auth.Authenticate(r); err == nil {
			t.Fatalf("%s: a forged token was accepted", tc.listen)
		}
	}
}

// TestServeWiresNotify: the webhook hooks are set only when
// KVGUARD_NOTIFY_WEBHOOK names a receiver, and a bad format is refused.
func TestServeWiresNotify(t *testing.T) {
	st := authStore(t)
	for _, tc := range []struct {
		url, format string
		hooks, fail bool
	}{
		{"", "json", false, false},
		{"http://127.0.0.1:9/hook", "slack", true, false},
		{"http://127.0.0.1:9/hook", "morse", false, true},
	} {
		t.Setenv("KVGUARD_NOTIFY_WEBHOOK", tc.url)
		o := &serveOptions{}
		cmd := &cobra.Command{}
		wireNotify(cmd, o)
		if err := cmd.Flags().Set("notify-format", tc.format); err != nil {
			t.Fatal(err)
		}
		err := o.prepare[0](context.Background(), st)
		if (err != nil) != tc.fail {
			t.Fatalf("%q %s: prepare error %v, want failure %v", tc.url, tc.format, err, tc.fail)
		}
		if got := o.OnScanCompleted != nil && o.OnMaintenance != nil; got != tc.hooks {
			t.Fatalf("%q %s: hooks set = %v, want %v", tc.url, tc.format, got, tc.hooks)
		}
	}
}
