package live

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/google/go-cmp/cmp"

	"github.com/kvguard/kvguard/internal/resource"
)

func TestLoadCloud(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	stack := write("stack.json", `{"name": "AzureStackUser", "isActive": true, "profile": "2020-09-01-hybrid",
	  "endpoints": {"activeDirectory": "https://login.contoso.local/adfs", "activeDirectoryResourceId": "https://management.contoso.local/abc",
	                "resourceManager": "https://management.local.azurestack.external/", "management": "https://management.contoso.local/abc"},
	  "suffixes": {"keyvaultDns": ".vault.local.azurestack.external"}}`)
	mgmtOnly := write("mgmt.json", `{"endpoints": {"activeDirectory": "https://login.example/", "resourceManager": "https://arm.example/", "management": "https://arm-audience.example/"}}`)
	plainHTTP := write("http.json", `{"endpoints": {"activeDirectory": "http://login.example/", "resourceManager": "https://arm.example/", "activeDirectoryResourceId": "https://a/"}}`)
	noARM := write("noarm.json", `{"endpoints": {"activeDirectory": "https://login.example/", "activeDirectoryResourceId": "https://a/"}}`)
	notJSON := write("bad.json", `endpoints:`)
	cases := []struct {
		in       string
		name     string
		authHost string
		arm      string
		audience string
		kv       string
		custom   bool
		wantErr  string
	}{
		{in: "", name: "AzureCloud", authHost: cloud.AzurePublic.ActiveDirectoryAuthorityHost, arm: "https://management.azure.com", audience: "https://management.core.windows.net/", kv: ".vault.azure.net"},
		{in: "azurechinacloud", name: "AzureChinaCloud", authHost: cloud.AzureChina.ActiveDirectoryAuthorityHost, arm: "https://management.chinacloudapi.cn", audience: "https://management.core.chinacloudapi.cn/", kv: ".vault.azure.cn"},
		{in: "AzureUSGovernment", name: "AzureUSGovernment", authHost: cloud.AzureGovernment.ActiveDirectoryAuthorityHost, arm: "https://management.usgovcloudapi.net", audience: "https://management.core.usgovcloudapi.net/", kv: ".vault.usgovcloudapi.net"},
		{in: stack, name: "AzureStackUser", authHost: "https://login.contoso.local/adfs/", arm: "https://management.local.azurestack.external/",
			audience: "https://management.contoso.local/abc", kv: ".vault.local.azurestack.external", custom: true},
		{in: mgmtOnly, name: "custom", authHost: "https://login.example/", arm: "https://arm.example/", audience: "https://arm-audience.example/", custom: true},
		{in: "AzureGermanCloud", wantErr: "unknown cloud"},
		{in: plainHTTP, wantErr: "not an https URL"},
		{in: noARM, wantErr: "endpoints.resourceManager is missing"},
		{in: notJSON, wantErr: "not `az cloud show -o json` output"},
		{in: filepath.Join(dir, "missing.json"), wantErr: "no such file"},
	}
	for _, tc := range cases {
		t.Run(filepath.Base(tc.in), func(t *testing.T) {
			t.Parallel()
			c, err := LoadCloud(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			rm := c.Config.Services[cloud.ResourceManager]
			got := []any{c.Name, c.Config.ActiveDirectoryAuthorityHost, rm.Endpoint, rm.Audience, c.KeyVaultDNSSuffix, c.Custom}
			want := []any{tc.name, tc.authHost, tc.arm, tc.audience, tc.kv, tc.custom}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestVaultHostAllowed(t *testing.T) {
	t.Parallel()
	public, _ := LoadCloud("AzureCloud")
	cases := []struct {
		c    Cloud
		host string
		want bool
	}{
		{public, "kv1.vault.azure.net", true},
		{public, "KV1.VAULT.AZURE.NET", true},
		{public, "hsm.managedhsm.azure.net", true},
		{public, "kv1.vault.azure.net.evil.example", false},
		{public, "vault.azure.net", false},
		{public, "kv1.vault.azure.cn", false},
		{Cloud{}, "anything.example", true},
	}
	for _, tc := range cases {
		if got := tc.c.vaultHostAllowed(tc.host); got != tc.want {
			t.Errorf("%s in %s: %v, want %v", tc.host, tc.c.Name, got, tc.want)
		}
	}
}

func TestThrottleLowerBound(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		reads      []int
		tenant, rg int
		want       time.Duration
	}{
		{"within the burst", []int{250, 10}, 1, 5, 0},
		{"the benchmark estate", []int{1000, 1000, 1000}, 1, 5, 30 * time.Second},
		{"slowest subscription decides", []int{300, 1250}, 0, 0, 40 * time.Second},
		{"tenant reads", nil, 500, 0, 10 * time.Second},
		{"resource graph windows", []int{10}, 0, 31, 10 * time.Second},
		{"nothing", nil, 0, 0, 0},
	}
	for _, tc := range cases {
		if got := ThrottleLowerBound(tc.reads, tc.tenant, tc.rg); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestReadLimit: a limit other than Azure's sets the meter's buckets and
// the bound; the zero value is Azure's.
func TestReadLimit(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		limit     ReadLimit
		wantCap   float64 // the bucket's level in use (burst less the margin kept in hand)
		wantRate  float64
		wantBound time.Duration // for 81 reads in one subscription
	}{
		{"zero is Azure's", ReadLimit{}, 245, 25, 0},
		{"the workers benchmark's simulator", ReadLimit{Burst: 25, Rate: 5}, 22.5, 5, 11200 * time.Millisecond},
		{"rate only", ReadLimit{Rate: 0.5}, 245, 0.5, 0},
	}
	for _, tc := range cases {
		m := newMeter(nil, "https://management.example", time.Minute, tc.limit)
		for _, r := range []route{{kind: "sub", key: "s1"}, {kind: "tenant"}} {
			b := m.bucketFor(r)
			if b.capacity != tc.wantCap || b.rate != tc.wantRate {
				t.Errorf("%s: %s bucket %v + %v/s, want %v + %v/s", tc.name, r.kind, b.capacity, b.rate, tc.wantCap, tc.wantRate)
			}
		}
		if got := m.arm.LowerBound([]int{81}, 1, 0); got != tc.wantBound {
			t.Errorf("%s: bound %v, want %v", tc.name, got, tc.wantBound)
		}
	}
}

func TestBucket(t *testing.T) {
	t.Parallel()
	b := newBucket(20, 10) // 20 tokens (2 kept in hand), 10 per second
	now := time.Now()
	b.last = now
	for range 16 {
		b.reserve(now)
	}
	waits := []time.Duration{b.reserve(now), b.reserve(now), b.reserve(now), b.reserve(now)}
	want := []time.Duration{0, 0, 100 * time.Millisecond, 200 * time.Millisecond}
	if diff := cmp.Diff(want, waits); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
	// Later the level is full again, but the server says 2 remain: the
	// margin of 2 leaves none.
	later := now.Add(10 * time.Second)
	b.observe(2, later)
	if w := b.reserve(later); w != 100*time.Millisecond {
		t.Errorf("after observe(2): wait %v, want 100ms", w)
	}
	b.block(later.Add(5 * time.Second))
	if w := b.reserve(later); w < 5*time.Second {
		t.Errorf("blocked bucket: wait %v, want ≥ 5s", w)
	}
}

func TestHeaders(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	hms := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"00:00:03", 3 * time.Second, true},
		{"01:02:03", time.Hour + 2*time.Minute + 3*time.Second, true},
		{"00:00:00.5", 500 * time.Millisecond, true},
		{"3", 0, false},
		{"aa:bb:cc", 0, false},
	}
	for _, tc := range hms {
		got, ok := parseHMS(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseHMS(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
	ra := []struct {
		h    http.Header
		want time.Duration
	}{
		{http.Header{"Retry-After": {"7"}}, 7 * time.Second},
		{http.Header{"Retry-After-Ms": {"250"}}, 250 * time.Millisecond},
		{http.Header{"X-Ms-Retry-After-Ms": {"40"}, "Retry-After": {"9"}}, 40 * time.Millisecond},
		{http.Header{"Retry-After": {now.Add(4 * time.Second).Format(http.TimeFormat)}}, 4 * time.Second},
		{http.Header{}, 0},
	}
	for _, tc := range ra {
		if got := retryAfter(tc.h, now); got != tc.want {
			t.Errorf("retryAfter(%v) = %v, want %v", tc.h, got, tc.want)
		}
	}
}

func TestInterleave(t *testing.T) {
	t.Parallel()
	rec := func(sub, name string) *vaultRecord { return &vaultRecord{sub: sub, name: name} }
	in := []*vaultRecord{rec("a", "a1"), rec("a", "a2"), rec("a", "a3"), rec("b", "b1"), rec("c", "c1"), rec("c", "c2")}
	var got []string
	for _, r := range interleave(in) {
		got = append(got, r.name)
	}
	if diff := cmp.Diff([]string{"a1", "b1", "c1", "a2", "c2", "a3"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestGraphRecord(t *testing.T) {
	t.Parallel()
	id := "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv"
	cases := []struct {
		name     string
		row      map[string]any
		complete bool
		typ      string
	}{
		{"complete", map[string]any{"id": id, "name": "kv", "type": "microsoft.keyvault/vaults", "subscriptionId": "s",
			"properties": map[string]any{"tenantId": "t", "vaultUri": "https://kv.vault.azure.net/"}, "sku": nil}, true, resource.TypeVault},
		{"no properties yet", map[string]any{"id": id, "type": "microsoft.keyvault/vaults", "properties": nil}, false, resource.TypeVault},
		{"properties without vaultUri", map[string]any{"id": id, "type": "microsoft.keyvault/vaults", "properties": map[string]any{"tenantId": "t"}}, false, resource.TypeVault},
	}
	for _, tc := range cases {
		r := graphRecord(tc.row, time.Now())
		if r == nil {
			t.Fatalf("%s: no record", tc.name)
		}
		if r.complete != tc.complete || r.typ != tc.typ || r.sub != "s" || r.rg != "rg" || r.name != "kv" {
			t.Errorf("%s: record %+v", tc.name, r)
		}
		for _, k := range []string{"subscriptionId", "sku"} {
			if _, ok := r.body[k]; ok {
				t.Errorf("%s: body keeps Resource Graph column %s", tc.name, k)
			}
		}
		if r.body["type"] != resource.TypeVault {
			t.Errorf("%s: body type %v", tc.name, r.body["type"])
		}
	}
	if graphRecord(map[string]any{"id": "not-an-id"}, time.Now()) != nil {
		t.Error("a row without a resource ID gave a record")
	}
}

func TestDescribe(t *testing.T) {
	t.Parallel()
	resp := &http.Response{StatusCode: 403, Header: http.Header{},
		Body:    nopBody(`{"error":{"code":"AuthorizationFailed","message":"no read on secrets"}}`),
		Request: &http.Request{Method: "GET"}}
	re := &azcore.ResponseError{StatusCode: 403, ErrorCode: "AuthorizationFailed", RawResponse: resp}
	if got, want := describe(re), "403 AuthorizationFailed: no read on secrets"; got != want {
		t.Errorf("describe = %q, want %q", got, want)
	}
	if got := describe(errors.New("dial tcp: refused")); got != "dial tcp: refused" {
		t.Errorf("describe = %q", got)
	}
}

func TestAuthMethods(t *testing.T) {
	// No parallel: it sets the environment. No credential built here
	// touches the network: construction is offline.
	c, _ := LoadCloud("AzureCloud")
	t.Setenv("AZURE_TENANT_ID", "")
	t.Setenv("AZURE_CLIENT_ID", "")
	t.Setenv("AZURE_CLIENT_SECRET", "")
	if _, err := newCredential("client-secret", c, nil, nil); err == nil || !strings.Contains(err.Error(), "AZURE_CLIENT_SECRET") {
		t.Errorf("client-secret without environment: %v", err)
	}
	if _, err := newCredential("nope", c, nil, nil); err == nil || !strings.Contains(err.Error(), "unknown --auth") {
		t.Errorf("unknown method: %v", err)
	}
	for _, m := range []string{"cli", "azd", "device-code"} {
		if _, err := newCredential(m, c, nil, nil); err != nil {
			t.Errorf("%s: %v", m, err)
		}
	}
}

type stringBody struct{ *strings.Reader }

func (stringBody) Close() error { return nil }

func nopBody(s string) stringBody { return stringBody{strings.NewReader(s)} }
