package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kvguard/kvguard/internal/report"
)

// TestReadmeShowsTheFeatures: the README shows the configuration file,
// the ignore file, a baseline run and a diff, each output format and the
// CI snippets, and docs/ has a page per integration that the README
// links; every kvguard scan call in it uses flags scan has.
func TestReadmeShowsTheFeatures(t *testing.T) {
	t.Parallel()
	root := filepath.Join("..", "..")
	b, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	want := map[string]string{
		"the configuration file":         "```yaml\n# .kvguard.yaml\n",
		"an ignore entry":                "ignore:\n  - recommendation: ",
		"the ignore file":                "`.kvguardignore.yaml`",
		"a baseline run":                 "kvguard scan ./infra --baseline ",
		"kvguard diff":                   "kvguard diff main.json pr.json",
		"the GitHub Action":              "uses: kvguard/kvguard@",
		"the Azure DevOps template":      "template: ci/azure-pipelines/kvguard.yml@kvguard",
		"the pre-commit hook":            "      - id: kvguard",
		"the container":                  "docker run --rm -v \"$PWD:/src:ro\" kvguard",
		"the go run warning":             "about 7 measured",
		"go install":                     "go install github.com/kvguard/kvguard/cmd/kvguard@latest",
		"the step summary":               "--format markdown >> \"$GITHUB_STEP_SUMMARY\"",
		"the release checksums and SBOM": "SBOM",
	}
	for what, text := range want {
		if !strings.Contains(readme, text) {
			t.Errorf("the README does not show %s (%q)", what, text)
		}
	}
	for _, id := range report.IDs() {
		if id == "table" {
			continue
		}
		if !regexp.MustCompile(`--format "?` + id + `\b`).MatchString(readme) {
			t.Errorf("the README shows no --format %s run", id)
		}
	}
	for _, page := range []string{"github-actions", "azure-devops", "pre-commit", "container"} {
		rel := "docs/integrations/" + page + ".md"
		if _, err := os.Stat(filepath.Join(root, rel)); err != nil {
			t.Errorf("no page for an integration: %v", err)
		}
		if !strings.Contains(readme, "("+rel+")") {
			t.Errorf("the README does not link %s", rel)
		}
	}
	_, help, _ := runCLI(t, []string{"scan", "--help"}, "")
	for _, call := range regexp.MustCompile(`kvguard scan[^\n]*`).FindAllString(strings.ReplaceAll(readme, "\\\n", " "), -1) {
		for _, m := range regexp.MustCompile(`(?:^|\s)(--[a-z][a-z-]*)`).FindAllStringSubmatch(call, -1) {
			if !strings.Contains(help, m[1]+" ") {
				t.Errorf("README: %q: kvguard scan has no flag %s", call, m[1])
			}
		}
	}
}
