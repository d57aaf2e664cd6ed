package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kvguard/kvguard/internal/azuresim"
)

// TestLiveReasonsSayA403Once: the simulator serving a snapshot
// (examples/estate.json, as the README's demo does) answers a recorded
// 403 as Azure gave it, so a live scan's reasons say it once, word for
// word as the snapshot recorded it; before, the simulator wrapped the
// whole recorded error in a 403 of its own and every reason said it twice.
func TestLiveReasonsSayA403Once(t *testing.T) {
	example := filepath.Join("..", "..", "examples", "estate.json")
	est, err := azuresim.LoadEstate(example)
	if err != nil {
		t.Fatal(err)
	}
	_, cloud := startSimulator(t, est, azuresim.Options{})
	code, out, stderr := runKvguard(t, "scan", "--azure", "--cloud", cloud, "--auth", "client-secret", "--format", "json", "--fail-on", "none")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep struct {
		Assessments []struct{ Reason string }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	forbidden := 0
	for _, a := range rep.Assessments {
		if n := strings.Count(a.Reason, "403"); n > 1 || strings.Count(a.Reason, "does not have authorization") > 1 {
			t.Errorf("a reason says its 403 %d times: %s", n, a.Reason)
		}
		if strings.Contains(a.Reason, "403 AuthorizationFailed") {
			forbidden++
		}
	}
	if forbidden == 0 {
		t.Error("no reason gives the recorded 403: the example estate's forbidden parts were not served")
	}
}
