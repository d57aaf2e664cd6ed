package terraform

import (
	"github.com/kvguard/kvguard/internal/testcorpus"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2/hclparse"

	"github.com/kvguard/kvguard/internal/resource"
)

// moduleDirs lists the directories below root holding Terraform files.
func moduleDirs(t *testing.T, root string) []string {
	t.Helper()
	seen := map[string]bool{}
	var dirs []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".terraform" || d.Name() == ".git") {
			return filepath.SkipDir
		}
		if !d.IsDir() && (strings.HasSuffix(p, ".tf") || strings.HasSuffix(p, ".tf.json")) {
			if dir := filepath.Dir(p); !seen[dir] {
				seen[dir] = true
				dirs = append(dirs, dir)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(dirs)
	return dirs
}

// declaredVaults parses every .tf file of dir on its own and returns the
// names of its azurerm_key_vault blocks: what the reader must produce.
func declaredVaults(t *testing.T, dir string) []string {
	t.Helper()
	files, _, err := configFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var out []string
	for _, n := range files {
		p := hclparse.NewParser()
		src, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		parse := p.ParseHCL
		if strings.HasSuffix(n, ".json") {
			parse = p.ParseJSON
		}
		hf, _ := parse(src, n)
		if hf == nil {
			continue
		}
		bc, _, _ := hf.Body.PartialContent(topSchema)
		if bc == nil {
			continue
		}
		for _, b := range bc.Blocks {
			if b.Type == "resource" && b.Labels[0] == "azurerm_key_vault" && !seen[b.Labels[1]] {
				seen[b.Labels[1]] = true
				out = append(out, b.Labels[1])
			}
		}
	}
	return out
}

// TestCorpus reads every Terraform module of the shared corpus, as the CLI
// would (root modules only), and checks that no read crashes and that
// every declared vault has a document.
func TestCorpus(t *testing.T) {
	root := testcorpus.Dir(t, testcorpus.Corpus)
	dirs := moduleDirs(t, root)
	if len(dirs) == 0 {
		t.Fatalf("no Terraform module found under %s", root)
	}
	roots := RootModules(dirs)
	var docs []*resource.Document
	for _, r := range roots {
		d, errs, warns := read(t, r, Options{})
		docs = append(docs, d...)
		for _, e := range errs {
			if strings.Contains(e.Msg, "internal error") {
				t.Errorf("crash reading %s: %v", r, e)
			}
			t.Logf("not readable: %v", e)
		}
		for _, w := range warns {
			t.Logf("warning: %v", w)
		}
	}
	addrRe := func(name string) *regexp.Regexp {
		return regexp.MustCompile(`(^|\.)azurerm_key_vault\.` + regexp.QuoteMeta(name) + `(\[[^\]]*\])?$`)
	}
	vaults := 0
	for _, dir := range dirs {
		for _, name := range declaredVaults(t, dir) {
			vaults++
			re := addrRe(name)
			found := false
			for _, d := range docs {
				if d.IsType(resource.TypeVault) && filepath.Dir(d.Source.File) == dir && re.MatchString(d.Source.Address) {
					found = true
					break
				}
			}
			if !found {
				t.Errorf("%s: azurerm_key_vault.%s has no document", dir, name)
			}
		}
	}
	t.Logf("%d module directories, %d roots, %d declared vaults, %d documents", len(dirs), len(roots), vaults, len(docs))
	if vaults == 0 {
		t.Error("the corpus declares no vault; the walk found nothing")
	}
}
