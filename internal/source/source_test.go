package source

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/testcorpus"
)

func write(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

const (
	templateJSON = `{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", "contentVersion": "1.0.0.0", "resources": []}`
	paramsJSON   = `{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#", "parameters": {"a": {"value": 1}}}`
	planJSON     = `{"format_version": "1.2", "terraform_version": "1.9.0", "planned_values": {}}`
	policyJSON   = `{"properties": {"policyRule": {"if": {}, "then": {"effect": "audit"}}}}`
	savedJSON    = `[{"id": "/subscriptions/s/resourceGroups/r/providers/Microsoft.KeyVault/vaults/kv", "type": "Microsoft.KeyVault/vaults", "name": "kv"}]`
	hostJSON     = `{"version": "2.0", "extensionBundle": {"id": "Microsoft.Azure.Functions.ExtensionBundle", "version": "[4.*, 5.0.0)"}}`
)

func TestClassify(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write(t, dir, map[string]string{
		"main.tf": "", "main.tf.json": "{}", "x.tfvars": "", "x.tfvars.json": "{}", "main.bicep": "", "main.bicepparam": "",
		"t.json": templateJSON, "p.json": paramsJSON, "plan.json": planJSON, "policy.json": policyJSON,
		"saved.json": savedJSON, "host.json": hostJSON, "empty.json": " \n",
	})
	cases := []struct {
		file     string
		named    bool
		kind     Kind
		whyLeads string
	}{
		{"main.tf", false, TerraformModule, ""},
		{"main.tf.json", false, TerraformModule, ""},
		{"x.tfvars", true, "", "a Terraform variables file"},
		{"x.tfvars.json", false, "", "a Terraform variables file"},
		{"main.bicep", false, Bicep, ""},
		{"main.bicepparam", true, Bicep, ""},
		{"t.json", false, ARMTemplate, ""},
		{"p.json", true, "", "an ARM parameters file"},
		{"plan.json", false, TerraformPlan, ""},
		{"policy.json", true, "", "a policy definition"},
		{"saved.json", false, AzureJSON, ""},
		{"host.json", false, "", whyNotInput},
		{"host.json", true, AzureJSON, ""}, // its reader says what is wrong
		{"empty.json", false, "", whyEmpty},
		{"empty.json", true, AzureJSON, ""},
	}
	for _, tc := range cases {
		kind, why, err := Classify(filepath.Join(dir, tc.file), tc.named)
		if err != nil || kind != tc.kind || !strings.HasPrefix(why, tc.whyLeads) {
			t.Errorf("Classify(%s, named=%v) = %q, %q, %v; want %q, %q…", tc.file, tc.named, kind, why, err, tc.kind, tc.whyLeads)
		}
	}
	if _, _, err := Classify(filepath.Join(dir, "missing.json"), true); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("a missing file: %v", err)
	}
}

// discoverAll runs discovery with n walkers and returns what Discover
// returns.
func discoverAll(t *testing.T, paths []string, n int) ([]Input, []Skipped, []*resource.InputError) {
	t.Helper()
	var mu sync.Mutex
	var inputs []Input
	var skipped []Skipped
	var errs []*resource.InputError
	discover(context.Background(), paths, kinds, n, discoverer{
		input: func(in Input) { mu.Lock(); inputs = append(inputs, in); mu.Unlock() },
		skip:  func(s Skipped) { mu.Lock(); skipped = append(skipped, s); mu.Unlock() },
		fail:  func(e *resource.InputError) { mu.Lock(); errs = append(errs, e); mu.Unlock() },
	})
	sortResults(inputs, skipped, errs)
	return inputs, skipped, errs
}

func TestDiscover(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write(t, dir, map[string]string{
		"tf/root/main.tf":           "module \"m\" {\n  source = \"../mod\"\n}\n",
		"tf/mod/main.tf":            "",
		"tf/root/prod.tfvars":       "",
		"bicep/main.bicep":          "module a './mod.bicep' = {\n  name: 'a'\n}\nmodule b './arm.json' = {\n  name: 'b'\n}\n",
		"bicep/mod.bicep":           "",
		"bicep/arm.json":            templateJSON,
		"bicep/main.bicepparam":     "using './main.bicep'\n",
		"compiled/main.bicep":       "",
		"compiled/main.json":        `{"metadata": {"_generator": {"name": "bicep"}}, ` + templateJSON[1:],
		"arm/outer.json":            `{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", "contentVersion": "1.0.0.0", "resources": [{"type": "Microsoft.Resources/deployments", "properties": {"templateLink": {"relativePath": "inner.json"}}}]}`,
		"arm/inner.json":            templateJSON,
		"saved/vaults.json":         savedJSON,
		"saved/host.json":           hostJSON,
		".git/x.json":               savedJSON,
		"node_modules/pkg/x.json":   savedJSON,
		"cycle/a.bicep":             "module b './b.bicep' = {\n  name: 'b'\n}\n",
		"cycle/b.bicep":             "module c './c.bicep' = {\n  name: 'c'\n}\n",
		"cycle/c.bicep":             "module a './a.bicep' = {\n  name: 'a'\n}\n",
		"cycle/from-cycle.bicep":    "",
		"reached/root.bicep":        "module x './x.bicep' = {\n  name: 'x'\n}\n",
		"reached/x.bicep":           "module y './y.bicep' = {\n  name: 'y'\n}\n",
		"reached/y.bicep":           "module x './x.bicep' = {\n  name: 'x'\n}\n",
		"self/self.bicep":           "module s './self.bicep' = {\n  name: 's'\n}\n",
		"plan/tfplan.json":          planJSON,
		"readme.md":                 "# not an input",
		"saved/local.settings.json": `{"Values": {}}`,
	})
	write(t, dir, map[string]string{"cycle/a.bicep": "module b './b.bicep' = {\n  name: 'b'\n}\nmodule f './from-cycle.bicep' = {\n  name: 'f'\n}\n"})
	p := func(rel string) string { return filepath.Join(dir, filepath.FromSlash(rel)) }
	inputs, skipped, errs := discoverAll(t, []string{dir}, 2)
	want := []Input{
		{Path: p("arm/outer.json"), Kind: ARMTemplate},
		{Path: p("bicep/main.bicep"), Kind: Bicep},
		{Path: p("compiled/main.bicep"), Kind: Bicep},
		{Path: p("plan/tfplan.json"), Kind: TerraformPlan, Found: true},
		{Path: p("reached/root.bicep"), Kind: Bicep},
		{Path: p("saved/vaults.json"), Kind: AzureJSON, Found: true},
		{Path: p("self/self.bicep"), Kind: Bicep}, // its reader reports the cycle, at the call
		{Path: p("tf/root"), Kind: TerraformModule},
	}
	if !reflect.DeepEqual(inputs, want) {
		t.Errorf("inputs:\n got %v\nwant %v", inputs, want)
	}
	if len(errs) != 1 || errs[0].Pos.File != p("cycle/a.bicep") ||
		!strings.Contains(errs[0].Msg, p("cycle/a.bicep")+" → "+p("cycle/b.bicep")+" → "+p("cycle/c.bicep")+" → "+p("cycle/a.bicep")) {
		t.Errorf("want one error naming the cycle a → b → c → a, got %v", errs)
	}
	why := map[string]string{}
	for _, s := range skipped {
		why[strings.TrimPrefix(filepath.ToSlash(strings.TrimPrefix(s.Path, dir)), "/")] = s.Reason
	}
	for file, reason := range map[string]string{
		"tf/mod":                    "called by " + p("tf/root"),
		"tf/root/prod.tfvars":       "a Terraform variables file",
		"bicep/mod.bicep":           "called by " + p("bicep/main.bicep"),
		"bicep/arm.json":            "called by " + p("bicep/main.bicep"),
		"bicep/main.bicepparam":     "Bicep parameters",
		"compiled/main.json":        "compiled from the Bicep file beside it",
		"arm/inner.json":            "called by " + p("arm/outer.json"),
		"reached/x.bicep":           "called by ",
		"cycle/from-cycle.bicep":    "called only from a cycle",
		"saved/host.json":           whyNotInput,
		"saved/local.settings.json": whyNotInput,
	} {
		if !strings.HasPrefix(why[file], reason) {
			t.Errorf("%s: skipped because %q, want %q…", file, why[file], reason)
		}
	}
}

// The walk and its plan give the same result whatever the number of
// walkers and whatever the order of the paths.
func TestDiscoverIsDeterministic(t *testing.T) {
	t.Parallel()
	corpus := testcorpus.Dir(t, testcorpus.Corpus)
	entries, err := os.ReadDir(corpus)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, e := range entries {
		paths = append(paths, filepath.Join(corpus, e.Name()))
	}
	wantIn, wantSkip, wantErr := discoverAll(t, paths, 1)
	if len(wantIn) == 0 {
		t.Fatal("nothing found in the corpus")
	}
	for _, n := range []int{2, 8} {
		reversed := make([]string, len(paths))
		for i, p := range paths {
			reversed[len(paths)-1-i] = p
		}
		in, skip, errs := discoverAll(t, reversed, n)
		if !reflect.DeepEqual(in, wantIn) || !reflect.DeepEqual(skip, wantSkip) || fmt.Sprint(errs) != fmt.Sprint(wantErr) {
			t.Errorf("%d walkers, paths reversed: the result differs from one walker's", n)
		}
	}
}

// fakeReader reads a file as one document named after it, or runs do.
type fakeReader struct {
	do func(ctx context.Context, path string, emit func(*resource.Document)) error
}

func (f fakeReader) Read(ctx context.Context, path string, emit func(*resource.Document)) error {
	if f.do != nil {
		return f.do(ctx, path, emit)
	}
	emit(&resource.Document{ID: path})
	return nil
}

// fakeKinds: *.x files are read by x, *.y files are deployments whose
// calls are found by calls.
func fakeKinds(x func(context.Context, string, func(*resource.Document)) error, calls func(string) []string) registry {
	return registry{
		{kind: "x", suffixes: []string{".x"}, newReader: func(*Options) Reader { return fakeReader{do: x} }},
		{kind: "y", suffixes: []string{".y"}, calls: calls, newReader: func(*Options) Reader { return fakeReader{} }},
	}
}

// collect gathers what a read emits and fails.
type collect struct {
	mu     sync.Mutex
	docs   []string
	errs   []error
	events []string // fail and Done, in order
}

func (c *collect) emit(d *resource.Document) {
	c.mu.Lock()
	c.docs = append(c.docs, d.ID)
	c.mu.Unlock()
}
func (c *collect) fail(err error) {
	c.mu.Lock()
	c.errs = append(c.errs, err)
	c.events = append(c.events, "fail "+err.Error())
	c.mu.Unlock()
}

// units opens a unit per input that passes its documents on to emit and
// records, when Done, the input and how many documents it had.
func (c *collect) units(in Input) Unit { return &collectUnit{c: c, in: in} }

type collectUnit struct {
	c    *collect
	in   Input
	docs int
	done bool
}

func (u *collectUnit) Add(d *resource.Document) {
	u.c.mu.Lock()
	if u.done {
		u.c.events = append(u.c.events, "document after Done in "+filepath.Base(u.in.Path))
	}
	u.docs++
	u.c.mu.Unlock()
	u.c.emit(d)
}

func (u *collectUnit) Done() {
	u.c.mu.Lock()
	defer u.c.mu.Unlock()
	if u.done {
		u.c.events = append(u.c.events, "Done twice for "+filepath.Base(u.in.Path))
	}
	u.done = true
	u.c.events = append(u.c.events, fmt.Sprintf("done %s %d", filepath.Base(u.in.Path), u.docs))
}

// Each input is one unit: its documents go to its own Add, its problems
// to fail, then Done is called once.
func TestReadUnits(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write(t, dir, map[string]string{"a.x": "", "b.x": "", "c.y": ""})
	reg := fakeKinds(func(_ context.Context, path string, emit func(*resource.Document)) error {
		if strings.HasSuffix(path, "a.x") {
			for i := range 3 {
				emit(&resource.Document{ID: fmt.Sprint(path, i)})
			}
			return nil
		}
		emit(&resource.Document{ID: path})
		return errors.New("b is broken")
	}, nil)
	for _, n := range []int{1, 2} {
		var c collect
		if err := read(context.Background(), []string{dir}, Options{}, reg, n, c.units, c.fail); err != nil {
			t.Fatal(err)
		}
		// Units are read concurrently: compare each unit's events in order.
		var a, b, y []string
		for _, e := range c.events {
			switch {
			case strings.Contains(e, "a.x"):
				a = append(a, e)
			case strings.Contains(e, "b"):
				b = append(b, e)
			case strings.Contains(e, "c.y"):
				y = append(y, e)
			default:
				t.Errorf("%d readers: unexpected event %q", n, e)
			}
		}
		if !reflect.DeepEqual(a, []string{"done a.x 3"}) || !reflect.DeepEqual(b, []string{"fail b is broken", "done b.x 1"}) || !reflect.DeepEqual(y, []string{"done c.y 1"}) {
			t.Errorf("%d readers: events %q", n, c.events)
		}
	}
}

// Reading starts while the walk goes on: the walk cannot finish until an
// input it found has been read (here, the deployment's call finder waits
// for the reader), which a walk-then-read design would never do.
func TestReadOverlapsWalk(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write(t, dir, map[string]string{"first.x": "", "second.y": ""}) // listed in this order
	started := make(chan struct{})
	reg := fakeKinds(func(_ context.Context, path string, emit func(*resource.Document)) error {
		close(started)
		emit(&resource.Document{ID: path})
		return nil
	}, func(string) []string { <-started; return nil })
	var c collect
	if err := read(context.Background(), []string{dir}, Options{}, reg, 1, c.units, c.fail); err != nil {
		t.Fatal(err)
	}
	if len(c.docs) != 2 || len(c.errs) != 0 {
		t.Errorf("read %v, errors %v", c.docs, c.errs)
	}
}

// Directories are listed by several goroutines at once: here each of two
// directories' call finders waits for the other's to start.
func TestWalkIsParallel(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write(t, dir, map[string]string{"a/a.y": "", "b/b.y": ""})
	var barrier sync.WaitGroup
	barrier.Add(2)
	reg := fakeKinds(nil, func(string) []string { barrier.Done(); barrier.Wait(); return nil })
	var c collect
	if err := read(context.Background(), []string{dir}, Options{}, reg, 2, c.units, c.fail); err != nil {
		t.Fatal(err)
	}
	if len(c.docs) != 2 {
		t.Errorf("read %v", c.docs)
	}
}

// A reader that panics is that input's error; the other inputs are read.
func TestReadRecoversPanics(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write(t, dir, map[string]string{"bad.x": "", "good.x": ""})
	reg := fakeKinds(func(_ context.Context, path string, emit func(*resource.Document)) error {
		if strings.HasSuffix(path, "bad.x") {
			panic("boom")
		}
		emit(&resource.Document{ID: path})
		return nil
	}, nil)
	var c collect
	if err := read(context.Background(), []string{dir}, Options{}, reg, 2, c.units, c.fail); err != nil {
		t.Fatal(err)
	}
	if len(c.docs) != 1 || !strings.HasSuffix(c.docs[0], "good.x") {
		t.Errorf("read %v, want good.x", c.docs)
	}
	var ie *resource.InputError
	if len(c.errs) != 1 || !errors.As(c.errs[0], &ie) || !strings.HasSuffix(ie.Pos.File, "bad.x") || !strings.Contains(ie.Msg, "boom") {
		t.Errorf("errors %v, want bad.x's panic", c.errs)
	}
}

// Cancelled, Read returns at once, even while a reader ignores the
// cancellation; what that reader emits afterwards is dropped.
func TestReadReturnsOnCancel(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write(t, dir, map[string]string{"stuck.x": ""})
	ctx, cancel := context.WithCancel(context.Background())
	entered, release, finished := make(chan struct{}), make(chan struct{}), make(chan struct{})
	reg := fakeKinds(func(_ context.Context, path string, emit func(*resource.Document)) error {
		close(entered)
		<-release // deaf to ctx
		emit(&resource.Document{ID: path})
		close(finished)
		return errors.New("late")
	}, nil)
	var c collect
	go func() { <-entered; cancel() }()
	if err := read(ctx, []string{dir}, Options{}, reg, 1, c.units, c.fail); !errors.Is(err, context.Canceled) {
		t.Errorf("read returned %v, want context.Canceled", err)
	}
	close(release)
	<-finished
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.docs) != 0 {
		t.Errorf("a document emitted after Read returned was passed on: %v", c.docs)
	}
}
