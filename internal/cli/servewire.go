package cli

import (
	"context"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/kvguard/kvguard/internal/notify"
	"github.com/kvguard/kvguard/internal/server"
	"github.com/kvguard/kvguard/internal/store"
	"github.com/kvguard/kvguard/internal/webauth"
)

// wireAuth attaches the --auth-* flags to serve. Authentication is on when
// OpenID Connect is configured or when serve listens beyond loopback (then
// API tokens are the way in); on loopback without OIDC the machine's own
// users are trusted, so `kvguard serve` works with no setup.
func wireAuth(cmd *cobra.Command, o *serveOptions) {
	ao := &serveAuthOptions{}
	ao.AddFlags(cmd.Flags())
	o.Authenticator = func(ctx context.Context, st *store.Store) (server.Authenticator, error) {
		loopback := server.CheckListen(o.listen, false) == nil
		ao.OnLoopback(loopback)
		if loopback && !ao.Enabled() {
			return nil, nil
		}
		now := o.now
		if now == nil {
			now = time.Now
		}
		svc, err := ao.Service(ctx, st, now, nil)
		if err != nil {
			return nil, err
		}
		return authAdapter{svc}, nil
	}
}

// authAdapter presents webauth's service as the server's Authenticator:
// the roles are numbered alike.
type authAdapter struct{ s *webauth.Service }

func (a authAdapter) Authenticate(r *http.Request) (server.Principal, bool, error) {
	id, ok, err := a.s.Authenticate(r)
	if err != nil || !ok {
		return server.Principal{}, ok, err
	}
	return server.Principal{Name: id.Name, Role: server.Role(id.Role)}, true, nil
}

func (a authAdapter) Handler() http.Handler { return a.s.Handler() }

func (a authAdapter) SignInURL(r *http.Request) string { return a.s.SignInURL(r) }

// wireNotify attaches --notify-webhook and --notify-format: webhooks on a
// scan's new High findings and on exemptions about to expire.
func wireNotify(cmd *cobra.Command, o *serveOptions) {
	var format string
	var within time.Duration
	f := cmd.Flags()
	f.StringVar(&format, "notify-format", "json", "webhook payload: json, slack or teams (docs/notifications.md)")
	f.DurationVar(&within, "notify-expiring-within", 7*24*time.Hour, "announce exemptions expiring within this window")
	o.prepare = append(o.prepare, func(_ context.Context, st *store.Store) error {
		// The URL is a credential for most receivers: it comes from the
		// environment, never from the command line.
		u := os.Getenv("KVGUARD_NOTIFY_WEBHOOK")
		if u == "" {
			return nil
		}
		n, err := notify.New(notify.Options{URL: u, Format: format, Store: st, Now: o.now, BaseURL: o.baseURL, ExpiringWithin: within})
		if err != nil {
			return err
		}
		o.OnScanCompleted = n.ScanCompleted
		o.OnMaintenance = n.ExpiringExemptions
		return nil
	})
}
