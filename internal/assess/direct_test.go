package assess

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/kvguard/kvguard/internal/resource"
)

// TestDirectCompactGivesTheSameResult: components that go straight from
// packed to compact (direct.go) give what making them Components, sorting,
// deduplicating, counting and compacting them gives, sorted or not; the
// vaults whose components are duplicated or not ASCII take the general
// path.
func TestDirectCompactGivesTheSameResult(t *testing.T) {
	t.Parallel()
	cat := defender(t)
	recsFor := map[string]int{}
	for _, r := range cat.Recommendations {
		recsFor[r.Component]++
	}
	type vaultCase struct {
		name  string
		names func(i int) string
	}
	const n = 12
	cases := []vaultCase{
		{"sorted", func(i int) string { return fmt.Sprintf("s%02d", i) }},
		{"mixed-case", func(i int) string {
			if i%2 == 0 {
				return fmt.Sprintf("S%02d", i)
			}
			return fmt.Sprintf("s%02d", i)
		}},
		{"unsorted", func(i int) string { return fmt.Sprintf("s%d", (i*5)%n) }},
		{"duplicate", func(i int) string { return fmt.Sprintf("s%02d", i/2) }},
		{"case-duplicate", func(i int) string {
			if i == 1 {
				return "S00"
			}
			return fmt.Sprintf("s%02d", i)
		}},
		{"not-ascii", func(i int) string { return fmt.Sprintf("é%02d", i) }},
	}
	var docs []*resource.Document
	for v, c := range cases {
		vd := vault("kv-"+c.name, healthyProps("kv-"+c.name))
		docs = append(docs, vd)
		for i := range n {
			attrs := resource.ObjectAttributes{Enabled: (i+v)%5 != 0}
			if (i+v)%3 == 0 {
				attrs.Expires = "2027-01-01T00:00:00Z"
			}
			name := c.names(i)
			docs = append(docs, secret(resource.Ref{ID: vd.ID}, name, attrs))
			if strings.HasPrefix(c.name, "sorted") {
				k := resource.NewComponent(resource.TypeKey, resource.Ref{ID: vd.ID}, vd.ID+"/keys/"+name, name, attrs, map[string]any{"keyType": "RSA"})
				docs = append(docs, k)
			}
		}
	}
	for _, enabledOnly := range []bool{false, true} {
		judge := func(whole bool) (*Result, int64) {
			a := New(cat, Options{Now: now, EnabledOnly: enabledOnly, Workers: 1})
			a.keepWhole, a.compactMin = whole, 4
			for _, d := range docs {
				a.Add(d)
			}
			r := a.Finish(context.Background())
			t.Cleanup(func() { _ = r.Close() })
			return r, a.directs.Load()
		}
		want, _ := judge(true)
		got, directs := judge(false)
		// Secrets and keys of the sorted vault, secrets of the mixed-case
		// and unsorted ones, for each data-plane recommendation of their
		// type.
		if want := 3*recsFor[resource.TypeSecret] + recsFor[resource.TypeKey]; directs != int64(want) {
			t.Errorf("enabledOnly=%v: %d roll-ups took the direct path; want %d", enabledOnly, directs, want)
		}
		fullID := cmp.Transformer("FullID", func(c Component) map[string]any {
			return map[string]any{"ID": c.FullID(), "Name": c.Name, "Type": c.Type, "Status": c.Status, "Reason": c.Reason, "Source": c.Source, "Exemption": c.Exemption}
		})
		sameRec := cmp.Comparer(func(x, y *Recommendation) bool { return x.ID == y.ID })
		if diff := cmp.Diff(expanded(want), expanded(got), fullID, sameRec, cmpopts.IgnoreUnexported(Result{}, Assessment{})); diff != "" {
			t.Errorf("enabledOnly=%v: direct compact components differ from whole ones (-whole +direct):\n%s", enabledOnly, diff)
		}
	}
}
