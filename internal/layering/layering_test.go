package layering

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/kvguard/kvguard/internal/"

// allowed lists, per package (prefix), the kvguard packages it may import
// directly. A package not listed may import nothing of kvguard's.
var allowed = map[string][]string{
	"resource":               {},
	"jsonpos":                {},
	"layering":               {},
	"packaging":              {},
	"atomicfile":             {},
	"config":                 {"resource"},
	"baseline":               {"assess", "resource"},
	"testcorpus":             {},
	"readfs":                 {},           // reading files and directories in few system calls: imports nothing of kvguard's
	"gcpace":                 {},           // pacing the garbage collector to a heap budget
	"testsupport":            {"resource"}, // generators for tests and benchmarks
	"armexpr":                {"resource"},
	"policy":                 {"resource", "jsonpos", "armexpr"},
	"catalog":                {"policy"},
	"estate":                 {"resource", "policy"},
	"assess":                 {"estate", "catalog", "policy", "resource"},
	"assignment":             {"assess", "estate", "policy", "resource", "jsonpos"},
	"report":                 {"assess", "resource", "report/"},
	"report/reporttest":      {"assess", "catalog", "resource", "testsupport/"}, // test support: judges through the assessor
	"source/saved":           {"resource", "jsonpos"},
	"source/terraform":       {"resource", "jsonpos", "source/terraform/", "readfs"},
	"source/internal/arm":    {"resource", "jsonpos", "armexpr", "readfs"},
	"source/armtemplate":     {"resource", "jsonpos", "armexpr", "source/internal/arm"},
	"source/bicep":           {"resource", "jsonpos", "armexpr", "source/internal/arm", "source/bicep/syntax", "readfs"},
	"source/bicep/syntax":    {"resource"},
	"source/live":            {"resource", "jsonpos", "atomicfile"},
	"source":                 {"resource", "armexpr", "source/", "readfs"},
	"azuresim":               {"resource"},
	"webauth":                {"store"},                                                 // who may use kvguard serve: API tokens and OpenID Connect sessions
	"store":                  {"assess", "resource"},                                    // kvguard serve's database: nothing below imports it
	"jobs":                   {"store", "assess", "catalog", "resource", "source/live"}, // scans as River jobs shared by worker processes
	"schedule":               {},                                                        // when kvguard serve scans: standard library only
	"server":                 {"store", "catalog", "assess"},                            // kvguard serve's views and API: reads the store
	"demo":                   {"azuresim", "source/live"},                               // kvguard serve's bundled simulated estate
	"notify":                 {"store", "assess"},                                       // webhooks on new High findings and expiring exemptions
	"cli":                    {""},                                                      // the wiring: anything
	"source/terraform/funcs": {},
}

// testAllowed lists what a package's tests may import besides what the
// package itself may: test support (fixtures, the shared corpora) and the
// inputs that build realistic documents. Tests never import bench/ (its
// generators are imported by it, not the reverse) nor the CLI.
var testAllowed = []string{"testcorpus", "testsupport", "testsupport/", "report/reporttest", "source/saved", "source/armtemplate",
	"resource", "jsonpos", "catalog", "policy", "assess", "estate", "azuresim", "atomicfile", "armexpr", "source/internal/arm"}

// testAllowedFor lists what one package's tests may import besides
// testAllowed: the server's browser test signs in through the real
// OpenID Connect service (webauth) that the CLI wires into the server.
var testAllowedFor = map[string][]string{
	"server": {"webauth"},
}

// rule finds the most specific entry for a package.
func rule(pkg string) ([]string, bool) {
	best, found := "", false
	for p := range allowed {
		if (pkg == p || strings.HasPrefix(pkg, p+"/")) && len(p) >= len(best) {
			best, found = p, true
		}
	}
	return allowed[best], found
}

func TestImportDirection(t *testing.T) {
	// Production imports, then (after a |) the imports of the tests.
	out, err := exec.Command("go", "list", "-f",
		"{{.ImportPath}} {{join .Imports \" \"}} | {{join .TestImports \" \"}} {{join .XTestImports \" \"}}",
		"github.com/kvguard/kvguard/...").Output()
	if err != nil {
		// Without go list the rule is not checked: that is a failure,
		// never a silent pass.
		t.Fatalf("go list: %v", err)
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg, ok := strings.CutPrefix(fields[0], module)
		if !ok {
			continue // cmd/ and bench/ may wire anything
		}
		may, known := rule(pkg)
		if !known {
			t.Errorf("package %s has no layering rule: add it to allowed in %s", pkg, "internal/layering/layering_test.go")
			continue
		}
		checked++
		inTests := false
		for _, imp := range fields[1:] {
			if imp == "|" {
				inTests, may = true, append(append(append([]string(nil), may...), testAllowed...), testAllowedFor[pkg]...)
				continue
			}
			if strings.HasPrefix(imp, "github.com/kvguard/kvguard/bench") {
				t.Errorf("%s imports %s: the product and its tests never import bench/", pkg, imp)
				continue
			}
			dep, ok := strings.CutPrefix(imp, module)
			if !ok || dep == pkg || strings.HasPrefix(dep, pkg+"/") {
				continue
			}
			permitted := false
			for _, m := range may {
				if m == "" || dep == m || (strings.HasSuffix(m, "/") && strings.HasPrefix(dep, m)) || strings.HasPrefix(dep, m+"/") {
					permitted = true
				}
			}
			if !permitted {
				where := ""
				if inTests {
					where = " (in its tests)"
				}
				t.Errorf("%s imports %s%s, against the layering in docs/architecture.md", pkg, dep, where)
			}
		}
	}
	if checked < 15 {
		t.Errorf("checked only %d packages: the go list output was not what the test expects", checked)
	}
}
