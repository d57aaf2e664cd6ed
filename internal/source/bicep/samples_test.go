package bicep

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/source/armtemplate"
)

// samplesRoot holds the Bicep compiler's own samples, each main.bicep
// beside the main.json (and main.symbolicnames.json) it compiles to.
func samplesRoot(t testing.TB) string {
	t.Helper()
	root := os.Getenv("KVGUARD_BICEP_SAMPLES")
	if root == "" {
		root = "/work/shared/bicep-samples"
	}
	if _, err := os.Stat(root); err != nil {
		t.Skipf("bicep samples not available: %v", err)
	}
	return root
}

// sampleDirs lists the folders holding a main.bicep, relative to root.
func sampleDirs(t testing.TB, root string) []string {
	t.Helper()
	var dirs []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Name() == "main.bicep" {
			rel, _ := filepath.Rel(root, filepath.Dir(p))
			dirs = append(dirs, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(dirs)
	return dirs
}

// knownDisagreements are the samples whose documents differ between the
// Bicep file and its compiled template, with the reason. The key is
// "<sample>" for main.json and "<sample> (symbolic)" for
// main.symbolicnames.json. The test fails when a sample not listed
// disagrees, and when a listed one agrees (so the list stays true).
var knownDisagreements = map[string]string{
	"baselines/LoopsIndexed_LF":                                                           loopedModuleOutputs,
	"baselines/LoopsIndexed_LF (symbolic)":                                                loopedModuleOutputs,
	"baselines/Loops_LF":                                                                  loopedModuleOutputs,
	"baselines/Loops_LF (symbolic)":                                                       loopedModuleOutputs,
	"baselines/Modules_CRLF":                                                              jsonModules,
	"baselines/Modules_CRLF (symbolic)":                                                   jsonModules,
	"baselines/ResourcesManagementGroup_CRLF":                                             tenantScope,
	"baselines/ResourcesManagementGroup_CRLF (symbolic)":                                  tenantScope,
	"baselines/Resources_CRLF":                                                            expressionKeys + "; also a nested deployment declared as a resource (its inline template is not evaluated by the Bicep reader)",
	"baselines/Resources_CRLF (symbolic)":                                                 expressionKeys + "; also a nested deployment declared as a resource (its inline template is not evaluated by the Bicep reader)",
	"user_submitted/101/cyclecloud":                                                       expressionKeys,
	"user_submitted/101/cyclecloud (symbolic)":                                            expressionKeys,
	"user_submitted/101/deployment-script-with-storage":                                   expressionKeys,
	"user_submitted/101/deployment-script-with-storage (symbolic)":                        expressionKeys,
	"user_submitted/101/storage-static-website":                                           expressionKeys,
	"user_submitted/101/storage-static-website (symbolic)":                                expressionKeys,
	"user_submitted/201/aci-wordpress":                                                    expressionKeys,
	"user_submitted/201/aci-wordpress (symbolic)":                                         expressionKeys,
	"user_submitted/201/avd-backplane-with-network-and-storage-and-monitoring":            expressionKeys,
	"user_submitted/201/avd-backplane-with-network-and-storage-and-monitoring (symbolic)": expressionKeys,
	"user_submitted/201/cyclecloud":                                                       expressionKeys,
	"user_submitted/201/cyclecloud (symbolic)":                                            expressionKeys,
	"user_submitted/301/web-app-managed-identity-sql-db":                                  expressionKeys,
	"user_submitted/301/web-app-managed-identity-sql-db (symbolic)":                       expressionKeys,
}

// Reasons for knownDisagreements.
const (
	expressionKeys      = "the ARM template reader does not evaluate expressions in property names ('${uami.id}': {} compiles to a \"[format('{0}', ...)]\" key; '[x]' to an escaped \"[[x]\" key)"
	loopedModuleOutputs = "outputs of a looped module whose name is unknown: the Bicep reader evaluates the module; the ARM template reader leaves reference('apim[0]') and reference(resourceId(deployments, <unknown name>)) unknown"
	jsonModules         = "modules written as ARM JSON (modulec.json) are not evaluated by the Bicep reader: armtemplate exports no way to evaluate a template with given parameter values"
	tenantScope         = "scope: tenant() compiles to \"scope\": \"/\", which the ARM template reader puts under the management group; the Bicep reader deploys the resource at the tenant"
)

// docCompare compares documents as the two readers can agree on them:
// provenance aside (it names different files), unknown values equal
// whatever expression they name (Bicep names the Bicep expression, the
// ARM reader the template's), resource IDs and types case-insensitively
// (the compiler rewrites a type in the casing of its type catalog,
// which kvguard does not have), and an unknown part of an ID "[...]" as
// one placeholder whatever its text (the readers render the expression
// each in its own language).
var docCompare = cmp.Options{
	cmp.Comparer(func(a, b resource.Unknown) bool { return true }),
	cmp.FilterPath(func(p cmp.Path) bool {
		sf, ok := p.Last().(cmp.StructField)
		return ok && sf.Name() == "Source"
	}, cmp.Ignore()),
	cmp.Transformer("foldID", foldID),
}

var paramPlaceholder = regexp.MustCompile(`^\[parameters\('[^']*'\)\]$`)

func foldID(s string) string {
	l := strings.ToLower(s)
	if !strings.HasPrefix(l, "/subscriptions/") && !strings.HasPrefix(l, "/providers/") && !strings.HasPrefix(l, "microsoft.") && !strings.HasPrefix(l, "[") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(l); i++ {
		if l[i] != '[' {
			b.WriteByte(l[i])
			continue
		}
		depth := 0
		j := i
		for ; j < len(l); j++ {
			if l[j] == '[' {
				depth++
			} else if l[j] == ']' {
				depth--
				if depth == 0 {
					break
				}
			}
		}
		if j == len(l) {
			j--
		}
		// A parameter placeholder is the same in both readers; any other
		// unknown part is one placeholder.
		if ph := l[i : j+1]; paramPlaceholder.MatchString(ph) {
			b.WriteString(ph)
		} else {
			b.WriteString("[?]")
		}
		i = j
	}
	return b.String()
}

func readDocs(ctx context.Context, read func(context.Context, string, func(*resource.Document)) error, path string) ([]*resource.Document, error) {
	var docs []*resource.Document
	err := read(ctx, path, func(d *resource.Document) { docs = append(docs, d) })
	sort.SliceStable(docs, func(i, j int) bool { return resource.Key(docs[i].ID) < resource.Key(docs[j].ID) })
	return docs, err
}

// bicepArtifacts are the compiler's baseline outputs beside a sample's
// main.bicep, not Bicep sources.
func isBicepArtifact(name string) bool {
	for _, s := range []string{".formatted.", ".syntax.", ".tokens.", ".symbols.", ".sourcemap.", ".ir.", ".diagnostics."} {
		if strings.Contains(name, s) {
			return true
		}
	}
	return false
}

// TestSamples parses every Bicep source of the compiler's samples and
// compares the documents of each main.bicep with those the ARM template
// reader makes from main.json and main.symbolicnames.json.
func TestSamples(t *testing.T) {
	t.Parallel()
	root := samplesRoot(t)
	dirs := sampleDirs(t, root)
	var (
		mu                          sync.Mutex
		agreeJSON, agreeSym, agree3 int
		failing                     []string
	)
	t.Cleanup(func() {
		sort.Strings(failing)
		t.Logf("%d samples: %d agree with main.json, %d with main.symbolicnames.json, %d with both", len(dirs), agreeJSON, agreeSym, agree3)
		for _, f := range failing {
			t.Logf("disagrees: %s", f)
		}
	})
	for _, dir := range dirs {
		t.Run(dir, func(t *testing.T) {
			t.Parallel()
			full := filepath.Join(root, dir)
			parseAllBicep(t, full)
			main := filepath.Join(full, "main.bicep")
			got, _ := readDocs(t.Context(), New(Options{}).Read, main)
			ok := [2]bool{}
			for i, form := range []string{"main.json", "main.symbolicnames.json"} {
				key := dir
				if i == 1 {
					key += " (symbolic)"
				}
				tmpl := filepath.Join(full, form)
				if _, err := os.Stat(tmpl); err != nil {
					ok[i] = true
					continue
				}
				// Both forms are the same deployment: the symbolic one gets
				// the parameters file the ARM reader finds beside main.json.
				var opts armtemplate.Options
				if pf := filepath.Join(full, "main.parameters.json"); i == 1 && fileExists(pf) {
					opts.ParameterFiles = []string{pf}
				}
				want, _ := readDocs(t.Context(), armtemplate.New(opts).Read, tmpl)
				diff := cmp.Diff(want, got, docCompare)
				reason, known := knownDisagreements[key]
				switch {
				case diff == "" && known:
					t.Errorf("%s agrees now: remove it from knownDisagreements (%s)", key, reason)
				case diff != "" && !known:
					t.Errorf("documents from main.bicep differ from %s (-%s +main.bicep):\n%s", form, form, diff)
				}
				ok[i] = diff == ""
				if diff != "" {
					mu.Lock()
					failing = append(failing, key+": "+reason)
					mu.Unlock()
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if ok[0] {
				agreeJSON++
			}
			if ok[1] {
				agreeSym++
			}
			if ok[0] && ok[1] {
				agree3++
			}
		})
	}
}

// parseAllBicep parses every Bicep source of a sample folder.
func parseAllBicep(t *testing.T, dir string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || isBicepArtifact(d.Name()) {
			return err
		}
		parseFn := Parse
		switch filepath.Ext(p) {
		case ".bicep":
		case ".bicepparam":
			parseFn = ParseParams
		default:
			return nil
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if _, err := parseFn(src, p); err != nil {
			t.Errorf("parse: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
