//go:build linux

package readfs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"unsafe"
)

func readFile(path string, limit int64) ([]byte, error) {
	data, _, err := readOpen(path, limit, false)
	return data, err
}

func readFileReal(path string, limit int64) ([]byte, string, error) {
	return readOpen(path, limit, true)
}

func readOpen(path string, limit int64, wantReal bool) (data []byte, realPath string, err error) {
	fd, err := openRetry(path, syscall.O_RDONLY|syscall.O_CLOEXEC|syscall.O_NOFOLLOW|syscall.O_NONBLOCK)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, "", &fs.PathError{Op: "open", Path: path, Err: ErrSymlink}
		}
		return nil, "", &fs.PathError{Op: "open", Path: path, Err: err}
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if err := fstatRetry(fd, &st); err != nil {
		return nil, "", &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		return nil, "", &fs.PathError{Op: "open", Path: path, Err: ErrNotRegular}
	}
	if wantReal {
		if realPath, err = fdPath(fd); err != nil {
			return nil, "", &fs.PathError{Op: "open", Path: path, Err: err}
		}
	}
	size := st.Size
	if limit >= 0 && size > limit {
		return nil, "", tooLarge(path, limit)
	}
	// One byte more than the size: a read that fills it means the file
	// grew, and the loop goes on; a short read of a regular file is its
	// end, so a file that did not change takes one read.
	buf := make([]byte, 0, size+1)
	for {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, max(cap(buf), 512))
		}
		n, err := readRetry(fd, buf[len(buf):cap(buf)])
		if err != nil {
			return nil, "", &fs.PathError{Op: "read", Path: path, Err: err}
		}
		buf = buf[:len(buf)+n]
		if limit >= 0 && int64(len(buf)) > limit {
			return nil, "", tooLarge(path, limit)
		}
		if n == 0 || len(buf) < cap(buf) && int64(len(buf)) >= size {
			return buf, realPath, nil
		}
	}
}

// fdPath is the path of the open file fd, from /proc/self/fd: the kernel
// resolved every link of it when it was opened.
func fdPath(fd int) (string, error) {
	buf := make([]byte, 512)
	for {
		n, err := syscall.Readlink("/proc/self/fd/"+strconv.Itoa(fd), buf)
		if err != nil {
			return "", fmt.Errorf("%w: %w", ErrNoRealPath, err)
		}
		if n < len(buf) {
			p := string(buf[:n])
			if !strings.HasPrefix(p, "/") || strings.HasSuffix(p, " (deleted)") {
				return "", ErrNoRealPath
			}
			return p, nil
		}
		buf = make([]byte, 2*len(buf))
	}
}

func openRetry(path string, flags int) (int, error) {
	for {
		fd, err := syscall.Open(path, flags, 0)
		if err != syscall.EINTR { //nolint:errorlint // a raw Errno
			return fd, err
		}
	}
}

func fstatRetry(fd int, st *syscall.Stat_t) error {
	for {
		if err := syscall.Fstat(fd, st); err != syscall.EINTR { //nolint:errorlint // a raw Errno
			return err
		}
	}
}

func readRetry(fd int, p []byte) (int, error) {
	for {
		n, err := syscall.Read(fd, p)
		if err != syscall.EINTR { //nolint:errorlint // a raw Errno
			return n, err
		}
	}
}

func readDir(path string) ([]fs.DirEntry, error) {
	fd, err := openRetry(path, syscall.O_RDONLY|syscall.O_CLOEXEC|syscall.O_DIRECTORY|syscall.O_NONBLOCK)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	defer syscall.Close(fd)
	var out []fs.DirEntry
	buf := make([]byte, 32<<10)
	for {
		n, err := syscall.Getdents(fd, buf)
		if err == syscall.EINTR { //nolint:errorlint // a raw Errno
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "readdirent", Path: path, Err: err}
		}
		if n <= 0 {
			break
		}
		// Until a call returns nothing: some file systems (FUSE, network
		// ones) hand out fewer entries than fit, so a buffer left part
		// empty does not mean the end.
		if out, err = parseDirents(path, buf[:n], out); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(out, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return out, nil
}

// linux_dirent64: d_ino u64, d_off s64, d_reclen u16, d_type u8, d_name.
const direntNameOff = 8 + 8 + 2 + 1

func parseDirents(dir string, b []byte, out []fs.DirEntry) ([]fs.DirEntry, error) {
	for len(b) > 0 {
		if len(b) < direntNameOff {
			return out, &fs.PathError{Op: "readdirent", Path: dir, Err: syscall.EIO}
		}
		reclen := int(*(*uint16)(unsafe.Pointer(&b[16])))
		if reclen < direntNameOff || reclen > len(b) {
			return out, &fs.PathError{Op: "readdirent", Path: dir, Err: syscall.EIO}
		}
		typ := b[18]
		name := b[direntNameOff:reclen]
		if i := slices.Index(name, 0); i >= 0 {
			name = name[:i]
		}
		b = b[reclen:]
		if s := string(name); s != "." && s != ".." {
			e := &dirEntry{dir: dir, name: s}
			switch typ {
			case syscall.DT_REG:
				e.typ = 0
			case syscall.DT_DIR:
				e.typ = fs.ModeDir
			case syscall.DT_LNK:
				e.typ = fs.ModeSymlink
			case syscall.DT_FIFO:
				e.typ = fs.ModeNamedPipe
			case syscall.DT_SOCK:
				e.typ = fs.ModeSocket
			case syscall.DT_CHR:
				e.typ = fs.ModeDevice | fs.ModeCharDevice
			case syscall.DT_BLK:
				e.typ = fs.ModeDevice
			default:
				// DT_UNKNOWN: some file systems leave the type to a stat.
				info, err := os.Lstat(filepath.Join(dir, s))
				if err != nil {
					continue // gone since the listing, as os.ReadDir drops it
				}
				e.typ = info.Mode().Type()
				e.info = info
			}
			out = append(out, e)
		}
	}
	return out, nil
}

// dirEntry is one entry of ReadDir.
type dirEntry struct {
	dir, name string
	typ       fs.FileMode
	info      fs.FileInfo
}

func (e *dirEntry) Name() string      { return e.name }
func (e *dirEntry) IsDir() bool       { return e.typ.IsDir() }
func (e *dirEntry) Type() fs.FileMode { return e.typ }
func (e *dirEntry) String() string    { return fs.FormatDirEntry(e) }

func (e *dirEntry) Info() (fs.FileInfo, error) {
	if e.info != nil {
		return e.info, nil
	}
	return os.Lstat(filepath.Join(e.dir, e.name))
}
