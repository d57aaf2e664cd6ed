// Package gentree generates large trees of Terraform root modules from the
// cases in examples/terraform, for benchmarking the Terraform reader: each
// generated module is a copy of one case (with its local modules and
// tfvars), with names made unique so that no two vaults collide.
package gentree

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Case is one example: its files, relative path → content.
type Case struct {
	Name  string
	Files map[string][]byte
}

// LoadCases reads the HCL cases under examplesDir (every directory holding
// .tf files; the plan case is left out).
func LoadCases(examplesDir string) ([]Case, error) {
	ents, err := os.ReadDir(examplesDir)
	if err != nil {
		return nil, err
	}
	var cases []Case
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		root := filepath.Join(examplesDir, e.Name())
		c := Case{Name: e.Name(), Files: map[string][]byte{}}
		hasTF := false
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			if !isConfig(p) {
				return nil
			}
			hasTF = hasTF || strings.HasSuffix(p, ".tf")
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, p)
			c.Files[rel] = b
			return nil
		})
		if err != nil {
			return nil, err
		}
		if hasTF {
			cases = append(cases, c)
		}
	}
	sort.Slice(cases, func(i, j int) bool { return cases[i].Name < cases[j].Name })
	if len(cases) == 0 {
		return nil, fmt.Errorf("no Terraform cases under %s", examplesDir)
	}
	return cases, nil
}

func isConfig(p string) bool {
	return strings.HasSuffix(p, ".tf") || strings.HasSuffix(p, ".tf.json") || strings.HasSuffix(p, ".tfvars") || strings.HasSuffix(p, ".tfvars.json")
}

// Stats describes a generated tree.
type Stats struct {
	Roots      int   // root modules written
	ModuleDirs int   // directories holding .tf files (roots and local modules)
	Files      int   // configuration files (.tf, .tf.json, .tfvars)
	Bytes      int64 // their size
}

// Generate writes n root modules under dst, 100 to a directory
// (dst/g000/m00000, ...), cycling through cases.
func Generate(dst string, n int, cases []Case) (Stats, error) {
	var st Stats
	for i := 0; i < n; i++ {
		c := cases[i%len(cases)]
		dir := filepath.Join(dst, fmt.Sprintf("g%03d", i/100), fmt.Sprintf("m%05d-%s", i, c.Name))
		dirs := map[string]bool{}
		for rel, b := range c.Files {
			p := filepath.Join(dir, rel)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return st, err
			}
			// Unique vault names per copy, as a real estate has.
			b = []byte(strings.ReplaceAll(string(b), `"kv-`, fmt.Sprintf(`"kv%d-`, i)))
			if err := os.WriteFile(p, b, 0o644); err != nil {
				return st, err
			}
			st.Files++
			st.Bytes += int64(len(b))
			if strings.HasSuffix(rel, ".tf") || strings.HasSuffix(rel, ".tf.json") {
				dirs[filepath.Dir(p)] = true
			}
		}
		st.Roots++
		st.ModuleDirs += len(dirs)
	}
	return st, nil
}

// ModuleDirs walks root and returns the directories holding Terraform
// files, as the CLI's walk finds them.
func ModuleDirs(root string) ([]string, int, error) {
	seen := map[string]bool{}
	var dirs []string
	files := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == ".terraform" {
				return filepath.SkipDir
			}
			return nil
		}
		if isConfig(p) {
			files++
		}
		if strings.HasSuffix(p, ".tf") || strings.HasSuffix(p, ".tf.json") {
			if dir := filepath.Dir(p); !seen[dir] {
				seen[dir] = true
				dirs = append(dirs, dir)
			}
		}
		return nil
	})
	return dirs, files, err
}
