package saved

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"

	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/testsupport/synth"
)

// parallelConfig is how a test reads: workers, when an array goes
// parallel, and how many elements a chunk holds (small chunks put many in
// flight at once).
//
// blocks is how blocks of lines are cut (blocks.go): 0 as by default, -1
// not at all (elements are captured one by one), n after the first
// newline n bytes in, at most 3n bytes (small blocks cut everywhere: in
// elements, between an element and its separator, after it).
type parallelConfig struct {
	workers, after, chunk int
	blocks                int
}

// parallelConfigs are the ways TestParallelMatchesSequential and FuzzRead
// read each input besides sequentially.
var parallelConfigs = []parallelConfig{
	{workers: 2, after: 0, chunk: 1},
	{workers: 3, after: 1, chunk: 2, blocks: -1},
	{workers: 2, after: 3, chunk: 7, blocks: -1},
	{workers: 4, after: 0, chunk: defaultChunkElems, blocks: -1},
	{workers: 2, after: 0, chunk: 1, blocks: 1},
	{workers: 3, after: 1, chunk: 2, blocks: 40},
	{workers: 2, after: 3, chunk: 7, blocks: 300},
	{workers: 3, after: 0, chunk: 3, blocks: 2000},
}

func (c parallelConfig) reader(opts Options) *Reader {
	opts.Workers = c.workers
	r := New(opts)
	if c.workers > 1 {
		r.parallelAfter, r.chunkElems = c.after, c.chunk
		switch {
		case c.blocks < 0:
			r.blockMin, r.blockMax = 0, 0
		case c.blocks > 0:
			r.blockMin, r.blockMax = c.blocks, 3*c.blocks
		}
	}
	return r
}

// readResult reads data with r and renders everything it produced
// (documents with their bodies, errors, warnings) as JSON, so that two
// reads can be compared byte for byte.
func readResult(t *testing.T, r *Reader, in io.Reader, name string) string {
	t.Helper()
	var docs []*resource.Document
	err := r.ReadFrom(t.Context(), in, name, func(d *resource.Document) {
		checkInvariants(t, d)
		docs = append(docs, d)
	})
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

// checkParallelMatches reads data sequentially and in every parallel
// configuration, whole and a few bytes at a time, and fails on any
// difference in documents (order, bodies, provenance) or errors.
func checkParallelMatches(t *testing.T, data []byte, opts Options) {
	t.Helper()
	want := readResult(t, parallelConfig{workers: 1}.reader(opts), bytes.NewReader(data), "f.json")
	for _, c := range parallelConfigs {
		for _, half := range []bool{false, true} {
			var in io.Reader = bytes.NewReader(data)
			if half {
				in = iotest.HalfReader(in)
			}
			got := readResult(t, c.reader(opts), in, "f.json")
			if got != want {
				t.Fatalf("%+v (half reads %v) differs from the sequential read:\n%s", c, half, cmp.Diff(want, got))
			}
		}
	}
}

// TestParallelMatchesSequential reads every fixture, every bad input and
// a few long mixed arrays in parallel and sequentially, and requires the
// same documents and errors.
func TestParallelMatchesSequential(t *testing.T) {
	t.Parallel()
	type input struct {
		name string
		data []byte
		opts Options
	}
	var inputs []input
	files, err := filepath.Glob("testdata/shapes/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, input{name: filepath.Base(p), data: b})
	}
	for _, c := range badInputs {
		inputs = append(inputs, input{name: c.name, data: []byte(c.in), opts: Options{MaxValueBytes: 64 << 10}})
	}
	mixed := mixedArray(40)
	inputs = append(inputs,
		input{name: "mixed", data: mixed},
		input{name: "mixed with small values", data: mixed, opts: Options{MaxValueBytes: 600}},
		input{name: "mixed in a list page", data: []byte(`{"value": ` + string(mixed) + `, "nextLink": null}`)},
		input{name: "mixed in a snapshot", data: []byte("{\"kvguardSnapshot\": {\"version\": \"1\"},\n\"resources\": " + string(mixed) + ",\n\"gaps\": [" + gapLine("kv-3", "properties") + "]}")},
		input{name: "mixed, then malformed", data: []byte(strings.TrimSuffix(strings.TrimSpace(string(mixed)), "]") + ",\n{\"id\": \"x\" \"name\": 1},\n" + vaultLine("kv-after") + "]")},
		input{name: "mixed, then cut after a comma", data: []byte(strings.TrimSuffix(strings.TrimSpace(string(mixed)), "]") + ",\n")},
		input{name: "mixed, then truncated", data: mixed[:len(mixed)*2/3]},
		input{name: "estate", data: estate(t, synth.Config{Vaults: 40, Secrets: 900, Keys: 120, Seed: 3})},
	)
	for name, data := range blockInputs() {
		inputs = append(inputs, input{name: "lines: " + name, data: []byte(data)})
	}
	for _, in := range inputs {
		t.Run(in.name, func(t *testing.T) {
			t.Parallel()
			checkParallelMatches(t, in.data, in.opts)
		})
	}
}

// mixedArray is a long array of everything a reader meets in one: vaults,
// ARM and data-plane secrets, duplicates (in the same chunk and far
// apart), wrong types, suppressions, objects that are not resources,
// strings, nested arrays and list pages, deleted objects and resources of
// other types, over several lines.
func mixedArray(n int) []byte {
	var b strings.Builder
	b.WriteString("[\n")
	for i := range n {
		v := fmt.Sprintf("kv-%d", i%7)
		vid := "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/" + v
		elems := []string{
			vaultLine(v),
			fmt.Sprintf(`{"id": "%s/secrets/s%d", "type": "Microsoft.KeyVault/vaults/secrets", "properties": {"attributes": {"enabled": true, "exp": %d, "created": 1700000000}, "contentType": "text/plain", "secretUri": "x"}, "kvguard": {"apiVersion": "2024-11-01", "readAt": "2026-11-26T10:00:00Z"}}`, vid, i, 1700000000+i*86400),
			fmt.Sprintf(`{"id": "%s/SECRETS/S%d/", "type": "Microsoft.KeyVault/vaults/secrets", "properties": {}}`, vid, i),
			fmt.Sprintf(`{"id": "https://%s.vault.azure.net/secrets/d%d", "attributes": {"enabled": "yes", "expires": "soon"}, "managed": 3, "tags": {"kvguard:ignore": "keyvault-secret-expiry rotated by hand"}}`, v, i),
			fmt.Sprintf(`{"id": "%s/keys/k%d", "type": "Microsoft.KeyVault/vaults/keys", "properties": {"kty": "RSA", "keySize": "big", "attributes": "none"}}`, vid, i),
			`"kv-name"`,
			fmt.Sprintf(`{"name": "projection-%d", "rbac": true}`, i),
			fmt.Sprintf(`[%s, 5, {"value": [{"id": "https://%s.vault.azure.net/keys/n%d", "kty": "EC"}]}]`, vaultLine(v+"-nested"), v, i),
			fmt.Sprintf(`{"value": [{"id": "https://%s.vault.azure.net/certificates/c%d"}], "nextLink": null}`, v, i),
			fmt.Sprintf(`{"id": "https://%s.vault.azure.net/deletedsecrets/old%d", "recoveryId": "x"}`, v, i),
			fmt.Sprintf(`{"id": "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa%d"}`, i),
			fmt.Sprintf(`{"id": 42, "note": "%s"}`, strings.Repeat("n", i*23)),
			fmt.Sprintf(`{"id": "%s", "type": "Microsoft.KeyVault/vaults", "properties": {"enableRbacAuthorization": "yes"}, "metadata": {"kvguard:ignore": [5, "keyvault-rbac"]}}`, vid+"-typed"),
		}
		for j, e := range elems {
			if (i+j)%5 == 0 {
				b.WriteString("\n   ")
			}
			b.WriteString(e)
			if i < n-1 || j < len(elems)-1 {
				b.WriteString(", ")
			}
		}
		b.WriteString("\n")
	}
	b.WriteString("]\n")
	return []byte(b.String())
}

func estate(t *testing.T, c synth.Config) []byte {
	t.Helper()
	var b bytes.Buffer
	if _, err := synth.Write(&b, c); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestParallelErrorsAndDuplicates spells out what the equivalence test
// implies for the two things order decides: a duplicate ID is reported on
// the later copy with the line of the first, and malformed JSON stops the
// file at its exact position, after everything before it was emitted.
func TestParallelErrorsAndDuplicates(t *testing.T) {
	t.Parallel()
	var lines []string
	for i := range 300 {
		lines = append(lines, vaultLine(fmt.Sprintf("kv%d", i)))
	}
	lines[250] = vaultLine("kv7") // a duplicate of line 9, in a later chunk
	lines[251] = vaultLine("KV251")
	lines[252] = vaultLine("kv251") // a duplicate of the line before, in the same chunk
	lines[280] = `{"id": "x" "name": 1}`
	in := "[\n" + strings.Join(lines, ",\n") + "\n]"
	r := parallelConfig{workers: 3, after: 5, chunk: 8}.reader(Options{})
	var names []string
	err := r.ReadFrom(t.Context(), strings.NewReader(in), "f.json", func(d *resource.Document) { names = append(names, d.Name) })
	errs, _ := splitErrors(t, err)
	want := []string{
		"f.json:252:1: duplicate resource ID /subscriptions/s1/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv7 (first at f.json:9); this one is ignored",
		"f.json:254:1: duplicate resource ID /subscriptions/s1/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv251 (first at f.json:253); this one is ignored",
		`f.json:282:12: expected ',' or '}' after object member, found '"'; the rest of the file was not read`,
	}
	if diff := cmp.Diff(want, errs); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	if len(names) != 278 || names[0] != "kv0" || names[len(names)-1] != "kv279" {
		t.Errorf("emitted %d documents, %q ... %q; want the 278 before the malformed one, in order", len(names), names[0], names[len(names)-1])
	}
}

// TestParallelCancel cancels a parallel read from emit, midway: the read
// stops soon, says it was cancelled, emits nothing twice, and leaves no
// worker behind.
func TestParallelCancel(t *testing.T) {
	data := estate(t, synth.Config{Vaults: 50, Secrets: 20000, Seed: 5})
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	r := parallelConfig{workers: 3, after: 0, chunk: 16}.reader(Options{})
	seen := map[string]bool{}
	n := 0
	err := r.ReadFrom(ctx, bytes.NewReader(data), "estate.json", func(d *resource.Document) {
		if seen[d.ID] {
			t.Errorf("%s emitted twice", d.ID)
		}
		seen[d.ID] = true
		if n++; n == 5000 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
	if n >= 20000 {
		t.Errorf("emitted %d documents after cancelling at 5000", n)
	}
	waitForGoroutines(before)
}

// TestParallelPanicInEmit: a panic on the reading goroutine while workers
// run is still recovered at the reader's boundary, and the workers stop.
func TestParallelPanicInEmit(t *testing.T) {
	data := estate(t, synth.Config{Vaults: 20, Secrets: 2000, Seed: 5})
	before := runtime.NumGoroutine()
	r := parallelConfig{workers: 2, after: 0, chunk: 4}.reader(Options{})
	n := 0
	err := r.ReadFrom(t.Context(), bytes.NewReader(data), "p.json", func(*resource.Document) {
		if n++; n == 100 {
			panic("boom")
		}
	})
	errs, _ := splitErrors(t, err)
	want := []string{"p.json: internal error while reading this file (please report it): boom"}
	if diff := cmp.Diff(want, errs); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	waitForGoroutines(before)
}

// waitForGoroutines waits until no more goroutines run than before the
// read: a worker still counts as one for a moment after its deferred
// wg.Done lets the reader return. There is no time limit to guess: a
// worker left behind never ends the wait, and go test -timeout fails the
// test with a dump of every goroutine, the leaked one among them.
func waitForGoroutines(before int) {
	for runtime.NumGoroutine() > before {
		runtime.Gosched()
	}
}

// blockInputs are arrays of one element per line (what blocks.go reads)
// broken in each way a block can meet: at its start, between elements,
// inside one.
func blockInputs() map[string]string {
	comps := componentVariants()
	line := func(i int) string {
		return strings.Replace(comps[i%len(comps)], "/secrets/", fmt.Sprintf("/secrets/n%d", i), 1)
	}
	lines := func(n int, sep string, at map[int]string) string {
		var b strings.Builder
		b.WriteString("[\n")
		for i := range n {
			e, ok := at[i]
			if !ok {
				e = line(i)
			}
			b.WriteString(e)
			if i < n-1 {
				b.WriteString(sep)
			}
		}
		b.WriteString("\n]")
		return b.String()
	}
	return map[string]string{
		"plain":                     lines(60, ",\n", nil),
		"CRLF":                      lines(60, ",\r\n", nil),
		"separator first":           lines(60, "\n, ", nil),
		"separator alone":           lines(60, "\n,\n", nil),
		"blank lines":               lines(60, ",\n\n \n", nil),
		"two per line":              lines(60, ", ", map[int]string{}) + "\n",
		"missing separator":         lines(60, ",\n", map[int]string{40: line(40) + "\n" + line(41)}),
		"doubled separator":         lines(60, ",\n", map[int]string{40: ",\n" + line(40)}),
		"trailing separator":        lines(60, ",\n", map[int]string{59: line(59) + ","}),
		"a string and a number":     lines(60, ",\n", map[int]string{20: `"kv-name"`, 30: "42"}),
		"a vault over lines":        lines(60, ",\n", map[int]string{25: strings.ReplaceAll(vaultLine("kv9"), ", ", ",\n  ")}),
		"a newline in a string":     lines(60, ",\n", map[int]string{33: `{"id": "x` + "\n" + `y", "name": "z"}`}),
		"malformed inside":          lines(60, ",\n", map[int]string{44: `{"id": "x" "name": 1}`}),
		"an escape at a line's end": lines(60, ",\n", map[int]string{12: `{"id": "a\\", "note": "]}\\\"{["}`}),
		"cut short":                 strings.TrimSuffix(lines(60, ",\n", nil), "\n]"),
		"cut after a separator":     strings.TrimSuffix(lines(60, ",\n", nil), "\n]") + ",\n",
		"more after the array":      `{"value": ` + lines(60, ",\n", nil) + ",\n" + `"more": [` + "\n" + vaultLine("after") + "\n]}",
		"a second array":            `{"kvguardSnapshot": {"version": "1"}, "resources": ` + lines(60, ",\n", nil) + ",\n" + `"gaps": [` + "\n" + gapLine("kv1", "properties") + "\n]}",
	}
}

// TestReleasedSlotsReused reads an estate in parallel, giving every
// document back (Release) as soon as it is checked, so that the pool's
// slots, their text and their boxed instants, ID and name, are reused by
// the documents that follow, with other instants present and IDs of other
// lengths. Each document must be the one the sequential read gives.
func TestReleasedSlotsReused(t *testing.T) {
	t.Parallel()
	data := estate(t, synth.Config{Vaults: 12, Secrets: 3000, Keys: 60, Seed: 11})
	render := func(d *resource.Document) string {
		b, err := json.Marshal(map[string]any{"id": d.ID, "name": d.Name, "parent": d.Parent, "body": d.Body})
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	var want []string
	seq := parallelConfig{workers: 1}.reader(Options{})
	if err := seq.ReadFrom(t.Context(), bytes.NewReader(data), "e.json", func(d *resource.Document) {
		want = append(want, render(d))
	}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []parallelConfig{{workers: 2, after: 0, chunk: 7, blocks: 40}, {workers: 3, after: 0, chunk: 64, blocks: -1}} {
		i, pooled := 0, 0
		err := c.reader(Options{}).ReadFrom(t.Context(), bytes.NewReader(data), "e.json", func(d *resource.Document) {
			if i < len(want) && render(d) != want[i] {
				t.Fatalf("%+v: document %d:\n got %s\nwant %s", c, i, render(d), want[i])
			}
			if d.Pool != nil {
				pooled++
			}
			i++
			d.Release()
		})
		if err != nil || i != len(want) {
			t.Fatalf("%+v: %d documents, want %d (%v)", c, i, len(want), err)
		}
		if pooled < 2000 {
			t.Fatalf("%+v: only %d pooled documents: the fast path did not run", c, pooled)
		}
	}
}
