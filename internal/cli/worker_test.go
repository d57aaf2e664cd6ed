package cli

import (
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kvguard/kvguard/internal/azuresim"
	"github.com/kvguard/kvguard/internal/jobs"
	"github.com/kvguard/kvguard/internal/store"
)

// TestWorkerEnqueueWait: kvguard worker --enqueue --wait on a SQLite file
// scans the simulator's subscriptions as jobs in one process and exits 0
// when the scan has completed; --migrate applies the migrations and
// exits. It sets AZURE_* (through startSimulator): not parallel.
func TestWorkerEnqueueWait(t *testing.T) {
	est := azuresim.Generate(azuresim.GenOptions{Subscriptions: 3, Vaults: 9, SecretsPerVault: 2, KeysPerVault: 1, Seed: 5})
	_, cloud := startSimulator(t, est, azuresim.Options{})
	db := filepath.Join(t.TempDir(), "kvguard.db")
	if code, _, stderr := runKvguard(t, "worker", "--db", db, "--migrate"); code != ExitOK || !strings.Contains(stderr, "migrations applied") {
		t.Fatalf("--migrate: exit %d\n%s", code, stderr)
	}
	args := []string{"worker", "--db", db, "--enqueue", "--wait", "--cloud", cloud, "--auth", "client-secret", "--poll", "50ms"}
	for _, s := range est.Subscriptions {
		args = append(args, "--subscription", s.ID)
	}
	code, _, stderr := runKvguard(t, args...)
	if code != ExitOK || !strings.Contains(stderr, "succeeded: 3 subscriptions") {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if _, err := os.Stat(db); err != nil {
		t.Fatal(err)
	}
}

func TestWorkerUsage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"worker", "--wait"}, "--wait applies to --enqueue"},
		{[]string{"worker", "--concurrency", "0"}, "--concurrency 0 works no job"},
		{[]string{"worker", "--job-timeout", "2m", "--rescue-after", "1m"}, "--rescue-after must be above --job-timeout"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Parallel()
			code, _, stderr := runKvguard(t, tc.args...)
			if code != ExitError || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, ExitError, tc.want)
			}
		})
	}
}

// TestWorkerMetrics: --metrics-listen serves the queue depth in
// Prometheus' text format, the autoscaler's external metric.
func TestWorkerMetrics(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "kvguard.db"), store.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c, err := jobs.New(ctx, st, jobs.Options{InsertOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.EnqueueScan(ctx, "tenant", []string{"00000000-0000-0000-0000-000000000001"}); err != nil {
		t.Fatal(err)
	}
	var errb strings.Builder
	a := &app{io: IOStreams{ErrOut: &errb}, logger: slog.New(slog.DiscardHandler)}
	stop, err := serveMetrics(ctx, a, c, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	url := strings.TrimSpace(strings.TrimPrefix(errb.String(), "kvguard: worker: metrics at "))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `kvguard_jobs{state="available"} 1`) {
		t.Errorf("%d\n%s", resp.StatusCode, body)
	}
}
