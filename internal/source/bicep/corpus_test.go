package bicep

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/kvguard/kvguard/internal/testcorpus"

	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/source/bicep/syntax"
)

// corpusRoot holds real-world Bicep: the AVM key-vault module with its
// tests, quickstarts and documentation samples.
func corpusRoot(t testing.TB) string {
	t.Helper()
	return testcorpus.Dir(t, testcorpus.Corpus)
}

func corpusFiles(t testing.TB, root string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if ext := filepath.Ext(p); !d.IsDir() && (ext == ".bicep" || ext == ".bicepparam") && !isBicepArtifact(d.Name()) {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	return files
}

// corpusProblems are the corpus files that cannot be evaluated cleanly,
// for reasons outside the reader: the corpus holds part of a repository.
var corpusProblems = map[string]string{
	"azure-docs-bicep-samples/syntax-samples/synapse-keys/keys.bicep":                                       "a documentation snippet using names it does not declare",
	"bicep-registry-modules/avm/ptn/deployment-script/import-image-to-acr/tests/e2e/max/dependencies.bicep": "cidrSubnet('10.0.0.0', ...) is given an address without a prefix length",
}

// TestCorpus parses and reads every Bicep file of the corpus: no panic, no
// syntax error, and no evaluation error except for files that need what
// the corpus does not hold (scripts for loadTextContent, modules outside
// it), which are logged.
func TestCorpus(t *testing.T) {
	t.Parallel()
	root := corpusRoot(t)
	files := corpusFiles(t, root)
	docs, clean := 0, 0
	for _, f := range files {
		rel, _ := filepath.Rel(root, f)
		rel = filepath.ToSlash(rel)
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		parseFn := syntax.Parse
		if filepath.Ext(f) == ".bicepparam" {
			parseFn = syntax.ParseParams
		}
		if _, err := parseFn(src, f); err != nil {
			t.Errorf("%s: parse: %v", rel, err)
			continue
		}
		// The corpus root is the scanned tree: modules and scripts the
		// tests use lie above their folder.
		err = New(Options{ReadRoots: []string{root}}).Read(t.Context(), f, func(*resource.Document) { docs++ })
		var problems []string
		for _, e := range inputErrors(t, err) {
			switch {
			case strings.Contains(e.Msg, "internal error"):
				t.Errorf("%s: %v", rel, e)
			case !e.Warning:
				problems = append(problems, e.Error())
			}
		}
		switch {
		case len(problems) == 0:
			clean++
		case missingInput(problems):
			t.Logf("%s: needs files outside the corpus: %s", rel, problems[0])
		case corpusProblems[rel] != "":
			t.Logf("%s: %s", rel, corpusProblems[rel])
		default:
			t.Errorf("%s: %s", rel, strings.Join(problems, "\n"))
		}
	}
	t.Logf("%d files, %d read without errors, %d documents", len(files), clean, docs)
}

// missingInput reports whether every problem is a file the corpus lacks.
func missingInput(problems []string) bool {
	for _, p := range problems {
		if !strings.Contains(p, "no such file or directory") {
			return false
		}
	}
	return true
}
