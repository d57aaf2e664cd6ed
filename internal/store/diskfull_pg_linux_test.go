//go:build linux

package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"os/user"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/kvguard/kvguard/internal/testsupport/pgtest"
)

// TestDiskFullPostgres: the disk holding the store's tables fills up in
// the middle of a scan, on PostgreSQL. The store's tables are put in a
// tablespace on a small tmpfs (the server runs on this machine; the test
// needs root to mount it, and skips saying so otherwise): the ingest
// fails with PostgreSQL's disk-full error, the store stays usable with
// the last completed scan current, and with room again (the tmpfs grown)
// the same scan completes.
func TestDiskFullPostgres(t *testing.T) {
	base := os.Getenv(postgresEnv)
	if base == "" {
		t.Skipf("needs PostgreSQL: set %s", postgresEnv)
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root, to mount a small tmpfs for a tablespace")
	}
	pg, err := user.Lookup("postgres")
	if err != nil {
		t.Skipf("no postgres user on this machine (the server is elsewhere?): %v", err)
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	name := "kvguard_full_" + hex.EncodeToString(b[:])
	dir := "/tmp/" + name // under /tmp, which the server's user can traverse
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Remove(dir) })
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=8m,mode=0700,uid="+pg.Uid+",gid="+pg.Gid, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = admin.Close() })
	if _, err := admin.Exec("CREATE TABLESPACE " + name + " LOCATION '" + dir + "'"); err != nil {
		t.Skipf("cannot create a tablespace on the tmpfs (a server on another machine, or not a superuser): %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec("DROP TABLESPACE " + name); err != nil {
			t.Errorf("drop tablespace: %v", err)
		}
	})
	dsn, _ := pgtest.Schema(t, "kvguard_test_") // dropped first: its cleanup runs before the tablespace's
	dsn += "&default_tablespace=" + name

	c := newClock()
	ctx := context.Background()
	s := open(t, dsn, c)
	var where string
	if err := s.DB().QueryRowContext(ctx, "SELECT COALESCE(t.spcname, '') FROM pg_class c LEFT JOIN pg_tablespace t ON t.oid = c.reltablespace WHERE c.oid = to_regclass('findings')").Scan(&where); err != nil || where != name {
		t.Fatalf("the store's tables are in tablespace %q (%v), want %s", where, err, name)
	}
	scanOnce(t, s, "sub:a", []verdict{{vaultA, "purge", "", "Unhealthy", "off"}})
	want := state(t, s, Filter{})

	sc, err := s.Begin(ctx, "sub:a", Live, Labels{})
	if err != nil {
		t.Fatal(err)
	}
	big := manyRows(0, 100_000) // some 25 MB of staged rows and resources with their indexes: more than 8 MB
	err = sc.IngestRows(ctx, rowsOf(big), nil, nil)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "53100" { // disk_full
		t.Fatalf("ingest into a full tablespace: %v, want PostgreSQL's disk_full (53100)", err)
	}
	t.Logf("ingest error, as expected: %v", err)
	if diff := cmp.Diff(want, state(t, s, Filter{})); diff != "" {
		t.Errorf("current state after the full disk (-want +got):\n%s", diff)
	}
	if n, err := s.Counts(ctx); err != nil || n["staged_results"] != 0 {
		t.Errorf("after the failed ingest: %v staged, %v", n["staged_results"], err)
	}

	if out, err := exec.Command("mount", "-o", "remount,size=256m", dir).CombinedOutput(); err != nil {
		t.Fatalf("grow the tmpfs: %v: %s", err, out)
	}
	if err := sc.IngestRows(ctx, rowsOf(big), nil, nil); err != nil {
		t.Fatalf("ingest with room again: %v", err)
	}
	if err := sc.Complete(ctx); err != nil {
		t.Fatalf("complete with room again: %v", err)
	}
	if got := len(state(t, s, Filter{})); got != len(big) {
		t.Errorf("%d findings after the scan with room, want %d", got, len(big))
	}
	_ = s.Close()
}
