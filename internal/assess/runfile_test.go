package assess

import (
	"cmp"
	"encoding/gob"
	"slices"
	"strings"
	"testing"
)

func intRuns(t *testing.T) *runFile[int] {
	t.Helper()
	return &runFile[int]{
		what: "numbers", bufSize: 64,
		encode: func(enc *gob.Encoder, x int) error { return enc.Encode(x) },
		decode: func(dec *gob.Decoder) (int, error) {
			var x int
			err := dec.Decode(&x)
			return x, err
		},
	}
}

// TestRunFileMerges holds the one external merge (runs of assessments and
// of messages use it) to the order sorting everything in memory gives.
func TestRunFileMerges(t *testing.T) {
	tests := []struct {
		name string
		runs [][]int
		tail []int
		stop int // yield returns false after this many (0: never)
		want []int
	}{
		{name: "no runs", tail: []int{1, 2, 3}, want: []int{1, 2, 3}},
		{name: "runs and tail", runs: [][]int{{1, 4, 7}, {2, 5, 8}}, tail: []int{3, 6, 9}, want: []int{1, 2, 3, 4, 5, 6, 7, 8, 9}},
		{name: "uneven, ties", runs: [][]int{{5}, {1, 1, 2, 9, 10, 11}, {}}, tail: []int{1}, want: []int{1, 1, 1, 2, 5, 9, 10, 11}},
		{name: "stopped", runs: [][]int{{1, 3}, {2, 4}}, stop: 3, want: []int{1, 2, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := intRuns(t)
			defer func() {
				if err := r.close(); err != nil {
					t.Error(err)
				}
			}()
			for _, run := range tt.runs {
				if err := r.write(t.TempDir(), run); err != nil {
					t.Fatal(err)
				}
			}
			if r.runs() != len(tt.runs) {
				t.Errorf("runs() = %d, want %d", r.runs(), len(tt.runs))
			}
			var got []int
			err := kMerge(r.sources(tt.tail), cmp.Compare[int], func(x int) bool {
				got = append(got, x)
				return tt.stop == 0 || len(got) < tt.stop
			})
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("merge = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

// TestRunFileReadError stops the merge at a run that cannot be read back
// and says so.
func TestRunFileReadError(t *testing.T) {
	r := intRuns(t)
	defer r.close()
	for _, run := range [][]int{{1, 3}, {2, 4}} {
		if err := r.write(t.TempDir(), run); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.f.WriteAt([]byte{0xff, 0xff, 0xff, 0xff}, r.sections[1][0]); err != nil {
		t.Fatal(err)
	}
	err := kMerge(r.sources(nil), cmp.Compare[int], func(int) bool { return true })
	if err == nil || !strings.Contains(err.Error(), "read spilled numbers back") {
		t.Errorf("merge error = %v, want one reading the numbers back", err)
	}
}
