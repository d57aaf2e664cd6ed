package jsonreport

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/kvguard/kvguard/internal/assess"
	"github.com/kvguard/kvguard/internal/report/reporttest"
	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/source/saved"
)

// schemaPath is the published schema of the report, from this package.
var schemaPath = filepath.Join("..", "..", "..", "docs", "report.schema.json")

// cases are the synthetic results plus the bundled examples read through
// the real pipeline.
func cases() []reporttest.Case {
	return append([]reporttest.Case{{Name: "examples-azure", Result: func(tb testing.TB) *assess.Result {
		return reporttest.Scan(tb, saved.New(saved.Options{}).Read,
			"../../../examples/azure/vaults.json", "../../../examples/azure/secrets-arm.json", "../../../examples/azure/keys-az-cli.json")
	}}}, reporttest.Cases()...)
}

func write(t testing.TB, r *assess.Result) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := (Writer{ToolVersion: reporttest.ToolVersion}).Write(&buf, r); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestGolden(t *testing.T) {
	t.Parallel()
	for _, c := range cases() {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			reporttest.Golden(t, c.Name, write(t, c.Result(t)))
		})
	}
}

// compileSchema loads docs/report.schema.json, asserting formats
// (date-time, date) too.
func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	s, err := c.Compile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func validate(t *testing.T, s *jsonschema.Schema, data []byte) error {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, data)
	}
	return s.Validate(inst)
}

// TestSchema validates every case against docs/report.schema.json and
// reads it back to compare the key fields with the model.
func TestSchema(t *testing.T) {
	t.Parallel()
	s := compileSchema(t)
	all := append(cases(), reporttest.Case{Name: "large", Result: func(tb testing.TB) *assess.Result { return reporttest.Large(tb, 20, 400) }})
	for _, c := range all {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			r := c.Result(t)
			out := write(t, r)
			if err := validate(t, s, out); err != nil {
				t.Fatalf("report does not match docs/report.schema.json: %v", err)
			}
			compareWithModel(t, r, out)
		})
	}
}

// TestSchemaCatchesDrift shows the schema test can fail: each edit of a
// valid report is one a consumer could break on.
func TestSchemaCatchesDrift(t *testing.T) {
	t.Parallel()
	s := compileSchema(t)
	valid := write(t, reporttest.Judge(t, reporttest.Estate(0), reporttest.InputErrors()...))
	tests := []struct {
		name string
		edit func(m map[string]any)
	}{
		{"unknown top-level field", func(m map[string]any) { m["extra"] = 1 }},
		{"schema version", func(m map[string]any) { m["schemaVersion"] = "2" }},
		{"status outside the enum", func(m map[string]any) { assessment(m, 0)["status"] = "Compliant" }},
		{"severity outside the enum", func(m map[string]any) { assessment(m, 0)["recommendation"].(map[string]any)["severity"] = "Critical" }},
		{"missing reason", func(m map[string]any) { delete(assessment(m, 0), "reason") }},
		{"field added to a source", func(m map[string]any) {
			assessment(m, 0)["resource"].(map[string]any)["source"].(map[string]any)["column"] = 3
		}},
		{"start line without end line", func(m map[string]any) {
			delete(assessment(m, 0)["resource"].(map[string]any)["source"].(map[string]any), "endLine")
		}},
		{"negative count", func(m map[string]any) { m["summary"].(map[string]any)["errors"] = -1 }},
		{"generatedAt not a date-time", func(m map[string]any) { m["generatedAt"] = "yesterday" }},
		{"error severity", func(m map[string]any) { m["errors"].([]any)[0].(map[string]any)["severity"] = "fatal" }},
	}
	if err := validate(t, s, valid); err != nil {
		t.Fatalf("the unedited report is invalid: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if validate(t, s, reporttest.Edited(t, valid, tt.edit)) == nil {
				t.Error("the schema accepts the edited report")
			}
		})
	}
}

func assessment(m map[string]any, i int) map[string]any {
	return m["assessments"].([]any)[i].(map[string]any)
}

// report is the JSON report read back.
type report struct {
	SchemaVersion string `json:"schemaVersion"`
	Tool          struct {
		Name, Version string
	} `json:"tool"`
	GeneratedAt time.Time `json:"generatedAt"`
	Options     struct {
		EnabledOnly bool `json:"enabledOnly"`
	} `json:"options"`
	Summary struct {
		Recommendations []map[string]any `json:"recommendations"`
		Inventory       struct {
			VaultsFound, VaultsJudged, VaultsUnreadable, PlaceholderVaults int
			Components                                                     struct{ Secrets, Keys, Certificates, Total int }
		} `json:"inventory"`
		Errors, Warnings int
	} `json:"summary"`
	Recommendations []struct {
		ID, Title, Severity string
	} `json:"recommendations"`
	Assessments []struct {
		Recommendation struct{ ID string } `json:"recommendation"`
		Resource       struct {
			ID, Name, Type string
			Placeholder    bool
			Source         source
		} `json:"resource"`
		Status     string
		Reason     string
		Details    []map[string]any
		Exemption  *exemption
		Components *[]struct {
			ID, Name, Type, Status, Reason string
			Source                         *source
			Exemption                      *exemption
		}
	} `json:"assessments"`
	Errors []struct {
		Severity, File, ResourceID, Message string
		Line, Column                        int
	} `json:"errors"`
}

type source struct {
	Kind, File, Address, APIVersion string
	StartLine, EndLine              int
	ReadAt                          *time.Time
}

type exemption struct {
	Reason, Expires, File string
	Expired               bool
	Line                  int
}

// valid is the text as it reads back from JSON: the writer replaces each
// byte of invalid UTF-8 with U+FFFD, as encoding/json does.
func valid(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		b.WriteRune(r) // RuneError for an invalid byte
		i += size
	}
	return b.String()
}

func compareWithModel(t *testing.T, r *assess.Result, out []byte) {
	t.Helper()
	var got report
	dec := json.NewDecoder(bytes.NewReader(out))
	if err := dec.Decode(&got); err != nil {
		t.Fatal(err)
	}
	if got.SchemaVersion != assess.SchemaVersion || got.Tool.Name != "kvguard" || got.Tool.Version != reporttest.ToolVersion ||
		!got.GeneratedAt.Equal(r.GeneratedAt.Truncate(time.Second)) || got.Options.EnabledOnly != r.EnabledOnly {
		t.Errorf("header %+v %+v %v %+v does not match the result", got.SchemaVersion, got.Tool, got.GeneratedAt, got.Options)
	}
	if len(got.Recommendations) != len(r.Recommendations) || len(got.Summary.Recommendations) != len(r.Recommendations) {
		t.Fatalf("%d recommendations, %d in the summary, want %d", len(got.Recommendations), len(got.Summary.Recommendations), len(r.Recommendations))
	}
	for i, rec := range r.Recommendations {
		if got.Recommendations[i].ID != rec.ID || got.Recommendations[i].Severity != string(rec.Severity) {
			t.Errorf("recommendation %d is %+v, want %s %s", i, got.Recommendations[i], rec.ID, rec.Severity)
		}
		counts := r.Summary.ByRecommendation[rec.ID]
		want := map[string]any{"id": rec.ID, "severity": string(rec.Severity),
			"healthy": float64(counts[assess.Healthy]), "unhealthy": float64(counts[assess.Unhealthy]), "unknown": float64(counts[assess.Unknown]),
			"exempt": float64(counts[assess.Exempt]), "notApplicable": float64(counts[assess.NotApplicable])}
		if d := cmp.Diff(want, got.Summary.Recommendations[i]); d != "" {
			t.Errorf("summary of %s (-model +report):\n%s", rec.ID, d)
		}
	}
	inv := got.Summary.Inventory
	if inv.VaultsFound != r.Summary.Inventory.Found || inv.PlaceholderVaults != r.Summary.Inventory.Placeholders ||
		inv.Components.Total != r.Summary.Inventory.ComponentCount() || inv.Components.Secrets != r.Summary.Inventory.Components[resource.TypeSecret] {
		t.Errorf("inventory %+v, want %+v", inv, r.Summary.Inventory)
	}
	compareAssessments(t, r, got)
	compareErrors(t, r, got)
}

func compareAssessments(t *testing.T, r *assess.Result, got report) {
	t.Helper()
	if len(got.Assessments) != len(r.Assessments) {
		t.Fatalf("%d assessments, want %d", len(got.Assessments), len(r.Assessments))
	}
	for i, a := range r.Assessments {
		g := got.Assessments[i]
		where := a.Recommendation.ID + " " + a.Resource.ID
		if g.Recommendation.ID != a.Recommendation.ID || g.Resource.ID != a.Resource.ID || g.Resource.Name != valid(a.Resource.Name) ||
			g.Status != string(a.Status) || g.Reason != valid(a.Reason) || g.Resource.Placeholder != a.Resource.Placeholder {
			t.Errorf("%s: read back as %s %s %s %q", where, g.Recommendation.ID, g.Resource.ID, g.Status, g.Reason)
		}
		src := a.Resource.Source
		if g.Resource.Source.Kind != src.Kind || g.Resource.Source.File != src.File || g.Resource.Source.Address != src.Address ||
			g.Resource.Source.StartLine != src.StartLine || (src.StartLine > 0 && g.Resource.Source.EndLine < g.Resource.Source.StartLine) {
			t.Errorf("%s: source %+v, want %+v", where, g.Resource.Source, src)
		}
		if len(g.Details) != len(a.Details) {
			t.Errorf("%s: %d details, want %d", where, len(g.Details), len(a.Details))
		}
		if (g.Exemption == nil) != (a.Exemption == nil) || (a.Exemption != nil && (g.Exemption.Expired != a.Exemption.Expired || g.Exemption.Line != a.Exemption.Source.Line)) {
			t.Errorf("%s: exemption %+v, want %+v", where, g.Exemption, a.Exemption)
		}
		if (g.Components != nil) != (a.Recommendation.Component != "") {
			t.Errorf("%s: components present %v for a recommendation with component %q", where, g.Components != nil, a.Recommendation.Component)
			continue
		}
		if g.Components == nil {
			continue
		}
		if len(*g.Components) != len(a.Components) {
			t.Fatalf("%s: %d components, want %d", where, len(*g.Components), len(a.Components))
		}
		for j, c := range a.Components {
			gc := (*g.Components)[j]
			if gc.ID != c.FullID() || gc.Status != string(c.Status) || gc.Reason != c.Reason || (gc.Source == nil) != (c.Source == nil) || (gc.Exemption == nil) != (c.Exemption == nil) {
				t.Errorf("%s: component %d read back as %+v, want %+v", where, j, gc, c)
			}
		}
	}
}

func compareErrors(t *testing.T, r *assess.Result, got report) {
	t.Helper()
	if len(got.Errors) != len(r.Errors) {
		t.Fatalf("%d errors, want %d", len(got.Errors), len(r.Errors))
	}
	errs, warns := 0, 0
	for i, e := range r.Errors {
		g := got.Errors[i]
		sev := "error"
		if e.Warning {
			sev = "warning"
			warns++
		} else {
			errs++
		}
		if g.Severity != sev || g.File != e.Pos.File || g.Line != e.Pos.Line || g.Column != e.Pos.Col || g.ResourceID != e.ResourceID || g.Message != e.Msg {
			t.Errorf("error %d read back as %+v, want %+v", i, g, e)
		}
	}
	if got.Summary.Errors != errs || got.Summary.Warnings != warns {
		t.Errorf("summary counts %d errors and %d warnings, want %d and %d", got.Summary.Errors, got.Summary.Warnings, errs, warns)
	}
}

// TestAppendString checks the hand-written string encoder against
// encoding/json's reading of it.
func TestAppendString(t *testing.T) {
	t.Parallel()
	inputs := []string{"", "plain", `quote " backslash \ slash /`, "ctl \x00\x01\x1f\x7f", "nl\n cr\r tab\t",
		"<html>&amp;", "ключ 🔑", "sep \u2028 \u2029", "bad \xff\xfe utf8", "\xed\xa0\x80 surrogate"}
	// Each byte that matters at each offset of a 17-byte string, so that
	// the eight-at-a-time scan meets it in every lane and in the tail.
	for _, c := range []string{"\x00", "\x1f", " ", "!", "\"", "#", "\\", "[", "]", "\x7f", "é", "\u2028", "\xff"} {
		for at := range 17 {
			inputs = append(inputs, strings.Repeat("a", at)+c+strings.Repeat("b", 16-at))
		}
	}
	for _, s := range inputs {
		got := appendString(nil, s)
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Errorf("appendString(%q) = %s: not a JSON string: %v", s, got, err)
			continue
		}
		if back != valid(s) {
			t.Errorf("appendString(%q) reads back as %q", s, back)
		}
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "a\"b", "\x00", "\u2028", "\xff", "ключ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var back string
		if err := json.Unmarshal(appendString(nil, s), &back); err != nil {
			t.Fatalf("not JSON: %v", err)
		}
		if !utf8.ValidString(s) {
			// encoding/json and appendString may split invalid runs
			// differently; both must give valid UTF-8.
			if !utf8.ValidString(back) {
				t.Fatalf("%q reads back as invalid UTF-8", s)
			}
			return
		}
		if back != s {
			t.Fatalf("%q reads back as %q", s, back)
		}
	})
}

func TestWriteError(t *testing.T) {
	t.Parallel()
	reporttest.CheckWriteError(t, Writer{})
}

func BenchmarkWriteJSON(b *testing.B) {
	reporttest.BenchmarkLarge(b, Writer{ToolVersion: reporttest.ToolVersion})
}

// TestComponentIDsInTwoParts: the assessor keeps a component's ID as its
// vault's prefix and its name, and the writer writes the two parts without
// joining them (the prefix escaped once per vault); the ID read back must
// be FullID, escapes included, in the prefix as in the name.
func TestComponentIDsInTwoParts(t *testing.T) {
	t.Parallel()
	var docs []*resource.Document
	for _, kv := range []string{"kv", `k"v\é`, "kv2"} {
		vault := &resource.Document{ID: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/" + kv, Type: resource.TypeVault, Name: kv,
			Body: map[string]any{"properties": map[string]any{}}, Source: resource.Provenance{Kind: "azure-json", File: "f.json", StartLine: 1, EndLine: 1}}
		docs = append(docs, vault)
		for _, name := range []string{"plain", `quo"te`, `back\slash`, "tab\there", "é", "line\u2028sep", "ctl\x01", "bad\xffutf8"} {
			d := resource.NewComponent(resource.TypeSecret, resource.Ref{ID: vault.ID}, vault.ID+"/secrets/"+name, name, resource.ObjectAttributes{Enabled: true}, nil)
			d.Source = resource.Provenance{Kind: "azure-json", File: "f.json", StartLine: 2, EndLine: 2}
			docs = append(docs, d)
		}
	}
	r := reporttest.Judge(t, docs)
	out := write(t, r)
	var got report
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	n := 0
	for i, a := range r.Assessments {
		for j := range a.Components {
			c := &a.Components[j]
			gc := (*got.Assessments[i].Components)[j]
			if prefix, _ := c.IDParts(); prefix == "" || prefix == c.FullID() {
				t.Errorf("%q: ID not kept in two parts", c.Name)
			}
			if gc.ID != valid(c.FullID()) {
				t.Errorf("component ID read back as %q, want %q", gc.ID, c.FullID())
			}
			if want := `{"id":` + string(appendString(nil, c.FullID())) + `,`; !bytes.Contains(out, []byte(want)) {
				t.Errorf("output lacks %s", want)
			}
			n++
		}
	}
	if n != 24 {
		t.Errorf("%d components written, want 24", n)
	}
}

// TestPiecesMatchOneByOne: assessments formatted in pieces by several
// goroutines come out byte for byte as formatted one after the other.
func TestPiecesMatchOneByOne(t *testing.T) {
	t.Parallel()
	r := reporttest.Large(t, 300, 40000)
	components := 0
	for a := range r.All() {
		components += assessmentWeight + len(a.Components)
	}
	if components < (3*piecesPerWorker+1)*pieceComponents { // with 3 workers
		t.Fatalf("only %d components: the window is never full", components)
	}
	var one, pieces buf
	formatAssessments(&one, r.All(), 0)
	writeAssessments(&pieces, r.All(), 3)
	if !bytes.Equal(one.b, pieces.b) {
		t.Errorf("pieces differ from one by one (%d and %d bytes)", len(pieces.b), len(one.b))
	}
	// With a writer, pieces of a chunk or more go to it whole (handOff).
	var out bytes.Buffer
	w := newBuf(&out)
	w.raw("[")
	writeAssessments(w, r.All(), 3)
	if err := w.close(); err != nil {
		t.Fatal(err)
	}
	if want := append([]byte("["), one.b...); !bytes.Equal(out.Bytes(), want) {
		t.Errorf("pieces written out differ from one by one (%d and %d bytes)", out.Len(), len(want))
	}
}

// TestLeanMatchesWhole: components kept compact by the assessor (a vault
// with more than a roll-up's worth of secrets, some odd: an exemption, a
// place in code) are written from their compact form byte for byte as
// from Components made whole.
func TestLeanMatchesWhole(t *testing.T) {
	t.Parallel()
	parent := resource.Ref{ID: reporttest.VaultID("kv-many")}
	vault := &resource.Document{ID: parent.ID, Type: resource.TypeVault, Name: "kv-many",
		Source: resource.Provenance{Kind: "azure", ReadAt: reporttest.Now},
		Body:   map[string]any{"id": parent.ID, "name": "kv-many", "type": resource.TypeVault, "location": "westeurope", "properties": map[string]any{}}}
	docs := []*resource.Document{vault}
	for i := range 150 {
		name := fmt.Sprintf("s-%03d", 149-i) // judged out of name order
		var expires any
		if i%3 != 0 {
			expires = "2030-01-01T00:00:00Z"
		}
		doc := resource.NewComponent(resource.TypeSecret, parent, parent.ID+"/secrets/"+name, name,
			resource.ObjectAttributes{Enabled: true, Expires: expires, Created: "2025-01-01T00:00:00Z"}, nil)
		switch i {
		case 6:
			doc.Source = resource.Provenance{Kind: "terraform", File: "main.tf", StartLine: 3, EndLine: 9, Address: "azurerm_key_vault_secret.s"}
		case 9:
			doc.Suppressions = []resource.Suppression{{RuleID: "keyvault-secret-expiry", Reason: "accepted"}}
		}
		docs = append(docs, doc)
	}
	r := reporttest.Judge(t, docs)
	compact := 0
	var whole []*assess.Assessment
	for a := range r.All() {
		whole = append(whole, a)
	}
	for a := range r.AllLean() {
		if a.Components == nil && a.NumComponents() > 0 {
			compact++
		}
	}
	if compact == 0 {
		t.Fatal("no assessment kept its components compact: the test reads nothing lean")
	}
	var lean, full buf
	formatAssessments(&lean, r.AllLean(), 0)
	formatAssessments(&full, slices.Values(whole), 0)
	if !bytes.Equal(lean.b, full.b) {
		t.Errorf("lean and whole differ (%d and %d bytes):\n%s\n%s", len(lean.b), len(full.b), lean.b, full.b)
	}
	if !bytes.Contains(full.b, []byte(`"exemption"`)) || !bytes.Contains(full.b, []byte(`"main.tf"`)) {
		t.Errorf("the odd components' exemption or place in code is missing:\n%s", full.b)
	}
}
