package arm

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/kvguard/kvguard/internal/readfs"
)

// ErrOutside marks a read the ReadRoot refused: the file lies outside the
// directories a template may read, or is not a regular file.
var ErrOutside = errors.New("not read")

// ReadRoot is what a template (or Bicep file) may read besides itself:
// regular files below its directories, found without leaving them through
// a symlink or "..", and never a device, FIFO, socket or a file of /proc,
// /sys or /dev. Linked templates, modules, imports, parameter files named
// by the code and the load*() functions all read through it, so that
// nothing outside the scanned tree (the runner's environment, its
// credentials) can reach a document or a message.
//
// The directories are the scanned tree the user named (the CLI passes its
// path arguments and --read-root) and, for every input, the top level of
// the git repository holding it, else its own directory.
type ReadRoot struct {
	dirs []string // absolute, cleaned
	// wd is the working directory when the root was made, for making
	// paths absolute without os.Getwd's two system calls each time.
	wd string
}

// NewReadRoot returns the ReadRoot of an input read from the file input:
// dirs (the scanned trees) and the input's own default root.
func NewReadRoot(dirs []string, input string) *ReadRoot {
	return ResolveRootDirs(dirs).For(input)
}

// RootDirs are the directories every input of a reader may read below
// (the scanned trees, --read-root), made absolute and resolved once for
// all its inputs: resolving them is a system call per path element. It
// also remembers, for the directories its inputs lie in and their
// parents, where they really are and the git repository holding them,
// so that each input's own root costs a couple of system calls, not one
// per level of the tree.
type RootDirs struct {
	dirs []string
	memo *dirMemo
	wd   string
}

// ResolveRootDirs resolves dirs for RootDirs.For.
func ResolveRootDirs(dirs []string) RootDirs {
	wd, _ := os.Getwd()
	return RootDirs{dirs: NewReadRootOf(dirs...).dirs, memo: &dirMemo{known: map[string]dirFacts{}}, wd: wd}
}

// absIn is filepath.Abs with the working directory wd known ("" when it
// is not).
func absIn(wd, p string) (string, error) {
	if filepath.IsAbs(p) || wd == "" {
		return filepath.Abs(p)
	}
	return filepath.Join(wd, p), nil
}

// For is the ReadRoot of an input read from the file input: NewReadRoot
// of these directories.
func (d RootDirs) For(input string) *ReadRoot {
	dirs := slices.Clone(d.dirs)
	abs, err := absIn(d.wd, input)
	if err != nil || d.memo == nil {
		return &ReadRoot{dirs: append(dirs, NewReadRootOf(DefaultReadRoot(input)).dirs...)}
	}
	if st, err := os.Stat(abs); err != nil || !st.IsDir() {
		abs = filepath.Dir(abs)
	}
	own := abs
	if top := d.memo.facts(abs).git; top != "" {
		own = top
	}
	dirs = append(dirs, own)
	if resolved := d.memo.facts(own).real; resolved != "" && resolved != own {
		dirs = append(dirs, resolved)
	}
	return &ReadRoot{dirs: dirs, wd: d.wd}
}

// dirMemo holds dirFacts by absolute directory, at most maxMemoDirs of
// them (it starts afresh when full: memory does not grow with the tree).
type dirMemo struct {
	mu    sync.Mutex
	known map[string]dirFacts
}

const maxMemoDirs = 4096

// dirFacts is what DefaultReadRoot and EvalSymlinks would say of a
// directory: the nearest directory at or above it with a .git entry
// ("" if none), and its path with symbolic links resolved ("" if that
// fails).
type dirFacts struct {
	git, real string
}

// facts learns a directory's facts from its parent's: one Lstat for the
// .git entry and one for the directory itself, resolved afresh only when
// it is a symbolic link.
func (m *dirMemo) facts(dir string) dirFacts {
	m.mu.Lock()
	f, ok := m.known[dir]
	m.mu.Unlock()
	if ok {
		return f
	}
	up := filepath.Dir(dir)
	if _, err := os.Lstat(filepath.Join(dir, ".git")); err == nil {
		f.git = dir
	}
	if up == dir {
		f.real, _ = filepath.EvalSymlinks(dir)
	} else {
		parent := m.facts(up)
		if f.git == "" {
			f.git = parent.git
		}
		st, err := os.Lstat(dir)
		switch {
		case err == nil && st.Mode()&os.ModeSymlink == 0 && parent.real != "":
			f.real = filepath.Join(parent.real, filepath.Base(dir))
		default:
			f.real, _ = filepath.EvalSymlinks(dir)
		}
	}
	m.mu.Lock()
	if len(m.known) >= maxMemoDirs {
		clear(m.known)
	}
	m.known[dir] = f
	m.mu.Unlock()
	return f
}

// NewReadRootOf returns the ReadRoot of exactly dirs: a directory the user
// did not name but a tool keeps its files in (the Bicep restore cache).
func NewReadRootOf(dirs ...string) *ReadRoot {
	r := &ReadRoot{}
	for _, d := range dirs {
		abs, err := filepath.Abs(d)
		if err != nil {
			continue
		}
		r.dirs = append(r.dirs, abs)
		if resolved, err := filepath.EvalSymlinks(abs); err == nil && resolved != abs {
			r.dirs = append(r.dirs, resolved)
		}
	}
	return r
}

// DefaultReadRoot is the directory an input may read below when the user
// names no other: the top level of the git repository that holds it (a
// directory with a .git entry), else the input's own directory (the
// input itself when it is a directory).
func DefaultReadRoot(input string) string {
	dir, err := filepath.Abs(input)
	if err != nil {
		return filepath.Dir(input)
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		dir = filepath.Dir(dir)
	}
	for d := dir; ; {
		if _, err := os.Lstat(filepath.Join(d, ".git")); err == nil {
			return d
		}
		up := filepath.Dir(d)
		if up == d {
			return dir
		}
		d = up
	}
}

// Dirs are the directories of the root, for messages.
func (r *ReadRoot) Dirs() []string { return r.dirs }

// ReadFile reads the file at path, at most max bytes, when the root
// allows it. A refusal wraps ErrOutside and says why, naming the path as
// given and never anything read.
func (r *ReadRoot) ReadFile(path string, limit int64) ([]byte, error) {
	abs, err := absIn(r.wd, path)
	if err != nil {
		return nil, err
	}
	if special(abs) {
		return nil, fmt.Errorf("%w: %s is a system file (/proc, /sys, /dev)", ErrOutside, path)
	}
	for _, d := range r.dirs {
		rel, err := filepath.Rel(d, abs)
		if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			continue
		}
		if data, ok := r.readFast(abs, limit); ok {
			return data, nil
		}
		return readBelow(d, rel, path, limit)
	}
	return nil, fmt.Errorf("%w: %s is outside the directories kvguard reads (%s; --read-root adds one)", ErrOutside, path, strings.Join(r.shown(), ", "))
}

// shown are the directories as given (not their resolved twins).
func (r *ReadRoot) shown() []string {
	var out []string
	seen := map[string]bool{}
	for _, d := range r.dirs {
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out
}

// readFast reads abs in a few system calls when it is a regular file, no
// symbolic link itself, whose real path (learnt from the open file) lies
// below one of the root's directories and outside /proc, /sys and /dev:
// what readBelow allows, checked on the file actually read. ok is false
// when it could not tell, and readBelow decides (and words the refusal).
func (r *ReadRoot) readFast(abs string, limit int64) (data []byte, ok bool) {
	data, realPath, err := readfs.ReadFileReal(abs, limit)
	if err != nil || special(realPath) {
		return nil, false
	}
	for _, d := range r.dirs {
		if realPath == d || strings.HasPrefix(realPath, d+string(filepath.Separator)) || d == string(filepath.Separator) {
			return data, true
		}
	}
	return nil, false
}

// readBelow reads rel below dir with os.Root, which refuses to leave dir
// through a symlink or "..".
func readBelow(dir, rel, shown string, limit int64) ([]byte, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	st, err := root.Stat(rel)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s: %w", shown, cleanErr(err))
		}
		if strings.Contains(err.Error(), "escapes") {
			return nil, fmt.Errorf("%w: %s leads outside the directories kvguard reads (a symlink or ..)", ErrOutside, shown)
		}
		return nil, fmt.Errorf("%w: %s: %v", ErrOutside, shown, cleanErr(err)) //nolint:errorlint // only ErrOutside is for callers to match
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s is not a regular file", ErrOutside, shown)
	}
	if resolved, err := filepath.EvalSymlinks(filepath.Join(dir, rel)); err == nil && special(resolved) {
		return nil, fmt.Errorf("%w: %s is a system file (/proc, /sys, /dev)", ErrOutside, shown)
	}
	f, err := root.OpenFile(rel, os.O_RDONLY|openNonBlock, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", shown, cleanErr(err)) //nolint:errorlint // not wrapped: a file gone after the Stat above is an error, not the caller's "not there" (os.ErrNotExist)
	}
	defer f.Close()
	if fst, err := f.Stat(); err != nil || !fst.Mode().IsRegular() || !os.SameFile(st, fst) {
		return nil, fmt.Errorf("%w: %s changed while it was read", ErrOutside, shown)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %v", shown, cleanErr(err)) //nolint:errorlint // not wrapped, as for OpenFile above: callers match os.ErrNotExist only from the Stat
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", shown, limit)
	}
	return data, nil
}

// cleanErr drops the path os puts in its errors (the one under the root),
// keeping what went wrong.
func cleanErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// special reports whether an absolute path lies in /proc, /sys or /dev,
// whose files are the host's, whatever directory holds them.
func special(abs string) bool {
	for _, p := range []string{"/proc", "/sys", "/dev"} {
		if abs == p || strings.HasPrefix(abs, p+"/") {
			return true
		}
	}
	return false
}
