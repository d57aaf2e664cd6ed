package bicep

import (
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/kvguard/kvguard/internal/source/bicep/syntax"
	"github.com/kvguard/kvguard/internal/testcorpus"
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

// The module-declaration filter never misses a declaration: the forms
// one can take (a decorator ends its line), and every file of the corpus
// and the compiler's samples that declares a module.
func TestModuleDeclFilter(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		src  string
		want bool
	}{
		{"module kv './kv.bicep' = {\n  name: 'kv'\n}\n", true},
		{"@batchSize(1)\n  module kv './kv.bicep' = [for i in range(0, 2): {\n  name: 'kv${i}'\n}]\n", true},
		{"param x string\r\nmodule\tkv './kv.bicep' = {\r\n}\r\n", true},
		{"/* a\n comment */ module kv './kv.bicep' = {\n}\n", true},
		{"\ufeffmodule kv './kv.bicep' = {\n}\n", true},
		{"// this module deploys a vault\noutput id string = kv.outputs.id\n", false},
		{"param moduleName string = 'module x'\n", false},
	} {
		if got := moduleDecl([]byte(tc.src)); got != tc.want {
			t.Errorf("moduleDecl matches %q: %v, want %v", tc.src, got, tc.want)
		}
	}
	checked := 0
	for _, root := range []string{testcorpus.Dir(t, testcorpus.Corpus), testcorpus.Dir(t, testcorpus.BicepSamples)} {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".bicep") {
				return err
			}
			src, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			ast, _ := syntax.Parse(src, p)
			if ast == nil || !slices.ContainsFunc(ast.Decls, func(d syntax.Decl) bool { _, ok := d.(*syntax.ModuleDecl); return ok }) {
				return nil
			}
			checked++
			if !moduleDecl(src) {
				t.Errorf("%s: declares a module, but the filter says not", p)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if checked == 0 {
		t.Error("no file declaring a module")
	}
}
