package store

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kvguard/kvguard/internal/assess"
	"github.com/kvguard/kvguard/internal/report/reporttest"
	"github.com/kvguard/kvguard/internal/source/saved"
)

const planted = "hunter2-NEVER-IN-OUTPUT" // the secret value in the saved secret below

// TestIngestResultNoSecretValue ingests a judged vault whose saved
// secret carries its value: the verdicts land, the value never does (the
// database file and its backup are searched for it).
func TestIngestResultNoSecretValue(t *testing.T) {
	shapes := "../source/saved/testdata/shapes/"
	src, err := os.ReadFile(shapes + "az-keyvault-secret-show.json")
	if err != nil || !bytes.Contains(src, []byte(planted)) {
		t.Fatalf("the fixture no longer holds the planted value: %v", err)
	}
	res := reporttest.Scan(t, saved.New(saved.Options{Logger: quiet()}).Read, shapes+"az-keyvault-show.json", shapes+"az-keyvault-secret-show.json")
	var want int
	for a := range res.All() {
		want += 1 + len(a.Components)
	}
	c := newClock()
	dir := t.TempDir()
	s := open(t, filepath.Join(dir, "kvguard.db"), c)
	ctx := context.Background()
	sc, err := s.Begin(ctx, "saved", Live, Labels{})
	if err != nil {
		t.Fatal(err)
	}
	if err := sc.Ingest(ctx, res); err != nil {
		t.Fatal(err)
	}
	if err := sc.Complete(ctx); err != nil {
		t.Fatal(err)
	}
	got := state(t, s, Filter{Components: true})
	if len(got) != want || !strings.Contains(strings.Join(got, "\n"), " db-password ") {
		t.Errorf("%d current findings, want %d with the secret db-password:\n%s", len(got), want, strings.Join(got, "\n"))
	}
	backup := filepath.Join(dir, "backup.db")
	if err := s.Backup(ctx, backup); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{filepath.Join(dir, "kvguard.db"), filepath.Join(dir, "kvguard.db-wal"), backup} {
		data, err := os.ReadFile(f)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if bytes.Contains(data, []byte(planted)) {
			t.Errorf("%s holds the secret's value", f)
		}
	}
}

// TestIngestReport ingests a JSON report (a CI push) and finds every
// assessment and component of it current, with the scan's labels.
func TestIngestReport(t *testing.T) {
	data, err := os.ReadFile("testdata/examples-azure.json")
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Assessments []struct {
			Status     string            `json:"status"`
			Components []json.RawMessage `json:"components"`
		} `json:"assessments"`
		Errors []json.RawMessage `json:"errors"`
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	want, unhealthy := 0, 0
	for _, a := range rep.Assessments {
		want += 1 + len(a.Components)
		if a.Status == string(assess.Unhealthy) {
			unhealthy++
		}
	}
	for _, e := range engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			c := newClock()
			ctx := context.Background()
			s := open(t, e.DSN, c)
			labels := Labels{Repository: "github.com/org/infra", Branch: "main", Commit: "0123abc", PipelineURL: "https://ci.example/run/7"}
			sc, err := s.Begin(ctx, "repo:infra@main", Repository, labels)
			if err != nil {
				t.Fatal(err)
			}
			for range 2 { // a retried push
				if err := sc.IngestReport(ctx, bytes.NewReader(data)); err != nil {
					t.Fatal(err)
				}
			}
			if err := sc.Complete(ctx); err != nil {
				t.Fatal(err)
			}
			all := state(t, s, Filter{Components: true})
			own := state(t, s, Filter{})
			got := strings.Count(strings.Join(own, "\n"), " Unhealthy ")
			if len(all) != want || got != unhealthy {
				t.Errorf("%d findings (%d unhealthy), want %d (%d)", len(all), got, want, unhealthy)
			}
			info, _ := s.ScanInfo(ctx, sc.ID())
			if info.Labels != labels || info.Source != Repository || info.InputErrors != int64(len(rep.Errors)) {
				t.Errorf("scan: %+v", info)
			}
			n, _ := s.Counts(ctx)
			if n["recommendations"] == 0 {
				t.Errorf("no recommendation stored: %v", n)
			}
		})
	}
}

func TestIngestReportRefused(t *testing.T) {
	cases := []struct{ name, report, want string }{
		{"not JSON", `nope`, "not a kvguard JSON report"},
		{"an array", `[]`, "not a kvguard JSON report"},
		{"old schema", `{"schemaVersion":"0","assessments":[]}`, `schema version "0"`},
		{"truncated", `{"schemaVersion":"1","assessments":[{"recommendation":{"id":"r"},"resource":{"id":"/x"},"status":"Healthy"}`, "assessments"},
		{"bad status", `{"schemaVersion":"1","assessments":[{"recommendation":{"id":"r"},"resource":{"id":"/x"},"status":"Bad"}]}`, `/x: recommendation r: unknown status "Bad"`},
		{"no resource", `{"schemaVersion":"1","assessments":[{},{}]}`, "assessments[0]: no resource ID"},
	}
	c := newClock()
	s := open(t, engines(t)[0].DSN, c)
	ctx := context.Background()
	for _, tc := range cases {
		sc, err := s.Begin(ctx, "repo", Repository, Labels{})
		if err != nil {
			t.Fatal(err)
		}
		err = sc.IngestReport(ctx, strings.NewReader(tc.report))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v; want an error with %q", tc.name, err, tc.want)
		}
		n, _ := s.Counts(ctx)
		if n["staged_results"] != 0 {
			t.Errorf("%s: a refused report left %d rows", tc.name, n["staged_results"])
		}
		if err := sc.Fail(ctx, "bad report"); err != nil {
			t.Fatal(err)
		}
	}
}

// FuzzIngestReport: any bytes give rows or an error, never a panic, and
// an error leaves nothing staged.
func FuzzIngestReport(f *testing.F) {
	data, err := os.ReadFile("testdata/examples-azure.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte(`{"schemaVersion":"1","assessments":[]}`))
	f.Add([]byte(`{"schemaVersion":"1","assessments":[{"recommendation":{"id":"r"},"resource":{"id":"/x"},"status":"Healthy","components":[{"name":"s","status":"Unknown"}]}]}`))
	s := open(f, filepath.Join(f.TempDir(), "fuzz.db"), newClock())
	f.Fuzz(func(t *testing.T, report []byte) {
		ctx := context.Background()
		sc, err := s.Begin(ctx, "fuzz", Repository, Labels{})
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = sc.Fail(ctx, "done") }()
		if err := sc.IngestReport(ctx, bytes.NewReader(report)); err != nil {
			var n int
			if qerr := s.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM staged_results WHERE scan_id = ?", sc.ID()).Scan(&n); qerr != nil || n != 0 {
				t.Fatalf("refused report left %d rows (%v)", n, qerr)
			}
		}
	})
}
