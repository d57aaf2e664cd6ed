package assess

import (
	"context"
	"fmt"
	"testing"

	"github.com/kvguard/kvguard/internal/policy"
	"github.com/kvguard/kvguard/internal/resource"
)

// BenchmarkComponentCheck measures one data-plane policy evaluation: the
// unit of issue 2's "component checks per second" target.
func BenchmarkComponentCheck(b *testing.B) {
	cat := defender(b)
	rec, _ := cat.Lookup("keyvault-secret-expiry")
	docs := []*resource.Document{
		resource.NewComponent(resource.TypeSecret, resource.Ref{ID: "v"}, "v/secrets/a", "a", resource.ObjectAttributes{Enabled: true, Expires: "2027-01-01T00:00:00Z"}, nil),
		resource.NewComponent(resource.TypeSecret, resource.Ref{ID: "v"}, "v/secrets/b", "b", resource.ObjectAttributes{Enabled: true}, nil),
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		r := rec.Policy.Evaluate(docs[i&1], nil, policy.Options{Now: now, SkipReasons: true}) // as the assessor judges components
		if r.Outcome != policy.Compliant && r.Outcome != policy.NonCompliant {
			b.Fatal(r.Outcome)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "checks/s")
}

// BenchmarkAssessEstate measures the assessor end to end (without reading
// files): 100 vaults with 100 secrets each per iteration.
func BenchmarkAssessEstate(b *testing.B) {
	cat := defender(b)
	var docs []*resource.Document
	for v := range 100 {
		vd := vault(fmt.Sprintf("kv%d", v), healthyProps(fmt.Sprintf("kv%d", v)))
		docs = append(docs, vd)
		for s := range 100 {
			attrs := resource.ObjectAttributes{Enabled: true}
			if s%3 == 0 {
				attrs.Expires = "2027-01-01T00:00:00Z"
			}
			docs = append(docs, secret(resource.Ref{ID: vd.ID}, fmt.Sprintf("s%d", s), attrs))
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		a := New(cat, Options{Now: now})
		for _, d := range docs {
			a.Add(d)
		}
		r := a.Finish(context.Background())
		if len(r.Assessments) != 600 {
			b.Fatalf("%d assessments", len(r.Assessments))
		}
	}
	b.ReportMetric(float64(b.N*10000)/b.Elapsed().Seconds(), "components/s")
}
