package bicep

import (
	"os"
	"path/filepath"
	"strings"
)

// RootFiles returns, of the given .bicep files (as found by a directory
// walk), those that no other file in the list calls as a local module.
// Scanning a module on its own would judge it without the parameters its
// caller passes, and judge its vaults twice. Files that cannot be read or
// parsed are kept, so that their errors are reported by Read.
func RootFiles(files []string) []string {
	called := map[string]bool{}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		ast, _ := Parse(src, f)
		if ast == nil {
			continue
		}
		for _, d := range ast.Decls {
			m, ok := d.(*ModuleDecl)
			if !ok || m.Path == nil {
				continue
			}
			p, ok := m.Path.Literal()
			if !ok || strings.Contains(p, ":") { // br:, ts:, br/public: registry modules
				continue
			}
			called[filepath.Clean(filepath.Join(filepath.Dir(f), p))] = true
		}
	}
	var roots []string
	for _, f := range files {
		if !called[filepath.Clean(f)] {
			roots = append(roots, f)
		}
	}
	return roots
}
