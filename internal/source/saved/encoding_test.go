package saved

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/google/go-cmp/cmp"

	"github.com/kvguard/kvguard/internal/resource"
)

const psVault = "[\r\n    {\r\n        \"Id\": \"/subscriptions/s1/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-ünïcode\",\r\n" +
	"        \"Properties\": {\"enableSoftDelete\": true}, \"Tags\": {\"note\": \"😀\"}\r\n    }\r\n]\r\n"

func utf16Bytes(s string, bigEndian bool) []byte {
	var b bytes.Buffer
	if bigEndian {
		b.Write([]byte{0xFE, 0xFF})
	} else {
		b.Write([]byte{0xFF, 0xFE})
	}
	for _, u := range utf16.Encode([]rune(s)) {
		if bigEndian {
			b.Write([]byte{byte(u >> 8), byte(u)})
		} else {
			b.Write([]byte{byte(u), byte(u >> 8)})
		}
	}
	return b.Bytes()
}

// TestEncodings reads what Windows tools write: a UTF-8 byte-order mark
// (PowerShell 7 Out-File -Encoding utf8BOM) and UTF-16 with a mark
// (Windows PowerShell 5.1 "> file"), with the same documents and lines.
func TestEncodings(t *testing.T) {
	t.Parallel()
	for name, in := range map[string][]byte{
		"utf8":     []byte(psVault),
		"utf8 BOM": append([]byte{0xEF, 0xBB, 0xBF}, psVault...),
		"utf16le":  utf16Bytes(psVault, false),
		"utf16be":  utf16Bytes(psVault, true),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var docs []*resource.Document
			err := New(Options{}).ReadFrom(t.Context(), bytes.NewReader(in), "ps.json", func(d *resource.Document) { docs = append(docs, d) })
			if err != nil {
				t.Fatal(err)
			}
			if len(docs) != 1 {
				t.Fatalf("got %d documents", len(docs))
			}
			d := docs[0]
			if d.Name != "kv-ünïcode" || d.Source.StartLine != 2 || d.Source.EndLine != 5 {
				t.Errorf("got %s lines %d-%d", d.Name, d.Source.StartLine, d.Source.EndLine)
			}
			if diff := cmp.Diff(map[string]any{"note": "😀"}, d.Body["tags"]); diff != "" {
				t.Errorf("tags (-want +got):\n%s", diff)
			}
		})
	}
}

// TestOddUTF16 reports a UTF-16 file cut in the middle of a code unit.
func TestOddUTF16(t *testing.T) {
	t.Parallel()
	in := utf16Bytes(`[{"id": "https://kv.vault.azure.net/secrets/a"}]`, false)
	err := New(Options{}).ReadFrom(t.Context(), bytes.NewReader(in[:len(in)-1]), "odd.json", func(*resource.Document) {})
	errs, _ := splitErrors(t, err)
	if len(errs) != 1 || !strings.Contains(errs[0], "odd number of bytes") {
		t.Fatalf("got %q", errs)
	}
}

type failingReader struct{ r io.Reader }

func (f failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if errors.Is(err, io.EOF) {
		return n, errors.New("connection reset by peer")
	}
	return n, err
}

// TestReadError reports an I/O error mid-file at the place reached,
// keeping what was read before it.
func TestReadError(t *testing.T) {
	t.Parallel()
	in := "[{\"id\": \"https://kv.vault.azure.net/secrets/a\"},\n{\"id\": \"https://kv.vault.azure.net/secrets/b\""
	var n int
	err := New(Options{}).ReadFrom(t.Context(), failingReader{strings.NewReader(in)}, "net.json", func(*resource.Document) { n++ })
	errs, _ := splitErrors(t, err)
	want := []string{"net.json:2:46: read error: connection reset by peer; the rest of the file was not read"}
	if diff := cmp.Diff(want, errs); diff != "" || n != 1 {
		t.Errorf("%d documents; errors (-want +got):\n%s", n, diff)
	}
}

// TestMissingFile names the path.
func TestMissingFile(t *testing.T) {
	t.Parallel()
	err := New(Options{}).Read(t.Context(), "testdata/no-such-file.json", func(*resource.Document) {})
	errs, _ := splitErrors(t, err)
	want := []string{"testdata/no-such-file.json: stat: no such file or directory"}
	if diff := cmp.Diff(want, errs); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestPanicBecomesInputError: a panic in the caller's emit (standing in
// for any bug) is recovered at the reader's boundary and names the file.
func TestPanicBecomesInputError(t *testing.T) {
	t.Parallel()
	err := New(Options{}).ReadFrom(t.Context(), strings.NewReader(`{"id": "https://kv.vault.azure.net/secrets/a"}`), "p.json",
		func(*resource.Document) { panic("boom") })
	errs, _ := splitErrors(t, err)
	want := []string{"p.json: internal error while reading this file (please report it): boom"}
	if diff := cmp.Diff(want, errs); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
