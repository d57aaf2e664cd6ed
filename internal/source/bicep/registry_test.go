package bicep

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/testcorpus"
)

func TestEncodeTag(t *testing.T) {
	for tag, want := range map[string]string{
		"0.11.0":          "0.11.0$",
		"v1":              "v1$",
		"V1":              "V1$1",
		"aBc":             "aBc$2",
		"@sha256:abc0123": "sha256#abc0123",
	} {
		if got := encodeTag(tag); got != want {
			t.Errorf("encodeTag(%q) = %q, want %q", tag, got, want)
		}
	}
}

func TestParseBr(t *testing.T) {
	var cfg bicepConfig
	cfg.ModuleAliases.Br = map[string]brAlias{"contoso": {Registry: "contoso.azurecr.io", ModulePath: "bicep/modules"}}
	for ref, want := range map[string][3]string{
		"br/public:avm/res/network/private-endpoint:0.11.0": {"mcr.microsoft.com", "bicep/avm/res/network/private-endpoint", "0.11.0"},
		"br:example.azurecr.io/bicep/storage:v2":            {"example.azurecr.io", "bicep/storage", "v2"},
		"br/contoso:kv:1.0":                                 {"contoso.azurecr.io", "bicep/modules/kv", "1.0"},
		"br:localhost:5000/x/y:1":                           {"localhost:5000", "x/y", "1"},
	} {
		r, repo, tag, ok := parseBr(ref, cfg)
		if !ok || [3]string{r, repo, tag} != want {
			t.Errorf("parseBr(%q) = %q %q %q %v, want %q", ref, r, repo, tag, ok, want)
		}
	}
}

// TestRegistryModuleFromCache checks that a registry module restored in
// the Bicep cache is read (its private endpoint reaches the vault), from
// the default ~/.bicep and from a bicepconfig.json cacheRootDirectory.
func TestRegistryModuleFromCache(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	pe := `{"contentVersion": "1.0.0.0", "parameters": {"vaultId": {"type": "string"}}, "resources": [
  {"type": "Microsoft.Network/privateEndpoints", "apiVersion": "2023-04-01", "name": "pe-kv", "location": "eastus",
   "properties": {"privateLinkServiceConnections": [{"name": "c", "properties": {"privateLinkServiceId": "[parameters('vaultId')]", "groupIds": ["vault"]}}]}}]}`
	main := `resource kv 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: 'kv-reg'
  location: 'eastus'
}
module pe 'br/public:avm/res/network/private-endpoint:0.11.0' = {
  name: 'pe'
  params: { vaultId: kv.id }
}
`
	write := func(p, body string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	check := func(dir string) {
		t.Helper()
		docs, errs := readAll(t, filepath.Join(dir, "main.bicep"), Options{})
		d := findDoc(docs, "pe::resources[0]")
		if d == nil || len(errs) > 0 {
			t.Fatalf("the cached module is not read: %v %v", summarize(docs), errs)
		}
		if kv := findDoc(docs, "kv"); kv == nil || kv.Unfollowed() != "" {
			t.Errorf("a module that was read marks nothing: %v", kv)
		}
	}
	write(filepath.Join(home, ".bicep", "br", "mcr.microsoft.com", "bicep$avm$res$network$private-endpoint", "0.11.0$", "main.json"), pe)
	dir := writeFiles(t, map[string]string{"main.bicep": main})
	check(dir)

	other := t.TempDir()
	write(filepath.Join(other, "br", "mcr.microsoft.com", "bicep$avm$res$network$private-endpoint", "0.11.0$", "main.json"), pe)
	dir = writeFiles(t, map[string]string{"main.bicep": main, "bicepconfig.json": `{
  // the cache of this repository
  "cacheRootDirectory": "` + other + `"
}`})
	if err := os.RemoveAll(filepath.Join(home, ".bicep")); err != nil {
		t.Fatal(err)
	}
	check(dir)
}

// TestUnfollowedModules checks that a registry module not in the cache
// marks the vaults it is handed, by reference or by value, and only
// those.
func TestUnfollowedModules(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	dir := writeFiles(t, map[string]string{"main.bicep": `resource kv 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: 'kv-handed'
  location: 'eastus'
}
resource other 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: 'kv-other'
  location: 'eastus'
}
var vaultName = 'kv-byname'
resource byName 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: vaultName
  location: 'eastus'
}
module pe 'br/public:avm/res/network/private-endpoint:0.11.0' = {
  name: 'pe'
  params: { links: [ { id: kv.id } ] }
}
module secrets 'br:example.azurecr.io/secrets:1' = {
  name: 'secrets'
  params: { vault: vaultName }
}
`})
	docs, errs := readAll(t, filepath.Join(dir, "main.bicep"), Options{})
	for addr, want := range map[string]string{
		"kv":     "module pe (br/public:avm/res/network/private-endpoint:0.11.0) was not read (not in the Bicep restore cache",
		"byName": "module secrets (br:example.azurecr.io/secrets:1)",
		"other":  "",
	} {
		d := findDoc(docs, addr)
		if d == nil {
			t.Fatalf("no %s", addr)
		}
		if got := d.Unfollowed(); (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("%s: Unfollowed() = %q, want %q", addr, got, want)
		}
	}
	if !hasError(errs, "not followed", 14, true) {
		t.Errorf("no warning: %v", errs)
	}
}

// TestAVMEndToEndTests checks Azure Verified Modules' own e2e tests of the
// key-vault module: its private endpoints come from a registry module,
// which is not in the cache here, so the vault is marked as handed to a
// module that was not read (its private-link verdict must not be
// Unhealthy).
func TestAVMEndToEndTests(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	root := testcorpus.Dir(t, testcorpus.Corpus)
	for _, c := range []string{"max", "waf-aligned"} {
		main := filepath.Join(root, "bicep-registry-modules", "avm", "res", "key-vault", "vault", "tests", "e2e", c, "main.test.bicep")
		docs, _ := readAll(t, main, Options{ReadRoots: []string{root}})
		vaults := 0
		for _, d := range docs {
			if !d.IsType(resource.TypeVault) || d.Body == nil {
				continue
			}
			vaults++
			if u := d.Unfollowed(); !strings.Contains(u, "private-endpoint") {
				t.Errorf("%s: vault %s: Unfollowed() = %q", c, d.Name, u)
			}
		}
		if vaults == 0 {
			t.Errorf("%s: no vault", c)
		}
	}
}
