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

// TestPackedGivesTheSameResult judges a mix of components kept packed and
// kept whole, and requires the same result: every kind of component
// packing describes (healthy, unhealthy, disabled under
// --enabled-only, IDs under a vault ID or URL, names sliced from IDs) and
// every kind it does not (an ID of its own, a parent spelled differently
// from its vault's first component, a location in code, an exemption, an
// unknown value's reason).
func TestPackedGivesTheSameResult(t *testing.T) {
	t.Parallel()
	cat := defender(t)
	docs := packedMix()
	for _, enabledOnly := range []bool{false, true} {
		judge := func(whole bool) *Result {
			a := New(cat, Options{Now: now, EnabledOnly: enabledOnly, Workers: 1}) // one worker: warnings in a fixed order
			a.keepWhole = whole
			for _, d := range docs {
				a.Add(d)
			}
			return a.Finish(context.Background())
		}
		want, got := judge(true), judge(false)
		fullID := cmp.Transformer("FullID", func(c Component) map[string]any {
			return map[string]any{"ID": c.FullID(), "Name": c.Name, "Type": c.Type, "Status": c.Status, "Reason": c.Reason, "Source": c.Source, "Exemption": c.Exemption}
		})
		sameRec := cmp.Comparer(func(x, y *Recommendation) bool { return x.ID == y.ID })
		if diff := cmp.Diff(expanded(want), expanded(got), fullID, sameRec, cmpopts.IgnoreUnexported(Result{}, Assessment{})); diff != "" {
			t.Errorf("enabledOnly=%v: packed components differ from whole ones (-whole +packed):\n%s", enabledOnly, diff)
		}
		kinds := map[bool]int{}
		for _, as := range got.Assessments {
			for i := range as.Components {
				kinds[as.Components[i].ID == ""]++
			}
		}
		if kinds[true] == 0 || kinds[false] == 0 {
			t.Errorf("enabledOnly=%v: the mix lacks a kind of component: %v", enabledOnly, kinds)
		}
	}
}

// TestFinishInParallel: Finish judges vaults and resources in parallel
// pieces; the result (assessments in order, suppressions used or not) must
// be what one worker gives.
func TestFinishInParallel(t *testing.T) {
	t.Parallel()
	cat := defender(t)
	pos := resource.Position{File: "main.tf", Line: 3}
	var docs []*resource.Document
	for v := range 60 {
		props := healthyProps(fmt.Sprintf("kv%d", v))
		if v%3 == 0 {
			props = map[string]any{"enableRbacAuthorization": false}
		}
		vd := vault(fmt.Sprintf("kv%d", v), props)
		vd.Suppressions = []resource.Suppression{{RuleID: "keyvault-rbac", Reason: "legacy", Pos: pos}, {RuleID: "keyvault-secret-expiry", Pos: pos}}
		if v%5 == 0 {
			vd.Gaps = []resource.Gap{{Part: resource.TypeSecret, Err: "403"}}
		}
		docs = append(docs, vd)
		for s := range v % 17 {
			attrs := resource.ObjectAttributes{Enabled: true}
			if s%2 == 0 {
				attrs.Expires = "2027-01-01T00:00:00Z"
			}
			docs = append(docs, secret(resource.Ref{ID: vd.ID}, fmt.Sprintf("s%d", s), attrs))
		}
	}
	docs = append(docs, secret(resource.Ref{Host: "gone.vault.azure.net"}, "orphan", resource.ObjectAttributes{}))
	judge := func(workers int) *Result {
		a := New(cat, Options{Now: now, Workers: workers})
		for _, d := range docs {
			a.Add(d)
		}
		return a.Finish(context.Background())
	}
	sameRec := cmp.Comparer(func(x, y *Recommendation) bool { return x.ID == y.ID })
	byMsg := cmpopts.SortSlices(func(x, y *resource.InputError) bool { return x.Error() < y.Error() })
	want := judge(1)
	for range 5 {
		if diff := cmp.Diff(expanded(want), expanded(judge(4)), sameRec, byMsg, cmp.AllowUnexported(Component{}), cmpopts.IgnoreUnexported(Result{}, Assessment{})); diff != "" {
			t.Fatalf("4 workers differ from 1 (-1 +4):\n%s", diff)
		}
	}
}

// packedMix is a mix of components of every kind packing and compaction
// describe and of every kind they do not (see TestPackedGivesTheSameResult).
func packedMix() []*resource.Document {
	var docs []*resource.Document
	for v := range 5 {
		vd := vault(fmt.Sprintf("kv%d", v), healthyProps(fmt.Sprintf("kv%d", v)))
		docs = append(docs, vd)
		parents := []resource.Ref{{ID: vd.ID}, {ID: strings.ToUpper(vd.ID)}, {Host: fmt.Sprintf("kv%d.vault.azure.net", v)}}
		for s := range 40 {
			attrs := resource.ObjectAttributes{Enabled: s%7 != 0}
			switch s % 4 {
			case 0:
				attrs.Expires = "2027-01-01T00:00:00Z"
			case 1:
				attrs.Expires = resource.Unknown{Expr: "var.expiry"}
			}
			p := parents[s%3]
			d := secret(p, fmt.Sprintf("s%d", s%30), attrs)
			if s%11 == 0 {
				d.ID = strings.ToLower(d.ID) + "/0123"
				d.Name = d.ID[strings.LastIndexByte(d.ID, '/')+1:]
			}
			if s%13 == 0 {
				d.Source = resource.Provenance{Kind: "terraform", File: "main.tf", StartLine: s, EndLine: s, Address: fmt.Sprintf("azurerm_key_vault_secret.s%d", s)}
			}
			if s%9 == 0 {
				d.Suppressions = []resource.Suppression{{RuleID: "keyvault-secret-expiry", Reason: "rotated", Pos: resource.Position{File: "main.tf", Line: s}}}
			}
			docs = append(docs, d)
			k := resource.NewComponent(resource.TypeKey, p, strings.Replace(d.ID, "/secrets/", "/keys/", 1), d.Name, attrs, map[string]any{"keyType": "RSA"})
			docs = append(docs, k)
		}
	}
	return docs
}

// expanded is r with its assessments as All yields them (components made
// again from their compact form), for comparing results.
func expanded(r *Result) *Result {
	cp := *r
	cp.Assessments = nil
	for a := range r.All() {
		cp.Assessments = append(cp.Assessments, a)
	}
	return &cp
}

// TestCompactGivesTheSameResult keeps every roll-up's components compact
// (compact.go), in memory and in spilled runs, and requires what All
// yields to be what keeping them as Components gives.
func TestCompactGivesTheSameResult(t *testing.T) {
	t.Parallel()
	cat := defender(t)
	docs := packedMix()
	judge := func(least, spill int) *Result {
		a := New(cat, Options{Now: now, Workers: 1, SpillBytes: spill, TempDir: t.TempDir()})
		a.compactMin = least
		for _, d := range docs {
			a.Add(d)
		}
		r := a.Finish(context.Background())
		t.Cleanup(func() { _ = r.Close() })
		if spill > 0 {
			// What Finish judges stays in memory (runs.keep): the
			// compact components are spilled here, as a run of a scan
			// judged unit by unit would hold them.
			f := newSpillFile(r.order)
			if err := f.write(t.TempDir(), r.Assessments); err != nil {
				t.Fatal(err)
			}
			r.Assessments, r.spilled = nil, f
		}
		return r
	}
	want := expanded(judge(1<<30, -1))
	compacted := 0
	for _, spill := range []int{-1, 1} {
		r := judge(1, spill)
		for _, a := range r.Assessments {
			if a.compact != nil {
				compacted++
			}
		}
		got := expanded(r)
		if err := r.Err(); err != nil {
			t.Fatal(err)
		}
		fullID := cmp.Transformer("FullID", func(c Component) map[string]any {
			return map[string]any{"ID": c.FullID(), "Name": c.Name, "Type": c.Type, "Status": c.Status, "Reason": c.Reason, "Source": c.Source, "Exemption": c.Exemption}
		})
		sameRec := cmp.Comparer(func(x, y *Recommendation) bool { return x.ID == y.ID })
		if diff := cmp.Diff(want, got, fullID, sameRec, cmpopts.IgnoreUnexported(Result{}, Assessment{})); diff != "" {
			t.Errorf("spill %d: compact components differ from whole ones (-whole +compact):\n%s", spill, diff)
		}
	}
	if compacted == 0 {
		t.Error("no assessment was kept compact in memory")
	}
}
