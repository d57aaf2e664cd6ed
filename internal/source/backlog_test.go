package source

import (
	"fmt"
	"strings"
	"testing"
)

// The backlog gives back what it was given, in order, across chunks (by
// count and by bytes, a path longer than a chunk included), and drops
// the chunks it has given out.
func TestBacklogIsFirstInFirstOut(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", backlogBytes+10)
	tests := []struct {
		name string
		ins  []Input
	}{
		{"empty", nil},
		{"one", []Input{{Path: "a.tf", Kind: TerraformModule}}},
		{"kinds and found", []Input{{Path: "a", Kind: ARMTemplate}, {Path: "b.json", Kind: AzureJSON, Found: true}, {Path: "", Kind: Bicep}, {Path: "c", Kind: ARMTemplate}}},
		{"many records", inputs(3*backlogRecs+7, func(i int) string { return fmt.Sprintf("r%d/main.tf", i) })},
		{"many bytes", inputs(40, func(i int) string { return strings.Repeat(fmt.Sprint(i%10), 4000) })},
		{"a path longer than a chunk", []Input{{Path: "before", Kind: Bicep}, {Path: long, Kind: Bicep}, {Path: "after", Kind: Bicep}}},
	}
	for _, tt := range tests {
		var b backlog
		// Half in, a few out, the rest in: taking and adding interleave.
		half := len(tt.ins) / 2
		for _, in := range tt.ins[:half] {
			b.add(in)
		}
		var got []Input
		for range min(3, half) {
			in, ok := b.take()
			if !ok {
				t.Fatalf("%s: empty after %d of %d", tt.name, len(got), half)
			}
			got = append(got, in)
		}
		for _, in := range tt.ins[half:] {
			b.add(in)
		}
		for {
			in, ok := b.take()
			if !ok {
				break
			}
			got = append(got, in)
		}
		if len(got) != len(tt.ins) {
			t.Fatalf("%s: %d inputs back, want %d", tt.name, len(got), len(tt.ins))
		}
		for i := range got {
			if got[i] != tt.ins[i] {
				t.Errorf("%s: input %d is %.40q %s %v, want %.40q %s %v", tt.name, i, got[i].Path, got[i].Kind, got[i].Found, tt.ins[i].Path, tt.ins[i].Kind, tt.ins[i].Found)
				break
			}
		}
		if len(b.chunks) > 1 {
			t.Errorf("%s: %d chunks kept once empty, want at most one", tt.name, len(b.chunks))
		}
		if _, ok := b.take(); ok {
			t.Errorf("%s: an input after the last", tt.name)
		}
	}
}

func inputs(n int, path func(int) string) []Input {
	out := make([]Input, n)
	for i := range out {
		out[i] = Input{Path: path(i), Kind: TerraformModule, Found: i%3 == 0}
	}
	return out
}
