//go:build unix

package cli

import (
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestOutputToSpecialFiles: -o /dev/null or a named pipe must be written
// in place; renaming a temporary file over it would replace the device.
func TestOutputToSpecialFiles(t *testing.T) {
	t.Parallel()
	fifo := filepath.Join(t.TempDir(), "report.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	got := make(chan []byte, 1)
	go func() {
		f, err := os.Open(fifo)
		if err != nil {
			got <- nil
			return
		}
		defer f.Close()
		b, _ := io.ReadAll(f)
		got <- b
	}()
	if code, _, errOut := runCLI(t, []string{"scan", examples, "--format", "json", "-o", fifo}, ""); code != ExitFindings {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	// The scan is over. Open the pipe once more and close it: if kvguard
	// never opened it, this releases the reader, which then reads nothing;
	// if the reader already went, there is no reader and the open fails;
	// if it is still reading, it reads the report, then the end.
	if w, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
		w.Close()
	}
	if b := <-got; len(b) == 0 || b[0] != '{' {
		t.Errorf("the pipe did not receive the report: %q", b)
	}
	info, err := os.Lstat(fifo)
	if err != nil || info.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the named pipe was replaced: %v %v", info.Mode(), err)
	}
}

func TestOutputToRegularFileIsAtomic(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := filepath.Join(dir, "r.json")
	if code, _, errOut := runCLI(t, []string{"scan", examples, "--format", "json", "-o", out}, ""); code != ExitFindings {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "r.json" {
		t.Errorf("left behind: %v", entries)
	}
}
