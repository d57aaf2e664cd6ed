package terraform

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2/hclparse"

	"github.com/kvguard/kvguard/internal/testcorpus"
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

// mayCallModules never misses a module block: the forms a block can
// take, and every file of the corpus that holds one; and it spares the
// parse of files that only mention modules.
func TestMayCallModules(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, src string
		want      bool
	}{
		{"main.tf", "module \"kv\" {\n  source = \"./kv\"\n}\n", true},
		{"main.tf", "locals {}\n\n  \tmodule \"kv\" {\n}\n", true},
		{"main.tf", "module kv {\n}\n", true},
		{"main.tf", "module\t\"kv\" {\n}\n", true},
		{"main.tf", "module\"kv\" {\n}\n", true},
		{"main.tf", "/* a\n comment */ module \"kv\" {\n}\n", true},
		{"main.tf", "\ufeffmodule \"kv\" {\n}\n", true},
		{"main.tf", "locals {}\r\nmodule \"kv\" {\r\n}\r\n", true},
		{"main.tf.json", `{"module": {"kv": {"source": "./kv"}}}`, true},
		{"main.tf", "output \"id\" {\n  value = module.kv.id\n}\n", false},
		{"main.tf", "# this module deploys a vault\nresource \"azurerm_key_vault\" \"kv\" {}\n", false},
		{"main.tf.json", `{"output": {"id": {"value": "${module.kv.id}"}}}`, false},
	} {
		if got := mayCallModules(tc.name, []byte(tc.src)); got != tc.want {
			t.Errorf("mayCallModules(%s, %q) = %v, want %v", tc.name, tc.src, got, tc.want)
		}
	}
	root := testcorpus.Dir(t, testcorpus.Corpus)
	checked := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || (!strings.HasSuffix(p, ".tf") && !strings.HasSuffix(p, ".tf.json")) {
			return err
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		parser := hclparse.NewParser()
		f, _ := parser.ParseHCL(src, p)
		if strings.HasSuffix(p, ".json") {
			f, _ = parser.ParseJSON(src, p)
		}
		if f == nil || f.Body == nil {
			return nil
		}
		if bc, _, _ := f.Body.PartialContent(moduleSchema); bc != nil && len(bc.Blocks) > 0 {
			checked++
			if !mayCallModules(p, src) {
				t.Errorf("%s: holds a module block, but mayCallModules says not", p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked == 0 {
		t.Error("no corpus file with a module block")
	}
}
