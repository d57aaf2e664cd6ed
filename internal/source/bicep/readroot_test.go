//go:build unix

package bicep

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/kvguard/kvguard/internal/resource"
)

const marker = "kvguard-marker-7f3a9c"

// leakFixture writes a scanned tree (root/) beside a directory it must
// not read (outside/), which holds the marker in a file, a JSON file and
// a module; root/ holds a symlink to it and a FIFO.
func leakFixture(t *testing.T, main string) (root string) {
	t.Helper()
	base := t.TempDir()
	root = filepath.Join(base, "root")
	out := filepath.Join(base, "outside")
	for dir, files := range map[string]map[string]string{
		out: {
			"secret.txt":  marker,
			"secret.json": `{"v": "` + marker + `"}`,
			"mod.bicep":   "resource kv 'Microsoft.KeyVault/vaults@2023-07-01' = {\n  name: '" + marker + "'\n  location: 'eastus'\n}\n",
		},
		root: {"main.bicep": main},
	} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, body := range files {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := os.Symlink(filepath.Join(out, "secret.txt"), filepath.Join(root, "link.txt")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(root, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

// assertNoLeak fails when the marker (or its base64) is in a document or
// a message.
func assertNoLeak(t *testing.T, docs []*resource.Document, errs []*resource.InputError) {
	t.Helper()
	b64 := base64.StdEncoding.EncodeToString([]byte(marker))
	for _, d := range docs {
		b, _ := json.Marshal(d)
		if s := string(b) + d.ID + d.Name; strings.Contains(s, marker) || strings.Contains(s, b64) {
			t.Errorf("the marker reached a document: %s", b)
		}
	}
	for _, e := range errs {
		if strings.Contains(e.Error(), marker) || strings.Contains(e.Error(), b64) {
			t.Errorf("the marker reached a message: %v", e)
		}
	}
}

// TestNothingOutsideTheTree checks that load*() functions, modules and
// readEnvironmentVariable() never bring anything from outside the scanned
// tree or from the environment into a document or a message: each refusal
// is an input error at the expression, and the value is unknown.
func TestNothingOutsideTheTree(t *testing.T) {
	t.Setenv("KVGUARD_MARKER", marker)
	root := leakFixture(t, `resource a 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: 'kv-${loadTextContent('../outside/secret.txt')}'
  location: 'eastus'
}
resource b 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: 'kv-${loadTextContent('link.txt')}'
  location: 'eastus'
}
resource c 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: 'kv-${readEnvironmentVariable('KVGUARD_MARKER')}'
  location: 'eastus'
}
resource d 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: 'kv-${loadTextContent('../../../../../../../../../../../../proc/self/environ')}'
  location: 'eastus'
}
resource e 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: 'kv-${loadTextContent('fifo')}'
  location: 'eastus'
  tags: { b64: loadFileAsBase64('../outside/secret.txt'), json: loadJsonContent('../outside/secret.json').v }
}
module m '../outside/mod.bicep' = {
  name: 'm'
}
`)
	docs, errs := readAll(t, filepath.Join(root, "main.bicep"), Options{ReadRoots: []string{root}, AllowEnv: []string{"OTHER"}})
	assertNoLeak(t, docs, errs)
	for line, want := range map[int]string{
		2:  "outside the directories kvguard reads",
		6:  "leads outside the directories kvguard reads", // the symlink leaves the tree
		10: "only allowed in a .bicepparam file",
		14: "system file",
		18: "not a regular file",
		20: "outside the directories kvguard reads",
		22: "outside the directories kvguard reads",
	} {
		if !hasError(errs, want, line, false) {
			t.Errorf("no error %q on line %d: %v", want, line, errs)
		}
	}
	for _, addr := range []string{"a", "b", "c", "d", "e"} {
		if d := findDoc(docs, addr); d == nil || !resource.IsUnknown(d.Body["name"]) {
			t.Errorf("vault %s: the name is unknown, got %v", addr, d)
		}
	}
}

// TestReadEnvironmentVariable checks readEnvironmentVariable() in a
// .bicepparam file: refused unless --allow-env names the variable.
func TestReadEnvironmentVariable(t *testing.T) {
	t.Setenv("KVGUARD_MARKER", marker)
	dir := writeFiles(t, map[string]string{
		"main.bicep":      "param p string\nresource kv 'Microsoft.KeyVault/vaults@2023-07-01' = {\n  name: 'kv-${p}'\n  location: 'eastus'\n}\n",
		"main.bicepparam": "using 'main.bicep'\nparam p = readEnvironmentVariable('KVGUARD_MARKER', 'fallback')\n",
	})
	docs, errs := readAll(t, filepath.Join(dir, "main.bicepparam"), Options{})
	assertNoLeak(t, docs, errs)
	if !hasError(errs, "--allow-env", 2, false) {
		t.Errorf("no refusal: %v", errs)
	}
	docs, _ = readAll(t, filepath.Join(dir, "main.bicepparam"), Options{AllowEnv: []string{"KVGUARD_MARKER"}})
	if len(docs) != 1 || docs[0].Name != "kv-"+marker {
		t.Errorf("an allowed variable is read: %v", summarize(docs))
	}
}
