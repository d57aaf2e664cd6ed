package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFrameworkExampleIsCurrent: the compliance section that
// examples/frameworks/README.md shows is what the command it names prints.
func TestFrameworkExampleIsCurrent(t *testing.T) {
	t.Parallel()
	root := filepath.Join("..", "..")
	readme, err := os.ReadFile(filepath.Join(root, "examples", "frameworks", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(readme), "--framework cis-azure-3.0.0 --fail-on none --width 0\n…\nCOMPLIANCE:")
	block, _, ok2 := strings.Cut(after, "```")
	if !ok || !ok2 {
		t.Fatal("examples/frameworks/README.md has no compliance block")
	}
	code, out, errOut := runCLI(t, []string{"scan", filepath.Join(root, "examples", "estate.json"), "--framework", "cis-azure-3.0.0", "--fail-on", "none", "--width", "0"}, "")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "COMPLIANCE:"+block) {
		t.Errorf("the README's compliance block is not what the scan prints; the scan prints:\n%s", out)
	}
}
