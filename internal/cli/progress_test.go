package cli

import (
	"bytes"
	"testing"
	"time"

	"github.com/kvguard/kvguard/internal/resource"
)

// TestProgressLine: the counts and the rate, with an injected clock.
func TestProgressLine(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := start.Add(2 * time.Second)
	p := &progress{start: start, now: func() time.Time { return now }, files: map[string]struct{}{}, phase: "reading"}
	add := p.wrap(func(*resource.Document) {})
	for i := range 10 {
		add(&resource.Document{ID: "x", Source: resource.Provenance{File: []string{"a.tf", "b.tf", "a.tf"}[i%3]}})
	}
	add(nil)
	if got, want := p.line(), "kvguard: reading: 2 files, 10 resources (5/s), 2s"; got != want {
		t.Errorf("line %q, want %q", got, want)
	}
	p.judging()
	if got, want := p.line(), "kvguard: judging: 2 files, 10 resources (5/s), 2s"; got != want {
		t.Errorf("line %q, want %q", got, want)
	}
}

// TestNoProgressInPipes: tests run kvguard with stderr in a buffer (not
// a terminal): no progress line, no escape sequence.
func TestNoProgressInPipes(t *testing.T) {
	t.Parallel()
	if p := startProgress(&bytes.Buffer{}, false); p != nil {
		t.Error("a progress display started though disabled")
	}
	_, out, errOut := runCLI(t, []string{"scan", "../../examples"}, "")
	if bytes.ContainsAny([]byte(out+errOut), "\r\x1b") {
		t.Errorf("a control sequence in a pipe:\n%q", errOut)
	}
}
