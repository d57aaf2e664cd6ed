package armtemplate

import (
	"bytes"
	"path/filepath"
	"sort"

	"github.com/kvguard/kvguard/internal/armexpr"
	"github.com/kvguard/kvguard/internal/jsonpos"
	"github.com/kvguard/kvguard/internal/source/internal/arm"
)

// LinkedTemplates returns the files that the given templates link as
// nested deployments by a literal relativePath (templateLink.relativePath),
// cleaned. A directory walk reads them through the template that links
// them, not on their own (alone, they would be judged without the
// parameters the deployment passes, and twice). Files that cannot be read
// or parsed link nothing.
func LinkedTemplates(files []string) []string {
	linked := map[string]bool{}
	for _, f := range files {
		for _, p := range TemplateLinks(f) {
			linked[p] = true
		}
	}
	out := make([]string, 0, len(linked))
	for p := range linked {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// TemplateLinks lists the files the template links as nested deployments
// by a literal relativePath, cleaned and sorted. A directory walk uses it
// to read linked templates through the template that links them, and to
// find link cycles. A file that cannot be read or parsed links nothing.
func TemplateLinks(file string) []string {
	data, err := arm.ReadFile(file)
	if err != nil || !bytes.Contains(bytes.ToLower(data), []byte("templatelink")) {
		return nil
	}
	root, err := arm.ParseJSON(data, file)
	if err != nil || root.Kind != jsonpos.Object || root.GetFold("resources") == nil {
		return nil
	}
	linked := map[string]bool{}
	collectLinks(root, filepath.Dir(file), linked, 0)
	out := make([]string, 0, len(linked))
	for p := range linked {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// collectLinks finds the templateLink.relativePath literals under n.
func collectLinks(n *jsonpos.Node, dir string, linked map[string]bool, depth int) {
	if n == nil || depth > 64 {
		return
	}
	switch n.Kind {
	case jsonpos.Object:
		if tl := n.GetFold("templateLink"); tl != nil {
			if rp := tl.GetFold("relativePath"); rp != nil && rp.Kind == jsonpos.String && rp.Str != "" && !armexpr.IsExpression(rp.Str) {
				linked[filepath.Clean(filepath.Join(dir, filepath.FromSlash(rp.Str)))] = true
			}
		}
		for _, m := range n.Members {
			collectLinks(m.Value, dir, linked, depth+1)
		}
	case jsonpos.Array:
		for _, it := range n.Items {
			collectLinks(it, dir, linked, depth+1)
		}
	}
}
