package cli

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/kvguard/kvguard/internal/testcorpus"
)

// determinismRuns is how many times TestReportIsDeterministic scans each
// tree.
const determinismRuns = 20

// TestReportIsDeterministic: the report is a pure function of the
// inputs. The examples (and the shared corpus, when present) are scanned
// determinismRuns times, their top-level entries given as separate
// arguments in a shuffled order, alternately with GOMAXPROCS 1 and 2; the
// table, JSON and SARIF reports must be the same bytes every time
// (the time they were made aside). The shuffle's seed is fixed: a failure names the
// run, and the same run gives the same order again.
//
// Not parallel: GOMAXPROCS belongs to the process.
func TestReportIsDeterministic(t *testing.T) {
	trees := map[string]string{"examples": "../../examples"}
	if dir, ok := testcorpus.Find(testcorpus.Corpus); ok {
		trees["corpus"] = dir
	} else {
		t.Logf("the shared corpus is not there (%s); only the examples are scanned", dir)
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, name := range []string{"examples", "corpus"} {
		root, ok := trees[name]
		if !ok {
			continue
		}
		t.Run(name, func(t *testing.T) {
			args := topLevelInputs(t, root)
			rng := rand.New(rand.NewPCG(8, uint64(len(args))))
			var want [3][]byte
			var wantOrder []string
			for run := range determinismRuns {
				rng.Shuffle(len(args), func(i, j int) { args[i], args[j] = args[j], args[i] })
				procs := 1 + run%2
				runtime.GOMAXPROCS(procs)
				got := scanToReports(t, args)
				if run == 0 {
					want, wantOrder = got, append([]string(nil), args...)
					continue
				}
				for i, format := range []string{"table", "json", "sarif"} {
					if !bytes.Equal(want[i], got[i]) {
						t.Fatalf("run %d (GOMAXPROCS %d, arguments %v): the %s report differs from run 0's (arguments %v):\n%s",
							run, procs, args, format, wantOrder, firstDifference(want[i], got[i]))
					}
				}
			}
		})
	}
}

// topLevelInputs lists the directories and JSON files directly under
// root, as scan arguments.
func topLevelInputs(t *testing.T, root string) []string {
	t.Helper()
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	var args []string
	for _, e := range entries {
		if e.IsDir() || strings.HasSuffix(e.Name(), ".json") {
			args = append(args, filepath.Join(root, e.Name()))
		}
	}
	if len(args) < 2 {
		t.Fatalf("%s has %d inputs at the top: nothing to shuffle", root, len(args))
	}
	return args
}

// generatedAt matches the time a report was made (JSON generatedAt,
// SARIF invocation times).
var generatedAt = regexp.MustCompile(`"(generatedAt|startTimeUtc|endTimeUtc)":\s*"[^"]*"`)

// scanToReports scans args in process and returns the table, JSON and
// SARIF reports, generatedAt normalised.
func scanToReports(t *testing.T, args []string) [3][]byte {
	t.Helper()
	dir := t.TempDir()
	jsonPath, sarifPath := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.sarif")
	full := append([]string{"scan", "--fail-on", "none", "--format", "table", "--format", "json=" + jsonPath, "--format", "sarif=" + sarifPath}, args...)
	var out, errOut bytes.Buffer
	if code := Run(context.Background(), full, strings.NewReader(""), &out, &errOut); code != ExitOK && code != ExitError {
		t.Fatalf("exit %d:\n%s", code, errOut.String())
	}
	var reports [3][]byte
	reports[0] = out.Bytes()
	for i, p := range []string{jsonPath, sarifPath} {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		reports[i+1] = generatedAt.ReplaceAll(data, []byte(`"$1":"(normalised)"`))
	}
	return reports
}

// firstDifference shows the lines around the first byte where a and b
// differ.
func firstDifference(a, b []byte) string {
	al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := 0; i < len(al) && i < len(bl); i++ {
		if al[i] != bl[i] {
			return "line " + strconv.Itoa(i+1) + ":\n- " + clip(al[i]) + "\n+ " + clip(bl[i])
		}
	}
	return "one report is a prefix of the other"
}

func clip(s string) string {
	if len(s) > 600 {
		return s[:600] + "…"
	}
	return s
}
