package terraform

import (
	"strings"
	"testing"
)

// TestBrokenBlockKeepsFile: an error in one block of a file leaves that
// block out, reported, and every other block of the file is still read.
func TestBrokenBlockKeepsFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		src       string
		wantAddrs []string
		wantErrs  []string // substrings of errors, each with the file and line
	}{
		{
			name: "duplicated attribute in an unrelated resource",
			src: vault("kv1", "") + `
resource "azurerm_resource_group" "rg" {
  name     = "rg"
  name     = "rg2"
  location = "westeurope"
}
` + vault("kv2", ""),
			wantAddrs: []string{"azurerm_key_vault.kv1", "azurerm_key_vault.kv2"},
			wantErrs:  []string{"main.tf:12:3: Attribute redefined"},
		},
		{
			name: "duplicated attribute in a vault",
			src: vault("kv1", "") + `
resource "azurerm_key_vault" "bad" {
  name = "a"
  name = "b"
}
` + vault("kv2", ""),
			wantAddrs: []string{"azurerm_key_vault.kv1", "azurerm_key_vault.kv2"},
			wantErrs:  []string{"main.tf:12:3: Attribute redefined", "main.tf:10:1: azurerm_key_vault.bad is not judged"},
		},
		{
			name:      "bad expression",
			src:       vault("kv1", "") + "\nlocals {\n  x = (1\n}\n" + vault("kv2", ""),
			wantAddrs: []string{"azurerm_key_vault.kv1"},
			wantErrs:  []string{"main.tf:12:1: Unbalanced", "main.tf:13:1: azurerm_key_vault.kv2 is not judged: the file does not parse around it"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			docs, errs, _ := read(t, writeTree(t, map[string]string{"main.tf": tc.src}), Options{})
			if got := strings.Join(addresses(docs), ","); got != strings.Join(tc.wantAddrs, ",") {
				t.Errorf("documents %s, want %s", got, strings.Join(tc.wantAddrs, ","))
			}
			msgs := messages(errs)
			for _, w := range tc.wantErrs {
				if !strings.Contains(msgs, w) {
					t.Errorf("errors %q do not contain %q", msgs, w)
				}
			}
		})
	}
}
