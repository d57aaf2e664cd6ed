package live_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kvguard/kvguard/internal/azuresim"
	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/source/live"
)

// keyVaults returns the key vaults of an estate (not managed HSMs).
func keyVaults(e *azuresim.Estate) []*azuresim.Vault {
	var out []*azuresim.Vault
	for _, v := range e.Vaults() {
		if v.Type == resource.TypeVault {
			out = append(out, v)
		}
	}
	return out
}

func smallEstate() *azuresim.Estate {
	return azuresim.Generate(azuresim.GenOptions{Subscriptions: 3, Vaults: 15, ManagedHSMs: 1,
		SecretsPerVault: 27, KeysPerVault: 4, CertificatesPerVault: 1, Seed: 42})
}

// TestFaultsChangeTimeNotVerdicts scans one estate on a quiet simulator
// and again under latency, tight throttling, 5xx errors and dropped
// connections: the documents must be the same.
func TestFaultsChangeTimeNotVerdicts(t *testing.T) {
	t.Parallel()
	quiet := startSim(t, smallEstate(), azuresim.Options{})
	_, want, err := scanDocs(t, quiet, nil)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		opts azuresim.Options
		// wantThrottled: the scan must have met at least one 429.
		wantThrottled bool
	}{
		{"latency", azuresim.Options{Latency: 10 * time.Millisecond}, false},
		{"5xx", azuresim.Options{FailRate: 0.15, Seed: 1}, false},
		{"dropped connections", azuresim.Options{DropRate: 0.1, Seed: 2}, false},
		// Throttling by request, not by a token bucket that refills with
		// time: which requests meet a 429 does not depend on the
		// machine's speed, and every retry is served.
		{"throttling", azuresim.Options{ThrottleRate: 0.3, Seed: 4}, true},
		{"everything", azuresim.Options{Latency: 2 * time.Millisecond, FailRate: 0.05, DropRate: 0.05, ThrottleRate: 0.2, Seed: 3}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sim := startSim(t, smallEstate(), tc.opts)
			sum, got, err := scanDocs(t, sim, nil)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("documents differ from the quiet scan (-quiet +%s):\n%s", tc.name, diff)
			}
			if sum.VaultsFound != 15 || sum.VaultsJudged != 15 || sum.ManagedHSMsFound != 1 || sum.ManagedHSMsJudged != 1 {
				t.Errorf("summary %+v: want 15 vaults and 1 managed HSM found and judged", sum)
			}
			st := sim.Stats()
			if tc.wantThrottled && (st.Throttled == 0 || sum.Throttled == 0) {
				t.Errorf("no 429 met (simulator %+v, summary %+v)", st, sum)
			}
			if tc.opts.FailRate > 0 && sum.Retries == 0 {
				t.Errorf("no retry counted with %d injected failures", st.Failed)
			}
			if len(sim.ValueRequests()) > 0 {
				t.Errorf("value requests: %+v", sim.ValueRequests())
			}
			t.Logf("%s: %+v; simulator %+v", tc.name, sum, st)
		})
	}
}

// TestForbiddenAndUnreadable: a vault whose secrets and keys answer 403
// gets gaps for them (never a healthy empty list), one whose properties
// cannot be read gets a properties gap, and found = judged + unreadable.
func TestForbiddenAndUnreadable(t *testing.T) {
	t.Parallel()
	est := smallEstate()
	vs := keyVaults(est)
	forbidden, hidden, diagDenied := vs[0], vs[1], vs[2]
	hidden.Forbidden = map[string]string{"properties": "the identity lacks Microsoft.KeyVault/vaults/read"}
	diagDenied.Forbidden = map[string]string{resource.TypeDiagnosticSetting: "no microsoft.insights/diagnosticSettings/read"}
	sim := startSim(t, est, azuresim.Options{ForbiddenVaults: []string{forbidden.Name}})
	var c collector
	sum, err := live.Scan(t.Context(), baseOptions(t, sim), c.emit)
	if err != nil {
		t.Fatal(err)
	}
	if sum.VaultsFound != sum.VaultsJudged+sum.VaultsUnreadable || sum.VaultsUnreadable != 3 || sum.VaultsFound != 15 || sum.ManagedHSMsFound != 1 {
		t.Errorf("summary %+v: want 15 vaults found, 3 unreadable, found = judged + unreadable, and 1 managed HSM", sum)
	}
	cases := []struct {
		vault     *azuresim.Vault
		wantParts []string
	}{
		{forbidden, []string{resource.TypeSecret, resource.TypeKey}},
		{hidden, []string{"properties"}},
		{diagDenied, []string{resource.TypeDiagnosticSetting}},
	}
	for _, tc := range cases {
		d := c.vault(tc.vault.Name)
		if d == nil {
			t.Fatalf("vault %s not emitted", tc.vault.Name)
		}
		var parts []string
		for _, g := range d.Gaps {
			parts = append(parts, g.Part)
			if !strings.Contains(g.Err, "403") {
				t.Errorf("%s gap %s: error %q does not say 403", tc.vault.Name, g.Part, g.Err)
			}
		}
		if diff := cmp.Diff(tc.wantParts, parts); diff != "" {
			t.Errorf("%s gaps (-want +got):\n%s", tc.vault.Name, diff)
		}
	}
	for _, d := range c.byType(resource.TypeSecret) {
		if resource.SameID(d.Parent.ID, forbidden.ID) {
			t.Errorf("secret %s of a forbidden vault emitted", d.ID)
		}
	}
}

// TestResourceGraphFallback: when Resource Graph refuses, or is not to be
// used, vaults are listed per subscription through ARM, with the same
// documents; stale Resource Graph rows make the scanner GET the body.
func TestResourceGraphFallback(t *testing.T) {
	t.Parallel()
	ref := startSim(t, smallEstate(), azuresim.Options{})
	_, want, err := scanDocs(t, ref, nil)
	if err != nil {
		t.Fatal(err)
	}
	stale := keyVaults(smallEstate())[4].Name
	cases := []struct {
		name      string
		sim       azuresim.Options
		noGraph   bool
		wantPaths []string // request paths (lower-case substrings) the scan must make
		wantNone  string   // a path it must not request
	}{
		{"graph refused", azuresim.Options{DisableResourceGraph: true}, false,
			[]string{"/providers/microsoft.keyvault/vaults", "/providers/microsoft.keyvault/managedhsms"}, ""},
		{"no resource graph", azuresim.Options{}, true,
			[]string{"/providers/microsoft.keyvault/vaults"}, "microsoft.resourcegraph"},
		{"stale graph row", azuresim.Options{GraphStaleVaults: []string{stale}}, false,
			[]string{"/vaults/" + stale}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sim := startSim(t, smallEstate(), tc.sim)
			_, got, err := scanDocs(t, sim, func(o *live.Options) { o.NoResourceGraph = tc.noGraph })
			if err != nil {
				t.Fatal(err)
			}
			// Bodies read through ARM carry no Resource Graph columns, so
			// they are compared on what ARM returns.
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("documents differ (-graph +%s):\n%s", tc.name, diff)
			}
			var paths []string
			for _, r := range sim.Requests() {
				paths = append(paths, strings.ToLower(r.Path))
			}
			all := strings.Join(paths, "\n")
			for _, p := range tc.wantPaths {
				if !strings.Contains(all, strings.ToLower(p)) {
					t.Errorf("no request to %s", p)
				}
			}
			if tc.wantNone != "" && strings.Contains(all, tc.wantNone) {
				t.Errorf("a request to %s was made", tc.wantNone)
			}
		})
	}
}

// TestGraphPaging: more than 1,000 vaults take two Resource Graph pages
// ($skipToken), every vault is found once, and the quota headers hold the
// second page back until the window resets instead of meeting a 429.
func TestGraphPaging(t *testing.T) {
	t.Parallel()
	est := azuresim.Generate(azuresim.GenOptions{Subscriptions: 21, Vaults: 1050, Seed: 5})
	sim := startSim(t, est, azuresim.Options{Throttle: true,
		Limits: azuresim.Limits{ARMReadBurst: 1 << 20, GraphQueries: 1, GraphWindow: 2 * time.Second}})
	sum, got, err := scanDocs(t, sim, func(o *live.Options) { o.Concurrency = 64 })
	if err != nil {
		t.Fatal(err)
	}
	if sum.VaultsFound != 1050 || len(got) < 1050 {
		t.Errorf("found %d vaults, %d documents; want 1050", sum.VaultsFound, len(got))
	}
	pages := 0
	for _, r := range sim.Requests() {
		if r.Plane == "graph" {
			pages++
		}
	}
	if pages != 2 {
		t.Errorf("%d Resource Graph requests, want 2 pages", pages)
	}
	if st := sim.Stats(); st.Throttled != 0 {
		t.Errorf("%d requests throttled: the quota headers were not honoured", st.Throttled)
	}
}

// TestManagementGroupScope scans the vaults below a management group
// only, through Resource Graph and through the ARM fallback.
func TestManagementGroupScope(t *testing.T) {
	t.Parallel()
	est := smallEstate()
	mg := est.ManagementGroups[0]
	inGroup := map[string]bool{}
	for _, s := range mg.Subscriptions {
		inGroup[strings.ToLower(s)] = true
	}
	want, wantHSMs := 0, 0
	for _, v := range est.Vaults() {
		switch {
		case !inGroup[strings.ToLower(v.Subscription)]:
		case v.Type == resource.TypeManagedHSM:
			wantHSMs++
		default:
			want++
		}
	}
	for _, noGraph := range []bool{false, true} {
		sim := startSim(t, smallEstate(), azuresim.Options{})
		sum, _, err := scanDocs(t, sim, func(o *live.Options) {
			o.ManagementGroups = []string{mg.Name}
			o.NoResourceGraph = noGraph
		})
		if err != nil {
			t.Fatal(err)
		}
		if sum.VaultsFound != want || sum.ManagedHSMsFound != wantHSMs || sum.Subscriptions != len(mg.Subscriptions) {
			t.Errorf("no-resource-graph=%v: %+v, want %d vaults and %d managed HSMs in %d subscriptions", noGraph, sum, want, wantHSMs, len(mg.Subscriptions))
		}
	}
}

// TestScanStopsCleanly: a scan that runs out of time still emits every
// vault it found (with gaps), keeps found = judged + unreadable, says it
// stopped, and writes its snapshot. The time runs out at a chosen point:
// when the inventory is done and the first vault's contents are being
// read, which are held until then.
func TestScanStopsCleanly(t *testing.T) {
	t.Parallel()
	est := azuresim.Generate(azuresim.GenOptions{Subscriptions: 2, Vaults: 40, SecretsPerVault: 60, Seed: 9})
	sim := startSim(t, est, azuresim.Options{})
	save := filepath.Join(t.TempDir(), "estate.json")
	var c collector
	opts := baseOptions(t, sim)
	g := newGate(opts.Transport, vaultRead, nil) // held until the deadline
	opts.Transport = g
	opts.Concurrency = 2
	opts.SavePath = save
	ctx := newDeadline()
	t.Cleanup(ctx.expire)
	go func() {
		<-g.firstHeld
		ctx.expire()
	}()
	sum, err := live.Scan(ctx, opts, c.emit)
	if err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the scan time limit", err)
	}
	if sum.VaultsFound != 40 || sum.VaultsJudged+sum.VaultsUnreadable != 40 || sum.VaultsUnreadable == 0 {
		t.Errorf("summary %+v: want 40 found = judged + unreadable, some unreadable", sum)
	}
	if n := len(c.byType(resource.TypeVault)); n != 40 {
		t.Errorf("%d vault documents, want 40", n)
	}
	snap := readSnapshot(t, save)
	if snap.Header.Summary.VaultsFound != 40 || len(snap.Gaps) == 0 {
		t.Errorf("snapshot summary %+v with %d gaps", snap.Header.Summary, len(snap.Gaps))
	}
}

type snapshotFile struct {
	Header struct {
		Version  string `json:"version"`
		Cloud    string `json:"cloud"`
		TenantID string `json:"tenantId"`
		Summary  struct {
			Subscriptions, VaultsFound, VaultsJudged, VaultsUnreadable int
		} `json:"summary"`
	} `json:"kvguardSnapshot"`
	Resources []map[string]any `json:"resources"`
	Gaps      []struct {
		ResourceID, Part, Error string
	} `json:"gaps"`
}

func readSnapshot(t testing.TB, path string) snapshotFile {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var s snapshotFile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&s); err != nil {
		t.Fatalf("snapshot is not JSON: %v", err)
	}
	return s
}

// offlineDocs reads a snapshot the way docs/snapshot.md tells a reader
// to: each resource through fromAzureBody, gaps attached to their
// vault. It stands in for internal/source/saved here.
func offlineDocs(t testing.TB, snap snapshotFile) []*resource.Document {
	t.Helper()
	var docs []*resource.Document
	byID := map[string]*resource.Document{}
	for _, body := range snap.Resources {
		delete(body, "kvguard")
		resource.NormalizeNumbers(body)
		d, ok := live.FromAzureBody(body)
		if !ok {
			t.Errorf("snapshot resource not understood: %v", body["id"])
			continue
		}
		docs = append(docs, d)
		byID[resource.Key(d.ID)] = d
	}
	for _, g := range snap.Gaps {
		d := byID[resource.Key(g.ResourceID)]
		if d == nil {
			t.Errorf("gap on %s, which the snapshot does not hold", g.ResourceID)
			continue
		}
		d.Gaps = append(d.Gaps, resource.Gap{Part: g.Part, Err: g.Error})
	}
	return docs
}

// TestSnapshotGivesSameDocuments: --save writes a snapshot from which an
// offline reader builds the documents the live scan emitted; served by
// the simulator, the snapshot scans to the same documents again.
func TestSnapshotGivesSameDocuments(t *testing.T) {
	t.Parallel()
	est := smallEstate()
	kvs := keyVaults(est)
	kvs[3].Forbidden = map[string]string{"properties": "hidden"}
	sim := startSim(t, est, azuresim.Options{ForbiddenVaults: []string{kvs[5].Name}})
	save := filepath.Join(t.TempDir(), "estate.json")
	var c collector
	opts := baseOptions(t, sim)
	opts.SavePath, opts.DataPlane = save, true
	sum, err := live.Scan(t.Context(), opts, c.emit)
	if err != nil {
		t.Fatal(err)
	}
	if sum.VaultsUnreadable != 2 {
		t.Errorf("summary %+v: want 2 unreadable vaults", sum)
	}
	liveViews := views(t, c.docs)
	snap := readSnapshot(t, save)
	if h := snap.Header; h.Version != "1" || h.Cloud != "KvguardSimulator" || h.TenantID == "" ||
		h.Summary.VaultsFound != sum.VaultsFound || h.Summary.VaultsUnreadable != sum.VaultsUnreadable {
		t.Errorf("snapshot header %+v does not match summary %+v", h, sum)
	}
	if diff := cmp.Diff(liveViews, views(t, offlineDocs(t, snap))); diff != "" {
		t.Errorf("offline documents differ from live ones (-live +offline):\n%s", diff)
	}

	// Round trip: the snapshot as an estate scans to the same documents.
	est2, err := azuresim.LoadEstate(save)
	if err != nil {
		t.Fatal(err)
	}
	sim2 := startSim(t, est2, azuresim.Options{})
	_, again, err := scanDocs(t, sim2, func(o *live.Options) { o.DataPlane = true })
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(liveViews, again); diff != "" {
		t.Errorf("rescanning the snapshot gives other documents (-first +again):\n%s", diff)
	}
}

// TestCloudFileAndEnvironmentCredential drives the path a user takes
// with `kvguard simulate`: no credential or transport given, --auth
// client-secret from the environment, --cloud the simulator's cloud file.
// The token audience must be the file's activeDirectoryResourceId (the
// simulator refuses tokens for any other) and the authority its
// activeDirectory.
func TestCloudFileAndEnvironmentCredential(t *testing.T) {
	sim := startSim(t, smallEstate(), azuresim.Options{})
	tenant, id, secret := sim.Credentials()
	t.Setenv("AZURE_TENANT_ID", tenant)
	t.Setenv("AZURE_CLIENT_ID", id)
	t.Setenv("AZURE_CLIENT_SECRET", secret)
	cloudPath := writeCloud(t, sim)
	var c collector
	sum, err := live.Scan(t.Context(), live.Options{Cloud: cloudPath, Auth: "client-secret", DataPlane: true}, c.emit)
	if err != nil {
		t.Fatal(err)
	}
	if sum.VaultsFound != 15 || sum.VaultsJudged != 15 || sum.ManagedHSMsFound != 1 {
		t.Errorf("summary %+v", sum)
	}
	if len(c.byType(resource.TypeCertificate)) == 0 {
		t.Error("no certificates read from the data plane")
	}
	// The client the scan built from the cloud file closes its
	// connections when the scan returns (a worker scans a subscription
	// per job). Left idle they would stay open for the transport's 90 s
	// idle timeout, longer than this wait's hang guard.
	wait, cancel := context.WithTimeout(t.Context(), 45*time.Second)
	defer cancel()
	if err := sim.WaitConnections(wait, 0); err != nil {
		t.Errorf("%d connections still open after the scan returned: %v", sim.OpenConnections(), err)
	}

	// The same file with Azure's public audience: the simulator refuses
	// the tokens, so the audience really comes from the file.
	var f map[string]any
	if err := json.Unmarshal(sim.CloudFile(), &f); err != nil {
		t.Fatal(err)
	}
	f["endpoints"].(map[string]any)["activeDirectoryResourceId"] = "https://management.core.windows.net/"
	b, _ := json.Marshal(f)
	wrong := filepath.Join(t.TempDir(), "wrong.json")
	if err := os.WriteFile(wrong, b, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = live.Scan(t.Context(), live.Options{Cloud: wrong, Auth: "client-secret"}, func(*resource.Document) {})
	if err == nil || !strings.Contains(err.Error(), "InvalidAuthenticationTokenAudience") {
		t.Errorf("err = %v, want the simulator to refuse the audience", err)
	}
}

// TestVaultURIOutsideCloud: a vaultUri whose host is not under the
// cloud's Key Vault DNS suffix gets no token and no request; its
// certificates are a gap.
func TestVaultURIOutsideCloud(t *testing.T) {
	t.Parallel()
	sim := startSim(t, smallEstate(), azuresim.Options{})
	var f map[string]any
	if err := json.Unmarshal(sim.CloudFile(), &f); err != nil {
		t.Fatal(err)
	}
	f["suffixes"].(map[string]any)["keyvaultDns"] = ".vault.elsewhere.test"
	b, _ := json.Marshal(f)
	cloudPath := filepath.Join(t.TempDir(), "cloud.json")
	if err := os.WriteFile(cloudPath, b, 0o600); err != nil {
		t.Fatal(err)
	}
	var c collector
	opts := baseOptions(t, sim)
	opts.Cloud, opts.DataPlane = cloudPath, true
	sum, err := live.Scan(t.Context(), opts, c.emit)
	if err != nil {
		t.Fatal(err)
	}
	if sum.VaultsUnreadable != 15 {
		t.Errorf("summary %+v: want the 15 key vaults unreadable", sum)
	}
	for _, d := range c.byType(resource.TypeVault) {
		g, ok := d.GapFor(resource.TypeCertificate)
		if !ok || !strings.Contains(g.Err, "not under the cloud's Key Vault DNS suffix") {
			t.Errorf("%s: certificate gap %+v", d.Name, g)
		}
	}
	for _, r := range sim.Requests() {
		if r.Plane == "dataplane" {
			t.Errorf("data-plane request %s %s%s", r.Method, r.Host, r.Path)
		}
	}
}
