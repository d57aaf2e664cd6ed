package azuresim

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// networkEstate has one vault of each network shape.
func networkEstate() *Estate {
	e := Generate(GenOptions{Subscriptions: 1, Vaults: 4, SecretsPerVault: 2, Seed: 9})
	shapes := []map[string]any{
		{"publicNetworkAccess": "Enabled", "networkAcls": map[string]any{"defaultAction": "Allow"}},
		{"publicNetworkAccess": "Disabled"},
		{"networkAcls": map[string]any{"defaultAction": "Deny", "ipRules": []any{map[string]any{"value": "203.0.113.0/24"}}}},
		{"networkAcls": map[string]any{"defaultAction": "Deny", "ipRules": []any{map[string]any{"value": "127.0.0.0/8"}}}},
	}
	for i, v := range e.Subscriptions[0].Vaults {
		p := props(v.Body)
		delete(p, "publicNetworkAccess")
		delete(p, "networkAcls")
		for k, x := range shapes[i] {
			p[k] = x
		}
	}
	return e
}

// dataPlaneGet lists a vault's secrets on its data plane with a token,
// returning the status and the inner error code.
func dataPlaneGet(t *testing.T, s *Simulator, v *Vault) (int, string) {
	t.Helper()
	tok, err := credential(t, s, "").GetToken(t.Context(), policy.TokenRequestOptions{Scopes: []string{s.vaultResource + "/.default"}})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, "https://"+s.vaultHost(v)+"/secrets?api-version=7.4", nil)
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Error struct {
			Inner struct {
				Code string `json:"code"`
			} `json:"innererror"`
		} `json:"error"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body.Error.Inner.Code
}

func TestDataPlaneNetworkRules(t *testing.T) {
	t.Parallel()
	want := []struct {
		status int
		inner  string
	}{
		{http.StatusOK, ""},
		{http.StatusForbidden, "ForbiddenByConnection"},
		{http.StatusForbidden, "ForbiddenByFirewall"},
		{http.StatusOK, ""}, // 127.0.0.1 is in 127.0.0.0/8
	}
	outside := start(t, networkEstate(), Options{})
	inside := start(t, networkEstate(), Options{TrustedNetwork: true})
	for i, v := range outside.estate.Subscriptions[0].Vaults {
		if st, inner := dataPlaneGet(t, outside, v); st != want[i].status || inner != want[i].inner {
			t.Errorf("vault %d from outside: %d %q, want %d %q", i, st, inner, want[i].status, want[i].inner)
		}
		if st, _ := dataPlaneGet(t, inside, inside.estate.Subscriptions[0].Vaults[i]); st != http.StatusOK {
			t.Errorf("vault %d through a trusted network: %d, want 200", i, st)
		}
	}
}

func armGet(t *testing.T, s *Simulator, path string) (int, map[string]any) {
	t.Helper()
	tok, err := credential(t, s, "").GetToken(t.Context(), policy.TokenRequestOptions{Scopes: []string{s.ARMAudience() + "/.default"}})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, s.URL()+path, nil)
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

// TestGenericResourceReads: the reads the Azure CLI makes to find vaults.
func TestGenericResourceReads(t *testing.T) {
	t.Parallel()
	s := start(t, networkEstate(), Options{})
	sub := s.estate.Subscriptions[0]
	v := sub.Vaults[2]
	filter := "?api-version=2015-11-01&$filter=" + strings.ReplaceAll("resourceType eq 'Microsoft.KeyVault/vaults' and name eq '"+v.Name+"'", " ", "%20")
	st, body := armGet(t, s, "/subscriptions/"+sub.ID+"/resources"+filter)
	items, _ := body["value"].([]any)
	if st != http.StatusOK || len(items) != 1 {
		t.Fatalf("filtered resource list: %d %v", st, body)
	}
	item := items[0].(map[string]any)
	if item["id"] != v.ID || item["properties"] != nil || item["location"] == nil {
		t.Errorf("generic list item %v: want the vault's id and location, no properties", item)
	}
	if st, _ := armGet(t, s, "/subscriptions/"+sub.ID+"/resources?api-version=2021-04-01&$filter=tagName%20eq%20'x'"); st != http.StatusBadRequest {
		t.Errorf("a filter the simulator does not know: %d, want 400", st)
	}
	st, body = armGet(t, s, "/subscriptions/"+sub.ID+"/resourceGroups/"+v.ResourceGroup+"/providers/Microsoft.KeyVault/vaults?api-version=2023-07-01")
	items, _ = body["value"].([]any)
	if st != http.StatusOK || len(items) == 0 {
		t.Fatalf("group's vaults: %d %v", st, body)
	}
	for _, it := range items {
		m := it.(map[string]any)
		if m["properties"] == nil || !strings.Contains(strings.ToLower(m["id"].(string)), "/resourcegroups/"+strings.ToLower(v.ResourceGroup)+"/") {
			t.Errorf("group list item %v: want a vault of %s with properties", m["id"], v.ResourceGroup)
		}
	}
	if st, body := armGet(t, s, "/subscriptions/"+sub.ID+"/resourcegroups?api-version=2021-04-01"); st != http.StatusOK || len(body["value"].([]any)) == 0 {
		t.Errorf("resource groups: %d %v", st, body)
	}
	// The metadata endpoint answers without a token, as Azure's does.
	resp, err := s.Client().Get(s.URL() + "/metadata/endpoints?api-version=2015-01-01")
	if err != nil {
		t.Fatal(err)
	}
	meta, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(meta), s.URL()+"/adfs") {
		t.Errorf("metadata: %d %s", resp.StatusCode, meta)
	}
}

// TestProxyTunnelsOnlyToTheSimulator: a vault host is tunnelled to the
// simulator; any other host is refused, recorded and never dialled.
func TestProxyTunnelsOnlyToTheSimulator(t *testing.T) {
	t.Parallel()
	s := start(t, networkEstate(), Options{})
	px, err := s.NewProxy("")
	if err != nil {
		t.Fatal(err)
	}
	defer px.Close()
	connect := func(target string) string {
		c, err := net.Dial("tcp", strings.TrimPrefix(px.URL(), "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", target, target)
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(line)
	}
	if got := connect("kv1" + s.KeyVaultDNSSuffix() + ":443"); !strings.Contains(got, " 200 ") {
		t.Errorf("vault host: %q, want 200", got)
	}
	if got := connect("login.microsoftonline.com:443"); !strings.Contains(got, " 403 ") {
		t.Errorf("a real host: %q, want 403", got)
	}
	if r := px.Refused(); len(r) != 1 || r[0] != "login.microsoftonline.com:443" {
		t.Errorf("refused %v", r)
	}
	if px.Tunnels() != 1 {
		t.Errorf("%d tunnels, want 1", px.Tunnels())
	}
}

// TestBandwidthPacesResponses: a response of n bytes at a bandwidth of b
// bytes per second waits n/b seconds in its writes (measured by the
// waits asked for, not by a clock).
func TestBandwidthPacesResponses(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	ctx, cancel := context.WithCancel(t.Context())
	cancel() // a cancelled request: the first paced write gives up at once
	p := &pacedWriter{ResponseWriter: rec, rate: 1000, ctx: ctx}
	if _, err := p.Write(make([]byte, 10_000)); err == nil {
		t.Fatal("a write of 10 s at 1,000 B/s went through on a cancelled request")
	}
	p = &pacedWriter{ResponseWriter: rec, rate: 1 << 30, ctx: t.Context()}
	if n, err := p.Write([]byte("{}")); err != nil || n != 2 || rec.Body.String() != "{}" {
		t.Fatalf("write: %d, %v, body %q", n, err, rec.Body.String())
	}
}
