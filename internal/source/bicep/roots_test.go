package bicep

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestRootFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, src string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	main := write("main.bicep", "module kv './modules/kv.bicep' = {\n  name: 'kv'\n}\nmodule reg 'br/public:avm/res/key-vault/vault:0.11.0' = {\n  name: 'r'\n}\nmodule legacy 'modules/legacy.json' = {\n  name: 'l'\n}\n")
	kv := write("modules/kv.bicep", "param name string\n")
	other := write("other.bicep", "param x string\n")
	broken := write("broken.bicep", "resource x 'a@b' = {\n")
	got := RootFiles([]string{main, kv, other, broken})
	want := []string{main, other, broken}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("RootFiles = %v, want %v", got, want)
	}
}

func TestModuleTemplates(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	main := filepath.Join(dir, "main.bicep")
	src := "module a './modules/a.json' = {\n  name: 'a'\n}\nmodule b 'b.bicep' = {\n  name: 'b'\n}\nmodule c 'ts:sub/rg/spec:1' = {\n  name: 'c'\n}\n"
	if err := os.WriteFile(main, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	got := ModuleTemplates([]string{main})
	want := []string{filepath.Join(dir, "modules", "a.json")}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ModuleTemplates = %v, want %v", got, want)
	}
}
