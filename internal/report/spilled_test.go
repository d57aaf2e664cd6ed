package report

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/kvguard/kvguard/internal/assess"
	"github.com/kvguard/kvguard/internal/report/reporttest"
	"github.com/kvguard/kvguard/internal/resource"
)

// TestEveryFormatReadsSpilledProblems: a large scan keeps its input
// problems on disk (assess.Options.SpillMessages); every format that
// lists them lists them all, read back through AllErrors, and the table
// counts them all. Writers that read Result.Errors saw only the last
// ones kept in memory.
func TestEveryFormatReadsSpilledProblems(t *testing.T) {
	t.Parallel()
	a := assess.New(reporttest.Catalog(t), assess.Options{Now: reporttest.Now, SpillMessages: 1, TempDir: t.TempDir()})
	for _, d := range reporttest.Estate(0) {
		a.Add(d)
	}
	const n = 5
	for i := range n {
		if i%2 == 0 {
			a.AddError(resource.Errorf(resource.Position{File: fmt.Sprintf("infra/f%d.tf", i), Line: i + 1}, "problem-%d", i))
		} else {
			a.AddError(resource.Warnf(resource.Position{File: fmt.Sprintf("infra/f%d.tf", i), Line: i + 1}, "problem-%d", i))
		}
	}
	r := a.Finish(context.Background())
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Error(err)
		}
	})
	if _, runs := r.Runs(); runs < n-1 {
		t.Fatalf("%d runs of problems spilled; the test needs them on disk", runs)
	}
	for _, f := range All() {
		if f.ID == "csv" {
			continue // one row per assessment: no input problems
		}
		t.Run(f.ID, func(t *testing.T) {
			var b bytes.Buffer
			if err := f.New(Options{ToolVersion: reporttest.ToolVersion, Width: 200}).Write(&b, r); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			if f.ID == "table" {
				if !strings.Contains(out, "Input problems: 3 errors, 2 warnings") {
					t.Errorf("the table does not count every problem:\n%s", out)
				}
				return
			}
			for i := range n {
				if !strings.Contains(out, fmt.Sprintf("problem-%d", i)) {
					t.Errorf("problem-%d is missing", i)
				}
			}
		})
	}
}
