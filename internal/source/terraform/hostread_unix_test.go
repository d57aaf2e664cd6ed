//go:build unix

package terraform

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/kvguard/kvguard/internal/resource"
)

// TestFIFOsNotRead: a named pipe, as a configuration file or as the file
// a function reads, is not opened (opening it would block the scan
// forever); the rest of the module is read.
func TestFIFOsNotRead(t *testing.T) {
	t.Parallel()
	dir := writeTree(t, map[string]string{"main.tf": vault("kv", `tags = { pipe = file("pipe.txt") }`)})
	for _, n := range []string{"pipe.txt", "pipe.tf"} {
		if err := syscall.Mkfifo(filepath.Join(dir, n), 0o644); err != nil {
			t.Skip("mkfifo:", err)
		}
	}
	docs, errs, _ := read(t, dir, Options{})
	if len(docs) != 1 || len(errs) != 1 || !strings.Contains(messages(errs), "pipe.tf: not read: ") {
		t.Fatalf("%d documents, errors %q", len(docs), messages(errs))
	}
	if _, ok := at(t, docs[0], "tags.pipe").(resource.Unknown); !ok {
		t.Errorf("tags.pipe = %v, want unknown", at(t, docs[0], "tags.pipe"))
	}
}
