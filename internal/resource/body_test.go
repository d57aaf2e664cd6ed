package resource

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestStripSecretValues(t *testing.T) {
	t.Parallel()
	b := map[string]any{"value": "x", "properties": map[string]any{"value": "y", "contentType": "z"}}
	StripSecretValues(b)
	if diff := cmp.Diff(map[string]any{"properties": map[string]any{"contentType": "z"}}, b); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestNormalizeNumbers(t *testing.T) {
	t.Parallel()
	got := NormalizeNumbers([]any{json.Number("3"), json.Number("2.5"), json.Number("1e400"), map[string]any{"n": json.Number("-7")}})
	want := []any{int64(3), 2.5, "1e400", map[string]any{"n": int64(-7)}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
