package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMaxInstancesFlag: --max-instances reaches the Terraform reader; an
// input past it is an input error (exit 2) naming the count.
func TestMaxInstancesFlag(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src := `resource "azurerm_key_vault" "kv" {
  count               = 3
  name                = "kv-${count.index}"
  location            = "westeurope"
  resource_group_name = "rg"
  sku_name            = "standard"
  tenant_id           = "00000000-0000-0000-0000-000000000001"
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args     []string
		wantExit int
		wantErr  string
	}{
		{args: []string{"scan", "--max-instances", "2", dir}, wantExit: 2, wantErr: "azurerm_key_vault.kv: count = 3 gives 3 instances"},
		{args: []string{"inspect", "--max-instances", "2", dir}, wantExit: 2, wantErr: "past 2 instances"},
		{args: []string{"scan", "--fail-on", "none", dir}, wantExit: 0},
	}
	for _, tc := range tests {
		code, _, stderr := runCLI(t, tc.args, "")
		if code != tc.wantExit || !strings.Contains(stderr, tc.wantErr) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", tc.args, code, stderr, tc.wantExit, tc.wantErr)
		}
	}
}
