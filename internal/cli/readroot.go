package cli

import (
	"os"
	"path/filepath"
)

// scannedTrees are the directories the user named for a scan: each path
// argument that is a directory, or the directory of one that is a file.
// Templates read linked templates, modules and load*() files only below
// them (and below the git repository holding each input, and --read-root).
func scannedTrees(paths []string) []string {
	var out []string
	for _, p := range paths {
		if p == "-" {
			continue
		}
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			p = filepath.Dir(p)
		}
		out = append(out, p)
	}
	return out
}
