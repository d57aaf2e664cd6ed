package terraform

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRootModules(t *testing.T) {
	t.Parallel()
	dir := writeTree(t, map[string]string{
		"envs/prod/main.tf":                    "module \"kv\" {\n  source = \"../../modules/kv\"\n}\nmodule \"reg\" {\n  source = \"Azure/naming/azurerm\"\n}\n",
		"envs/dev/main.tf.json":                `{"module": {"kv": {"source": "../../modules/kv"}}}`,
		"modules/kv/main.tf":                   "module \"inner\" {\n  source = \"./inner\"\n}\n",
		"modules/kv/inner/x.tf":                "resource \"azurerm_key_vault\" \"x\" {}\n",
		"standalone/main.tf":                   "module \"self\" {\n  source = \"./\"\n}\n",
		"broken/main.tf":                       "module \"x\" {\n",
		"init/main.tf":                         "module \"kv\" {\n  source = \"Azure/avm-res-keyvault-vault/azurerm\"\n}\n",
		"init/.terraform/modules/modules.json": `{"Modules":[{"Key":"kv","Dir":"vendored/kv"}]}`,
		"init/vendored/kv/main.tf":             "",
	})
	j := func(p string) string { return filepath.Join(dir, filepath.FromSlash(p)) }
	dirs := []string{j("envs/prod"), j("envs/dev"), j("modules/kv"), j("modules/kv/inner"), j("standalone"), j("broken"), j("init"), j("init/vendored/kv")}
	want := []string{j("envs/prod"), j("envs/dev"), j("standalone"), j("broken"), j("init")}
	if diff := cmp.Diff(want, RootModules(dirs)); diff != "" {
		t.Errorf("RootModules (-want +got):\n%s", diff)
	}
	if got := RootModules(nil); len(got) != 0 {
		t.Errorf("RootModules(nil) = %v", got)
	}
}
