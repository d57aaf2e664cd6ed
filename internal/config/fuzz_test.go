package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoad: whatever a configuration or ignore file holds, loading it
// returns a configuration or an error naming the file, never a panic.
func FuzzLoad(f *testing.F) {
	for _, seed := range []string{
		"fail-on: high\nseverity: [high, medium]\n",
		"outputs:\n  - format: sarif\n    file: kvguard.sarif\n",
		"ignore:\n  - recommendation: keyvault-rbac\n    resource: kv-leg*\n    reason: r\n    owner: o\n    expires: 2027-01-31\n",
		"ignore:\n  - recommendation: keyvault-rbac\n    resource: \"kv-[abc\"\n    reason: r\n",
		"parameters:\n  keyvault-firewall.restrictIPAddresses: Yes\nvars:\n  env: prod\n",
		"outputs: [\n",
		"&a [*a]\n",
		"ignore: !!binary aGk=\n",
		"",
	} {
		f.Add(seed)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, text string) {
		p := filepath.Join(dir, FileName)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(p); err != nil && !strings.Contains(err.Error(), p) {
			t.Errorf("config error does not name the file: %v", err)
		}
		if _, err := LoadIgnore(p); err != nil && !strings.Contains(err.Error(), p) {
			t.Errorf("ignore-file error does not name the file: %v", err)
		}
	})
}
