package terraform

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kvguard/kvguard/internal/resource"
)

// A module two roots call is parsed once per Reader, and gives each root
// the documents a fresh Reader gives; a file whose bytes changed is
// parsed again.
func TestModuleParsesAreShared(t *testing.T) {
	t.Parallel()
	module := "variable \"name\" {}\nresource \"azurerm_key_vault\" \"kv\" {\n  name = var.name\n  location = \"westeurope\"\n  resource_group_name = \"rg\"\n  sku_name = \"standard\"\n  tenant_id = \"00000000-0000-0000-0000-000000000001\"\n  purge_protection_enabled = true\n}\n"
	dir := writeTree(t, map[string]string{
		"a/main.tf":          "module \"kv\" {\n  source = \"../modules/kv\"\n  name = \"a\"\n}\n",
		"b/main.tf":          "module \"kv\" {\n  source = \"../modules/kv\"\n  name = \"b\"\n}\n",
		"modules/kv/main.tf": module,
	})
	read := func(r *Reader, root string) []*resource.Document {
		t.Helper()
		var docs []*resource.Document
		if err := r.Read(context.Background(), filepath.Join(dir, root), func(d *resource.Document) { docs = append(docs, d) }); err != nil {
			t.Fatalf("%s: %v", root, err)
		}
		return docs
	}
	shared := New(Options{})
	name := filepath.Join(dir, "a", "..", "modules", "kv", "main.tf")
	name = filepath.Clean(name)
	read(shared, "a")
	first := shared.parses.byKey[name]
	if first == nil {
		t.Fatalf("the module's parse was not kept (kept: %v)", shared.parses.order)
	}
	gotB := read(shared, "b")
	if shared.parses.byKey[name] != first {
		t.Error("the module was parsed again for the second root")
	}
	if diff := cmp.Diff(read(New(Options{}), "b"), gotB); diff != "" {
		t.Errorf("a shared parse gives other documents (-fresh +shared):\n%s", diff)
	}
	if err := os.WriteFile(name, []byte(module+"# changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	read(shared, "a")
	if shared.parses.byKey[name] == first {
		t.Error("a changed file's old parse was used")
	}
}

// The cache keeps at most maxModuleParses files.
func TestModuleParsesAreBounded(t *testing.T) {
	t.Parallel()
	var c moduleParses
	for i := range maxModuleParses + 10 {
		c.parse(fmt.Sprintf("f%d.tf", i), []byte("locals {}\n"))
	}
	if len(c.byKey) != maxModuleParses || len(c.order) != maxModuleParses || c.byKey["f0.tf"] != nil {
		t.Errorf("kept %d parses (%d in order), f0 kept: %v; want the latest %d", len(c.byKey), len(c.order), c.byKey["f0.tf"] != nil, maxModuleParses)
	}
}
