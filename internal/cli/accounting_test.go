package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/kvguard/kvguard/internal/testcorpus"
)

// jsonReport is the part of the JSON report the accounting tests read.
type jsonReport struct {
	Summary struct {
		Recommendations []struct {
			ID                                                 string
			Healthy, Unhealthy, Unknown, Exempt, NotApplicable int
		}
		Inventory struct {
			VaultsFound, VaultsJudged, VaultsUnreadable, PlaceholderVaults, ManagedHSMsFound int
			Components                                                                       struct{ Secrets, Keys, Certificates, Total int }
		}
	}
	Recommendations []struct{ ID string }
	Assessments     []assessmentJSON
}

type assessmentJSON struct {
	Recommendation struct{ ID string }
	Resource       struct {
		ID, Name, Type, Deployment string
		Placeholder                bool
		Source                     sourceKey
	}
	Status, Reason string
}

// sourceKey is where a document was read: with its deployment, what
// tells the documents of a scan apart (duplicates resolved).
type sourceKey struct {
	File       string
	StartLine  int
	EndLine    int
	Address    string
	Deployment string `json:"-"`
}

// inspected is the part of kvguard inspect's output the tests read.
type inspected struct {
	Documents []struct {
		Type    string `json:"type"`
		Kvguard struct {
			Source     sourceKey
			Deployment string
			Gaps       []struct{ Part, Error string }
		} `json:"kvguard"`
	}
}

// scanAndInspect scans args (table to stdout, JSON to a file) and
// inspects them.
func scanAndInspect(t *testing.T, args []string) (table string, rep jsonReport, docs inspected) {
	t.Helper()
	jsonPath := filepath.Join(t.TempDir(), "r.json")
	var out, errOut bytes.Buffer
	full := append([]string{"scan", "--fail-on", "none", "--width", "0", "--format", "table", "--format", "json=" + jsonPath}, args...)
	if code := Run(context.Background(), full, strings.NewReader(""), &out, &errOut); code != ExitOK && code != ExitError {
		t.Fatalf("scan %v: exit %d\n%s", args, code, errOut.String())
	}
	data, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	var ins, insErr bytes.Buffer
	Run(context.Background(), append([]string{"inspect"}, args...), strings.NewReader(""), &ins, &insErr)
	if err := json.Unmarshal(ins.Bytes(), &docs); err != nil {
		t.Fatalf("inspect %v: %v\n%s", args, err, insErr.String())
	}
	return out.String(), rep, docs
}

// accountingUnits lists what TestEveryVaultAccountedFor scans: the tree,
// every JSON and Bicep file in it, and every directory holding Terraform.
func accountingUnits(t *testing.T, root string) []string {
	t.Helper()
	units := []string{root}
	seen := map[string]bool{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		switch ext := filepath.Ext(p); {
		case ext == ".json" || ext == ".bicep":
			units = append(units, p)
		case ext == ".tf" && !seen[filepath.Dir(p)]:
			seen[filepath.Dir(p)] = true
			units = append(units, filepath.Dir(p))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return units
}

// TestEveryVaultAccountedFor: over the examples and the corpus (the whole
// tree, and every file of it alone), every vault kvguard inspect shows
// gets exactly one assessment per recommendation; a vault with a part
// that could not be read is counted unreadable and an Unknown assessment
// gives the reason; found = judged + unreadable; managed HSMs are counted
// apart; and every count the table prints agrees with the JSON report.
func TestEveryVaultAccountedFor(t *testing.T) {
	t.Parallel()
	trees := []string{"../../examples", "testdata/accounting"}
	if dir, ok := testcorpus.Find(testcorpus.Corpus); ok {
		trees = append(trees, dir)
	} else {
		t.Logf("the shared corpus is not there (%s); only the examples are checked", dir)
	}
	for _, tree := range trees {
		for _, unit := range accountingUnits(t, tree) {
			t.Run(strings.TrimPrefix(unit, filepath.Dir(tree)+"/"), func(t *testing.T) {
				t.Parallel()
				table, rep, docs := scanAndInspect(t, []string{unit})
				checkVaults(t, rep, docs)
				checkSummary(t, rep)
				checkTable(t, table, rep)
			})
		}
	}
}

// checkVaults compares the vaults of the inspected documents with the
// assessments and the inventory.
func checkVaults(t *testing.T, rep jsonReport, docs inspected) {
	t.Helper()
	vaults, hsms, unreadable := map[sourceKey]int{}, 0, map[sourceKey]string{}
	for _, d := range docs.Documents {
		k := d.Kvguard.Source
		k.Deployment = d.Kvguard.Deployment
		switch strings.ToLower(d.Type) {
		case "microsoft.keyvault/managedhsms":
			hsms++
		case "microsoft.keyvault/vaults":
			vaults[k]++
			for _, g := range d.Kvguard.Gaps {
				if g.Part != "kvguard/unfollowed" {
					unreadable[k] = g.Error
				}
			}
		}
	}
	got := map[sourceKey]map[string]int{}
	byKey := map[sourceKey][]assessmentJSON{}
	for _, a := range rep.Assessments {
		if a.Resource.Placeholder || !strings.EqualFold(a.Resource.Type, "Microsoft.KeyVault/vaults") {
			continue
		}
		k := a.Resource.Source
		k.Deployment = a.Resource.Deployment
		if got[k] == nil {
			got[k] = map[string]int{}
		}
		got[k][a.Recommendation.ID]++
		byKey[k] = append(byKey[k], a)
	}
	found := 0
	for k, n := range vaults {
		found += n
		for _, r := range rep.Recommendations {
			if got[k][r.ID] != n {
				t.Errorf("vault at %+v: %d %s assessments, want %d", k, got[k][r.ID], r.ID, n)
			}
		}
		if why, ok := unreadable[k]; ok && !anyUnknownSaying(byKey[k], why) {
			t.Errorf("unreadable vault at %+v: no Unknown assessment gives the reason %q", k, why)
		}
	}
	for k := range got {
		if vaults[k] == 0 {
			t.Errorf("assessments of a vault at %+v that kvguard inspect does not show", k)
		}
	}
	inv := rep.Summary.Inventory
	if inv.VaultsFound != found || inv.ManagedHSMsFound != hsms || inv.VaultsUnreadable != len(unreadable) {
		t.Errorf("inventory %+v: inspect shows %d vaults (%d unreadable) and %d managed HSMs", inv, found, len(unreadable), hsms)
	}
	if inv.VaultsFound != inv.VaultsJudged+inv.VaultsUnreadable {
		t.Errorf("inventory %+v: found != judged + unreadable", inv)
	}
}

func anyUnknownSaying(as []assessmentJSON, why string) bool {
	for _, a := range as {
		if a.Status == "Unknown" && strings.Contains(a.Reason, why) {
			return true
		}
	}
	return false
}

// checkSummary compares the JSON summary's counts with the assessments.
func checkSummary(t *testing.T, rep jsonReport) {
	t.Helper()
	counted := map[string]map[string]int{}
	for _, a := range rep.Assessments {
		if counted[a.Recommendation.ID] == nil {
			counted[a.Recommendation.ID] = map[string]int{}
		}
		counted[a.Recommendation.ID][a.Status]++
	}
	for _, r := range rep.Summary.Recommendations {
		c := counted[r.ID]
		if c["Healthy"] != r.Healthy || c["Unhealthy"] != r.Unhealthy || c["Unknown"] != r.Unknown || c["Exempt"] != r.Exempt || c["NotApplicable"] != r.NotApplicable {
			t.Errorf("summary of %s %+v, assessments %v", r.ID, r, c)
		}
	}
}

var (
	tableHeader = regexp.MustCompile(`^kvguard: (\d+) vaults? found, judged against (\d+) recommendations?(?: \((.*)\))?$`)
	tableRec    = regexp.MustCompile(`\[([^\]]+)\]\s+\S+\s+(\d+) of (\d+)(?: \((\d+) unknown\))?$`)
	tableFooter = regexp.MustCompile(`(?m)^(\d+) unhealthy, (\d+) unknown, (\d+) exempt, (\d+) healthy; vaults found (\d+), judged (\d+), unreadable (\d+)(?:, (\d+) more named only by their secrets or keys)?(?:; managed HSMs found (\d+))?\.$`)
	tableNouns  = regexp.MustCompile(`(\d+) (secret|key|certificate)s?`)
)

// checkTable compares every count the table prints with the JSON report.
func checkTable(t *testing.T, table string, rep jsonReport) {
	t.Helper()
	lines := strings.Split(table, "\n")
	inv := rep.Summary.Inventory
	h := tableHeader.FindStringSubmatch(lines[0])
	if h == nil {
		t.Fatalf("table header %q", lines[0])
	}
	comps := map[string]int{}
	for _, m := range tableNouns.FindAllStringSubmatch(h[3], -1) {
		comps[m[2]] = atoi(m[1])
	}
	want := []int{inv.VaultsFound, len(rep.Recommendations), inv.Components.Secrets, inv.Components.Keys, inv.Components.Certificates}
	if got := []int{atoi(h[1]), atoi(h[2]), comps["secret"], comps["key"], comps["certificate"]}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("table header %q says %v, the JSON report %v", lines[0], got, want)
	}
	var totals [4]int
	seen := 0
	for _, r := range rep.Summary.Recommendations {
		totals[0] += r.Unhealthy
		totals[1] += r.Unknown
		totals[2] += r.Exempt
		totals[3] += r.Healthy
		for _, l := range lines {
			if m := tableRec.FindStringSubmatch(l); m != nil && m[1] == r.ID {
				seen++
				want := fmt.Sprint(r.Unhealthy, r.Healthy+r.Unhealthy+r.Unknown+r.Exempt, r.Unknown)
				if got := fmt.Sprint(atoi(m[2]), atoi(m[3]), atoi(m[4])); got != want {
					t.Errorf("table line %q: %s, the JSON report %s", l, got, want)
				}
			}
		}
	}
	switch {
	case strings.Contains(table, "No key vault was found: nothing was judged."):
		// The table leaves out the recommendations only when nothing was
		// judged at all.
		if totals != [4]int{} || inv.VaultsFound != 0 || seen != 0 {
			t.Errorf("the table says nothing was judged; the JSON report counts %v, %d vaults", totals, inv.VaultsFound)
		}
	case seen != len(rep.Summary.Recommendations):
		t.Errorf("the table has %d recommendation lines, the JSON report %d", seen, len(rep.Summary.Recommendations))
	}
	f := tableFooter.FindStringSubmatch(table)
	if f == nil {
		t.Fatalf("no footer in the table:\n%s", table)
	}
	want = []int{totals[0], totals[1], totals[2], totals[3], inv.VaultsFound, inv.VaultsJudged, inv.VaultsUnreadable, inv.PlaceholderVaults, inv.ManagedHSMsFound}
	got := make([]int, 0, len(want))
	for _, s := range f[1:] {
		got = append(got, atoi(s))
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("table footer %q says %v, the JSON report %v", f[0], got, want)
	}
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s) // "" (an optional part left out) is 0
	return n
}

// statusCounts counts assessments per recommendation and status, apart
// for planned resources (with a deployment) and existing ones.
func statusCounts(rep jsonReport) (planned, existing map[string]int) {
	planned, existing = map[string]int{}, map[string]int{}
	for _, a := range rep.Assessments {
		k := a.Recommendation.ID + "/" + a.Status
		if a.Resource.Deployment != "" {
			planned[k]++
		} else {
			existing[k]++
		}
	}
	return planned, existing
}

// TestCopiesAreJudgedApart: N copies of the examples in sibling folders
// give N times the findings of one copy for every planned (IaC) resource,
// per recommendation and status: a copy's secrets, keys and endpoints
// stay with its own vaults. Saved Azure data names resources that exist:
// its copies are the same resources (reported as duplicates) and count
// once.
func TestCopiesAreJudgedApart(t *testing.T) {
	t.Parallel()
	const n = 3
	root := t.TempDir()
	for i := range n {
		if err := os.CopyFS(filepath.Join(root, "copy"+strconv.Itoa(i+1)), os.DirFS("../../examples")); err != nil {
			t.Fatal(err)
		}
	}
	_, one, _ := scanAndInspect(t, []string{filepath.Join(root, "copy1")})
	_, all, _ := scanAndInspect(t, []string{root})
	onePlanned, oneExisting := statusCounts(one)
	allPlanned, allExisting := statusCounts(all)
	if len(onePlanned) == 0 || len(oneExisting) == 0 {
		t.Fatalf("the examples should have planned and existing resources: %v %v", onePlanned, oneExisting)
	}
	keys := map[string]bool{}
	for k := range onePlanned {
		keys[k] = true
	}
	for k := range allPlanned {
		keys[k] = true
	}
	var diffs []string
	for k := range keys {
		if allPlanned[k] != n*onePlanned[k] {
			diffs = append(diffs, fmt.Sprintf("%s: %d, want %d × %d", k, allPlanned[k], n, onePlanned[k]))
		}
	}
	for k, v := range oneExisting {
		if allExisting[k] != v {
			diffs = append(diffs, fmt.Sprintf("existing %s: %d, want %d", k, allExisting[k], v))
		}
	}
	sort.Strings(diffs)
	if len(diffs) > 0 {
		t.Errorf("%d copies of the examples:\n%s", n, strings.Join(diffs, "\n"))
	}
	if a, o := all.Summary.Inventory, one.Summary.Inventory; a.PlaceholderVaults != n*o.PlaceholderVaults {
		t.Errorf("placeholder vaults %d, want %d × %d", a.PlaceholderVaults, n, o.PlaceholderVaults)
	}
}

// TestResultsDoNotDependOnOtherInputs: scanning several deployments
// together gives the assessments of scanning each alone, no more and no
// fewer: nothing links across deployments through an ID that is not
// concrete (testdata/independence: a secrets-only Bicep deployment beside
// one declaring a vault of the same unresolved name), and the examples'
// IaC deployments do not touch each other.
func TestResultsDoNotDependOnOtherInputs(t *testing.T) {
	t.Parallel()
	units := []string{"testdata/independence/vault", "testdata/independence/secrets"}
	for _, dir := range []string{"arm", "bicep", "terraform"} {
		entries, err := os.ReadDir(filepath.Join("../../examples", dir))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.IsDir() || filepath.Ext(e.Name()) == ".json" {
				units = append(units, filepath.Join("../../examples", dir, e.Name()))
			}
		}
	}
	var alone []string
	for _, u := range units {
		_, rep, _ := scanAndInspect(t, []string{u})
		alone = append(alone, canonical(t, rep)...)
	}
	_, rep, _ := scanAndInspect(t, units)
	together := canonical(t, rep)
	sort.Strings(alone)
	sort.Strings(together)
	if diff := lineDiff(alone, together); diff != "" {
		t.Errorf("scanned together, the deployments are judged differently than alone (-alone +together):\n%s", diff)
	}
}

// canonical renders each assessment as one JSON line.
func canonical(t *testing.T, rep jsonReport) []string {
	t.Helper()
	out := make([]string, 0, len(rep.Assessments))
	for _, a := range rep.Assessments {
		data, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(data))
	}
	return out
}

// lineDiff lists the lines of sorted a missing from sorted b (-) and the
// other way round (+).
func lineDiff(a, b []string) string {
	var out []string
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || (i < len(a) && a[i] < b[j]):
			out = append(out, "- "+a[i])
			i++
		case i == len(a) || b[j] < a[i]:
			out = append(out, "+ "+b[j])
			j++
		default:
			i, j = i+1, j+1
		}
	}
	return strings.Join(out, "\n")
}
