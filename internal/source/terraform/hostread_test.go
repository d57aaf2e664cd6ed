package terraform

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const marker = "kvguard-marker-7f3a9c"

// TestHostReadsConfined: no Terraform function brings anything of the
// machine kvguard runs on into a document: not the environment, not the
// home directory, not a file outside the scanned root (by path, through a
// symlink, or through a module directory outside it), not /proc, and not
// the directory the scan runs in. Not parallel: it sets HOME and the
// environment.
func TestHostReadsConfined(t *testing.T) {
	home := writeTree(t, map[string]string{".marker": marker})
	t.Setenv("HOME", home)
	t.Setenv("KVGUARD_MARKER", marker)
	t.Setenv("TF_VAR_name", marker)
	outside := writeTree(t, map[string]string{
		"secret.txt":    marker,
		marker + ".txt": "x",
		"mod/own.txt":   marker,
		"mod/main.tf":   "output \"leak\" {\n  value = file(\"${path.module}/own.txt\")\n}\n",
	})
	base := t.TempDir()
	dir := filepath.Join(base, "root")
	if err := os.Symlink(outside, filepath.Join(base, "out")); err != nil {
		t.Skip("symlinks not available:", err)
	}
	probes := map[string]string{
		"home":       `file("~/.marker")`,
		"pathexpand": `pathexpand("~/.marker")`,
		"expanded":   `file(pathexpand("~/.marker"))`,
		"absolute":   `file("` + filepath.ToSlash(filepath.Join(outside, "secret.txt")) + `")`,
		"dotdot":     `file("../out/secret.txt")`,
		"link":       `file("link.txt")`,
		"linkdir":    `file("linkdir/secret.txt")`,
		"template":   `templatefile("link.txt", {})`,
		"base64":     `base64decode(filebase64("link.txt"))`,
		"fileset":    `join(",", fileset("linkdir", "*"))`,
		"exists":     `fileexists("link.txt") ? "yes" : "no"`,
		"environ":    `file("/proc/self/environ")`,
		"cwd":        `path.cwd`,
		"abspath":    `abspath(".")`,
		"module":     `module.outside.leak`,
		"var":        `var.name`,
	}
	src := "variable \"name\" {\n  default = \"kv\"\n}\nmodule \"outside\" {\n  source = \"../out/mod\"\n}\n"
	for _, name := range sortedKeys(probes) {
		src += "resource \"azurerm_key_vault\" \"" + name + "\" {\n  name = \"kv-" + name + "\"\n  resource_group_name = \"rg\"\n  tags = { probe = " + probes[name] + " }\n}\n"
	}
	files := map[string]string{"main.tf": src}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for link, target := range map[string]string{"link.txt": filepath.Join(outside, "secret.txt"), "linkdir": outside} {
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	docs, errs, _ := read(t, dir, Options{})
	if len(errs) > 0 {
		t.Fatal(messages(errs))
	}
	if len(docs) != len(probes) {
		t.Errorf("%d documents, want %d", len(docs), len(probes))
	}
	wd, _ := os.Getwd()
	for _, d := range docs {
		body, _ := json.Marshal(d.Body)
		for _, leak := range []string{marker, base, wd, home} {
			if strings.Contains(string(body), leak) {
				t.Errorf("%s holds %q: %s", d.Source.Address, leak, body)
			}
		}
	}
	if got := at(t, byAddress(t, docs, "azurerm_key_vault.var"), "tags.probe"); got != "kv" {
		t.Errorf("var.name = %v: TF_VAR_ variables are not read", got)
	}
}

// TestVarFileFromProc: a variables file that is a link into /proc is not
// read.
func TestVarFileFromProc(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/proc/self/environ"); err != nil {
		t.Skip("no /proc")
	}
	dir := writeTree(t, map[string]string{"main.tf": vault("kv", "")})
	if err := os.Symlink("/proc/self/environ", filepath.Join(dir, "terraform.tfvars")); err != nil {
		t.Skip("symlinks not available:", err)
	}
	docs, errs, _ := read(t, dir, Options{})
	if len(docs) != 1 || !strings.Contains(messages(errs), "terraform.tfvars: variables file not read: ") {
		t.Errorf("%d documents, errors %q", len(docs), messages(errs))
	}
}
