package saved

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/testsupport/synth"
)

// TestEstateReadsBack reads a small synthetic estate (the benchmark's
// generator) and checks that every document comes out, without errors,
// with the gaps the generator wrote.
func TestEstateReadsBack(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "estate.json")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := synth.Write(f, synth.Config{Vaults: 300, Secrets: 3000, Keys: 600, Seed: 7})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	var docs, gaps, placeholders int
	err = New(Options{}).Read(t.Context(), path, func(d *resource.Document) {
		checkInvariants(t, d)
		docs++
		gaps += len(d.Gaps)
		if d.Body == nil {
			placeholders++
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if st.Placeholders == 0 || st.Gaps == st.Placeholders {
		t.Fatalf("seed 7 no longer writes both kinds of gap: %+v", st)
	}
	// A placeholder has its gap plus none other; a vault with a secrets
	// gap has that one.
	if docs != st.Documents() || placeholders != st.Placeholders || gaps != st.Gaps {
		t.Errorf("read %d documents (%d placeholders, %d gaps); the estate has %d (%d, %d)",
			docs, placeholders, gaps, st.Documents(), st.Placeholders, st.Gaps)
	}
}

// BenchmarkReadEstate reads a synthetic snapshot of 1,000 vaults and
// 100,000 secrets (a tenth of the estate in the performance target; see
// bench/estate for the full one) and reports bytes/s, documents/s and
// allocations.
func BenchmarkReadEstate(b *testing.B) {
	path := filepath.Join(b.TempDir(), "estate.json")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	st, err := synth.Write(f, synth.Config{Vaults: 1000, Secrets: 100_000, Keys: 5000, Seed: 1})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		b.Fatal(err)
	}
	r := New(Options{})
	b.SetBytes(st.Bytes)
	b.ReportAllocs()
	start, cpu0 := time.Now(), cpuTime()
	docs := 0
	for b.Loop() {
		n := 0
		if err := r.Read(b.Context(), path, func(*resource.Document) { n++ }); err != nil {
			b.Fatal(err)
		}
		if n != st.Documents() {
			b.Fatalf("read %d documents, the estate has %d", n, st.Documents())
		}
		docs += n
	}
	b.ReportMetric(float64(docs)/time.Since(start).Seconds(), "docs/s")
	// CPU time (all threads, GC included) is reported beside wall time
	// because the machines this runs on are shared: under load, wall time
	// measures the neighbours.
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
}
