package syntax

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestParseGolden parses every source under testdata/parse and compares
// the tree's dump with the .golden file beside it.
func TestParseGolden(t *testing.T) {
	t.Parallel()
	inputs, err := filepath.Glob("testdata/parse/*.bicep*")
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range inputs {
		if strings.HasSuffix(in, ".golden") {
			continue
		}
		t.Run(filepath.Base(in), func(t *testing.T) {
			t.Parallel()
			src, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			parseFn := Parse
			if strings.HasSuffix(in, ".bicepparam") {
				parseFn = ParseParams
			}
			f, err := parseFn(src, filepath.Base(in))
			got := dumpFile(f)
			if err != nil {
				got += "errors:\n" + syntaxError(err)
			}
			golden := in + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("dump mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// syntaxError renders the errors of a parse, one per line.
func syntaxError(err error) string {
	if err == nil {
		return ""
	}
	var b strings.Builder
	for _, e := range unjoin(err) {
		fmt.Fprintln(&b, e)
	}
	return b.String()
}

// unjoin lists the errors joined in err.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
