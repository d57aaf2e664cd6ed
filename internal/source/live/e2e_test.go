package live_test

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/kvguard/kvguard/internal/azuresim"
	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/source/live"
)

// startSim starts a simulator for the test and closes it at the end.
func startSim(t testing.TB, e *azuresim.Estate, o azuresim.Options) *azuresim.Simulator {
	t.Helper()
	// These tests read every vault's data plane, as a scanner inside the
	// vaults' network does; TestFirewalledDataPlaneIsUnknown reads from
	// outside.
	o.TrustedNetwork = true
	sim, err := azuresim.New(e, o)
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	return sim
}

// simCredential is a real azidentity credential that signs in at the
// simulator's token endpoint (client credentials), over its TLS client,
// without instance discovery: nothing leaves loopback.
func simCredential(t testing.TB, sim *azuresim.Simulator) azcore.TokenCredential {
	t.Helper()
	tenant, id, secret := sim.Credentials()
	cred, err := azidentity.NewClientSecretCredential(tenant, id, secret, &azidentity.ClientSecretCredentialOptions{
		ClientOptions:            azcore.ClientOptions{Cloud: sim.Cloud(), Transport: sim.Client()},
		DisableInstanceDiscovery: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return cred
}

// writeCloud writes the simulator's cloud file and returns its path.
func writeCloud(t testing.TB, sim *azuresim.Simulator) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "cloud.json")
	if err := os.WriteFile(p, sim.CloudFile(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// collector gathers emitted documents.
type collector struct {
	mu   sync.Mutex
	docs []*resource.Document
}

func (c *collector) emit(d *resource.Document) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.docs = append(c.docs, d)
}

func (c *collector) byType(typ string) []*resource.Document {
	var out []*resource.Document
	for _, d := range c.docs {
		if d.IsType(typ) {
			out = append(out, d)
		}
	}
	return out
}

func (c *collector) vault(name string) *resource.Document {
	for _, d := range c.docs {
		if (d.IsType(resource.TypeVault) || d.IsType(resource.TypeManagedHSM)) && strings.EqualFold(d.Name, name) {
			return d
		}
	}
	return nil
}

// baseOptions are scan options against sim with an explicit credential.
func baseOptions(t testing.TB, sim *azuresim.Simulator) live.Options {
	return live.Options{
		Cloud:      writeCloud(t, sim),
		Credential: simCredential(t, sim),
		Transport:  sim.Client(),
		// No time limit that a loaded machine could reach: a request or a
		// scan that hangs fails through go test -timeout instead.
		RequestTimeout: 24 * time.Hour,
	}
}

func TestScanSmallEstate(t *testing.T) {
	t.Parallel()
	est := azuresim.Generate(azuresim.GenOptions{Subscriptions: 3, Vaults: 12, ManagedHSMs: 2, SecretsPerVault: 30, KeysPerVault: 3, CertificatesPerVault: 2, Seed: 7})
	sim := startSim(t, est, azuresim.Options{})
	opts := baseOptions(t, sim)
	opts.DataPlane = true
	var c collector
	sum, err := live.Scan(t.Context(), opts, c.emit)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("summary: %+v", sum)
	if sum.VaultsFound != 12 || sum.VaultsJudged != 12 || sum.VaultsUnreadable != 0 || sum.Subscriptions != 3 ||
		sum.ManagedHSMsFound != 2 || sum.ManagedHSMsJudged != 2 {
		t.Errorf("summary = %+v, want 12 vaults and 2 managed HSMs found and judged in 3 subscriptions", sum)
	}
	if n := len(c.byType(resource.TypeSecret)); n != 12*30 {
		t.Errorf("%d secrets, want %d", n, 12*30)
	}
	if n := len(c.byType(resource.TypeKey)); n != 12*3 {
		t.Errorf("%d keys, want %d", n, 12*3)
	}
	if n := len(c.byType(resource.TypeCertificate)); n != 12*2 {
		t.Errorf("%d certificates, want %d", n, 12*2)
	}
	for _, d := range c.byType(resource.TypeKey) {
		if d.Body["rotationPolicy"] == nil {
			t.Errorf("key %s has no rotation policy after a data-plane scan", d.ID)
		}
	}
	if v := sim.ValueRequests(); len(v) > 0 {
		t.Errorf("value requests: %+v", v)
	}
}

// docView is what a verdict can depend on in a document: everything but
// its provenance.
type docView struct {
	Type, Name string
	Body       map[string]any
	Parent     resource.Ref
	Gaps       []resource.Gap
}

// views keys documents by canonical ID. Gap messages are reduced to their
// part, since the words of an error may differ between runs.
func views(t testing.TB, docs []*resource.Document) map[string]docView {
	t.Helper()
	out := make(map[string]docView, len(docs))
	for _, d := range docs {
		k := resource.Key(d.ID)
		if _, dup := out[k]; dup {
			t.Errorf("document %s emitted twice", d.ID)
		}
		v := docView{Type: d.Type, Name: d.Name, Body: d.Body, Parent: d.Parent}
		for _, g := range d.Gaps {
			v.Gaps = append(v.Gaps, resource.Gap{Part: g.Part})
		}
		out[k] = v
	}
	return out
}

func scanDocs(t testing.TB, sim *azuresim.Simulator, mutate func(*live.Options)) (live.Summary, map[string]docView, error) {
	t.Helper()
	opts := baseOptions(t, sim)
	if mutate != nil {
		mutate(&opts)
	}
	var c collector
	sum, err := live.Scan(t.Context(), opts, c.emit)
	return sum, views(t, c.docs), err
}

// TestProgressDisplay: with a progress writer (the CLI passes stderr when
// it is a terminal) the scan draws a line and ends with the summary.
func TestProgressDisplay(t *testing.T) {
	t.Parallel()
	est := azuresim.Generate(azuresim.GenOptions{Subscriptions: 2, Vaults: 20, SecretsPerVault: 5, Seed: 8})
	sim := startSim(t, est, azuresim.Options{})
	// The vaults' contents are held until a progress line with the vault
	// count has been drawn: the scan cannot end before the display ticks.
	drawn := make(chan struct{})
	buf := syncWriter{notify: "· vaults ", notified: drawn}
	opts := baseOptions(t, sim)
	opts.Transport = newGate(opts.Transport, vaultRead, drawn)
	opts.Progress = &buf
	opts.Concurrency = 4
	if _, err := live.Scan(t.Context(), opts, func(*resource.Document) {}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"\r\x1b[Kkvguard: 2 subscriptions · vaults ", "requests", "20 vaults found, 20 judged, 0 unreadable", "Azure's limits allow no less than"} {
		if !strings.Contains(out, want) {
			t.Errorf("progress output lacks %q:\n%q", want, out)
		}
	}
	if !strings.HasSuffix(out, "\n") {
		t.Errorf("progress output does not end the line: %q", out)
	}
}

// syncWriter gathers writes from several goroutines; once what it holds
// contains notify, it closes notified.
type syncWriter struct {
	mu       sync.Mutex
	b        strings.Builder
	notify   string
	notified chan struct{}
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, err := w.b.Write(p)
	if w.notified != nil && strings.Contains(w.b.String(), w.notify) {
		close(w.notified)
		w.notified = nil
	}
	return n, err
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}
