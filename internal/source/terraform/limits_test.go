package terraform

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kvguard/kvguard/internal/resource"
)

// TestInstanceLimit: the instances of one root module are capped in all,
// through nested modules, and a count or for_each past the cap fails at
// once with an error naming it, without expanding it. Not parallel: it
// measures the bytes the read allocates.
func TestInstanceLimit(t *testing.T) {
	module := func(count string) string {
		return "variable \"n\" {}\nresource \"azurerm_key_vault\" \"kv\" {\n  count = " + count + "\n  name = \"kv-${var.n}-${count.index}\"\n  resource_group_name = \"rg\"\n}\n"
	}
	tests := []struct {
		name    string
		files   map[string]string
		max     int
		want    string // the error, naming what would exceed the limit
		docs    int
		skipped bool // a second error counts what was not expanded after
	}{
		{
			name:  "count 1e8",
			files: map[string]string{"main.tf": vault("kv", "count = 1e8")},
			want:  "main.tf:7:9: azurerm_key_vault.kv: count = 1e8 gives 100000000 instances, which would take this root module past 50000 instances",
		},
		{
			name: "module count around resource count",
			files: map[string]string{
				"main.tf":   "module \"m\" {\n  source = \"./m\"\n  count = 100000\n  n = count.index\n}\n",
				"m/main.tf": module("100000"),
			},
			want: "main.tf:3:11: module.m: count = 100000 gives 100000 instances",
		},
		{
			name: "modules multiply",
			files: map[string]string{
				"main.tf":   "module \"m\" {\n  source = \"./m\"\n  count = 4\n  n = count.index\n}\n",
				"m/main.tf": module("30"),
			},
			max:  100, // 4 module instances, then 30 + 30 + 30 vaults fit, the fourth 30 does not
			want: "module.m[3].azurerm_key_vault.kv: count = 30 gives 30 instances, which would take this root module past 100 instances",
			docs: 90,
		},
		{
			name:    "for_each and the rest",
			files:   map[string]string{"main.tf": vault("a", `for_each = { for i in range(1000) : tostring(i) => i }`) + vault("b", "")},
			max:     500,
			want:    "azurerm_key_vault.a: for_each = { for i in range(1000) : tostring(i) => i } gives 1000 instances",
			skipped: true,
		},
		{
			name:  "dynamic blocks",
			files: map[string]string{"main.tf": vault("kv", "dynamic \"access_policy\" {\n  for_each = range(1000)\n  content {\n    object_id = access_policy.value\n  }\n}")},
			max:   100,
			want:  `dynamic "access_policy": for_each = range(1000) gives 1000 instances`,
			docs:  1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			docs, errs, _ := read(t, writeTree(t, tc.files), Options{MaxInstances: tc.max})
			runtime.ReadMemStats(&after)
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
				t.Errorf("the read allocated %d MiB", alloc>>20)
			}
			msgs := messages(errs)
			if !strings.Contains(msgs, tc.want) {
				t.Errorf("errors %q do not contain %q", msgs, tc.want)
			}
			if got := strings.Contains(msgs, "were not expanded after the instance limit"); got != tc.skipped {
				t.Errorf("errors %q: report of what was skipped %v, want %v", msgs, got, tc.skipped)
			}
			if len(docs) != tc.docs {
				t.Errorf("%d documents, want %d", len(docs), tc.docs)
			}
		})
	}
}

// cancelAfter is a context cancelled after its Err has been asked n times:
// it makes "cancelled in the middle of an expansion" exact, without
// timing.
type cancelAfter struct {
	context.Context
	n atomic.Int64
}

func (c *cancelAfter) Err() error {
	if c.n.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

// TestExpansionStopsWhenCancelled: a cancelled read stops expanding within
// the loop, not after it.
func TestExpansionStopsWhenCancelled(t *testing.T) {
	t.Parallel()
	dir := writeTree(t, map[string]string{"main.tf": vault("kv", "count = 20000")})
	ctx := &cancelAfter{Context: context.Background()}
	ctx.n.Store(10)
	var docs int
	err := New(Options{}).Read(ctx, dir, func(*resource.Document) { docs++ })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want it to say the read was cancelled", err)
	}
	if docs > 10 {
		t.Errorf("%d documents after cancellation", docs)
	}
}
