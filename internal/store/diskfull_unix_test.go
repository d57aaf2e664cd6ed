//go:build linux || darwin

package store

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fullChild opens the store, then limits the size of any file it writes
// (RLIMIT_FSIZE: the kernel answers EFBIG past it, as a full disk answers
// ENOSPC; Go ignores SIGXFSZ) and scans more than fits. It prints the
// error each step met ("begin", "ingest", "complete": "ok" or the error)
// and exits 0 unless it could not run.
func fullChild(path string) int {
	ctx := context.Background()
	s, err := Open(ctx, path, Options{Now: newClock().Now, Logger: quiet()})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	var limit uint64
	if _, err := fmt.Sscan(os.Getenv(fullLimitEnv), &limit); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: limit, Max: limit}); err != nil {
		fmt.Fprintln(os.Stderr, "setrlimit:", err)
		return 1
	}
	say := func(step string, err error) {
		if err == nil {
			fmt.Printf("%s: ok\n", step)
		} else {
			fmt.Printf("%s: %v\n", step, strings.ReplaceAll(err.Error(), "\n", " "))
		}
	}
	sc, err := s.Begin(ctx, "sub:a", Live, Labels{})
	say("begin", err)
	if err != nil {
		return 0
	}
	err = sc.IngestRows(ctx, rowsOf(manyRows(0, 20*batchRows)), nil, nil)
	say("ingest", err)
	if err == nil {
		say("complete", sc.Complete(ctx))
	}
	say("close", s.Close())
	return 0
}

// TestDiskFull: the disk fills up in the middle of a scan (a file size
// limit on the process, SQLite): the scan's ingest or completion fails
// with an error, the process goes on, and the database is intact
// (PRAGMA integrity_check), its current state the last completed scan's;
// with room again, the same scan completes.
func TestDiskFull(t *testing.T) {
	c := newClock()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "kvguard.db")
	s := open(t, path, c)
	before := []verdict{{vaultA, "purge", "", "Unhealthy", "off"}}
	scanOnce(t, s, "sub:a", before)
	want := state(t, s, Filter{})
	_ = s.Close()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	// Room for the database as it is and a little more: far less than
	// the 8,000 rows the child ingests.
	limit := fi.Size() + 256<<10
	cmd := exec.Command(os.Args[0], "-test.run", "^$")
	cmd.Env = append(os.Environ(), fullChildEnv+"="+path, fmt.Sprintf("%s=%d", fullLimitEnv, limit))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("the child failed (it must report the full disk, not die of it): %v\n%s%s", err, out, stderr.String())
	}
	t.Logf("with files limited to %d bytes:\n%s", limit, out)
	steps := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		k, v, _ := strings.Cut(l, ": ")
		steps[k] = v
	}
	if steps["begin"] != "ok" {
		t.Fatalf("the scan did not begin: %q", steps["begin"])
	}
	failed := steps["ingest"]
	if failed == "ok" {
		failed = steps["complete"]
	}
	if failed == "ok" || failed == "" {
		t.Fatalf("8,000 rows fitted in %d bytes: the limit did not bite (%v)", limit, steps)
	}
	// ENOSPC reads "database or disk is full"; EFBIG, the limit's error,
	// "disk I/O error".
	if !strings.Contains(failed, "full") && !strings.Contains(failed, "disk I/O error") {
		t.Errorf("the error does not say the disk is full: %q", failed)
	}

	// Room again (the limit went with the process).
	s2 := open(t, path, c)
	var check string
	if err := s2.DB().QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check: %q, %v", check, err)
	}
	if diff := cmp.Diff(want, state(t, s2, Filter{})); diff != "" {
		t.Errorf("current state after the full disk (-want +got):\n%s", diff)
	}
	scanOnce(t, s2, "sub:a", manyRows(0, 20*batchRows))
	if got := len(state(t, s2, Filter{})); got != 20*batchRows {
		t.Errorf("%d findings after the retry with room, want %d", got, 20*batchRows)
	}
}
