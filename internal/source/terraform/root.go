package terraform

import (
	"os"
	"path/filepath"
	"strings"
)

// scanRoot returns the directory file functions may read below: root
// when given, else the git top level above the root module at rootAbs,
// else rootAbs; absolute, symlinks resolved.
func scanRoot(root, rootAbs string) string {
	dir := root
	if dir == "" {
		dir = gitTop(rootAbs)
	}
	if dir == "" {
		dir = rootAbs
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	if resolved, err := filepath.EvalSymlinks(dir); err == nil {
		dir = resolved
	}
	return dir
}

// scanRootOf is scanRoot, with the facts of directories remembered.
func (ev *evaluator) scanRootOf(root string) string {
	if root != "" || ev.dirs == nil {
		return scanRoot(root, ev.rootAbs)
	}
	f := ev.dirs.facts(filepath.Clean(ev.rootAbs))
	dir := f.git
	if dir == "" {
		dir = ev.rootAbs
	}
	return ev.dirs.real(dir)
}

// gitTop returns the nearest directory at or above dir holding .git, or "".
func gitTop(dir string) string {
	for {
		if _, err := os.Lstat(filepath.Join(dir, ".git")); err == nil {
			return dir
		}
		up := filepath.Dir(dir)
		if up == dir {
			return ""
		}
		dir = up
	}
}

// within reports whether path is dir or below it.
func within(path, dir string) bool {
	if dir == "" {
		return false
	}
	if path == dir {
		return true
	}
	if !strings.HasSuffix(dir, string(filepath.Separator)) {
		dir += string(filepath.Separator)
	}
	return strings.HasPrefix(path, dir)
}
