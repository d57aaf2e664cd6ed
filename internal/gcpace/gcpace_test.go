package gcpace

import (
	"math"
	"runtime"
	"runtime/debug"
	"testing"
)

func TestPercentFor(t *testing.T) {
	const mib = 1 << 20
	tests := []struct {
		budget, live uint64
		want         int
	}{
		{80 * mib, 0, maxPercent},              // nothing live yet: the most allowed
		{80 * mib, 5 * mib, maxPercent},        // 1500% would fit the budget: capped
		{80 * mib, 10 * mib, 700},              // grows to 80 MiB exactly
		{80 * mib, 20 * mib, 300},              // grows to 80 MiB exactly: the budget is the room (60 MiB) past live
		{80 * mib, 30 * mib, 200},              // past a quarter of the budget: grows by the room, to 90 MiB
		{80 * mib, 30*mib + 1, 199},            // rounds down
		{80 * mib, 40 * mib, 150},              // half the budget live: still the room, to 100 MiB
		{80 * mib, 59 * mib, 101},              // just under the room
		{80 * mib, 60 * mib, minPercent},       // the room live: the runtime's default
		{80 * mib, 200 * mib, minPercent},      // over the budget: never below the default
		{1, 1, minPercent},                     // a budget of one byte
		{^uint64(0), 1 << 40, maxPercent},      // no overflow at the extremes
		{^uint64(0), ^uint64(0) / 2, 149},      // nor here: grows by the room, ¾ of 2^64
		{100 * mib, 100*mib - 1, minPercent},   // live just under the budget, past the room
		{100 * mib, 25 * mib, 300},             // grows to 100 MiB exactly
		{64 * mib, 16 * mib, 300},              // grows to 64 MiB exactly
		{64 * mib, 8 * mib, 700},               // grows to 64 MiB exactly
		{64 * mib, 32 * mib, 150},              // half: grows by the room (48 MiB)
		{64 * mib, 48 * mib, minPercent},       // the room live
		{64 * mib, 64 * mib, minPercent},       // all of it
		{64 * mib, 1, maxPercent},              // a byte live
		{0, 0, maxPercent},                     // Start refuses a zero budget before asking
		{64 * mib, 64*mib + 1<<30, minPercent}, // far over
	}
	for _, tt := range tests {
		if got := percentFor(tt.budget, tt.live); got != tt.want {
			t.Errorf("percentFor(%d, %d) = %d, want %d", tt.budget, tt.live, got, tt.want)
		}
	}
}

func TestLimitFor(t *testing.T) {
	const mib = 1 << 20
	tests := []struct {
		limit, live uint64
		want        int64
	}{
		{160 * mib, 0, 160 * mib},            // nothing live: the limit
		{160 * mib, 60 * mib, 160 * mib},     // twice live fits: the limit
		{160 * mib, 80 * mib, 160 * mib},     // twice live is the limit
		{160 * mib, 96 * mib, 192 * mib},     // twice live is more
		{160 * mib, 128 * mib, 256 * mib},    // a saved estate judged at the end
		{1, 4, 8},                            // tiny
		{^uint64(0), 0, math.MaxInt64},       // capped at what the runtime takes
		{mib, ^uint64(0) / 2, math.MaxInt64}, // no overflow
	}
	for _, tt := range tests {
		if got := limitFor(tt.limit, tt.live); got != tt.want {
			t.Errorf("limitFor(%d, %d) = %d, want %d", tt.limit, tt.live, got, tt.want)
		}
	}
}

// The user's GOGC or GOMEMLIMIT wins: Start leaves the collector alone.
func TestUserSettingsWin(t *testing.T) {
	for _, name := range []string{"GOGC", "GOMEMLIMIT"} {
		before := debug.SetGCPercent(100)
		p := Start(64<<20, 128<<20, func(k string) string {
			if k == name {
				return "200"
			}
			return ""
		})
		if got := debug.SetGCPercent(before); got != 100 {
			t.Errorf("with %s set, the ratio became %d", name, got)
		}
		if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
			t.Errorf("with %s set, the memory limit became %d", name, got)
		}
		p.Stop()
		runtime.GC()
		if p.Cycles() != 0 {
			t.Errorf("with %s set, the pacer saw %d cycles", name, p.Cycles())
		}
	}
}

// After collections the pacer has set the ratio its formula gives for a
// small live heap (a test's), and Stop restores the old one.
func TestPacesAfterEachCycle(t *testing.T) {
	old := debug.SetGCPercent(150)
	defer debug.SetGCPercent(old)
	p := Start(1<<40, 1<<41, func(string) string { return "" })
	if got := debug.SetMemoryLimit(-1); got != 1<<41 {
		t.Errorf("memory limit %d after Start, want %d", got, int64(1<<41))
	}
	// The finalizer that paces runs on its own goroutine after a cycle:
	// collect until it has run, a bounded number of times.
	for i := 0; i < 1000 && p.Cycles() < 2; i++ {
		runtime.GC()
		runtime.Gosched()
	}
	if p.Cycles() < 2 {
		t.Fatalf("after 1000 collections the pacer saw %d", p.Cycles())
	}
	if p.Percent() != maxPercent {
		t.Errorf("ratio %d with a tiny live heap and a huge budget, want %d", p.Percent(), maxPercent)
	}
	p.Stop()
	if got := debug.SetGCPercent(old); got != 150 {
		t.Errorf("Stop left the ratio at %d, want the 150 in force before", got)
	}
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("Stop left the memory limit at %d, want none (the default)", got)
	}
	n := p.Cycles()
	for range 5 {
		runtime.GC()
		runtime.Gosched()
	}
	if p.Cycles() != n {
		t.Errorf("the pacer went on after Stop: %d cycles, then %d", n, p.Cycles())
	}
}
