package store

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kvguard/kvguard/internal/testsupport/pgtest"
)

// childEnv makes the test binary act as the process the crash test kills.
const childEnv = "KVGUARD_STORE_CRASH_CHILD"

const (
	ackedBatches = 3
	batchSize    = 100
)

// fullChildEnv makes the test binary act as the process whose disk fills
// up (its value: the SQLite file; fullLimitEnv: the file size limit).
const (
	fullChildEnv = "KVGUARD_STORE_FULL_CHILD"
	fullLimitEnv = "KVGUARD_STORE_FULL_LIMIT"
)

func TestMain(m *testing.M) {
	if dsn := os.Getenv(childEnv); dsn != "" {
		os.Exit(crashChild(dsn))
	}
	if path := os.Getenv(fullChildEnv); path != "" {
		os.Exit(fullChild(path))
	}
	os.Exit(m.Run())
}

func manyRows(b, n int) []verdict {
	out := make([]verdict, n)
	for i := range out {
		out[i] = verdict{fmt.Sprintf("%s-%d-%d", vaultB, b, i), "purge", "", "Healthy", "on"}
	}
	return out
}

// crashChild ingests acknowledged batches, saying so on stdout after each
// commit, then stops in the middle of the next one (rows already sent to
// the database inside its open transaction) and waits to be killed.
func crashChild(dsn string) int {
	ctx := context.Background()
	s, err := Open(ctx, dsn, Options{Now: newClock().Now, Logger: quiet()})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	sc, err := s.Begin(ctx, "sub:a", Live, Labels{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("scan %d\n", sc.ID())
	for b := range ackedBatches {
		if err := sc.IngestRows(ctx, rowsOf(manyRows(b, batchSize)), nil, nil); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Printf("ack %d\n", b)
	}
	big := rowsOf(manyRows(ackedBatches, 5*batchRows))
	_ = sc.IngestRows(ctx, func(yield func(Row) bool) {
		i := 0
		for r := range big {
			if i == 3*batchRows+1 { // three INSERTs sent, not committed
				fmt.Println("mid")
				_, _ = os.Stdin.Read(make([]byte, 1)) // blocks until killed
			}
			i++
			if !yield(r) {
				return
			}
		}
	}, nil, nil)
	return 0
}

// TestKilledMidIngest kills a process in the middle of an ingest: on
// reopen the interrupted scan is failed, the current state is the last
// completed scan's, every acknowledged batch is kept and nothing of the
// unacknowledged one is.
func TestKilledMidIngest(t *testing.T) {
	for _, e := range engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			c := newClock()
			ctx := context.Background()
			s := open(t, e.DSN, c)
			before := []verdict{{vaultA, "purge", "", "Unhealthy", "off"}}
			scanOnce(t, s, "sub:a", before)
			want := state(t, s, Filter{})
			_ = s.Close()

			cmd := exec.Command(os.Args[0], "-test.run", "^$")
			cmd.Env = append(os.Environ(), childEnv+"="+e.DSN)
			stdin, err := cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			defer stdin.Close()
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			var stderr strings.Builder
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			var scanID int64
			acks := 0
			lines := bufio.NewScanner(out)
			for lines.Scan() {
				l := lines.Text()
				if _, err := fmt.Sscanf(l, "scan %d", &scanID); err == nil {
					continue
				}
				if strings.HasPrefix(l, "ack ") {
					acks++
				}
				if l == "mid" {
					break
				}
			}
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			_ = cmd.Wait()
			if acks != ackedBatches || scanID == 0 {
				t.Fatalf("child acknowledged %d batches of scan %d (stderr: %s)", acks, scanID, stderr.String())
			}

			s2 := open(t, e.DSN, c)
			info, err := s2.ScanInfo(ctx, scanID)
			if err != nil || info.Status != Failed {
				t.Fatalf("killed scan: %+v, %v", info, err)
			}
			if diff := cmp.Diff(want, state(t, s2, Filter{})); diff != "" {
				t.Errorf("current state after the kill (-want +got):\n%s", diff)
			}
			var staged int
			if err := s2.DB().QueryRowContext(ctx, s2.q("SELECT COUNT(*) FROM staged_results WHERE scan_id = ?"), scanID).Scan(&staged); err != nil {
				t.Fatal(err)
			}
			if staged != ackedBatches*batchSize || info.Results != int64(staged) {
				t.Errorf("%d rows staged (scan counts %d); want the %d acknowledged", staged, info.Results, ackedBatches*batchSize)
			}
			scanOnce(t, s2, "sub:a", before) // the scope is free, the store usable
		})
	}
}

// TestDroppedConnection: the server drops the connection in the middle
// of an ingest: the ingest fails with an error, nothing of it is staged,
// and a retry succeeds.
func TestDroppedConnection(t *testing.T) {
	dsn, schema := pgtest.Schema(t, "kvguard_test_")
	if dsn == "" {
		t.Skipf("needs PostgreSQL: set %s", postgresEnv)
	}
	admin, err := sql.Open("pgx", os.Getenv(postgresEnv))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	c := newClock()
	ctx := context.Background()
	s := open(t, dsn, c)
	sc, err := s.Begin(ctx, "sub:a", Live, Labels{})
	if err != nil {
		t.Fatal(err)
	}
	rows := rowsOf(manyRows(0, 3*batchRows))
	err = sc.IngestRows(ctx, func(yield func(Row) bool) {
		i := 0
		for r := range rows {
			if i == batchRows+1 {
				if _, err := admin.ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
					WHERE application_name = $1`, schema); err != nil {
					t.Errorf("terminate: %v", err)
				}
			}
			i++
			if !yield(r) {
				return
			}
		}
	}, nil, nil)
	if err == nil {
		t.Fatal("an ingest whose connection was dropped succeeded")
	}
	t.Logf("ingest error, as expected: %v", err)
	n, err := s.Counts(ctx)
	if err != nil {
		t.Fatalf("the store is unusable after a dropped connection: %v", err)
	}
	if n["staged_results"] != 0 {
		t.Errorf("%d rows of the failed ingest staged", n["staged_results"])
	}
	if err := sc.IngestRows(ctx, rowsOf(manyRows(0, 3*batchRows)), nil, nil); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if err := sc.Complete(ctx); err != nil {
		t.Fatal(err)
	}
	if got := len(state(t, s, Filter{})); got != 3*batchRows {
		t.Errorf("%d findings after the retry, want %d", got, 3*batchRows)
	}
}

// TestBackupRestore: a backup holds the state at its time; restored, the
// store opens on it (SQLite: VACUUM INTO; PostgreSQL: pg_dump and
// pg_restore, when installed).
func TestBackupRestore(t *testing.T) {
	for _, e := range engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			c := newClock()
			ctx := context.Background()
			s := open(t, e.DSN, c)
			scanOnce(t, s, "sub:a", []verdict{{vaultA, "purge", "", "Unhealthy", "off"}, {vaultB, "purge", "", "Healthy", "on"}})
			if _, err := s.CreateExemption(ctx, "alice", Exemption{Kind: Waiver, Reason: "r", Expires: c.Now().Add(day), Scope: OnResource, Target: vaultA}); err != nil {
				t.Fatal(err)
			}
			want := state(t, s, Filter{})
			restored := backupAndRestore(t, s, e)
			scanOnce(t, s, "sub:a", []verdict{{vaultA, "purge", "", "Healthy", "on"}}) // after the backup
			_ = s.Close()
			r := open(t, restored, c)
			if diff := cmp.Diff(want, state(t, r, Filter{})); diff != "" {
				t.Errorf("restored state (-want +got):\n%s", diff)
			}
			if a, _ := r.Audit(ctx); len(a) != 1 {
				t.Errorf("restored audit log: %v", a)
			}
		})
	}
}

// backupAndRestore backs s up and returns the DSN of the restored copy.
func backupAndRestore(t *testing.T, s *Store, e pgtest.Engine) string {
	t.Helper()
	ctx := context.Background()
	if s.Engine() == SQLite {
		path := filepath.Join(t.TempDir(), "backup.db")
		if err := s.Backup(ctx, path); err != nil {
			t.Fatal(err)
		}
		return path
	}
	if err := s.Backup(ctx, "x"); err == nil || !strings.Contains(err.Error(), "pg_dump") {
		t.Errorf("Backup on PostgreSQL: %v; want a pointer to pg_dump", err)
	}
	if _, err := exec.LookPath("pg_dump"); err != nil {
		t.Skip("pg_dump is not installed: the PostgreSQL backup is documented in docs/serve.md, not tested here")
	}
	base := os.Getenv(postgresEnv)
	dump := filepath.Join(t.TempDir(), "kvguard.dump")
	if out, err := exec.Command("pg_dump", "--format=custom", "--schema="+e.Schema, "--file="+dump, base).CombinedOutput(); err != nil {
		t.Fatalf("pg_dump: %v\n%s", err, out)
	}
	// Restore into a database of its own, as after losing the server.
	db := e.Schema + "_restore"
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+db); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		a, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer a.Close()
		if _, err := a.Exec("DROP DATABASE " + db + " WITH (FORCE)"); err != nil {
			t.Errorf("drop %s: %v", db, err)
		}
	})
	target := strings.Replace(base, "/test?", "/"+db+"?", 1)
	if target == base {
		t.Skipf("cannot derive a restore database from %s", postgresEnv)
	}
	if out, err := exec.Command("pg_restore", "--no-owner", "--dbname="+target, dump).CombinedOutput(); err != nil {
		t.Fatalf("pg_restore: %v\n%s", err, out)
	}
	return target + "&search_path=" + e.Schema
}

// TestStagingLost: PostgreSQL's crash recovery empties staged_results,
// an unlogged table there (migration 00010), while staged_resources,
// logged, keeps its rows. Emptied here as recovery would, on both
// engines: Complete refuses to complete the scan short, fails it, and
// the current state stays the previous scan's.
func TestStagingLost(t *testing.T) {
	for _, e := range engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			c := newClock()
			ctx := context.Background()
			s := open(t, e.DSN, c)
			if s.Engine() == Postgres {
				for table, want := range map[string]string{"staged_results": "u", "staged_resources": "p"} {
					var got string
					if err := s.DB().QueryRowContext(ctx, "SELECT relpersistence FROM pg_class WHERE oid = to_regclass($1)", table).Scan(&got); err != nil {
						t.Fatal(err)
					}
					if got != want {
						t.Errorf("%s: relpersistence %q, want %q (u: unlogged, p: logged)", table, got, want)
					}
				}
			}
			scanOnce(t, s, "sub:a", []verdict{{vaultA, "purge", "", "Unhealthy", "off"}})
			want := state(t, s, Filter{})
			sc, err := s.Begin(ctx, "sub:a", Live, Labels{})
			if err != nil {
				t.Fatal(err)
			}
			if err := sc.IngestRows(ctx, rowsOf([]verdict{{vaultA, "purge", "", "Healthy", "on"}, {vaultB, "purge", "", "Healthy", "on"}}), nil, nil); err != nil {
				t.Fatal(err)
			}
			// A second part, staged after the crash: the first part's
			// resources are left without verdicts.
			if _, err := s.DB().ExecContext(ctx, "DELETE FROM staged_results"); err != nil {
				t.Fatal(err)
			}
			if err := sc.IngestRows(ctx, rowsOf([]verdict{{vaultB + "-2", "purge", "", "Healthy", "on"}}), nil, nil); err != nil {
				t.Fatal(err)
			}
			err = sc.Complete(ctx)
			if !errors.Is(err, ErrStagingLost) || !IsNotRunning(err) {
				t.Fatalf("Complete after the staging was emptied: %v, want ErrStagingLost and not running", err)
			}
			t.Logf("Complete: %v", err)
			si, err := s.ScanInfo(ctx, sc.ID())
			if err != nil {
				t.Fatal(err)
			}
			if si.Status != Failed || !strings.Contains(si.Error, "must run again") {
				t.Errorf("scan %s (%q), want failed saying it must run again", si.Status, si.Error)
			}
			if diff := cmp.Diff(want, state(t, s, Filter{})); diff != "" {
				t.Errorf("current state changed (-want +got):\n%s", diff)
			}
			scanOnce(t, s, "sub:a", []verdict{{vaultA, "purge", "", "Healthy", "on"}}) // the next scan completes
		})
	}
}
