package saved

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/kvguard/kvguard/internal/resource"
)

// FuzzRead feeds arbitrary bytes to the reader. Seeds are every shape
// fixture and every bad input of the table tests (plus the corpus files
// under testdata/fuzz/FuzzRead). It checks that the reader never panics
// (a recovered panic shows as an "internal error"), returns only
// InputErrors, emits well-formed documents, and gives the same result
// whether the input arrives at once or a byte at a time, on every run, and
// read sequentially or by parallel workers (parallel.go).
func FuzzRead(f *testing.F) {
	files, _ := filepath.Glob("testdata/shapes/*.json")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	for _, c := range badInputs {
		if len(c.in) < 4096 {
			f.Add([]byte(c.in))
		}
	}
	f.Add(mixedArray(3))
	f.Add([]byte("[" + strings.Join(componentVariants(), ",\n") + "]"))
	for _, data := range blockInputs() {
		f.Add([]byte(data))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		read := func(stream bool) string {
			var docs []*resource.Document
			in := bytes.NewReader(data)
			r := New(Options{MaxValueBytes: 1 << 20})
			var err error
			if stream {
				err = r.ReadFrom(t.Context(), iotest.OneByteReader(in), "fuzz.json", func(d *resource.Document) {
					checkInvariants(t, d)
					docs = append(docs, d)
				})
			} else {
				err = r.ReadFrom(t.Context(), in, "fuzz.json", func(d *resource.Document) {
					checkInvariants(t, d)
					docs = append(docs, d)
				})
			}
			res := collect(t, docs, err)
			for _, e := range res.Errors {
				if strings.Contains(e, "internal error") {
					t.Fatalf("panic: %s", e)
				}
			}
			b, merr := json.Marshal(res)
			if merr != nil {
				t.Fatalf("result does not marshal: %v", merr)
			}
			return string(b)
		}
		whole := read(false)
		if again := read(false); again != whole {
			t.Fatalf("two reads differ:\n%s\n%s", whole, again)
		}
		if streamed := read(true); streamed != whole {
			t.Fatalf("streamed read differs:\n%s\n%s", whole, streamed)
		}
		for _, c := range []parallelConfig{parallelConfigs[0], parallelConfigs[1], {workers: 2, after: 0, chunk: 2, blocks: 60}} {
			got := readResult(t, c.reader(Options{MaxValueBytes: 1 << 20}), iotest.HalfReader(bytes.NewReader(data)), "fuzz.json")
			if got != whole {
				t.Fatalf("parallel read %+v differs:\n%s\n%s", c, whole, got)
			}
		}
	})
}
