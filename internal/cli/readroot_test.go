package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSecretsNeverReachReports runs a scan over a Bicep file and an ARM
// template that try to put a marker secret, held in the environment and
// in a file outside the scanned tree, into a vault's name: no output
// (table, JSON, SARIF, stderr) holds it, and the scan exits 2. --read-root
// and --allow-env widen what may be read.
func TestSecretsNeverReachReports(t *testing.T) {
	const marker = "kvguard-cli-marker-51d0"
	t.Setenv("KVGUARD_CLI_MARKER", marker)
	base := t.TempDir()
	root, outside := filepath.Join(base, "root"), filepath.Join(base, "outside")
	files := map[string]string{
		filepath.Join(outside, "secret.txt"): marker,
		filepath.Join(outside, "linked.json"): `{"contentVersion": "1.0.0.0", "resources": [
  {"type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-07-01", "name": "` + marker + `", "location": "eastus"}]}`,
		filepath.Join(root, "main.bicep"): `resource a 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: 'kv-${loadTextContent('../outside/secret.txt')}'
  location: 'eastus'
}
`,
		filepath.Join(root, "env", "main.bicep"):      "param p string\nresource kv 'Microsoft.KeyVault/vaults@2023-07-01' = {\n  name: 'kv-${p}'\n  location: 'eastus'\n}\n",
		filepath.Join(root, "env", "main.bicepparam"): "using 'main.bicep'\nparam p = readEnvironmentVariable('KVGUARD_CLI_MARKER')\n",
		filepath.Join(root, "arm", "main.json"): `{"contentVersion": "1.0.0.0", "resources": [
  {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "l",
   "properties": {"mode": "Incremental", "templateLink": {"relativePath": "../../outside/linked.json"}}}]}`,
	}
	for p, body := range files {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	scan := func(extra ...string) (int, string) {
		jsonOut, sarifOut := filepath.Join(base, "r.json"), filepath.Join(base, "r.sarif")
		args := append([]string{"scan", root, "-f", "table", "-f", "json=" + jsonOut, "-f", "sarif=" + sarifOut, "-v"}, extra...)
		code, stdout, stderr := runCLI(t, args, "")
		all := stdout + stderr
		for _, f := range []string{jsonOut, sarifOut} {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			all += string(b)
		}
		return code, all
	}
	code, out := scan()
	if strings.Contains(out, marker) {
		t.Errorf("the marker reached an output:\n%s", out)
	}
	if code != 2 {
		t.Errorf("exit %d, want 2 (input errors)", code)
	}
	for _, want := range []string{"outside the directories kvguard reads", "--allow-env"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in the output", want)
		}
	}
	// The user can widen both, knowingly.
	if _, out := scan("--read-root", outside, "--allow-env", "KVGUARD_CLI_MARKER"); strings.Count(out, marker) == 0 {
		t.Error("--read-root and --allow-env do not widen what is read")
	}
}
