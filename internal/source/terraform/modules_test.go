package terraform

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestModuleCycle: modules that call each other through local sources
// give an input error naming the cycle, and the read ends.
func TestModuleCycle(t *testing.T) {
	t.Parallel()
	tree := writeTree(t, map[string]string{
		"a/main.tf": "module \"b\" {\n  source = \"../b\"\n}\n" + vault("kv_a", ""),
		"b/main.tf": "module \"a\" {\n  source = \"../a\"\n}\n" + vault("kv_b", ""),
	})
	a, b := filepath.Join(tree, "a"), filepath.Join(tree, "b")
	for _, root := range []string{a, b} {
		docs, errs, _ := read(t, root, Options{})
		msgs := messages(errs)
		other := a
		if root == a {
			other = b
		}
		want := "module cycle: " + root + " → " + other + " → " + root
		if len(errs) != 1 || !strings.Contains(msgs, want) || !strings.Contains(msgs, "main.tf:2:") {
			t.Errorf("errors %q, want one naming %q", msgs, want)
		}
		if len(docs) != 2 {
			t.Errorf("%d documents, want both vaults", len(docs))
		}
	}
}
