//go:build !linux

package readfs

import (
	"io"
	"io/fs"
	"os"
)

func readFile(path string, limit int64) ([]byte, error) {
	st, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	switch {
	case st.Mode()&fs.ModeSymlink != 0:
		return nil, &fs.PathError{Op: "open", Path: path, Err: ErrSymlink}
	case !st.Mode().IsRegular():
		return nil, &fs.PathError{Op: "open", Path: path, Err: ErrNotRegular}
	case limit >= 0 && st.Size() > limit:
		return nil, tooLarge(path, limit)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := io.Reader(f)
	if limit >= 0 {
		r = io.LimitReader(f, limit+1)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	if limit >= 0 && int64(len(b)) > limit {
		return nil, tooLarge(path, limit)
	}
	return b, nil
}

func readDir(path string) ([]fs.DirEntry, error) { return os.ReadDir(path) }

func readFileReal(string, int64) ([]byte, string, error) { return nil, "", ErrNoRealPath }
