package azuresim

import (
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/keyvault/armkeyvault"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resourcegraph/armresourcegraph"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
	"github.com/google/go-cmp/cmp"

	"github.com/kvguard/kvguard/internal/resource"
)

func start(t *testing.T, e *Estate, o Options) *Simulator {
	t.Helper()
	s, err := New(e, o)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// credential is azidentity's client-secret credential against the
// simulator's token endpoint.
func credential(t *testing.T, s *Simulator, secret string) azcore.TokenCredential {
	t.Helper()
	tenant, id, sec := s.Credentials()
	if secret != "" {
		sec = secret
	}
	c, err := azidentity.NewClientSecretCredential(tenant, id, sec, &azidentity.ClientSecretCredentialOptions{
		ClientOptions: azcore.ClientOptions{Cloud: s.Cloud(), Transport: s.Client()}, DisableInstanceDiscovery: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func armOptions(s *Simulator) *arm.ClientOptions {
	return &arm.ClientOptions{ClientOptions: policy.ClientOptions{Cloud: s.Cloud(), Transport: s.Client(),
		Retry: policy.RetryOptions{MaxRetries: -1}}, DisableRPRegistration: true}
}

func small() *Estate {
	return Generate(GenOptions{Subscriptions: 2, Vaults: 5, SecretsPerVault: 60, KeysPerVault: 3, CertificatesPerVault: 2, Seed: 3})
}

func TestTokenEndpoint(t *testing.T) {
	t.Parallel()
	s := start(t, small(), Options{})
	tok, err := credential(t, s, "").GetToken(t.Context(), policy.TokenRequestOptions{Scopes: []string{s.ARMAudience() + "/.default"}})
	if err != nil {
		t.Fatal(err)
	}
	c, foreign, ok := s.verify(tok.Token)
	if foreign || !ok || !sameAudience(c.Audience, s.ARMAudience()) || c.Subject != DefaultClientID {
		t.Errorf("token claims %+v (foreign %v, ok %v)", c, foreign, ok)
	}
	if _, err := credential(t, s, "wrong").GetToken(t.Context(), policy.TokenRequestOptions{Scopes: []string{s.ARMAudience() + "/.default"}}); err == nil ||
		!strings.Contains(err.Error(), "AADSTS7000215") {
		t.Errorf("wrong secret: %v", err)
	}
}

// TestARMWithSDK lists secrets with armkeyvault's real client: 60
// secrets come in pages of 25 followed through absolute nextLinks, with
// metadata only.
func TestARMWithSDK(t *testing.T) {
	t.Parallel()
	e := small()
	s := start(t, e, Options{})
	v := e.Vaults()[0]
	f, err := armkeyvault.NewClientFactory(v.Subscription, credential(t, s, ""), armOptions(s))
	if err != nil {
		t.Fatal(err)
	}
	pager := f.NewSecretsClient().NewListPager(v.ResourceGroup, v.Name, nil)
	var names []string
	pages := 0
	for pager.More() {
		page, err := pager.NextPage(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, sec := range page.Value {
			names = append(names, *sec.Name)
			if sec.Properties.Value != nil {
				t.Errorf("secret %s has a value", *sec.Name)
			}
		}
	}
	if len(names) != 60 || pages != 3 {
		t.Errorf("%d secrets in %d pages, want 60 in 3", len(names), pages)
	}
	got, err := f.NewVaultsClient().Get(t.Context(), v.ResourceGroup, v.Name, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := "https://" + strings.ToLower(v.Name) + ".vault.azuresim.test/"; *got.Properties.VaultURI != want {
		t.Errorf("vaultUri %s, want %s", *got.Properties.VaultURI, want)
	}
	if _, err := f.NewVaultsClient().Get(t.Context(), v.ResourceGroup, "nope", nil); err == nil || !strings.Contains(err.Error(), "ResourceNotFound") {
		t.Errorf("unknown vault: %v", err)
	}
}

// TestGraphWithSDK pages a Resource Graph query with $skipToken through
// armresourcegraph's real client, and refuses a query it does not know.
func TestGraphWithSDK(t *testing.T) {
	t.Parallel()
	e := small()
	s := start(t, e, Options{GraphStaleVaults: []string{e.Vaults()[1].Name}})
	c, err := armresourcegraph.NewClient(credential(t, s, ""), armOptions(s))
	if err != nil {
		t.Fatal(err)
	}
	q := "resources | where type =~ 'microsoft.keyvault/vaults' | project id, name, type, properties | order by id asc"
	top := int32(2)
	format := armresourcegraph.ResultFormatObjectArray
	req := armresourcegraph.QueryRequest{Query: &q, Options: &armresourcegraph.QueryRequestOptions{Top: &top, ResultFormat: &format}}
	var ids []string
	stale := 0
	for {
		resp, err := c.Resources(t.Context(), req, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range resp.Data.([]any) {
			m := row.(map[string]any)
			ids = append(ids, m["id"].(string))
			if m["properties"] == nil {
				stale++
			}
			if m["type"] != "microsoft.keyvault/vaults" {
				t.Errorf("type %v: Resource Graph lower-cases types", m["type"])
			}
		}
		if resp.SkipToken == nil {
			break
		}
		req.Options.SkipToken = resp.SkipToken
	}
	if len(ids) != 5 || stale != 1 {
		t.Errorf("%d rows (%d stale), want 5 (1 stale)", len(ids), stale)
	}
	bad := "resources | summarize count()"
	if _, err := c.Resources(t.Context(), armresourcegraph.QueryRequest{Query: &bad}, nil); err == nil || !strings.Contains(err.Error(), "InvalidQuery") {
		t.Errorf("unknown query: %v", err)
	}
}

// TestDataPlaneWithSDK lists secrets with azsecrets' real client over TLS
// with the 401 challenge and challenge-resource verification on, and
// checks that asking for a value is refused and recorded.
func TestDataPlaneWithSDK(t *testing.T) {
	t.Parallel()
	e := small()
	s := start(t, e, Options{})
	v := e.Vaults()[0]
	cred := credential(t, s, "")
	c, err := azsecrets.NewClient("https://"+v.Name+s.KeyVaultDNSSuffix()+"/", cred,
		&azsecrets.ClientOptions{ClientOptions: azcore.ClientOptions{Transport: s.Client(), Retry: policy.RetryOptions{MaxRetries: -1}}})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for p := c.NewListSecretPropertiesPager(nil); p.More(); {
		page, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		n += len(page.Value)
	}
	if n != 60 {
		t.Errorf("%d secrets, want 60", n)
	}
	if _, err := c.GetSecret(t.Context(), "secret-000", "", nil); err == nil || !strings.Contains(err.Error(), "SecretValueRefused") {
		t.Errorf("GetSecret: %v", err)
	}
	vr := s.ValueRequests()
	if len(vr) != 1 || vr[0].Path != "/secrets/secret-000/" && vr[0].Path != "/secrets/secret-000" {
		t.Errorf("value requests %+v, want the GetSecret", vr)
	}
	challenges := 0
	for _, r := range s.Requests() {
		if r.Plane == "dataplane" && r.Status == http.StatusUnauthorized {
			challenges++
		}
	}
	if challenges != 1 {
		t.Errorf("%d challenges, want 1", challenges)
	}
	// A token for Resource Manager does not open a vault.
	armTok, err := cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: []string{s.ARMAudience() + "/.default"}})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, "https://"+v.Name+s.KeyVaultDNSSuffix()+"/secrets?api-version=7.5", nil)
	req.Header.Set("Authorization", "Bearer "+armTok.Token)
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("ARM token on the data plane: %d, want 401", resp.StatusCode)
	}
}

func get(t *testing.T, s *Simulator, url, token string) *http.Response {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// TestThrottling: ARM's token bucket per subscription and principal
// answers 429 with Retry-After once empty, and reports what remains;
// Resource Graph reports its quota and refuses past it.
func TestThrottling(t *testing.T) {
	t.Parallel()
	e := small()
	// The clock stands still: no token comes back between requests, however
	// slow they are.
	frozen := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := start(t, e, Options{Throttle: true, Clock: func() time.Time { return frozen },
		Limits: Limits{ARMReadBurst: 3, ARMReadRate: 0.5, GraphQueries: 2, GraphWindow: time.Minute}})
	v := e.Vaults()[0]
	url := s.URL() + v.ID + "?api-version=2024-11-01"
	var statuses, remaining []string
	for range 4 {
		resp := get(t, s, url, "principal-a") //nolint:bodyclose // get closes the body
		statuses = append(statuses, resp.Status[:3])
		remaining = append(remaining, resp.Header.Get("x-ms-ratelimit-remaining-subscription-reads"))
		if resp.StatusCode == http.StatusTooManyRequests && resp.Header.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
	}
	if diff := cmp.Diff([]string{"200", "200", "200", "429"}, statuses); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"2", "1", "0", "0"}, remaining); diff != "" {
		t.Errorf("remaining reads (-want +got):\n%s", diff)
	}
	// Another principal has a bucket of its own.
	if resp := get(t, s, url, "principal-b"); resp.StatusCode != http.StatusOK { //nolint:bodyclose // get closes the body
		t.Errorf("principal b: %d", resp.StatusCode)
	}
	graph := func() *http.Response {
		body := `{"query": "resources | where type =~ 'microsoft.keyvault/vaults' | project id"}`
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL()+"/providers/Microsoft.ResourceGraph/resources?api-version=2024-04-01", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer principal-a")
		resp, err := s.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	var quota []string
	for range 3 {
		r := graph() //nolint:bodyclose // graph closes the body
		quota = append(quota, r.Status[:3]+" "+r.Header.Get("x-ms-user-quota-remaining"))
		if !strings.HasPrefix(r.Header.Get("x-ms-user-quota-resets-after"), "00:0") {
			t.Errorf("resets-after %q", r.Header.Get("x-ms-user-quota-resets-after"))
		}
	}
	if diff := cmp.Diff([]string{"200 1", "200 0", "429 0"}, quota); diff != "" {
		t.Errorf("graph quota (-want +got):\n%s", diff)
	}
}

// TestFaults: injected failures are 5xx answers and dropped connections.
func TestFaults(t *testing.T) {
	t.Parallel()
	e := small()
	v := e.Vaults()[0]
	failing := start(t, e, Options{FailRate: 1})
	if r := get(t, failing, failing.URL()+v.ID+"?api-version=1", "x"); r.StatusCode != 500 && r.StatusCode != 503 { //nolint:bodyclose // get closes the body
		t.Errorf("fail rate 1: %d", r.StatusCode)
	}
	dropping := start(t, small(), Options{DropRate: 1})
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, dropping.URL()+v.ID+"?api-version=1", nil)
	req.Header.Set("Authorization", "Bearer x")
	if resp, err := dropping.Client().Do(req); err == nil {
		resp.Body.Close()
		t.Errorf("drop rate 1: got %d, want a dropped connection", resp.StatusCode)
	}
	if st := dropping.Stats(); st.Dropped == 0 {
		t.Errorf("stats %+v: no dropped connection counted", st)
	}
}

// TestClientDialsOnlyTheSimulator: the simulator's client refuses any
// other host, so that a test can never reach Azure by mistake.
func TestClientDialsOnlyTheSimulator(t *testing.T) {
	t.Parallel()
	s := start(t, small(), Options{})
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, "https://management.azure.com/subscriptions", nil)
	_, err := s.Client().Do(req) //nolint:bodyclose // the dial is refused: there is no response
	if err == nil || !strings.Contains(err.Error(), "refusing to dial") {
		t.Errorf("err = %v", err)
	}
}

func TestLoadExampleEstate(t *testing.T) {
	t.Parallel()
	e, err := LoadEstate(filepath.Join("..", "..", "examples", "estate.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Subscriptions) != 2 || e.VaultCount() != 7 || len(e.ManagementGroups) != 1 {
		t.Fatalf("%d subscriptions, %d vaults, %d groups", len(e.Subscriptions), e.VaultCount(), len(e.ManagementGroups))
	}
	byName := map[string]*Vault{}
	for _, v := range e.Vaults() {
		byName[v.Name] = v
	}
	cases := []struct {
		vault                       string
		secrets, keys, certs, diags int
		forbidden                   []string
	}{
		{"kv-payments", 2, 1, 1, 1, nil},
		{"kv-legacy", 2, 1, 0, 0, nil},
		{"kv-dev-locked", 0, 0, 0, 0, []string{resource.TypeKey, resource.TypeSecret}},
		{"kv-dev-hidden", 1, 0, 0, 0, []string{resource.PartProperties}},
	}
	for _, tc := range cases {
		v := byName[tc.vault]
		if v == nil {
			t.Fatalf("no vault %s", tc.vault)
		}
		var forbidden []string
		for p := range v.Forbidden {
			forbidden = append(forbidden, p)
		}
		got := []any{len(v.Secrets), len(v.Keys), len(v.Certificates), len(v.DiagnosticSettings)}
		if diff := cmp.Diff([]any{tc.secrets, tc.keys, tc.certs, tc.diags}, got); diff != "" {
			t.Errorf("%s objects (-want +got):\n%s", tc.vault, diff)
		}
		if diff := cmp.Diff(tc.forbidden, forbidden, sortStrings); diff != "" {
			t.Errorf("%s forbidden (-want +got):\n%s", tc.vault, diff)
		}
	}
	if p := byName["kv-payments"].Keys[0].RotationPolicy; p == nil {
		t.Error("kv-payments' key lost its rotation policy")
	}
}

var sortStrings = cmp.Transformer("sort", func(in []string) []string {
	out := append([]string(nil), in...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
})

func TestGenerateIsReproducible(t *testing.T) {
	t.Parallel()
	o := GenOptions{Subscriptions: 3, Vaults: 100, ManagedHSMs: 2, SecretsPerVault: 4, KeysPerVault: 2, CertificatesPerVault: 1, Seed: 99}
	a, b := Generate(o), Generate(o)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("two estates from one seed differ:\n%s", diff)
	}
	o.Seed = 100
	if cmp.Equal(a, Generate(o)) {
		t.Error("another seed gave the same estate")
	}
	// Every recommendation has both outcomes somewhere.
	has := map[string]bool{}
	for _, v := range a.Vaults() {
		if v.Type != resource.TypeVault {
			continue
		}
		p := v.Body["properties"].(map[string]any)
		has["rbac="+jsonString(p["enableRbacAuthorization"])] = true
		has["pna="+jsonString(p["publicNetworkAccess"])] = true
		has["pe="+jsonString(len(p["privateEndpointConnections"].([]any)) > 0)] = true
		for _, s := range v.Secrets {
			has["secretExp="+jsonString(s.Expires != 0)] = true
		}
	}
	for _, k := range []string{"rbac=true", "rbac=false", "rbac=null", "pna=\"Disabled\"", "pna=\"Enabled\"", "pe=true", "pe=false", "secretExp=true", "secretExp=false"} {
		if !has[k] {
			t.Errorf("no vault with %s", k)
		}
	}
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestParseGraphQuery(t *testing.T) {
	t.Parallel()
	cases := []struct {
		q       string
		types   []string
		columns []string
		err     bool
	}{
		{"resources | where type in~ ('microsoft.keyvault/vaults', 'Microsoft.KeyVault/managedHSMs') | project id, name | order by id asc",
			[]string{"microsoft.keyvault/managedhsms", "microsoft.keyvault/vaults"}, []string{"id", "name"}, false},
		{"Resources\n| where type =~ 'microsoft.keyvault/vaults'", []string{"microsoft.keyvault/vaults"}, nil, false},
		{"resourcecontainers | where type == 'microsoft.resources/subscriptions' | project subscriptionId, properties",
			[]string{"microsoft.resources/subscriptions"}, []string{"subscriptionId", "properties"}, false},
		{"resourcechanges | project id", nil, nil, true},
		{"resources | summarize count() by type", nil, nil, true},
	}
	for _, tc := range cases {
		q, err := parseGraphQuery(tc.q)
		if tc.err {
			if err == nil {
				t.Errorf("%q: no error", tc.q)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.q, err)
			continue
		}
		var types []string
		for k := range q.types {
			types = append(types, k)
		}
		if diff := cmp.Diff(tc.types, types, sortStrings); diff != "" {
			t.Errorf("%q types (-want +got):\n%s", tc.q, diff)
		}
		if diff := cmp.Diff(tc.columns, q.columns); diff != "" {
			t.Errorf("%q columns (-want +got):\n%s", tc.q, diff)
		}
	}
}

func TestLimits(t *testing.T) {
	t.Parallel()
	now := time.Now()
	b := newBucket(2, 10, now)
	var got []bool
	for range 3 {
		ok, _, _ := b.take(now)
		got = append(got, ok)
	}
	ok, _, wait := b.take(now)
	if diff := cmp.Diff([]bool{true, true, false}, got); diff != "" || ok || wait != 100*time.Millisecond {
		t.Errorf("bucket: %v %v %v", got, ok, wait)
	}
	if ok, _, _ := b.take(now.Add(150 * time.Millisecond)); !ok {
		t.Error("bucket did not refill")
	}
	w := &window{n: 2, size: 5 * time.Second}
	var seq []int
	for _, at := range []time.Duration{0, time.Second, 2 * time.Second, 5 * time.Second} {
		ok, rem, _ := w.take(now.Add(at))
		if !ok {
			rem = -1
		}
		seq = append(seq, rem)
	}
	if diff := cmp.Diff([]int{1, 0, -1, 1}, seq); diff != "" {
		t.Errorf("window (-want +got):\n%s", diff)
	}
	if hms(3*time.Second+time.Millisecond) != "00:00:04" || hms(61*time.Second) != "00:01:01" {
		t.Errorf("hms: %s %s", hms(3*time.Second+time.Millisecond), hms(61*time.Second))
	}
}
