package cli

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kvguard/kvguard/internal/azuresim"
	"github.com/kvguard/kvguard/internal/demo"
	"github.com/kvguard/kvguard/internal/source/live"
)

// fakeTimer replaces time.After in kvguard serve: each wait returns a
// channel the test fires, so that the schedule advances on the test's
// word, never on the wall clock.
type fakeTimer struct {
	waits chan chan time.Time
}

func (f *fakeTimer) after(time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	f.waits <- ch
	return ch
}

// fire fires the next wait the schedule started.
func (f *fakeTimer) fire(t *testing.T) {
	t.Helper()
	select {
	case ch := <-f.waits:
		ch <- time.Now()
	case <-t.Context().Done():
		t.Fatal("the schedule never waited")
	}
}

// serveDemo runs kvguard serve in-process on an empty SQLite store: it
// starts the demo estate and scans it at once.
type served struct {
	base      string
	demo      *demo.Demo
	completed chan int64
	timer     *fakeTimer
	done      chan error
	cancel    context.CancelFunc
}

func serveDemo(t *testing.T) *served {
	t.Helper()
	s := &served{completed: make(chan int64, 16), timer: &fakeTimer{waits: make(chan chan time.Time, 4)}, done: make(chan error, 1)}
	ready := make(chan string, 1)
	demos := make(chan *demo.Demo, 1)
	o := &serveOptions{db: filepath.Join(t.TempDir(), "kvguard.db"), listen: "127.0.0.1:0", schedule: "15m", role: roleAll,
		scope: "tenant", concurrency: 4, poll: 20 * time.Millisecond, retention: time.Hour * 24 * 400,
		live: liveFlags{cloud: "AzureCloud", auth: "default", vaultConcurrency: 8, requestTimeout: time.Minute,
			armBurst: live.ARMReadBurst, armRate: live.ARMReadRate},
		after: s.timer.after, ready: func(addr string) { ready <- addr }, onDemo: func(d *demo.Demo) { demos <- d },
		OnScanCompleted: func(_ context.Context, id int64) error { s.completed <- id; return nil }}
	var stderr strings.Builder
	a := &app{io: IOStreams{Out: io.Discard, ErrOut: &lockedWriter{w: &stderr}}, logger: slog.New(slog.DiscardHandler)}
	ctx, cancel := context.WithCancel(t.Context())
	s.cancel = cancel
	go func() { s.done <- runServe(ctx, a, o) }()
	select {
	case s.demo = <-demos:
	case err := <-s.done:
		t.Fatalf("serve ended: %v", err)
	}
	select {
	case addr := <-ready:
		s.base = "http://" + addr
	case err := <-s.done:
		t.Fatalf("serve ended: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-s.done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return s
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (s *served) get(t *testing.T, path string) string {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), "GET", s.base+path, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	return string(b)
}

func (s *served) scanDone(t *testing.T) int64 {
	t.Helper()
	select {
	case id := <-s.completed:
		return id
	case err := <-s.done:
		t.Fatalf("serve ended: %v", err)
	case <-t.Context().Done():
		t.Fatal("no scan completed")
	}
	return 0
}

// rbac returns the demo vaults' names by the status of their RBAC verdict.
func (s *served) rbac(t *testing.T, status string) []string {
	t.Helper()
	var page struct {
		Items []struct{ Name string }
	}
	if err := json.Unmarshal([]byte(s.get(t, "/api/v1/findings?limit=500&recommendation=keyvault-rbac&status="+status)), &page); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, it := range page.Items {
		out = append(out, it.Name)
	}
	return out
}

func setRBAC(v *azuresim.Vault, on bool) {
	v.Body["properties"].(map[string]any)["enableRbacAuthorization"] = on
}

// TestServeFlow: kvguard serve on an empty database scans the demo
// estate at once; the dashboard shows it; a change in the simulated
// estate shows up as new and fixed after the next scheduled scan (the
// schedule's timer fired by the test).
func TestServeFlow(t *testing.T) {
	t.Parallel()
	s := serveDemo(t)
	first := s.scanDone(t)
	if first != 1 {
		t.Fatalf("first scan %d", first)
	}
	unhealthy, healthy := s.rbac(t, "Unhealthy"), s.rbac(t, "Healthy")
	if len(unhealthy) == 0 || len(healthy) == 0 || len(unhealthy)+len(healthy) != 24 {
		t.Fatalf("RBAC: unhealthy %v healthy %v", unhealthy, healthy)
	}
	overview := s.get(t, "/")
	if !regexp.MustCompile(`id="score">\d+\.\d%`).MatchString(overview) {
		t.Errorf("no score on the overview")
	}
	fix, breakIt := unhealthy[0], healthy[0]
	s.demo.Change(func(e *azuresim.Estate) {
		for _, v := range e.Vaults() {
			switch v.Name {
			case fix:
				setRBAC(v, true)
			case breakIt:
				setRBAC(v, false)
			}
		}
	})
	s.timer.fire(t) // the schedule's next instant
	second := s.scanDone(t)
	if second != 2 {
		t.Fatalf("second scan %d", second)
	}
	got := text(s.get(t, "/"))
	for _, want := range []string{"Scan 2 of demo", "1 new, 1 fixed", breakIt + " : keyvault-rbac",
		fix + " : keyvault-rbac (Healthy)"} {
		if !strings.Contains(got, want) {
			t.Errorf("overview lacks %q:\n%s", want, got)
		}
	}
}

// text strips tags and collapses spaces.
func text(html string) string {
	s := regexp.MustCompile(`(?s)<[^>]*>`).ReplaceAllString(html, " ")
	return strings.Join(strings.Fields(s), " ")
}

func TestServeUsage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--role", "both"}, `--role "both": use web, worker or all`},
		{[]string{"serve", "--schedule", "every day"}, "--schedule: schedule"},
		{[]string{"serve", "--schedule", "61 * * * *"}, "minute: 61 is outside 0-59"},
		{[]string{"serve", "--vault-concurrency", "0"}, "--vault-concurrency 0"},
		{[]string{"serve", "--arm-read-burst", "0"}, "--arm-read-burst 0: use at least 1"},
		{[]string{"worker", "--arm-read-rate", "-1"}, "--arm-read-rate -1: use a positive rate"},
		{[]string{"scan", "--azure", "--arm-read-rate", "0"}, "--arm-read-rate 0: use a positive rate"},
		{[]string{"scan", ".", "--arm-read-burst", "10"}, "--arm-read-burst applies to live scans: add --azure"},
		// Beyond loopback serve always authenticates (API tokens at least):
		// TestServeWiresAuth proves it without binding a non-loopback address.
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
