package assess

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/kvguard/kvguard/internal/resource"
)

// Runs are written outside the assessor's locks, by whichever goroutine
// filled the buffer: with units done on many goroutines at once, every
// assessment and message is still read back once, in report order;
// and when runs cannot be written (no such directory), what could not
// be spilled stays in memory and the report is still complete.
func TestSpillsFromManyGoroutines(t *testing.T) {
	t.Parallel()
	cat := defender(t)
	const goroutines, each = 8, 25
	tests := []struct {
		name     string
		dir      string
		wantRuns bool
	}{
		{"runs written", t.TempDir(), true},
		{"runs cannot be written", filepath.Join(t.TempDir(), "missing"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := New(cat, Options{Now: now, SpillBytes: 512, SpillMessages: 3, TempDir: tt.dir})
			var wg sync.WaitGroup
			for g := range goroutines {
				wg.Go(func() {
					for i := range each {
						n := fmt.Sprintf("kv-%02d-%02d", g, i)
						u := a.Unit()
						u.Add(plannedVault(n))
						u.Done()
						a.AddError(&resource.InputError{Pos: resource.Position{File: n + ".tf", Line: 1}, Msg: "m", Warning: true})
					}
				})
			}
			wg.Wait()
			res := a.Finish(context.Background())
			defer func() {
				if err := res.Close(); err != nil {
					t.Error(err)
				}
			}()
			runs, msgRuns := res.Runs()
			if got := runs > 0 && msgRuns > 0; got != tt.wantRuns {
				t.Errorf("runs spilled: %d of assessments, %d of messages; want some: %v", runs, msgRuns, tt.wantRuns)
			}
			var files []string
			for e := range res.AllErrors() {
				files = append(files, e.Pos.File)
			}
			var ids []string
			var last *Assessment
			for x := range res.All() {
				if last != nil && compareAssessments(res.order, last, x, strings.ToLower(last.Resource.ID), strings.ToLower(x.Resource.ID)) > 0 {
					t.Fatalf("%s (%s) after %s (%s): not in report order", x.Resource.ID, x.Recommendation.ID, last.Resource.ID, last.Recommendation.ID)
				}
				last = x
				ids = append(ids, x.Resource.ID)
			}
			if err := res.Err(); err != nil {
				t.Fatal(err)
			}
			if len(files) != goroutines*each {
				t.Errorf("%d messages read back, want %d", len(files), goroutines*each)
			}
			for i := 1; i < len(files); i++ {
				if files[i-1] >= files[i] {
					t.Fatalf("messages out of order: %s before %s", files[i-1], files[i])
				}
			}
			if want := goroutines * each * len(res.Recommendations); len(ids) != want {
				t.Errorf("%d assessments read back, want %d (one per vault and recommendation)", len(ids), want)
			}
		})
	}
}

// plannedVault is a vault declared in code (deployment name.tf) in a
// subscription not yet known: it links within its own unit only, so that
// it is judged, and its assessments spilled, when its unit is done rather
// than at Finish (whose assessments stay in memory: runs.keep).
func plannedVault(name string) *resource.Document {
	d := vault(name, map[string]any{"enableSoftDelete": true})
	d.ID = strings.Replace(d.ID, "00000000-0000-0000-0000-000000000001", "{subscription}", 1)
	d.Body["id"] = d.ID
	d.Deployment = name + ".tf"
	return d
}
