package assess

import (
	"context"
	"testing"

	"github.com/kvguard/kvguard/internal/resource"
)

// spilledResult judges vaults with every assessment and message spilled
// to disk (one per run), with two input warnings.
func spilledResult(t *testing.T, names ...string) *Result {
	t.Helper()
	cat := defender(t)
	a := New(cat, Options{Now: now, SpillBytes: 1, SpillMessages: 1, TempDir: t.TempDir()})
	for _, n := range names {
		u := a.Unit()
		u.Add(vault(n, map[string]any{"enableSoftDelete": true}))
		u.Done()
	}
	a.AddError(&resource.InputError{Pos: resource.Position{File: "b.tf", Line: 3}, Msg: "b", Warning: true})
	a.AddError(&resource.InputError{Pos: resource.Position{File: "d.tf", Line: 1}, Msg: "d", Warning: true})
	res := a.Finish(context.Background())
	t.Cleanup(func() {
		if err := res.Close(); err != nil {
			t.Error(err)
		}
	})
	if _, msgRuns := res.Runs(); msgRuns == 0 {
		t.Fatal("the messages were not spilled: the test would not test the spilled path")
	}
	return res
}

// Problems added after judging (the ignore list's review) are counted
// and yielded in report order, also when the others were spilled to disk.
func TestAddErrorsAfterSpilling(t *testing.T) {
	t.Parallel()
	res := spilledResult(t, "kv1")
	res.AddErrors(
		&resource.InputError{Pos: resource.Position{File: "c.yaml", Line: 2}, Msg: "c: unused", Warning: true},
		&resource.InputError{Pos: resource.Position{File: "a.yaml", Line: 9}, Msg: "a: bad"},
	)
	errs, warns := res.ErrorCounts()
	if errs != 1 || warns != 3 {
		t.Errorf("ErrorCounts = %d errors, %d warnings; want 1 and 3", errs, warns)
	}
	if !res.HasErrors() {
		t.Error("HasErrors is false after an error was added")
	}
	var got []string
	for e := range res.AllErrors() {
		got = append(got, e.Pos.File)
	}
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	want := []string{"a.yaml", "b.tf", "c.yaml", "d.tf"}
	if len(got) != len(want) {
		t.Fatalf("AllErrors yields %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("AllErrors yields %v, want %v", got, want)
		}
	}
}

// Only filters as the assessments stream past, from disk, and may be
// narrowed again; the result itself is unchanged.
func TestOnlyIsAView(t *testing.T) {
	t.Parallel()
	res := spilledResult(t, "kv1", "kv2", "kv3")
	count := func(r *Result) map[string]int {
		n := map[string]int{}
		for a := range r.All() {
			n[a.Resource.Name]++
		}
		if err := r.Err(); err != nil {
			t.Fatal(err)
		}
		return n
	}
	all := count(res)
	if all["kv1"] == 0 || all["kv2"] == 0 || all["kv3"] == 0 {
		t.Fatalf("assessments per vault: %v", all)
	}
	notKV1 := res.Only(func(a *Assessment) bool { return a.Resource.Name != "kv1" })
	onlyKV3 := notKV1.Only(func(a *Assessment) bool { return a.Resource.Name != "kv2" })
	if got := count(notKV1); got["kv1"] != 0 || got["kv2"] != all["kv2"] || got["kv3"] != all["kv3"] {
		t.Errorf("Only(not kv1) yields %v, want all but kv1 of %v", got, all)
	}
	if got := count(onlyKV3); len(got) != 1 || got["kv3"] != all["kv3"] {
		t.Errorf("Only twice yields %v, want kv3's %d", got, all["kv3"])
	}
	if got := count(res); len(got) != len(all) {
		t.Errorf("the result itself changed: %v, was %v", got, all)
	}
}
