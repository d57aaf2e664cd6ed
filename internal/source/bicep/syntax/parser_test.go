package syntax

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	goldenfile "github.com/kvguard/kvguard/internal/testsupport/golden"
)

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
			goldenPath := in + ".golden"
			goldenfile.Check(t, goldenPath, []byte(got))
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
