package live_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/kvguard/kvguard/internal/azuresim"
	"github.com/kvguard/kvguard/internal/source/live"
)

// holdingTransport holds the requests that match until their context is
// done, and says (once) when the first of them arrived. Nothing else is
// delayed: where the scan stops is decided by which requests match, not
// by how long anything takes.
type holdingTransport struct {
	next    policy.Transporter
	match   func(*http.Request) bool
	arrived chan struct{}
}

func (h *holdingTransport) Do(req *http.Request) (*http.Response, error) {
	if !h.match(req) {
		return h.next.Do(req)
	}
	select {
	case h.arrived <- struct{}{}:
	default:
	}
	<-req.Context().Done()
	return nil, req.Context().Err()
}

// TestScanStoppedWhileListing: a scan stopped while it lists the
// subscriptions or the vaults (the time limit, or Ctrl-C) says that it
// was stopped and why, in an error that errors.Is recognises: the CLI
// tells a time limit from a failure by it.
func TestScanStoppedWhileListing(t *testing.T) {
	t.Parallel()
	listSubs := func(r *http.Request) bool {
		return r.Method == http.MethodGet && strings.TrimSuffix(r.URL.Path, "/") == "/subscriptions"
	}
	listVaults := func(r *http.Request) bool {
		return r.Method == http.MethodGet && strings.HasSuffix(strings.ToLower(r.URL.Path), "/providers/microsoft.keyvault/vaults")
	}
	for _, c := range []struct {
		name    string
		match   func(*http.Request) bool
		timeout bool // the scan time limit; else the caller cancels
		subs    bool // name the subscriptions (no list), read vaults through ARM
		want    []error
	}{
		{name: "time limit while listing subscriptions", match: listSubs, timeout: true,
			want: []error{live.ErrScanTimeout, context.DeadlineExceeded}},
		{name: "cancelled while listing subscriptions", match: listSubs, want: []error{context.Canceled}},
		{name: "time limit while listing vaults", match: listVaults, timeout: true, subs: true,
			want: []error{live.ErrScanTimeout, context.DeadlineExceeded}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			est := azuresim.Generate(azuresim.GenOptions{Subscriptions: 2, Vaults: 4, SecretsPerVault: 2, Seed: 3})
			sim := startSim(t, est, azuresim.Options{})
			opts := baseOptions(t, sim)
			h := &holdingTransport{next: opts.Transport, match: c.match, arrived: make(chan struct{}, 1)}
			opts.Transport = h
			if c.subs {
				for _, s := range est.Subscriptions {
					opts.Subscriptions = append(opts.Subscriptions, s.ID)
				}
				opts.NoResourceGraph = true
			}
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			if c.timeout {
				// The held request ends only when this expires, however
				// long that takes on a loaded machine.
				opts.ScanTimeout = 50 * time.Millisecond
			} else {
				go func() {
					<-h.arrived
					cancel()
				}()
			}
			_, err := live.Scan(ctx, opts, (&collector{}).emit)
			if err == nil {
				t.Fatal("the scan did not say it was stopped")
			}
			for _, w := range c.want {
				if !errors.Is(err, w) {
					t.Errorf("errors.Is(err, %v) = false; err = %v", w, err)
				}
			}
			if !strings.Contains(err.Error(), "scan stopped before it finished") {
				t.Errorf("err = %v, want it to say the scan was stopped", err)
			}
		})
	}
}
