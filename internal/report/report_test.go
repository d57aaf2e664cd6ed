package report

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/kvguard/kvguard/internal/report/reporttest"
)

// This package has no golden files, but `go test ./... -update` passes
// the flag to every test binary.

// jsonFormats are the formats whose output is one JSON document.
var jsonFormats = map[string]bool{"json": true, "sarif": true}

// jsonLines are the formats that write one JSON document per line.
var jsonLines = map[string]bool{"ocsf": true}

// TestEveryFormatWrites walks the registry: each format writes each
// synthetic result, and the machine formats write JSON.
func TestEveryFormatWrites(t *testing.T) {
	t.Parallel()
	for _, f := range All() {
		for _, c := range reporttest.Cases() {
			t.Run(f.ID+"/"+c.Name, func(t *testing.T) {
				t.Parallel()
				var buf bytes.Buffer
				if err := f.New(Options{ToolVersion: reporttest.ToolVersion}).Write(&buf, c.Result(t)); err != nil {
					t.Fatal(err)
				}
				if buf.Len() == 0 && !jsonLines[f.ID] {
					// An event stream of an empty scan is empty.
					t.Fatal("no output")
				}
				if jsonLines[f.ID] {
					for line := range strings.Lines(buf.String()) {
						if !json.Valid([]byte(line)) {
							t.Errorf("%s line is not JSON: %s", f.ID, line)
						}
					}
				}
				if jsonFormats[f.ID] && !json.Valid(buf.Bytes()) {
					t.Errorf("%s output is not JSON", f.ID)
				}
			})
		}
	}
}

func TestLookup(t *testing.T) {
	t.Parallel()
	if got := All()[0].ID; got != "table" {
		t.Errorf("the default format is %q, want table", got)
	}
	if ids := IDs(); !slices.Equal(ids, []string{"csv", "html", "json", "junit", "markdown", "ocsf", "sarif", "table"}) {
		t.Errorf("IDs() = %q", ids)
	}
	tests := []struct {
		name, want string
	}{
		{"table", "table"}, {"TEXT", "table"}, {"json", "json"}, {"Sarif", "sarif"}, {"md", "markdown"},
	}
	for _, tt := range tests {
		f, err := Lookup(tt.name)
		if err != nil || f.ID != tt.want {
			t.Errorf("Lookup(%q) = %q, %v; want %q", tt.name, f.ID, err, tt.want)
		}
	}
	_, err := Lookup("xml")
	if err == nil || !strings.Contains(err.Error(), "csv, html, json, junit, markdown, ocsf, sarif, table") {
		t.Errorf("Lookup(xml) = %v, want an error listing the formats", err)
	}
	seen := map[string]bool{}
	for _, f := range All() {
		for _, name := range append([]string{f.ID}, f.Aliases...) {
			if seen[strings.ToLower(name)] {
				t.Errorf("format name %q used twice", name)
			}
			seen[strings.ToLower(name)] = true
		}
		if f.Description == "" || f.New == nil {
			t.Errorf("format %s lacks a description or a writer", f.ID)
		}
	}
}
