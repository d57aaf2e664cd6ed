package reporttest

import (
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/kvguard/kvguard/internal/assess"
)

// writer is what every format package implements (report.Writer, which
// this package does not import: report imports the formats).
type writer interface {
	Write(w io.Writer, r *assess.Result) error
}

type failingWriter struct{}

var errDiskFull = errors.New("disk full")

func (failingWriter) Write([]byte) (int, error) { return 0, errDiskFull }

// CheckWriteError asserts that a writer reports its destination's error
// rather than losing the report silently.
func CheckWriteError(t *testing.T, w writer) {
	t.Helper()
	err := w.Write(failingWriter{}, Judge(t, Estate(0)))
	if err == nil || !strings.Contains(err.Error(), errDiskFull.Error()) {
		t.Errorf("Write = %v, want the destination's error", err)
	}
}

type countingWriter int64

func (c *countingWriter) Write(p []byte) (int, error) {
	*c += countingWriter(len(p))
	return len(p), nil
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// BenchmarkLarge writes the large synthetic result (10,000 vaults,
// 1,000,000 components) once per iteration, reporting bytes per second.
func BenchmarkLarge(b *testing.B, w writer) {
	r := Large(b, 10000, 1000000)
	var size countingWriter
	if err := w.Write(&size, r); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := w.Write(discard{}, r); err != nil {
			b.Fatal(err)
		}
	}
}

// Edited decodes a valid report, applies edit to it and encodes it again,
// for tests that show a schema rejects what a consumer could break on.
func Edited(t *testing.T, valid []byte, edit func(map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(valid, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
