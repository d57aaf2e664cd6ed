package armtemplate

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/kvguard/kvguard/internal/testcorpus"

	"github.com/google/go-cmp/cmp"
	"github.com/kvguard/kvguard/internal/resource"
)

// expectedErrors are the input errors the shared samples really contain:
// expressions Azure Resource Manager itself would refuse with the values
// the samples give (the Bicep compiler's baselines are compile tests, not
// deployable templates). Keyed by path suffix; each value is a substring
// every error of that file must contain.
var expectedErrors = map[string]string{
	// split(parameters('subnetName'), '/')[1] with the default 'subnet-01'.
	"user_submitted/201/web-app-asev2-create/main.json":               "index 1 is out of range",
	"user_submitted/201/web-app-asev2-create/main.symbolicnames.json": "index 1 is out of range",
	"user_submitted/101/sqlmi-new-vnet/main.json":                     "index 1 is out of range",
	"user_submitted/101/sqlmi-new-vnet/main.symbolicnames.json":       "index 1 is out of range",
	// main.parameters.json sets cosmosDb to {} and the template reads .account.
	"baselines/Resources_CRLF/main.json":               "the object has no property",
	"baselines/Resources_CRLF/main.symbolicnames.json": "the object has no property",
	// div(range(1, 2)[copyIndex('b')], copyIndex('b')) divides by copyIndex 0.
	"baselines/Modules_CRLF/main.json":               "division by zero",
	"baselines/Modules_CRLF/main.symbolicnames.json": "division by zero",
	// variables('regions')[add(i, i)] runs past the two regions.
	"baselines/LoopsIndexed_LF/main.json": "index 2 is out of range",
}

// jsonFiles lists the .json files under dir, or skips the test when the
// shared tree is not there.
func jsonFiles(t *testing.T, dir string) []string {
	t.Helper()
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("%s not available: %v", dir, err)
	}
	var files []string
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".json") {
			files = append(files, p)
		}
		return nil
	})
	sort.Strings(files)
	return files
}

func head(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b[:min(len(b), 4096)]
}

// TestSharedTemplates reads every ARM template in the shared corpus and
// every Bicep compiler output: none may panic, and none may fail except
// where Azure itself would (expectedErrors).
func TestSharedTemplates(t *testing.T) {
	t.Parallel()
	for _, dir := range []string{testcorpus.Dir(t, testcorpus.Corpus), testcorpus.Dir(t, testcorpus.BicepSamples)} {
		var templates, skipped, docs int
		for _, p := range jsonFiles(t, dir) {
			if !IsTemplate(head(t, p)) {
				skipped++
				// Not a template: still no panic, and a clear error.
				_, errs := readAll(t, p, Options{})
				for _, e := range errs {
					if strings.Contains(e.Msg, "internal error") {
						t.Errorf("%s: %v", p, e)
					}
				}
				continue
			}
			templates++
			// Use main.parameters.json for both forms of a Bicep sample,
			// as its main.json picks it up by name.
			var opts Options
			if pf := filepath.Join(filepath.Dir(p), "main.parameters.json"); strings.HasPrefix(filepath.Base(p), "main.") && fileExists(pf) {
				opts.ParameterFiles = []string{pf}
			}
			got, errs := readAll(t, p, opts)
			docs += len(got)
			want := ""
			for suffix, msg := range expectedErrors {
				if strings.HasSuffix(filepath.ToSlash(p), suffix) {
					want = msg
				}
			}
			for _, e := range hardErrors(errs) {
				if want == "" || !strings.Contains(e.Msg, want) {
					t.Errorf("%s: unexpected error: %v", p, e)
				}
			}
			if want != "" && len(hardErrors(errs)) == 0 {
				t.Errorf("%s: expected an error containing %q", p, want)
			}
		}
		t.Logf("%s: %d templates read (%d documents), %d other JSON files skipped", dir, templates, docs, skipped)
	}
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// TestBicepFormsAgree reads each Bicep sample's main.json (classic) and
// main.symbolicnames.json (languageVersion 2.0): both must give the same
// documents, apart from provenance and the text of unknown expressions
// (reference(resourceId(...)) in one form is reference('symbol') in the
// other).
func TestBicepFormsAgree(t *testing.T) {
	t.Parallel()
	var agree, total int
	for _, p := range jsonFiles(t, testcorpus.Dir(t, testcorpus.BicepSamples)) {
		if filepath.Base(p) != "main.json" {
			continue
		}
		sym := filepath.Join(filepath.Dir(p), "main.symbolicnames.json")
		if !fileExists(sym) {
			continue
		}
		total++
		var opts Options
		if pf := filepath.Join(filepath.Dir(p), "main.parameters.json"); fileExists(pf) {
			opts.ParameterFiles = []string{pf}
		}
		a, _ := readAll(t, p, opts)
		b, _ := readAll(t, sym, opts)
		// The compiler drops existing resources from the classic form;
		// the symbolic form keeps them, and kvguard reports an existing
		// vault as a placeholder.
		a, b = withoutExisting(a), withoutExisting(b)
		if diff := cmp.Diff(comparableDocs(a), comparableDocs(b), cmp.Comparer(func(x, y resource.Unknown) bool { return true })); diff != "" {
			t.Errorf("%s: the two forms differ (-main.json +main.symbolicnames.json):\n%s", filepath.Dir(p), diff)
			continue
		}
		agree++
	}
	t.Logf("%d of %d Bicep samples give equal documents from both template forms", agree, total)
	if total == 0 {
		t.Fatal("no Bicep sample pairs found")
	}
}

// withoutExisting drops the placeholders of vaults declared existing.
func withoutExisting(docs []*resource.Document) []*resource.Document {
	var out []*resource.Document
	for _, d := range docs {
		if g, ok := d.GapFor(resource.PartProperties); ok && d.Body == nil && strings.Contains(g.Err, "declared existing") {
			continue
		}
		out = append(out, d)
	}
	return out
}

func comparableDocs(docs []*resource.Document) []*resource.Document {
	out := make([]*resource.Document, len(docs))
	for i, d := range docs {
		c := *d
		c.Source = resource.Provenance{}
		out[i] = &c
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}
