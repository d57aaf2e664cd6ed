package live_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/kvguard/kvguard/internal/azuresim"
	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/source/live"
)

// corruptingTransport replaces the body of the answers that match.
type corruptingTransport struct {
	next  policy.Transporter
	match func(*http.Request) bool
	body  string
}

func (c *corruptingTransport) Do(req *http.Request) (*http.Response, error) {
	resp, err := c.next.Do(req)
	if err != nil || !c.match(req) {
		return resp, err
	}
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader([]byte(c.body)))
	resp.ContentLength = int64(len(c.body))
	return resp, nil
}

// TestUndecodablePageIsAGap: a list page kvguard cannot decode leaves its
// vault with a gap for that part (Unknown), never with a silently empty
// list, while the numbers of the pages it can decode are int64, as
// documents keep them.
func TestUndecodablePageIsAGap(t *testing.T) {
	t.Parallel()
	est := azuresim.Generate(azuresim.GenOptions{Subscriptions: 1, Vaults: 3, SecretsPerVault: 4, Seed: 11})
	bad := keyVaults(est)[0]
	sim := startSim(t, est, azuresim.Options{})
	opts := baseOptions(t, sim)
	opts.Transport = &corruptingTransport{next: opts.Transport, body: `{"value": [{"id": "x"`, match: func(r *http.Request) bool {
		return strings.HasSuffix(strings.ToLower(r.URL.Path), "/vaults/"+strings.ToLower(bad.Name)+"/secrets")
	}}
	var c collector
	sum, err := live.Scan(t.Context(), opts, c.emit)
	if err != nil {
		t.Fatal(err)
	}
	if sum.VaultsUnreadable != 1 {
		t.Errorf("summary %+v: want the vault with the bad page unreadable", sum)
	}
	d := c.vault(bad.Name)
	if _, ok := d.GapFor(resource.TypeSecret); !ok {
		t.Errorf("vault %s: gaps %+v, want a secrets gap", bad.Name, d.Gaps)
	}
	secrets := c.byType(resource.TypeSecret)
	if len(secrets) != 2*4 {
		t.Errorf("%d secrets, want the 8 of the other vaults", len(secrets))
	}
	for _, s := range secrets {
		if v, ok := s.Get("attributes", "createdOn"); ok {
			if _, isStr := v.(string); !isStr {
				t.Errorf("%s: createdOn %T %v", s.ID, v, v)
			}
		}
	}
}
