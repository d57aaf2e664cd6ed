package source

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/source/armtemplate"
	"github.com/kvguard/kvguard/internal/source/bicep"
	"github.com/kvguard/kvguard/internal/source/terraform"
)

// Discover turns command-line paths into inputs. Paths given explicitly
// are read whatever their extension (a JSON file that is none of the
// known shapes is an error for its reader to report); directories are
// walked and only recognised files are taken, the rest listed in skipped.
func Discover(paths []string) (inputs []Input, skipped []Skipped, errs []*resource.InputError) {
	seen := map[string]bool{}
	var tfDirs []string
	add := func(in Input) {
		key := string(in.Kind) + "\x00" + in.Path
		if !seen[key] {
			seen[key] = true
			inputs = append(inputs, in)
		}
	}
	for _, p := range paths {
		if p == "-" {
			add(Input{Path: "-", Kind: Stdin})
			continue
		}
		info, err := os.Stat(p)
		if err != nil {
			errs = append(errs, &resource.InputError{Pos: resource.Position{File: p}, Msg: "cannot read: " + friendly(err), Err: err})
			continue
		}
		if !info.IsDir() {
			kind, why, err := Classify(p, true)
			switch {
			case err != nil:
				errs = append(errs, &resource.InputError{Pos: resource.Position{File: p}, Msg: err.Error(), Err: err})
			case kind == TerraformModule:
				tfDirs = append(tfDirs, filepath.Dir(p))
			case kind == "":
				errs = append(errs, &resource.InputError{Pos: resource.Position{File: p}, Msg: why})
			default:
				add(Input{Path: p, Kind: kind})
			}
			continue
		}
		found, dirs, skip, werrs := walk(p)
		for _, in := range found {
			add(in)
		}
		tfDirs = append(tfDirs, dirs...)
		skipped = append(skipped, skip...)
		errs = append(errs, werrs...)
	}
	for _, d := range terraform.RootModules(dedupeStrings(tfDirs)) {
		add(Input{Path: d, Kind: TerraformModule})
	}
	return inputs, skipped, errs
}

func dedupeStrings(in []string) []string {
	sort.Strings(in)
	out := in[:0]
	for i, s := range in {
		if i == 0 || s != in[i-1] {
			out = append(out, s)
		}
	}
	return out
}

// walk collects the inputs under root.
func walk(root string) (inputs []Input, tfDirs []string, skipped []Skipped, errs []*resource.InputError) {
	tf := map[string]bool{}
	bicepFiles := map[string]bool{}
	var jsonFiles []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			errs = append(errs, &resource.InputError{Pos: resource.Position{File: p}, Msg: "cannot read: " + friendly(err), Err: err})
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		name := d.Name()
		if d.IsDir() {
			if p != root && (strings.HasPrefix(name, ".") || name == "node_modules") {
				return fs.SkipDir // .git, .terraform (module caches are read through modules.json)
			}
			return nil
		}
		lower := strings.ToLower(name)
		switch {
		case strings.HasSuffix(lower, ".tf") || strings.HasSuffix(lower, ".tf.json"):
			tf[filepath.Dir(p)] = true
		case strings.HasSuffix(lower, ".bicep"):
			bicepFiles[p] = true
		case strings.HasSuffix(lower, ".json") || strings.HasSuffix(lower, ".jsonc"):
			jsonFiles = append(jsonFiles, p)
		}
		return nil
	})
	if err != nil {
		errs = append(errs, &resource.InputError{Pos: resource.Position{File: root}, Msg: err.Error(), Err: err})
	}
	var allBicep []string
	for p := range bicepFiles {
		allBicep = append(allBicep, p)
	}
	sort.Strings(allBicep)
	roots := bicep.RootFiles(allBicep)
	isRoot := map[string]bool{}
	for _, p := range roots {
		isRoot[p] = true
		inputs = append(inputs, Input{Path: p, Kind: Bicep})
	}
	for _, p := range allBicep {
		if !isRoot[p] {
			skipped = append(skipped, Skipped{Path: p, Reason: "a module called by another Bicep file in the tree, read through its caller"})
		}
	}
	var templates []string
	for _, p := range jsonFiles {
		if strings.HasSuffix(strings.ToLower(p), ".tfvars.json") {
			continue
		}
		kind, why, err := Classify(p, false)
		switch {
		case err != nil:
			errs = append(errs, &resource.InputError{Pos: resource.Position{File: p}, Msg: err.Error(), Err: err})
		case kind == "":
			skipped = append(skipped, Skipped{Path: p, Reason: why})
		case kind == ARMTemplate && compiledFromBicep(p, bicepFiles):
			skipped = append(skipped, Skipped{Path: p, Reason: "compiled from the Bicep file beside it, which is scanned instead"})
		case kind == ARMTemplate:
			templates = append(templates, p)
		default:
			inputs = append(inputs, Input{Path: p, Kind: kind})
		}
	}
	// Templates linked by another template, or called as a module by a
	// Bicep file, are read through their caller with its parameters.
	called := map[string]string{}
	for _, p := range armtemplate.LinkedTemplates(templates) {
		called[filepath.Clean(p)] = "a template linked by another template in the tree, read through it"
	}
	for _, p := range bicep.ModuleTemplates(allBicep) {
		called[filepath.Clean(p)] = "an ARM template called as a module by a Bicep file in the tree, read through it"
	}
	for _, p := range templates {
		if why, ok := called[filepath.Clean(p)]; ok {
			skipped = append(skipped, Skipped{Path: p, Reason: why})
			continue
		}
		inputs = append(inputs, Input{Path: p, Kind: ARMTemplate})
	}
	for d := range tf {
		tfDirs = append(tfDirs, d)
	}
	return inputs, tfDirs, skipped, errs
}

// compiledFromBicep reports whether a template is `bicep build` output of
// a .bicep file in the same directory (main.json beside main.bicep), so
// that the deployment is not judged twice.
func compiledFromBicep(p string, bicepFiles map[string]bool) bool {
	base := strings.TrimSuffix(p, filepath.Ext(p))
	if !bicepFiles[base+".bicep"] {
		return false
	}
	head, err := readHead(p)
	return err == nil && bytes.Contains(head, []byte(`"_generator"`)) && bytes.Contains(head, []byte(`"bicep"`))
}
