package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kvguard/kvguard/internal/azuresim"
)

// These end-to-end tests drive `kvguard scan --azure` through cli.Run,
// with the real Azure SDK clients and azidentity's client-secret
// credential, against the simulator on loopback, and compare its verdicts
// with those of the same estate read offline. They set the AZURE_*
// environment variables, so they do not run in parallel.

// verdicts are a JSON report's assessments as recommendation|resource →
// status, and its summary counts.
type verdicts struct {
	Status  map[string]string
	Summary any
}

func readVerdicts(t *testing.T, report []byte) verdicts {
	t.Helper()
	var r struct {
		Summary     any `json:"summary"`
		Assessments []struct {
			Recommendation struct {
				ID string `json:"id"`
			} `json:"recommendation"`
			Resource struct {
				ID string `json:"id"`
			} `json:"resource"`
			Status string `json:"status"`
		} `json:"assessments"`
	}
	if err := json.Unmarshal(report, &r); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, report)
	}
	v := verdicts{Status: map[string]string{}, Summary: r.Summary}
	for _, a := range r.Assessments {
		v.Status[a.Recommendation.ID+"|"+strings.ToLower(a.Resource.ID)] = a.Status
	}
	return v
}

func runKvguard(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Run(t.Context(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func startSimulator(t *testing.T, e *azuresim.Estate, o azuresim.Options) (*azuresim.Simulator, string) {
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
	cloud := filepath.Join(t.TempDir(), "cloud.json")
	if err := os.WriteFile(cloud, sim.CloudFile(), 0o600); err != nil {
		t.Fatal(err)
	}
	tenant, id, secret := sim.Credentials()
	t.Setenv("AZURE_TENANT_ID", tenant)
	t.Setenv("AZURE_CLIENT_ID", id)
	t.Setenv("AZURE_CLIENT_SECRET", secret)
	return sim, cloud
}

// TestAzureScanMatchesOfflineScan: the verdicts of a live scan equal those
// of the same estate read from saved JSON, for the hand-written example
// estate (served by the simulator, judged offline from the file itself)
// and for a generated one under throttling, faults and forbidden vaults
// (judged offline from the --save snapshot).
func TestAzureScanMatchesOfflineScan(t *testing.T) {
	example := filepath.Join("..", "..", "examples", "estate.json")
	exampleEstate, err := azuresim.LoadEstate(example)
	if err != nil {
		t.Fatal(err)
	}
	gen := azuresim.Generate(azuresim.GenOptions{Subscriptions: 3, Vaults: 24, ManagedHSMs: 1, SecretsPerVault: 30, KeysPerVault: 4, CertificatesPerVault: 1, Seed: 11})
	cases := []struct {
		name    string
		estate  *azuresim.Estate
		sim     azuresim.Options
		offline string // "" = the --save snapshot
		extra   []string
	}{
		{name: "example estate", estate: exampleEstate, offline: example, extra: []string{"--data-plane"}},
		{name: "generated with faults", estate: gen, sim: azuresim.Options{
			// Faults chosen by request, not by the clock: the same ones
			// on every run, on a quiet or a loaded machine.
			Latency: time.Millisecond, FailRate: 0.05, DropRate: 0.03, ThrottleRate: 0.1, Seed: 4,
			ForbiddenVaults: []string{"kvsim-00003", "kvsim-00007"},
		}, extra: []string{"--data-plane"}},
		{name: "generated, Resource Graph refused", estate: gen, sim: azuresim.Options{DisableResourceGraph: true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sim, cloud := startSimulator(t, tc.estate, tc.sim)
			snap := filepath.Join(t.TempDir(), "snapshot.json")
			args := append([]string{"scan", "--azure", "--cloud", cloud, "--auth", "client-secret", "--save", snap, "--format", "json", "--fail-on", "none"}, tc.extra...)
			code, live, stderr := runKvguard(t, args...)
			if code != ExitOK {
				t.Fatalf("live scan exit %d\n%s", code, stderr)
			}
			if !strings.Contains(stderr, "vaults found") {
				t.Errorf("no summary on stderr:\n%s", stderr)
			}
			offline := tc.offline
			if offline == "" {
				offline = snap
			}
			code, saved, stderr := runKvguard(t, "scan", offline, "--format", "json", "--fail-on", "none")
			if code != ExitOK {
				t.Fatalf("offline scan exit %d\n%s", code, stderr)
			}
			lv, ov := readVerdicts(t, []byte(live)), readVerdicts(t, []byte(saved))
			if len(lv.Status) == 0 {
				t.Fatal("no assessments")
			}
			if diff := cmp.Diff(ov, lv); diff != "" {
				t.Errorf("live verdicts differ from offline ones (-offline +live):\n%s", diff)
			}
			if v := sim.ValueRequests(); len(v) > 0 {
				t.Errorf("requests for secret values: %+v", v)
			}
		})
	}
}

// TestExampleEstateVerdicts pins what examples/estate.json demonstrates:
// every recommendation healthy, unhealthy and unknown somewhere.
func TestExampleEstateVerdicts(t *testing.T) {
	_, cloud := startSimulator(t, mustLoad(t, filepath.Join("..", "..", "examples", "estate.json")), azuresim.Options{})
	code, out, stderr := runKvguard(t, "scan", "--azure", "--cloud", cloud, "--auth", "client-secret", "--format", "json", "--fail-on", "none")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	seen := map[string]map[string]bool{}
	for k, status := range readVerdicts(t, []byte(out)).Status {
		rec, _, _ := strings.Cut(k, "|")
		if seen[rec] == nil {
			seen[rec] = map[string]bool{}
		}
		seen[rec][status] = true
	}
	var recs []string
	for rec, st := range seen {
		recs = append(recs, rec)
		for _, want := range []string{"Healthy", "Unhealthy", "Unknown"} {
			if !st[want] {
				t.Errorf("%s: no %s assessment in the example estate", rec, want)
			}
		}
	}
	sort.Strings(recs)
	if len(recs) != 6 {
		t.Errorf("recommendations judged: %v, want the six", recs)
	}
	if !strings.Contains(stderr, "6 vaults found, 4 judged, 2 unreadable, 1 managed HSMs found, 1 judged, 0 unreadable") {
		t.Errorf("stderr lacks the summary:\n%s", stderr)
	}
}

func mustLoad(t *testing.T, path string) *azuresim.Estate {
	t.Helper()
	e, err := azuresim.LoadEstate(path)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestSimulateCommand runs `kvguard simulate` as a user would, reads the
// cloud file and credentials it prints, scans it with `kvguard scan
// --azure`, and stops it.
func TestSimulateCommand(t *testing.T) {
	cloud := filepath.Join(t.TempDir(), "sim-cloud.json")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	ready := make(chan struct{})
	out, errb := syncBuffer{notify: "Press Ctrl-C", notified: ready}, syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"simulate", "--vaults", "6", "--subscriptions", "2", "--forbidden-vaults", "1",
			"--throttle", "--latency", "1ms", "--write-cloud", cloud}, strings.NewReader(""), &out, &errb)
	}()
	select {
	case <-ready:
	case code := <-done:
		t.Fatalf("simulate stopped (exit %d) before printing its endpoints:\n%s\n%s", code, out.String(), errb.String())
	}
	printed := out.String()
	for _, want := range []string{"Resource Manager  https://127.0.0.1:", "AZURE_CLIENT_SECRET=", "--cloud " + cloud, "forbidden vaults kvsim-00000"} {
		if !strings.Contains(printed, want) {
			t.Errorf("simulate output lacks %q:\n%s", want, printed)
		}
	}
	for _, line := range strings.Split(printed, "\n") {
		if k, v, ok := strings.Cut(strings.TrimPrefix(strings.TrimSpace(line), "export "), "="); ok && strings.HasPrefix(k, "AZURE_") {
			t.Setenv(k, v)
		}
	}
	code, report, stderr := runKvguard(t, "scan", "--azure", "--cloud", cloud, "--auth", "client-secret", "--format", "json", "--fail-on", "none")
	if code != ExitOK {
		t.Fatalf("scan exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "6 vaults found, 5 judged, 1 unreadable") {
		t.Errorf("scan summary:\n%s", stderr)
	}
	if len(readVerdicts(t, []byte(report)).Status) == 0 {
		t.Error("no assessments")
	}
	cancel()
	if code := <-done; code != ExitOK {
		t.Errorf("simulate exit %d: %s", code, errb.String())
	}
	if !strings.Contains(errb.String(), "0 asking for a secret value") {
		t.Errorf("simulate's closing line: %s", errb.String())
	}
}

// TestAzureFlagErrors: bad --azure flags are usage errors (exit 2).
func TestAzureFlagErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"scan", "--azure", "--concurrency", "0"}, "--concurrency"},
		{[]string{"scan", "--azure", "--cloud", "AzureGermanCloud", "--auth", "env"}, "unknown cloud"},
		{[]string{"scan", "--azure", "--auth", "magic"}, "unknown --auth"},
		{[]string{"simulate", "--estate", "x.json", "--vaults", "3"}, "exclusive"},
		{[]string{"simulate", "--fail-rate", "0.7", "--drop-rate", "0.5"}, "--fail-rate"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, _, stderr := runKvguard(t, tc.args...)
			if code != ExitError || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q: want exit 2 mentioning %q", code, stderr, tc.want)
			}
		})
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent use; once it holds
// notify, it closes notified.
type syncBuffer struct {
	mu       sync.Mutex
	b        bytes.Buffer
	notify   string
	notified chan struct{}
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, err := s.b.Write(p)
	if s.notified != nil && strings.Contains(s.b.String(), s.notify) {
		close(s.notified)
		s.notified = nil
	}
	return n, err
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
