package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/kvguard/kvguard/internal/report"
)

// TestIntegrationFilesMatchTheCLI: the GitHub Action, the Azure DevOps
// template and the pre-commit hook call kvguard scan with flags and
// formats that exist, refer only to inputs and parameters they declare,
// and (for the composite action) give every run step a shell, as GitHub
// requires. A renamed flag or format breaks this test, not a user's CI.
func TestIntegrationFilesMatchTheCLI(t *testing.T) {
	t.Parallel()
	_, help, _ := runCLI(t, []string{"scan", "--help"}, "")
	root := filepath.Join("..", "..")
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	checkScanCalls := func(file, text string) {
		// Shell continuation lines belong to the command they continue.
		text = strings.ReplaceAll(text, "\\\n", " ")
		calls := regexp.MustCompile(`kvguard scan[^\n]*`).FindAllString(text, -1)
		if len(calls) == 0 {
			t.Errorf("%s: no kvguard scan call", file)
		}
		for _, call := range calls {
			for _, m := range regexp.MustCompile(`(?:^|\s)(--[a-z][a-z-]*)`).FindAllStringSubmatch(call, -1) {
				if !strings.Contains(help, m[1]+" ") && !strings.Contains(help, m[1]+"=") {
					t.Errorf("%s: kvguard scan has no flag %s", file, m[1])
				}
			}
			for _, m := range regexp.MustCompile(`--format "?([a-z]+)=`).FindAllStringSubmatch(call, -1) {
				if _, err := report.Lookup(m[1]); err != nil {
					t.Errorf("%s: %v", file, err)
				}
			}
		}
	}

	// The composite action.
	actionText := read("action.yml")
	var action struct {
		Inputs map[string]any `yaml:"inputs"`
		Runs   struct {
			Using string `yaml:"using"`
			Steps []struct {
				Name  string `yaml:"name"`
				Run   string `yaml:"run"`
				Shell string `yaml:"shell"`
			} `yaml:"steps"`
		} `yaml:"runs"`
	}
	if err := yaml.Unmarshal([]byte(actionText), &action); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	if action.Runs.Using != "composite" {
		t.Errorf("action.yml: runs.using %q, want composite", action.Runs.Using)
	}
	for _, s := range action.Runs.Steps {
		if s.Run != "" && s.Shell == "" {
			t.Errorf("action.yml: step %q runs a script without a shell", s.Name)
		}
	}
	for _, m := range regexp.MustCompile(`inputs\.([a-z-]+)`).FindAllStringSubmatch(actionText, -1) {
		if _, ok := action.Inputs[m[1]]; !ok {
			t.Errorf("action.yml refers to inputs.%s, which it does not declare", m[1])
		}
	}
	checkScanCalls("action.yml", actionText)

	// The Azure DevOps steps template.
	adoText := read("ci/azure-pipelines/kvguard.yml")
	var ado struct {
		Parameters []struct {
			Name string `yaml:"name"`
		} `yaml:"parameters"`
	}
	if err := yaml.Unmarshal([]byte(adoText), &ado); err != nil {
		t.Fatalf("ci/azure-pipelines/kvguard.yml: %v", err)
	}
	declared := map[string]bool{}
	for _, p := range ado.Parameters {
		declared[p.Name] = true
	}
	for _, m := range regexp.MustCompile(`parameters\.([A-Za-z]+)`).FindAllStringSubmatch(adoText, -1) {
		if !declared[m[1]] {
			t.Errorf("the Azure DevOps template refers to parameters.%s, which it does not declare", m[1])
		}
	}
	checkScanCalls("ci/azure-pipelines/kvguard.yml", adoText)

	// The pre-commit hook: its file pattern takes the inputs kvguard reads.
	var hooks []struct {
		ID    string `yaml:"id"`
		Entry string `yaml:"entry"`
		Files string `yaml:"files"`
	}
	if err := yaml.Unmarshal([]byte(read(".pre-commit-hooks.yaml")), &hooks); err != nil || len(hooks) != 1 {
		t.Fatalf(".pre-commit-hooks.yaml: %v (%d hooks)", err, len(hooks))
	}
	checkScanCalls(".pre-commit-hooks.yaml", hooks[0].Entry)
	files := regexp.MustCompile(hooks[0].Files)
	for _, name := range []string{"main.tf", "main.tf.json", "main.bicep", "main.bicepparam", "vaults.json"} {
		if !files.MatchString(name) {
			t.Errorf(".pre-commit-hooks.yaml: files does not take %s", name)
		}
	}
}
