package bicep

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/kvguard/kvguard/internal/readfs"
	"github.com/kvguard/kvguard/internal/source/bicep/syntax"
)

// RootFiles returns, of the given .bicep files (as found by a directory
// walk), those that no other file in the list calls as a local module.
// Scanning a module on its own would judge it without the parameters its
// caller passes, and judge its vaults twice. Files that cannot be read or
// parsed are kept, so that their errors are reported by Read.
func RootFiles(files []string) []string {
	called := calledModules(files)
	var roots []string
	for _, f := range files {
		if !called[filepath.Clean(f)] {
			roots = append(roots, f)
		}
	}
	return roots
}

// ModuleTemplates returns the files that the given .bicep files call as
// local modules written as ARM templates (module m './vault.json'),
// cleaned. A directory walk reads them through their caller, not on their
// own (alone, they would be judged without the parameters the caller
// passes, and twice).
func ModuleTemplates(files []string) []string {
	var out []string
	for p := range calledModules(files) {
		switch strings.ToLower(filepath.Ext(p)) {
		case ".json", ".jsonc":
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// calledModules is the set of local module paths the files call, cleaned.
func calledModules(files []string) map[string]bool {
	called := map[string]bool{}
	for _, f := range files {
		for _, p := range ModuleCalls(f) {
			called[p] = true
		}
	}
	return called
}

// moduleDecl reports whether a file may declare a module: a declaration
// starts its line (decorators end theirs), or follows a comment closed
// on that line. Lines inside strings and comments may match too: they
// cost only a parse.
func moduleDecl(src []byte) bool {
	for i := 0; ; {
		j := bytes.Index(src[i:], []byte("module"))
		if j < 0 {
			return false
		}
		at := i + j
		i = at + len("module")
		if i < len(src) && strings.IndexByte(" \t/", src[i]) >= 0 && startsLine(src[:at]) {
			return true
		}
	}
}

// startsLine reports whether what precedes a word on its line is only
// blanks, after the line's start, a byte order mark or a closed comment.
func startsLine(before []byte) bool {
	before = bytes.TrimRight(before, " \t")
	return len(before) == 0 || before[len(before)-1] == '\n' ||
		bytes.HasSuffix(before, []byte("*/")) || bytes.Equal(before, []byte("\ufeff"))
}

// ModuleCalls lists the local modules (Bicep files or ARM templates) the
// Bicep file calls, cleaned, in declaration order. A directory walk uses
// it to read called modules through their callers, and to find module
// cycles. A file that cannot be read or parsed calls nothing.
func ModuleCalls(file string) []string {
	// A file without a module declaration is not parsed: a walk asks this
	// of every Bicep file.
	src, err := readfs.ReadFile(file, -1)
	if errors.Is(err, readfs.ErrSymlink) {
		src, err = os.ReadFile(file)
	}
	if err != nil || !moduleDecl(src) {
		return nil
	}
	ast, _ := syntax.Parse(src, file)
	if ast == nil {
		return nil
	}
	var out []string
	for _, d := range ast.Decls {
		m, ok := d.(*syntax.ModuleDecl)
		if !ok || m.Path == nil {
			continue
		}
		p, ok := m.Path.Literal()
		if !ok || strings.Contains(p, ":") { // br:, ts:, br/public: registry modules
			continue
		}
		out = append(out, filepath.Clean(filepath.Join(filepath.Dir(file), p)))
	}
	return out
}
