package terraform

import (
	"bytes"
	"errors"
	"github.com/kvguard/kvguard/internal/readfs"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/zclconf/go-cty/cty"
)

var moduleSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "module", LabelNames: []string{"name"}}}}

// RootModules returns, of the given module directories (as found by a
// recursive walk), those that no other directory in the list calls as a
// local module. Scanning a called module on its own would judge it without
// its inputs and count its vaults twice. The order of dirs is kept.
func RootModules(dirs []string) []string {
	norm := func(d string) string {
		if a, err := filepath.Abs(d); err == nil {
			return a
		}
		return filepath.Clean(d)
	}
	set := make(map[string]bool, len(dirs))
	for _, d := range dirs {
		set[norm(d)] = true
	}
	called := map[string]bool{}
	for _, d := range dirs {
		self := norm(d)
		for _, t := range calledDirs(d) {
			if t = norm(t); t != self && set[t] {
				called[t] = true
			}
		}
	}
	out := make([]string, 0, len(dirs))
	for _, d := range dirs {
		if !called[norm(d)] {
			out = append(out, d)
		}
	}
	return out
}

// calledDirs lists the directories a module calls: local sources, and
// modules terraform init recorded in .terraform/modules/modules.json.
func calledDirs(dir string) []string {
	var out []string
	files, _, err := configFiles(dir)
	if err != nil {
		return nil
	}
	for _, n := range files {
		p := filepath.Join(dir, n)
		src, err := readfs.ReadFile(p, -1)
		if errors.Is(err, readfs.ErrSymlink) {
			src, err = os.ReadFile(p)
		}
		if err != nil || !mayCallModules(n, src) {
			continue
		}
		parser := hclparse.NewParser()
		var f *hcl.File
		if strings.HasSuffix(n, ".json") {
			f, _ = parser.ParseJSON(src, p)
		} else {
			f, _ = parser.ParseHCL(src, p)
		}
		if f == nil || f.Body == nil {
			continue
		}
		bc, _, _ := f.Body.PartialContent(moduleSchema)
		if bc == nil {
			continue
		}
		for _, b := range bc.Blocks {
			attrs, _ := b.Body.JustAttributes()
			a := attrs["source"]
			if a == nil {
				c, _ := bodyContent(b.Body, "module")
				a = c.attr("source")
			}
			if a == nil {
				continue
			}
			v, d := a.Expr.Value(nil)
			if d.HasErrors() || v.Type() != cty.String || v.IsNull() {
				continue
			}
			if s := v.AsString(); isLocalSource(s) {
				out = append(out, filepath.Join(dir, s))
			}
		}
	}
	for _, d := range readManifest(dir) {
		out = append(out, filepath.Join(dir, d))
	}
	return out
}

// moduleBlock reports whether a native-syntax file may open a module block:
// a block starts its line (HCL ends every body item with a newline), or
// follows a comment closed on that line; the label is quoted or a bare
// name. Lines inside strings and comments may match too: they cost only
// a parse.
func moduleBlock(src []byte) bool {
	for i := 0; ; {
		j := bytes.Index(src[i:], []byte("module"))
		if j < 0 {
			return false
		}
		at := i + j
		i = at + len("module")
		if i < len(src) && strings.IndexByte(" \t\"/", src[i]) >= 0 && startsLine(src[:at]) {
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

// mayCallModules reports whether a configuration file may hold a module
// block, without parsing it: most files hold none, and a directory walk
// asks this of every file.
func mayCallModules(name string, src []byte) bool {
	if strings.HasSuffix(name, ".json") {
		return bytes.Contains(src, []byte(`"module"`))
	}
	return moduleBlock(src)
}

// ModuleCalls lists the directories the module in dir calls: local
// sources, and modules terraform init recorded in
// .terraform/modules/modules.json. A directory walk uses it to read
// called modules through their callers, and to find module cycles.
func ModuleCalls(dir string) []string {
	return calledDirs(dir)
}
