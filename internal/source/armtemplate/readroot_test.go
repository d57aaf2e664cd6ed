package armtemplate

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLinkedTemplateOutsideTheTree checks that a template linked by
// relativePath from outside the scanned tree is not read: an input error,
// and nothing of it in a document or a message.
func TestLinkedTemplateOutsideTheTree(t *testing.T) {
	t.Parallel()
	const marker = "kvguard-marker-b81e"
	base := t.TempDir()
	root := filepath.Join(base, "root")
	writeFile(t, filepath.Join(base, "outside"), "linked.json", `{"contentVersion": "1.0.0.0", "resources": [
  {"type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-07-01", "name": "`+marker+`", "location": "eastus"}]}`)
	main := writeFile(t, root, "main.json", `{"contentVersion": "1.0.0.0", "resources": [
  {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "l",
   "properties": {"mode": "Incremental", "templateLink": {"relativePath": "../outside/linked.json"}}}]}`)
	if err := os.Symlink(filepath.Join(base, "outside", "linked.json"), filepath.Join(root, "link.json")); err != nil {
		t.Fatal(err)
	}
	via := writeFile(t, root, "via-link.json", `{"contentVersion": "1.0.0.0", "resources": [
  {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "l",
   "properties": {"mode": "Incremental", "templateLink": {"relativePath": "link.json"}}}]}`)
	for _, p := range []string{main, via} {
		docs, errs := readAll(t, p, Options{ReadRoots: []string{root}})
		for _, d := range docs {
			if b, _ := json.Marshal(d); strings.Contains(string(b), marker) {
				t.Errorf("%s: the linked template outside the tree was read: %s", p, b)
			}
		}
		if !hasMsg(hardErrors(errs), "outside the directories kvguard reads", 3) && !hasMsg(hardErrors(errs), "leads outside", 3) {
			t.Errorf("%s: no error: %v", p, errs)
		}
		for _, e := range errs {
			if strings.Contains(e.Error(), marker) {
				t.Errorf("the marker reached a message: %v", e)
			}
		}
	}
}
