//go:build linux

package cli

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kvguard/kvguard/internal/azuresim"
	"github.com/kvguard/kvguard/internal/testsupport/pgtest"
)

// serveChildEnv makes the test binary act as `kvguard <args>` (its value,
// JSON): the process the kill tests start and SIGKILL.
const serveChildEnv = "KVGUARD_CLI_CHILD_ARGS"

func TestMain(m *testing.M) {
	if args := os.Getenv(serveChildEnv); args != "" {
		var argv []string
		if err := json.Unmarshal([]byte(args), &argv); err != nil {
			fmt.Fprintln(os.Stderr, serveChildEnv+":", err)
			os.Exit(2)
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := Run(ctx, argv, os.Stdin, os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// serveChild is a `kvguard serve` process.
type serveChild struct {
	cmd  *exec.Cmd
	base string
	mu   sync.Mutex
	logs strings.Builder
	done chan struct{}
}

// startServe starts `kvguard serve` with args on a free loopback port and
// returns once it listens (it says where on stderr).
func startServe(t *testing.T, env []string, args ...string) *serveChild {
	t.Helper()
	argv, _ := json.Marshal(append([]string{"serve", "--listen", "127.0.0.1:0", "--poll", "50ms"}, args...))
	c := &serveChild{cmd: exec.Command(os.Args[0], "-test.run", "^$"), done: make(chan struct{})}
	c.cmd.Env = append(append(os.Environ(), serveChildEnv+"="+string(argv)), env...)
	// Should the test binary die (a -timeout), its children die with it.
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stderr, err := c.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.kill(t) })
	addr := make(chan string, 1)
	go func() {
		defer close(c.done)
		lines := bufio.NewScanner(stderr)
		for lines.Scan() {
			l := lines.Text()
			c.mu.Lock()
			c.logs.WriteString(l + "\n")
			c.mu.Unlock()
			if rest, ok := strings.CutPrefix(l, "kvguard: serve: http://"); ok {
				a, _, _ := strings.Cut(rest, " ")
				addr <- a
			}
		}
	}()
	select {
	case a := <-addr:
		c.base = "http://" + a
	case <-c.done:
		t.Fatalf("kvguard serve ended before it listened:\n%s", c.stderr())
	case <-t.Context().Done():
		t.Fatal("kvguard serve never listened")
	}
	return c
}

func (c *serveChild) stderr() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.logs.String()
}

// kill ends the process with SIGKILL: no shutdown code of its runs.
func (c *serveChild) kill(t *testing.T) {
	t.Helper()
	if c.cmd.ProcessState != nil {
		return
	}
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-c.done
	_ = c.cmd.Wait()
}

// call sends a request and decodes the JSON answer into out.
func (c *serveChild) call(t *testing.T, method, path string, body []byte, wantStatus int, out any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, c.base+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", method, path, err, c.stderr())
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != wantStatus {
		t.Fatalf("%s %s: %d %s, want %d", method, path, resp.StatusCode, b, wantStatus)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
}

type scanAnswer struct {
	ID      int64  `json:"id"`
	Scan    int64  `json:"scan"`
	Status  string `json:"status"`
	Error   string `json:"error"`
	Results int64  `json:"results"`
}

// waitScan polls the scan until it is no longer running: the condition
// waited on is the scan's state, with the test's deadline as the only
// limit.
func (c *serveChild) waitScan(t *testing.T, id int64) scanAnswer {
	t.Helper()
	for {
		var s scanAnswer
		c.call(t, "GET", fmt.Sprintf("/api/v1/scans/%d", id), nil, http.StatusOK, &s)
		if s.Status != "running" {
			return s
		}
		select {
		case <-t.Context().Done():
			t.Fatalf("scan %d still running:\n%s", id, c.stderr())
		case <-time.After(20 * time.Millisecond): // a poll, not a measure
		}
	}
}

// current is the server's current state (every finding, components
// included), one line each, sorted.
func (c *serveChild) current(t *testing.T) []string {
	t.Helper()
	var out []string
	cursor := ""
	for {
		var page struct {
			Items []struct{ ResourceID, Recommendation, Component, Status, Reason string }
			Next  string
		}
		c.call(t, "GET", "/api/v1/findings?limit=500&components=true&cursor="+cursor, nil, http.StatusOK, &page)
		for _, f := range page.Items {
			out = append(out, strings.Join([]string{f.ResourceID, f.Recommendation, f.Component, f.Status, f.Reason}, " | "))
		}
		if page.Next == "" {
			slices.Sort(out)
			return out
		}
		cursor = page.Next
	}
}

// pushReport is a kvguard JSON report of vaults named prefix-0… in one
// subscription, each with a verdict on two recommendations and one
// component.
func pushReport(prefix string, vaults int) []byte {
	type rec struct {
		ID       string `json:"id"`
		Title    string `json:"title,omitempty"`
		Severity string `json:"severity,omitempty"`
	}
	type comp struct {
		Name   string `json:"name"`
		Status string `json:"status"`
		Reason string `json:"reason"`
	}
	type assessment struct {
		Recommendation rec `json:"recommendation"`
		Resource       struct {
			ID   string `json:"id"`
			Name string `json:"name"`
			Type string `json:"type"`
		} `json:"resource"`
		Status     string `json:"status"`
		Reason     string `json:"reason"`
		Components []comp `json:"components,omitempty"`
	}
	recs := []rec{{"keyvault-rbac", "Role-Based Access Control should be used on Keyvault Services", "High"},
		{"keyvault-secret-expiry", "Key Vault secrets should have an expiration date", "High"}}
	var as []assessment
	for i := range vaults {
		for j, r := range recs {
			var a assessment
			a.Recommendation = rec{ID: r.ID}
			a.Resource.Name = fmt.Sprintf("%s-%d", prefix, i)
			a.Resource.ID = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-" + prefix +
				"/providers/Microsoft.KeyVault/vaults/" + a.Resource.Name
			a.Resource.Type = "Microsoft.KeyVault/vaults"
			a.Status, a.Reason = []string{"Healthy", "Unhealthy"}[(i+j)%2], fmt.Sprintf("verdict %d of %s", j, prefix)
			if j == 1 {
				a.Components = append(a.Components, comp{"db-password", "Unhealthy", "The secret has no expiration date."})
			}
			as = append(as, a)
		}
	}
	b, _ := json.Marshal(map[string]any{"schemaVersion": "1", "tool": map[string]string{"name": "kvguard"},
		"recommendations": recs, "assessments": as, "errors": []any{}})
	return b
}

// writeLock stops the killed process's store from committing anything
// more: on SQLite the file's write lock (its writes wait on the busy
// timeout), on PostgreSQL an exclusive lock on the scans table (every
// ingest and the completion update their scan's row) or a share lock on
// staged_results (an ingest's INSERT waits, its transaction open). Reads
// go on.
type writeLock struct {
	conn *sql.Conn
	db   *sql.DB
}

// dbQuery is a condition on the database, read through q: hold says the
// moment to kill has come, over that it is too late (the scan finished).
type dbQuery func(ctx context.Context, q *sql.Conn) (hold, over bool, err error)

func openLockConn(t *testing.T, e pgtest.Engine) *writeLock {
	t.Helper()
	driver, dsn := "sqlite", "file:"+e.DSN+"?_pragma=busy_timeout(30000)"
	if e.Name != "sqlite" {
		driver, dsn = "pgx", e.DSN
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return &writeLock{conn: conn, db: db}
}

func (l *writeLock) exec(t *testing.T, stmts ...string) {
	t.Helper()
	for _, stmt := range stmts {
		if _, err := l.conn.ExecContext(t.Context(), stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
}

// lockWhen takes the write lock, checks cond under it and, until cond
// holds, lets go and tries again: once it holds, the process can commit
// nothing more, so that what the test saw is what the kill interrupts.
func lockWhen(t *testing.T, e pgtest.Engine, what string, cond dbQuery) *writeLock {
	t.Helper()
	begin := []string{"BEGIN IMMEDIATE"}
	if e.Name != "sqlite" {
		begin = []string{"BEGIN", "LOCK TABLE scans IN EXCLUSIVE MODE"}
	}
	l := openLockConn(t, e)
	ctx := t.Context()
	for {
		l.exec(t, begin...)
		hold, over, err := cond(ctx, l.conn)
		switch {
		case err != nil:
			t.Fatalf("%s: %v", what, err)
		case hold:
			return l
		case over:
			t.Fatalf("never saw %s: the process finished first; make the work larger", what)
		}
		l.exec(t, "ROLLBACK")
		select {
		case <-ctx.Done():
			t.Fatalf("never saw %s", what)
		case <-time.After(5 * time.Millisecond): // a poll, not a measure
		}
	}
}

func (l *writeLock) release(t *testing.T) {
	t.Helper()
	if _, err := l.conn.ExecContext(context.Background(), "ROLLBACK"); err != nil {
		t.Error(err)
	}
	_ = l.conn.Close()
	_ = l.db.Close()
}

// scanState reads a scan's status, staged results and unfinished parts.
// ($1 reads on both engines.)
func scanState(ctx context.Context, q *sql.Conn, scanID int64) (status string, staged, open int64, err error) {
	err = q.QueryRowContext(ctx, `SELECT status, (SELECT COUNT(*) FROM staged_results WHERE scan_id = $1),
		(SELECT COUNT(*) FROM scan_parts WHERE scan_id = $1 AND done_at = 0) FROM scans WHERE id = $1`,
		scanID).Scan(&status, &staged, &open)
	return status, staged, open, err
}

// midScan is a live scan midway: running, some subscriptions' verdicts
// staged (committed), some subscriptions not done.
func midScan(scanID int64) dbQuery {
	return func(ctx context.Context, q *sql.Conn) (bool, bool, error) {
		status, staged, open, err := scanState(ctx, q, scanID)
		return status == "running" && staged > 0 && open > 0, status != "running", err
	}
}

// midIngest kills srv inside the ingest transaction of scan (PostgreSQL):
// a share lock on staged_results, taken before the report was pushed,
// stops the ingest's first write of results (INSERT or COPY), its
// transaction open; the kill comes once PostgreSQL shows it waiting for
// the lock.
func midIngest(t *testing.T, l *writeLock, srv *serveChild) {
	t.Helper()
	ctx := t.Context()
	for {
		var waiting int
		// Inside a transaction pg_stat_activity is a snapshot taken once:
		// clear it for each look.
		if _, err := l.conn.ExecContext(ctx, "SELECT pg_stat_clear_snapshot()"); err != nil {
			t.Fatal(err)
		}
		err := l.conn.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_stat_activity
			WHERE wait_event_type = 'Lock' AND state = 'active' AND query ILIKE '%staged_results%'`).Scan(&waiting)
		if err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the ingest never waited for the lock:\n%s", srv.stderr())
		case <-time.After(5 * time.Millisecond): // a poll, not a measure
		}
	}
	srv.kill(t)
}

// TestServeKilled kills a `kvguard serve` process (SIGKILL) in the middle
// of a live scan, and on PostgreSQL inside the ingest of a pushed report,
// and restarts it on the same database each time (SQLite; PostgreSQL
// when KVGUARD_TEST_POSTGRES is set): nothing of the interrupted scan is
// current, nothing of the interrupted ingest is kept, and the report
// acknowledged before (202, then succeeded) is all there. On SQLite the
// restarted process owns the file: it fails the interrupted scan at once
// and the next scan completes. On PostgreSQL other processes may share
// the database, so the scan stays running until its lease runs out (10
// minutes; store's TestInterruptedScan and jobs' TestKilledWorker cover
// what follows).
//
// The kills are placed by state, never by time: the simulator holds one
// subscription's requests, so the live scan stages the others and cannot
// finish; the test holds a lock that stops the process's next commit (or,
// on PostgreSQL, its ingest's COPY inside the open transaction), checks
// under it that the scan is where the kill should find it, and kills.
func TestServeKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("starts kvguard serve processes")
	}
	for _, e := range pgtest.Engines(t, "kvguard_cli_kill_") {
		t.Run(e.Name, func(t *testing.T) { killServe(t, e) })
	}
}

func killServe(t *testing.T, e pgtest.Engine) {
	est := azuresim.Generate(azuresim.GenOptions{Subscriptions: 4, Vaults: 40, SecretsPerVault: 2, Seed: 13})
	// The last subscription's requests wait until the mid-scan kill is
	// done: the scan stages the others and can never finish before it.
	held := strings.ToLower(est.Subscriptions[len(est.Subscriptions)-1].ID)
	heldHosts := map[string]bool{}
	for _, v := range est.Subscriptions[len(est.Subscriptions)-1].Vaults {
		heldHosts[strings.ToLower(v.Name)] = true
	}
	release := make(chan struct{})
	var releaseOnce sync.Once
	releaseAll := func() { releaseOnce.Do(func() { close(release) }) }
	sim, err := azuresim.New(est, azuresim.Options{TrustedNetwork: true, Hold: func(r *http.Request) <-chan struct{} {
		host, _, _ := strings.Cut(strings.ToLower(r.Host), ".")
		if strings.Contains(strings.ToLower(r.URL.Path), held) || heldHosts[host] {
			return release
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	t.Cleanup(releaseAll)
	dir := t.TempDir()
	cloud := filepath.Join(dir, "cloud.json")
	if err := os.WriteFile(cloud, sim.CloudFile(), 0o600); err != nil {
		t.Fatal(err)
	}
	tenant, id, secret := sim.Credentials()
	env := []string{"AZURE_TENANT_ID=" + tenant, "AZURE_CLIENT_ID=" + id, "AZURE_CLIENT_SECRET=" + secret}
	db, owned := e.DSN, e.Name == "sqlite"
	args := []string{"--db", db, "--schedule", "", "--no-demo", "--cloud", cloud, "--auth", "client-secret", "--scope", "tenant"}
	for _, s := range est.Subscriptions {
		args = append(args, "--subscription", s.ID)
	}
	// interrupted checks the interrupted scan after the restart.
	interrupted := func(srv *serveChild, id int64, what string) scanAnswer {
		t.Helper()
		if owned {
			s := srv.waitScan(t, id)
			if s.Status != "failed" {
				t.Errorf("%s: %+v, want failed", what, s)
			}
			return s
		}
		var s scanAnswer
		srv.call(t, "GET", fmt.Sprintf("/api/v1/scans/%d", id), nil, http.StatusOK, &s)
		if s.Status != "running" && s.Status != "failed" {
			t.Errorf("%s: %+v, want running (until its lease runs out) or failed", what, s)
		}
		t.Logf("%s: scan %d is %s after the restart, %d results staged", what, id, s.Status, s.Results)
		return s
	}

	// An acknowledged report: 202, then succeeded.
	srv := startServe(t, env, args...)
	var acked scanAnswer
	srv.call(t, "POST", "/api/v1/reports?repository=org/acked", pushReport("acked", 50), http.StatusAccepted, &acked)
	if s := srv.waitScan(t, acked.Scan); s.Status != "succeeded" {
		t.Fatalf("the acknowledged report's scan: %+v", s)
	}
	want := srv.current(t)
	if len(want) != 50*3 {
		t.Fatalf("%d current findings after the acknowledged report, want 150", len(want))
	}

	// Killed mid-ingest (PostgreSQL): inside the ingest's transaction,
	// rows sent and not committed. On SQLite a report's ingest is one
	// transaction holding the file's write lock, which no other process
	// can stop midway: store's TestKilledMidIngest kills a process inside
	// it (paused by its own row source).
	if !owned {
		var big scanAnswer
		lock := openLockConn(t, e)
		lock.exec(t, "BEGIN", "LOCK TABLE staged_results IN SHARE MODE")
		srv.call(t, "POST", "/api/v1/reports?repository=org/big", pushReport("big", 6000), http.StatusAccepted, &big)
		midIngest(t, lock, srv)
		lock.release(t)
		srv = startServe(t, env, args...)
		if s := interrupted(srv, big.Scan, "the report interrupted mid-ingest"); s.Results != 0 {
			t.Errorf("%d results of the interrupted ingest were kept, want none (it was one transaction)", s.Results)
		}
		if got := srv.current(t); !slices.Equal(got, want) {
			t.Errorf("after the kill mid-ingest the current state has %d findings, want the acknowledged %d", len(got), len(want))
		}
	}

	// Killed mid-scan: a live scan with some subscriptions staged.
	var live scanAnswer
	srv.call(t, "POST", "/api/v1/scans", []byte(`{"scope":"tenant"}`), http.StatusAccepted, &live)
	lock := lockWhen(t, e, fmt.Sprintf("scan %d midway (a subscription staged, one not)", live.Scan), midScan(live.Scan))
	srv.kill(t)
	lock.release(t)
	releaseAll() // the held subscription answers from now on

	srv = startServe(t, env, args...)
	interrupted(srv, live.Scan, "the scan interrupted midway")
	if got := srv.current(t); !slices.Equal(got, want) {
		t.Errorf("after the kill mid-scan the current state has %d findings, want the acknowledged %d", len(got), len(want))
	}
	if !owned {
		return
	}
	// The scope is free and the store sound: the next scan completes.
	var again scanAnswer
	srv.call(t, "POST", "/api/v1/scans", []byte(`{"scope":"tenant"}`), http.StatusAccepted, &again)
	if s := srv.waitScan(t, again.Scan); s.Status != "succeeded" {
		t.Fatalf("the scan after the restart: %+v\n%s", s, srv.stderr())
	}
	if got := srv.current(t); len(got) <= len(want) {
		t.Errorf("the scan after the restart added nothing: %d findings", len(got))
	}
}
