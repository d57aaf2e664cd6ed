package saved

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/testsupport/synth"
)

// readCounts reads data and returns the reader's debug summary: documents,
// those the fast path built, the blocks read whole and the times block
// reading ended.
func readCounts(t *testing.T, r *Reader, data []byte) map[string]int64 {
	t.Helper()
	var logs bytes.Buffer
	r.log = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if err := r.ReadFrom(context.Background(), bytes.NewReader(data), "f.json", func(*resource.Document) {}); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(logs.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) != nil || m["msg"] != "read saved Azure JSON" {
			continue
		}
		out := map[string]int64{}
		for _, k := range []string{"documents", "fast", "blocks", "blockEnds"} {
			f, _ := m[k].(float64)
			out[k] = int64(f)
		}
		return out
	}
	t.Fatalf("no summary in the log:\n%s", logs.String())
	return nil
}

// TestBlocksReadAnEstate: a saved estate (one resource per line) is read
// in blocks of lines, every secret on the fast path, and block reading
// ends once per long array (at its closing bracket); an array written
// over many lines per element, or on one line, is read element by element
// after at most one block (TestParallelMatchesSequential holds all of them
// to the sequential read).
func TestBlocksReadAnEstate(t *testing.T) {
	t.Parallel()
	est := estate(t, synth.Config{Vaults: 60, Secrets: 6000, Keys: 300, Seed: 11})
	var elems []json.RawMessage
	var top struct {
		Resources []json.RawMessage `json:"resources"`
	}
	if err := json.Unmarshal(est, &top); err != nil {
		t.Fatal(err)
	}
	elems = top.Resources
	indented, err := json.MarshalIndent(elems, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	compact, err := json.Marshal(elems)
	if err != nil {
		t.Fatal(err)
	}
	cfg := parallelConfig{workers: 2, after: 0, chunk: 16}
	small := cfg
	small.blocks = 1000
	for _, tc := range []struct {
		name       string
		r          *Reader
		data       []byte
		wantBlocks bool // most of the input read in blocks
	}{
		{"estate", cfg.reader(Options{}), est, true},
		{"estate, small blocks", small.reader(Options{}), est, true},
		{"indented", small.reader(Options{}), indented, false},
		{"one line", cfg.reader(Options{}), compact, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := readCounts(t, tc.r, tc.data)
			t.Logf("%s: %v", tc.name, got)
			if got["documents"] < 6000 || got["fast"] < 6000 {
				t.Errorf("%v: want every secret read, on the fast path", got)
			}
			if tc.wantBlocks {
				if least := int64(len(tc.data) / (3 * max(tc.r.blockMax, 1))); got["blocks"] < least || got["blockEnds"] != 1 {
					t.Errorf("%v: want at least %d blocks and one end of block reading", got, least)
				}
			} else if got["blocks"] > 1 || got["blockEnds"] > 1 {
				t.Errorf("%v: want at most one block and one end", got)
			}
		})
	}
}
