package readfs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	big := strings.Repeat("0123456789abcdef", 40_000)
	regular := write("a.tf", "resource \"x\" \"y\" {}\n")
	empty := write("empty.tf", "")
	large := write("large.json", big)
	link := filepath.Join(dir, "link.tf")
	if err := os.Symlink(regular, link); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo.tf")
	if runtime.GOOS != "windows" {
		if err := syscall.Mkfifo(fifo, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name    string
		path    string
		limit   int64
		want    string
		wantErr error
	}{
		{"regular", regular, -1, "resource \"x\" \"y\" {}\n", nil},
		{"empty", empty, -1, "", nil},
		{"larger than the first guess of any buffer", large, -1, big, nil},
		{"within its limit", regular, 21, "resource \"x\" \"y\" {}\n", nil},
		{"over its limit", large, 1000, "", ErrTooLarge},
		{"a symbolic link is not followed", link, -1, "", ErrSymlink},
		{"a directory", dir, -1, "", ErrNotRegular},
		{"a FIFO is refused without blocking", fifo, -1, "", ErrNotRegular},
		{"missing", filepath.Join(dir, "nope.tf"), -1, "", fs.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadFile(tt.path, tt.limit)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("ReadFile(%s) error = %v, want %v", tt.path, err, tt.wantErr)
				}
				var pe *fs.PathError
				if !errors.As(err, &pe) || pe.Path != tt.path {
					t.Errorf("error %v does not name the path %s", err, tt.path)
				}
				return
			}
			if err != nil {
				t.Fatalf("ReadFile(%s): %v", tt.path, err)
			}
			if string(got) != tt.want {
				t.Errorf("ReadFile(%s) = %d bytes, want %d", tt.path, len(got), len(tt.want))
			}
		})
	}
}

// TestReadDirMatchesOS lists directories of every kind of entry, and one
// too large for a single read of the kernel's listing, and compares with
// os.ReadDir.
func TestReadDirMatchesOS(t *testing.T) {
	dir := t.TempDir()
	for i := range 3000 {
		if err := os.WriteFile(filepath.Join(dir, "file-with-a-long-name-"+strconv.Itoa(i)+".tf"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("sub", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" {
		if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{dir, filepath.Join(dir, "sub")} {
		want, err := os.ReadDir(d)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ReadDir(d)
		if err != nil {
			t.Fatal(err)
		}
		describe := func(es []fs.DirEntry) []string {
			var out []string
			for _, e := range es {
				out = append(out, e.Name()+" "+e.Type().String())
			}
			return out
		}
		if g, w := describe(got), describe(want); !slices.Equal(g, w) {
			t.Fatalf("ReadDir(%s): %d entries, os.ReadDir %d; first difference in %v", d, len(g), len(w), firstDiff(g, w))
		}
		for _, e := range got {
			info, err := e.Info()
			if err != nil || info.Name() != e.Name() || info.Mode().Type() != e.Type() {
				t.Fatalf("Info of %s = %v, %v", e.Name(), info, err)
			}
		}
	}
	if _, err := ReadDir(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadDir of a missing directory: %v, want fs.ErrNotExist", err)
	}
	if _, err := ReadDir(filepath.Join(dir, "file-with-a-long-name-1.tf")); err == nil {
		t.Error("ReadDir of a file gave no error")
	}
}

func firstDiff(a, b []string) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return a[i] + " / " + b[i]
		}
	}
	return "length"
}
