// Package atomicfile writes output files so that a failed run never
// leaves half a file behind, without harming targets that are not regular
// files. It imports nothing of kvguard's.
package atomicfile

import (
	"io"
	"os"
	"path/filepath"
)

// Write writes path with write. A regular file (or a new one) is written
// through a temporary file in the same directory, renamed into place on
// success. Anything else that exists — /dev/null, a named pipe,
// /dev/stdout — is written in place: renaming over it would replace the
// device or pipe with a file.
func Write(path string, write func(io.Writer) error) error {
	if info, err := os.Stat(path); err == nil && !info.Mode().IsRegular() {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
		if err != nil {
			return err
		}
		if err := write(f); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	// On disk before the rename: a crash must not leave an empty file
	// under the final name.
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
