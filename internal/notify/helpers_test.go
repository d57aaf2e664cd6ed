package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kvguard/kvguard/internal/store"
	"github.com/kvguard/kvguard/internal/testsupport/pgtest"
	"github.com/kvguard/kvguard/internal/testsupport/testclock"
)

// clock is the injected clock: tests move it, never sleep.
type clock = testclock.Clock

func newClock() *clock { return testclock.New() }

// engines returns a fresh SQLite file and, when KVGUARD_TEST_POSTGRES is
// set, a fresh PostgreSQL schema (dropped at the end).
func engines(t testing.TB) []pgtest.Engine { return pgtest.Engines(t, "kvguard_notify_") }

func openStore(t *testing.T, dsn string, c *clock) *store.Store {
	t.Helper()
	s, err := store.Open(t.Context(), dsn, store.Options{Now: c.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// logBuffer collects a logger's output for assertions.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// receiver is a webhook: it records each request and answers with the
// queued statuses (200 once the queue is empty).
type receiver struct {
	srv *httptest.Server
	// token is the secret part of the URL, as Slack and Teams have.
	token string

	mu      sync.Mutex
	bodies  [][]byte
	answers []int
	headers []http.Header
}

func newReceiver(t *testing.T, answers ...int) *receiver {
	t.Helper()
	r := &receiver{token: "T0000/B0000/planted-webhook-token", answers: answers}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.bodies = append(r.bodies, b)
		r.headers = append(r.headers, req.Header.Clone())
		status := http.StatusOK
		if len(r.answers) > 0 {
			status, r.answers = r.answers[0], r.answers[1:]
		}
		r.mu.Unlock()
		switch {
		case req.Method != http.MethodPost || req.URL.Path != "/hooks/"+r.token:
			http.Error(w, "not the webhook", http.StatusNotFound)
		case status == http.StatusTooManyRequests:
			w.Header().Set("Retry-After", "5")
			http.Error(w, "rate limited", status)
		case status == http.StatusFound:
			http.Redirect(w, req, "http://elsewhere.invalid/hook", status)
		default:
			w.WriteHeader(status)
			_, _ = fmt.Fprint(w, http.StatusText(status))
		}
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) URL() string { return r.srv.URL + "/hooks/" + r.token }

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.bodies)
}

func (r *receiver) body(i int) []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.bodies[i]
}

// sleeps records the waits between tries instead of waiting.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) Sleep(_ context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
	return nil
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

// verdict is one assessment of a report: vault, recommendation, status,
// reason, and the components' "name=status".
type verdict struct {
	vault, rec, status, reason string
	components                 []string
}

// planted are values a store must never hold: the report carries them in
// members kvguard does not read (as a careless producer might).
var planted = []string{"planted-secret-value-4f1d", "planted-key-material-9a7c"}

const subA = "00000000-0000-0000-0000-00000000000a"

func vaultID(name string) string {
	return "/subscriptions/" + subA + "/resourceGroups/rg-app/providers/Microsoft.KeyVault/vaults/" + name
}

// report writes a JSON report (docs/report.schema.json's members the
// store reads) with the planted values beside them.
func report(vs []verdict) []byte {
	type comp struct {
		Name   string `json:"name"`
		Status string `json:"status"`
		Reason string `json:"reason"`
		Value  string `json:"value"`
	}
	type res struct {
		ID         string         `json:"id"`
		Name       string         `json:"name"`
		Type       string         `json:"type"`
		Source     map[string]any `json:"source"`
		Properties map[string]any `json:"properties"`
	}
	type asmt struct {
		Recommendation map[string]string `json:"recommendation"`
		Resource       res               `json:"resource"`
		Status         string            `json:"status"`
		Reason         string            `json:"reason"`
		Components     []comp            `json:"components,omitempty"`
	}
	doc := map[string]any{"schemaVersion": "1", "recommendations": []map[string]string{
		{"id": "keyvault-soft-delete", "title": "Key vaults should have deletion protection enabled", "severity": "High", "type": "Control plane"},
		{"id": "keyvault-secret-expiry", "title": "Key Vault secrets should have an expiration date", "severity": "High", "type": "Data plane"},
		{"id": "keyvault-firewall", "title": "Azure Key Vault should have firewall enabled", "severity": "Medium", "type": "Control plane"},
	}}
	var list []asmt
	for _, v := range vs {
		a := asmt{Recommendation: map[string]string{"id": v.rec}, Status: v.status, Reason: v.reason,
			Resource: res{ID: vaultID(v.vault), Name: v.vault, Type: "Microsoft.KeyVault/vaults",
				Source:     map[string]any{"kind": "terraform", "file": "infra/main.tf", "startLine": 12, "address": "azurerm_key_vault." + v.vault},
				Properties: map[string]any{"secretValue": planted[1]}}}
		for _, c := range v.components {
			name, status, _ := strings.Cut(c, "=")
			a.Components = append(a.Components, comp{Name: name, Status: status, Reason: "no expiry", Value: planted[0]})
		}
		list = append(list, a)
	}
	doc["assessments"] = list
	b, err := json.Marshal(doc)
	if err != nil {
		panic(err)
	}
	return b
}

// scan runs a whole scan of the scope from a report, as a CI push does.
func scan(t *testing.T, s *store.Store, vs []verdict) int64 {
	t.Helper()
	ctx := t.Context()
	sc, err := s.Begin(ctx, "repo:org/app@main", store.Repository,
		store.Labels{Repository: "org/app", Branch: "main", Commit: "0123456789abcdef", PipelineURL: "https://ci.example/runs/42"})
	if err != nil {
		t.Fatal(err)
	}
	if err := sc.IngestReport(ctx, bytes.NewReader(report(vs))); err != nil {
		t.Fatal(err)
	}
	if err := sc.Complete(ctx); err != nil {
		t.Fatal(err)
	}
	return sc.ID()
}

// baseline is the first scan: one High finding unhealthy already.
var baseline = []verdict{
	{"kv-app", "keyvault-soft-delete", "Unhealthy", "purge protection is off", nil},
	{"kv-app", "keyvault-firewall", "Healthy", "the firewall denies by default", nil},
	{"kv-data", "keyvault-soft-delete", "Healthy", "purge protection is on", nil},
}

// second adds 2 new High findings (kv-data regressed, kv-new appeared)
// and 1 new Medium one; kv-app's stays unhealthy.
var second = []verdict{
	{"kv-app", "keyvault-soft-delete", "Unhealthy", "purge protection is still off", nil},
	{"kv-app", "keyvault-firewall", "Unhealthy", "the firewall allows all networks", nil},
	{"kv-data", "keyvault-soft-delete", "Unhealthy", "purge protection is off", nil},
	{"kv-new", "keyvault-secret-expiry", "Unhealthy", "1 of 2 secrets has no expiration date", []string{"db-password=Unhealthy", "api-key=Healthy"}},
}

// decoded is the part of a json payload the tests read.
type decoded struct {
	SchemaVersion string `json:"schemaVersion"`
	Event         string `json:"event"`
	Total         int    `json:"total"`
	Scan          struct {
		ID  int64  `json:"id"`
		URL string `json:"url"`
	} `json:"scan"`
	Findings []struct {
		Resource struct {
			Name string `json:"name"`
			URL  string `json:"url"`
		} `json:"resource"`
		Recommendation struct {
			ID       string `json:"id"`
			Severity string `json:"severity"`
		} `json:"recommendation"`
		Previous string `json:"previous"`
	} `json:"findings"`
	Exemptions []struct {
		ID     int64  `json:"id"`
		Reason string `json:"reason"`
	} `json:"exemptions"`
}

func decode(t *testing.T, b []byte) decoded {
	t.Helper()
	var d decoded
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("payload is not JSON: %v\n%s", err, b)
	}
	return d
}
