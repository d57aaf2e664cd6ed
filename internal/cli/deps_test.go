package cli

import (
	"os/exec"
	"strings"
	"testing"
)

// TestOneTextSegmenter: hcl and cty choose go-textseg v15 or v17 by Go
// version (build tags); Terraform's length() must choose the same, so
// that kvguard links one copy of the Unicode segmentation tables.
func TestOneTextSegmenter(t *testing.T) {
	t.Parallel()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH: cannot list kvguard's packages")
	}
	out, err := exec.Command(goTool, "list", "-deps", "-f", "{{with .Module}}{{.Path}}{{end}}", "github.com/kvguard/kvguard/cmd/kvguard").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	linked := map[string]bool{}
	for _, m := range strings.Fields(string(out)) {
		if strings.HasPrefix(m, "github.com/apparentlymart/go-textseg/") {
			linked[m] = true
		}
	}
	if len(linked) != 1 {
		t.Errorf("kvguard links go-textseg modules %v; want exactly one", linked)
	}
}
