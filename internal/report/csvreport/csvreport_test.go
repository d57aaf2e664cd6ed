package csvreport

import (
	"bytes"
	"encoding/csv"
	"slices"
	"testing"

	"github.com/kvguard/kvguard/internal/assess"
	"github.com/kvguard/kvguard/internal/report/reporttest"
	"github.com/kvguard/kvguard/internal/resource"
)

func TestGolden(t *testing.T) {
	t.Parallel()
	for _, c := range reporttest.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			r := c.Result(t)
			var buf bytes.Buffer
			if err := (Writer{}).Write(&buf, r); err != nil {
				t.Fatal(err)
			}
			// The golden helper reads files with LF endings (Git may check
			// them out with CRLF); checkRFC4180 checks the CRLFs.
			reporttest.Golden(t, c.Name, bytes.ReplaceAll(buf.Bytes(), []byte("\r\n"), []byte("\n")))
			checkRFC4180(t, buf.Bytes(), r)
		})
	}
}

// checkRFC4180 reads the report back with a strict reader: CRLF records,
// every record as wide as the header, one record per assessment, in order.
func checkRFC4180(t *testing.T, out []byte, r *assess.Result) {
	t.Helper()
	if !bytes.HasSuffix(out, []byte("\r\n")) || bytes.Count(out, []byte("\n")) != bytes.Count(out, []byte("\r\n")) {
		t.Error("records do not all end in CRLF")
	}
	cr := csv.NewReader(bytes.NewReader(out))
	cr.FieldsPerRecord = len(Columns)
	records, err := cr.ReadAll()
	if err != nil {
		t.Fatalf("the report is not RFC 4180 CSV: %v", err)
	}
	if !slices.Equal(records[0], Columns) {
		t.Errorf("header = %q", records[0])
	}
	i := 1
	for a := range r.All() {
		if i >= len(records) {
			t.Fatalf("%d records for more assessments", len(records)-1)
		}
		if got := records[i][4]; got != Cell(a.Resource.ID) {
			t.Errorf("record %d names %q, want %q", i, got, a.Resource.ID)
		}
		if got := records[i][3]; got != string(a.Status) {
			t.Errorf("record %d status %q, want %s", i, got, a.Status)
		}
		i++
	}
	if i != len(records) {
		t.Errorf("%d records, want %d", len(records)-1, i-1)
	}
}

func TestCell(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"kv-prod", "kv-prod"},
		{"=HYPERLINK(\"http://x\",\"y\")", "'=HYPERLINK(\"http://x\",\"y\")"},
		{"+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"},
		{"-2+3", "'-2+3"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\t=1", `\t=1`},
		{"\r=1", `\r=1`},
		{"a=b", "a=b"},
		{"", ""},
		{"line\nbreak", `line\nbreak`},
		{"bad \xff byte", `bad \xff byte`},
	}
	for _, tt := range tests {
		if got := Cell(tt.in); got != tt.want {
			t.Errorf("Cell(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestFormulaInjection writes a vault whose name, address and file would
// each run as a formula, and reads the cells back as a spreadsheet would.
func TestFormulaInjection(t *testing.T) {
	t.Parallel()
	id := reporttest.VaultID("kv-x")
	doc := &resource.Document{ID: id, Type: resource.TypeVault, Name: "=cmd|' /C calc'!A0",
		Source: resource.Provenance{Kind: "terraform", File: "@evil.tf", StartLine: 1, EndLine: 2, Address: "+azurerm_key_vault.x"},
		Body:   map[string]any{"id": id, "name": "x", "type": resource.TypeVault, "properties": map[string]any{"enableRbacAuthorization": false}}}
	var buf bytes.Buffer
	if err := (Writer{}).Write(&buf, reporttest.Judge(t, []*resource.Document{doc})); err != nil {
		t.Fatal(err)
	}
	records, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(records) < 2 {
		t.Fatal("no assessment rows")
	}
	for _, rec := range records[1:] {
		for i, cell := range rec {
			if cell != "" && (cell[0] == '=' || cell[0] == '+' || cell[0] == '-' || cell[0] == '@') {
				t.Errorf("column %s holds a formula: %q", Columns[i], cell)
			}
		}
		if rec[5] != "'=cmd|' /C calc'!A0" {
			t.Errorf("resource_name = %q, want the name behind an apostrophe", rec[5])
		}
	}
}

func TestWriteError(t *testing.T) {
	t.Parallel()
	reporttest.CheckWriteError(t, Writer{})
}

func BenchmarkWrite(b *testing.B) { reporttest.BenchmarkLarge(b, Writer{}) }
