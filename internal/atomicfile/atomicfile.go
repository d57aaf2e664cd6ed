// Package atomicfile writes output files so that a failed run never
// leaves half a file behind, without harming targets that are not regular
// files. It imports nothing of kvguard's.
package atomicfile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Write writes path with write. A regular file (or a new one) is written
// through a temporary file in the same directory, renamed into place on
// success. Anything else that exists — /dev/null, a named pipe,
// /dev/stdout — is written in place: renaming over it would replace the
// device or pipe with a file.
//
// A new file gets the permissions the umask leaves of 0666, as a file
// created by any other tool would (a CI step running as another user can
// read the report); a file that is replaced keeps its permissions. Errors
// name path, never the temporary file.
func Write(path string, write func(io.Writer) error) error {
	info, statErr := os.Stat(path)
	if statErr == nil && !info.Mode().IsRegular() {
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
	tmp, err := createTemp(path)
	if err != nil {
		return pathError(path, err)
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	if statErr == nil {
		if err := tmp.Chmod(info.Mode().Perm()); err != nil {
			tmp.Close()
			return pathError(path, err)
		}
	}
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	// On disk before the rename: a crash must not leave an empty file
	// under the final name.
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return pathError(path, err)
	}
	if err := tmp.Close(); err != nil {
		return pathError(path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return pathError(path, err)
	}
	return nil
}

// createTemp creates a new file beside path with mode 0666, which the
// kernel narrows by the umask (os.CreateTemp would make it 0600).
func createTemp(path string) (*os.File, error) {
	dir, base := filepath.Dir(path), filepath.Base(path)
	for range 100 {
		var r [6]byte
		if _, err := rand.Read(r[:]); err != nil {
			return nil, err
		}
		name := filepath.Join(dir, "."+base+"."+hex.EncodeToString(r[:])+".tmp")
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, err
	}
	return nil, errors.New("cannot find an unused temporary file name")
}

// pathError reports err against the file the caller asked for: the
// temporary name means nothing to the user.
func pathError(path string, err error) error {
	var pe *fs.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &pe):
		err = pe.Err
	case errors.As(err, &le):
		err = le.Err
	}
	return &fs.PathError{Op: "write", Path: path, Err: err}
}
