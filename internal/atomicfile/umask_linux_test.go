package atomicfile

import (
	"bufio"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// umask reads the process's umask without changing it (syscall.Umask
// would set it, for every goroutine, while it reads).
func umask(t *testing.T) fs.FileMode {
	t.Helper()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Skipf("cannot read the umask: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "Umask:"); ok {
			m, err := strconv.ParseUint(strings.TrimSpace(v), 8, 32)
			if err != nil {
				t.Fatal(err)
			}
			return fs.FileMode(m)
		}
	}
	t.Skip("/proc/self/status has no Umask line")
	return 0
}

func TestWriteHonoursUmask(t *testing.T) {
	t.Parallel()
	want := 0o666 &^ umask(t)
	dir := t.TempDir()
	p := filepath.Join(dir, "new.json")
	if err := Write(p, func(w io.Writer) error { _, err := io.WriteString(w, "{}"); return err }); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm(); got != want {
		t.Errorf("new report mode %v, want %v (0666 less the umask)", got, want)
	}
	// A replaced file keeps its mode.
	if err := os.Chmod(p, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := Write(p, func(w io.Writer) error { _, err := io.WriteString(w, "[]"); return err }); err != nil {
		t.Fatal(err)
	}
	if info, _ := os.Stat(p); info.Mode().Perm() != 0o640 {
		t.Errorf("replaced report mode %v, want 0640", info.Mode().Perm())
	}
}

func TestWriteErrorNamesTheFile(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "missing", "out.sarif")
	err := Write(p, func(w io.Writer) error { return nil })
	if err == nil {
		t.Fatal("wrote into a directory that does not exist")
	}
	if !strings.Contains(err.Error(), p) || strings.Contains(err.Error(), ".tmp") {
		t.Errorf("error %q should name %s and no temporary file", err, p)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("error %v should say the directory does not exist", err)
	}
}
