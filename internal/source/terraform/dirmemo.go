package terraform

import (
	"os"
	"path/filepath"
	"sync"
)

// dirMemo remembers, for the directories a Reader's modules lie in and
// their parents, where they really are (symbolic links resolved) and the
// nearest git top level: resolving a path is a system call per level of
// the tree, and every module read asks both of its directory and of each
// file in it. A directory's facts are learned from its parent's with two
// Lstat calls. It holds at most maxMemoDirs directories (it starts afresh
// when full: memory does not grow with the tree), and lives as long as
// its Reader, one scan.
type dirMemo struct {
	mu    sync.Mutex
	known map[string]dirFacts
}

const maxMemoDirs = 4096

// dirFacts is what gitTop and filepath.EvalSymlinks would say of a
// directory ("" where they find nothing, or fail).
type dirFacts struct {
	git, real string
}

// facts returns the facts of dir, an absolute, cleaned path.
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
	if m.known == nil || len(m.known) >= maxMemoDirs {
		m.known = make(map[string]dirFacts)
	}
	m.known[dir] = f
	m.mu.Unlock()
	return f
}

// real resolves the symbolic links of an absolute directory, or returns
// it as is (see realPath).
func (m *dirMemo) real(abs string) string {
	if m == nil {
		return realPath(abs)
	}
	if r := m.facts(filepath.Clean(abs)).real; r != "" {
		return r
	}
	return abs
}
