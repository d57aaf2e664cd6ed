package config

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/kvguard/kvguard/internal/resource"
)

const schemaPath = "../../docs/config.schema.json"

const goodConfig = `# the team's kvguard settings
recommendations: [keyvault-rbac, keyvault-firewall, keyvault-secret-expiry]
severity: [high, medium]
parameters:
  keyvault-firewall.restrictIPAddresses: "Yes"
fail-on: medium
fail-on-empty: true
outputs:
  - format: table
  - format: sarif
    file: out/kvguard.sarif
var-files: [env/prod.tfvars]
vars:
  location: westeurope
source-root: ..
ignore:
  - recommendation: keyvault-firewall
    resource: "kv-legacy*"
    reason: the legacy app reaches it from on-premises until the migration
    owner: platform-team@example.com
    expires: 2027-01-31
  - recommendation: 12d4fa5e-1f9f-4c21-97a9-b99b3c6611b5
    resource: /subscriptions/*/resourceGroups/rg-sandbox/providers/Microsoft.KeyVault/vaults/*
    reason: sandbox vaults hold no production data
`

func write(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoad(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	c, err := Load(write(t, dir, FileName, goodConfig))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Outputs[1].File, filepath.Join(dir, "out/kvguard.sarif"); got != want {
		t.Errorf("output file %q, want %q (relative to the configuration)", got, want)
	}
	if got, want := c.SourceRoot, filepath.Dir(dir); got != want {
		t.Errorf("source root %q, want %q", got, want)
	}
	if c.FailOnEmpty == nil || !*c.FailOnEmpty || c.FailOn != "medium" || c.Vars["location"] != "westeurope" {
		t.Errorf("values: %+v", c)
	}
	if len(c.Ignore) != 2 || c.Ignore[0].Pos().Line != 17 || c.Ignore[1].Pos().Line != 22 {
		t.Fatalf("ignore entries %+v", c.Ignore)
	}
	if want := time.Date(2027, 1, 31, 23, 59, 59, 999999999, time.UTC); !c.Ignore[0].ExpiresAt().Equal(want) {
		t.Errorf("expiry %v, want the end of the day %v", c.Ignore[0].ExpiresAt(), want)
	}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, text string
		// want are the messages, each with its line: "file:LINE: …".
		want []string
	}{
		{"unknown top-level key", "fail-on: high\ncolour: never\n", []string{`:2:1: unknown key "colour" (known here: `}},
		{"unknown key in an output", "outputs:\n  - format: sarif\n    path: x.sarif\n", []string{`:3:5: unknown key "path" (known here: file, format)`}},
		{"unknown key in an entry", "ignore:\n  - recommendation: keyvault-rbac\n    reason: r\n    expiry: 2027-01-01\n", []string{`:4:5: unknown key "expiry"`}},
		{"two unknown keys", "a: 1\nb: 2\n", []string{`:1:1: unknown key "a"`, `:2:1: unknown key "b"`}},
		{"bad date", "ignore:\n  - recommendation: keyvault-rbac\n    reason: r\n    expires: 2027-13-01\n", []string{`:4: expires "2027-13-01" is not a date: write YYYY-MM-DD`}},
		{"date in another form", "ignore:\n  - recommendation: keyvault-rbac\n    reason: r\n    expires: 31/01/2027\n", []string{`:4: expires "31/01/2027" is not a date`}},
		{"bad glob", "ignore:\n  - recommendation: keyvault-rbac\n    resource: \"kv-[abc\"\n    reason: r\n", []string{`:3: resource "kv-[abc": bad glob: [ at offset 3 is never closed`}},
		{"no reason", "ignore:\n  - recommendation: keyvault-rbac\n    resource: kv1\n", []string{`:2: ignore entry for keyvault-rbac without a reason`}},
		{"no recommendation", "ignore:\n  - resource: kv1\n    reason: r\n", []string{`:2: ignore entry without a recommendation`}},
		{"wrong type", "fail-on-empty: sometimes\n", []string{`:1: cannot unmarshal !!str`}},
		{"not YAML", "outputs: [\n", []string{`not valid YAML`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p := write(t, t.TempDir(), FileName, c.text)
			_, err := Load(p)
			if err == nil {
				t.Fatal("loaded")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), p+w) && !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
				if strings.HasPrefix(w, ":") && !strings.Contains(err.Error(), p+w) {
					t.Errorf("error lacks %q:\n%v", p+w, err)
				}
			}
		})
	}
}

func TestIgnoreFileHoldsOnlyIgnore(t *testing.T) {
	t.Parallel()
	p := write(t, t.TempDir(), IgnoreFileName, "fail-on: high\nignore: []\n")
	if _, err := LoadIgnore(p); err == nil || !strings.Contains(err.Error(), `:1:1: unknown key "fail-on" (known here: ignore)`) {
		t.Errorf("error %v", err)
	}
}

func TestFindStopsAtGitTop(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	write(t, root, FileName, "")                    // above the repository: never read
	write(t, root, "repo/.git/HEAD", "ref: main\n") // the repository's top
	sub := filepath.Join(root, "repo", "infra", "prod")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if got := Find(sub, FileName); got != "" {
		t.Errorf("found %s outside the repository", got)
	}
	want := write(t, root, "repo/"+FileName, "")
	if got := Find(sub, FileName); got != want {
		t.Errorf("found %q, want %q", got, want)
	}
	nearer := write(t, root, "repo/infra/"+FileName, "")
	if got := Find(sub, FileName); got != nearer {
		t.Errorf("found %q, want the nearer %q", got, nearer)
	}
}

func entry(t *testing.T, text string) []Entry {
	t.Helper()
	p := write(t, t.TempDir(), IgnoreFileName, text)
	es, err := LoadIgnore(p)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func TestMatches(t *testing.T) {
	t.Parallel()
	vault := "/subscriptions/1111/resourceGroups/rg-sandbox/providers/Microsoft.KeyVault/vaults/kv-play"
	cases := []struct {
		glob string
		doc  resource.Document
		want bool
	}{
		{"kv-play", resource.Document{ID: vault, Name: "kv-play"}, true},
		{"KV-PLAY", resource.Document{ID: vault, Name: "kv-play"}, true}, // Azure names are case-insensitive
		{"kv-pl?y", resource.Document{ID: vault, Name: "kv-play"}, true},
		{"kv-[pq]lay", resource.Document{ID: vault, Name: "kv-play"}, true},
		{"kv-[!p]lay", resource.Document{ID: vault, Name: "kv-play"}, false},
		{"kv-", resource.Document{ID: vault, Name: "kv-play"}, false}, // whole names only
		{"/subscriptions/*/resourceGroups/rg-sandbox/*", resource.Document{ID: vault, Name: "kv-play"}, true},
		{"/subscriptions/*/resourceGroups/rg-prod/*", resource.Document{ID: vault, Name: "kv-play"}, false},
		{"module.vault.azurerm_key_vault.*", resource.Document{ID: "x", Name: "kv", Source: resource.Provenance{Address: "module.vault.azurerm_key_vault.main"}}, true},
		// A secret is covered by an entry for its vault.
		{vault, resource.Document{ID: vault + "/secrets/db", Name: "db", Parent: resource.Ref{ID: vault}}, true},
		{`kv\*`, resource.Document{ID: "x", Name: "kv-play"}, false},
		{`kv\*`, resource.Document{ID: "x", Name: "kv*"}, true},
		{"", resource.Document{ID: "x", Name: "anything"}, true}, // no resource: every one
	}
	for _, c := range cases {
		es := entry(t, "ignore:\n  - recommendation: keyvault-rbac\n    resource: '"+c.glob+"'\n    reason: r\n")
		if got := es[0].Matches(&c.doc); got != c.want {
			t.Errorf("%q on %s/%s/%s: %v, want %v", c.glob, c.doc.ID, c.doc.Name, c.doc.Source.Address, got, c.want)
		}
	}
}

func TestReview(t *testing.T) {
	t.Parallel()
	es := entry(t, `ignore:
  - recommendation: keyvault-rbac
    resource: kv-a
    reason: used
    expires: 2027-01-31
  - recommendation: keyvault-firewall
    resource: kv-b
    reason: never matches
  - recommendation: keyvault-soft-delete
    resource: kv-c
    reason: runs out
    owner: ops
    expires: 2026-06-30
`)
	used := map[resource.Position]bool{es[0].Pos(): true}
	cases := []struct {
		now  time.Time
		want []string
	}{
		{time.Date(2026, 6, 30, 23, 0, 0, 0, time.UTC), []string{
			":6: ignore entry for keyvault-firewall on kv-b matches no finding",
			":9: ignore entry for keyvault-soft-delete on kv-c matches no finding (owner: ops)"}},
		{time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC), []string{
			":6: ignore entry for keyvault-firewall on kv-b matches no finding",
			":9: ignore entry for keyvault-soft-delete on kv-c expired on 2026-06-30 and no longer applies (owner: ops)"}},
		{time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC), []string{
			":2: ignore entry for keyvault-rbac on kv-a expired on 2027-01-31",
			":6: ignore entry for keyvault-firewall on kv-b matches no finding",
			":9: ignore entry for keyvault-soft-delete on kv-c expired"}},
	}
	for _, c := range cases {
		got := Review(es, used, c.now)
		if len(got) != len(c.want) {
			t.Errorf("at %v: %d warnings, want %d: %v", c.now, len(got), len(c.want), got)
			continue
		}
		for i, w := range c.want {
			if !got[i].Warning || !strings.Contains(got[i].Error(), w) {
				t.Errorf("at %v: warning %q lacks %q", c.now, got[i].Error(), w)
			}
		}
	}
}

// TestSchema: the published schema accepts what Load accepts and
// rejects what it rejects, and names the same keys as the Go types.
func TestSchema(t *testing.T) {
	t.Parallel()
	c := jsonschema.NewCompiler()
	schema, err := c.Compile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	validate := func(text string) error {
		var v any
		if err := yaml.Unmarshal([]byte(text), &v); err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(jsonable(v))
		if err != nil {
			t.Fatal(err)
		}
		var inst any
		if err := json.Unmarshal(b, &inst); err != nil {
			t.Fatal(err)
		}
		return schema.Validate(inst)
	}
	if err := validate(goodConfig); err != nil {
		t.Errorf("the schema rejects the good configuration: %v", err)
	}
	for _, bad := range []string{
		"colour: never\n",
		"outputs:\n  - format: sarif\n    path: x\n",
		"ignore:\n  - recommendation: keyvault-rbac\n    reason: r\n    expires: 31/01/2027\n",
		"ignore:\n  - recommendation: keyvault-rbac\n",
		"fail-on: severe\n",
	} {
		if err := validate(bad); err == nil {
			t.Errorf("the schema accepts %q", bad)
		}
		if _, err := Load(write(t, t.TempDir(), FileName, bad)); err == nil && !strings.Contains(bad, "fail-on") {
			t.Errorf("Load accepts %q", bad)
		}
	}
	// The keys agree with the Go types.
	raw, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Properties map[string]json.RawMessage `json:"properties"`
		Defs       struct {
			Entry struct {
				Properties map[string]json.RawMessage `json:"properties"`
			} `json:"entry"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		typ    reflect.Type
		schema map[string]json.RawMessage
	}{{reflect.TypeFor[Config](), doc.Properties}, {reflect.TypeFor[Entry](), doc.Defs.Entry.Properties}} {
		var keys, inSchema []string
		for i := range c.typ.NumField() {
			name, _, _ := strings.Cut(c.typ.Field(i).Tag.Get("yaml"), ",")
			if name != "" && name != "-" {
				keys = append(keys, name)
			}
		}
		for k := range c.schema {
			inSchema = append(inSchema, k)
		}
		slices.Sort(keys)
		slices.Sort(inSchema)
		if !slices.Equal(keys, inSchema) {
			t.Errorf("%s keys %v; the schema has %v", c.typ, keys, inSchema)
		}
	}
}

// jsonable turns YAML's decoded values into JSON's: dates stay as written.
func jsonable(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = jsonable(e)
		}
	case []any:
		for i, e := range x {
			x[i] = jsonable(e)
		}
	case time.Time:
		return x.Format(time.DateOnly)
	}
	return v
}
