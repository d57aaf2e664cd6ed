package saved

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	goldenfile "github.com/kvguard/kvguard/internal/testsupport/golden"

	"github.com/google/go-cmp/cmp"

	"github.com/kvguard/kvguard/internal/resource"
)

// result is what one read produced, in a form fit for golden files.
type result struct {
	Documents []goldenDoc `json:"documents"`
	Errors    []string    `json:"errors,omitempty"`
	Warnings  []string    `json:"warnings,omitempty"`
}

type goldenDoc struct {
	ID           string                 `json:"id"`
	Type         string                 `json:"type"`
	Name         string                 `json:"name"`
	Parent       *resource.Ref          `json:"parent,omitempty"`
	Source       resource.Provenance    `json:"source"`
	Gaps         []resource.Gap         `json:"gaps,omitempty"`
	Suppressions []resource.Suppression `json:"suppressions,omitempty"`
	Body         map[string]any         `json:"body"`
}

func toGolden(d *resource.Document) goldenDoc {
	g := goldenDoc{ID: d.ID, Type: d.Type, Name: d.Name, Source: d.Source, Gaps: d.Gaps, Suppressions: d.Suppressions, Body: d.Body}
	if !d.Parent.IsZero() {
		p := d.Parent
		g.Parent = &p
	}
	return g
}

// readAll reads path with a fresh Reader and gathers what it produced.
func readAll(t *testing.T, path string, opts Options) (result, []*resource.Document) {
	t.Helper()
	var docs []*resource.Document
	err := New(opts).Read(t.Context(), path, func(d *resource.Document) { docs = append(docs, d) })
	return collect(t, docs, err), docs
}

func collect(t *testing.T, docs []*resource.Document, err error) result {
	t.Helper()
	var r result
	for _, d := range docs {
		r.Documents = append(r.Documents, toGolden(d))
	}
	r.Errors, r.Warnings = splitErrors(t, err)
	return r
}

// splitErrors checks that err joins only InputErrors and renders them.
func splitErrors(t *testing.T, err error) (errs, warns []string) {
	t.Helper()
	if err == nil {
		return nil, nil
	}
	var list []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	} else {
		list = []error{err}
	}
	for _, e := range list {
		var ie *resource.InputError
		if !errors.As(e, &ie) {
			t.Fatalf("error %v (%T) is not an InputError", e, e)
		}
		if ie.Warning {
			warns = append(warns, ie.Error())
		} else {
			errs = append(errs, ie.Error())
		}
	}
	return errs, warns
}

// golden compares got with testdata/<test>/<name>.golden, or rewrites it
// with -update.
func golden(t *testing.T, name string, got any) {
	t.Helper()
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	path := filepath.Join("testdata", strings.Split(t.Name(), "/")[0], name+".golden")
	goldenfile.Check(t, path, b)
}

// TestShapes reads every fixture under testdata/shapes (one per shape the
// real tools write) and compares the documents with its golden file.
func TestShapes(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/shapes/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r, docs := readAll(t, f, Options{})
			if len(r.Errors) > 0 {
				t.Errorf("unexpected errors: %q", r.Errors)
			}
			for _, d := range docs {
				checkInvariants(t, d)
			}
			golden(t, name, r)
		})
	}
}

// checkInvariants holds for every document of every input.
func checkInvariants(t *testing.T, d *resource.Document) {
	t.Helper()
	if d.ID == "" || d.Type == "" || d.Name == "" {
		t.Errorf("document without id, type or name: %+v", d)
	}
	if d.Source.File == "" || d.Source.StartLine < 1 || d.Source.EndLine < d.Source.StartLine {
		t.Errorf("%s: bad provenance %+v", d.ID, d.Source)
	}
	if d.Source.Kind != KindAzureJSON && d.Source.Kind != KindSnapshot {
		t.Errorf("%s: provenance kind %q", d.ID, d.Source.Kind)
	}
	if d.Body == nil {
		if _, ok := d.GapFor(resource.PartProperties); !ok {
			t.Errorf("%s: nil body without a properties gap", d.ID)
		}
		return
	}
	if _, ok := d.Body["kvguard"]; ok {
		t.Errorf("%s: kvguard member left in the body", d.ID)
	}
	if _, ok := d.Body["value"]; ok {
		t.Errorf("%s: a value member reached the body", d.ID)
	}
	if strings.Contains(d.Type, ".Data/") && d.Parent.IsZero() {
		t.Errorf("%s: component without a parent", d.ID)
	}
	if b, err := json.Marshal(d.Body); err != nil {
		t.Errorf("%s: body does not marshal: %v", d.ID, err)
	} else if bytes.Contains(b, []byte("NEVER-IN-OUTPUT")) {
		t.Errorf("%s: a secret value reached the body", d.ID)
	}
}

// TestSecretValueNeverKept reads az keyvault secret show output and checks
// that the value is in no document, no error and no log line.
func TestSecretValueNeverKept(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	r, docs := readAll(t, "testdata/shapes/az-keyvault-secret-show.json", Options{Logger: newTestLogger(&logs)})
	if len(docs) != 1 {
		t.Fatalf("got %d documents, want 1", len(docs))
	}
	all, _ := json.Marshal(r)
	for _, where := range [][]byte{all, logs.Bytes()} {
		if bytes.Contains(where, []byte("hunter2")) {
			t.Fatalf("secret value leaked: %s", where)
		}
	}
}

// TestStdin reads through ReadFrom, as the CLI does for "-".
func TestStdin(t *testing.T) {
	t.Parallel()
	in, err := os.Open("testdata/shapes/az-keyvault-list.json")
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	var docs []*resource.Document
	err = New(Options{}).ReadFrom(t.Context(), in, "-", func(d *resource.Document) { docs = append(docs, d) })
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 2 || docs[0].Source.File != "-" || docs[1].Source.StartLine != 12 {
		t.Fatalf("got %d documents, first %+v", len(docs), docs[0].Source)
	}
	if err := New(Options{}).Read(t.Context(), "-", func(*resource.Document) {}); err == nil {
		t.Error("Read(\"-\") should say to use ReadFrom")
	}
}

// TestDirectory reads a directory recursively: JSON of other kinds there
// is a warning, non-JSON files are skipped, hidden directories are not
// entered.
func TestDirectory(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(rel, content string) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	vault := `{"id":"/subscriptions/s/resourceGroups/r/providers/Microsoft.KeyVault/vaults/%s","properties":{}}`
	write("a/vault.json", strings.Replace(vault, "%s", "kv-a", 1))
	write("b/c/vault.txt", strings.Replace(vault, "%s", "kv-c", 1)) // content, not name, decides
	write("b/package.json", `{"name":"x","version":"1.0.0"}`)
	write("README.md", "# notes\n")
	write(".git/config.json", strings.Replace(vault, "%s", "kv-hidden", 1))
	write("empty.json", "")

	var names []string
	err := New(Options{}).Read(t.Context(), dir, func(d *resource.Document) { names = append(names, d.Name) })
	if diff := cmp.Diff([]string{"kv-a", "kv-c"}, names); diff != "" {
		t.Errorf("documents (-want +got):\n%s", diff)
	}
	errs, warns := splitErrors(t, err)
	if len(errs) != 0 {
		t.Errorf("errors: %q", errs)
	}
	want := []string{
		filepath.Join(dir, "b/package.json") + `:1:1: not a recognised Azure resource JSON shape: found an object with members name, version but no "id"`,
		filepath.Join(dir, "empty.json") + ": empty file",
	}
	if diff := cmp.Diff(want, warns); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

// TestCancel stops between resources once the context is done.
func TestCancel(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	var b strings.Builder
	b.WriteString("[")
	for i := range 3000 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`{"id":"https://kv.vault.azure.net/secrets/s` + strconv.Itoa(i) + `"}`)
	}
	b.WriteString("]")
	n := 0
	err := New(Options{}).ReadFrom(ctx, strings.NewReader(b.String()), "c.json", func(*resource.Document) { n++ })
	if !errors.Is(err, context.Canceled) || n >= 3000 {
		t.Fatalf("err %v after %d documents", err, n)
	}
}

// TestUnixTimeMatchesResource checks the fast formatter against
// resource.UnixTime across the range kvguard accepts.
func TestUnixTimeMatchesResource(t *testing.T) {
	t.Parallel()
	for _, s := range []int64{minUnix, minUnix + 1, -86401, -86400, -1, 0, 1, 86399, 86400, 951782400, 951868800,
		1767225600, 2208988799, 4102444800, 253402214400, maxUnix} {
		if got, want := unixTime(s), resource.UnixTime(s); got != want {
			t.Errorf("unixTime(%d) = %s, want %s", s, got, want)
		}
	}
	for s := int64(minUnix); s < maxUnix; s += 7777777 {
		if got, want := unixTime(s), resource.UnixTime(s); got != want {
			t.Fatalf("unixTime(%d) = %s, want %s", s, got, want)
		}
	}
}

// TestDayCacheMatchesResource writes instants through one cache whose
// entries are reused (the same day at other times) and displaced (days
// that map to the same entry, before 1970 too), against resource.UnixTime.
func TestDayCacheMatchesResource(t *testing.T) {
	t.Parallel()
	var dc dayCache
	day := int64(86400)
	var secs []int64
	for _, base := range []int64{0, 1767225600, -86400 * 400, 951782400} {
		for _, d := range []int64{0, 1, 1024, 2048, -1024, 1023} {
			secs = append(secs, base+d*day, base+d*day+86399, base+d*day+3723)
		}
	}
	secs = append(secs, minUnix, maxUnix, minUnix+1024*day, maxUnix-1024*day)
	for range 2 {
		for _, s := range secs {
			if s < minUnix || s > maxUnix {
				continue
			}
			if got, want := string(dc.appendUnixTime(nil, s)), resource.UnixTime(s); got != want {
				t.Fatalf("dayCache.appendUnixTime(%d) = %s, want %s", s, got, want)
			}
		}
	}
}

func newTestLogger(w *bytes.Buffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
