package jobs

import (
	"testing"
	"time"
)

func TestRetryPolicyWait(t *testing.T) {
	p := retryPolicy{max: 5 * time.Minute}
	for _, tc := range []struct {
		attempt int
		jitter  float64
		want    time.Duration
	}{
		{1, 0, time.Second},
		{2, 0, 2 * time.Second},
		{4, 0, 8 * time.Second},
		{4, 0.5, 7600 * time.Millisecond},
		{9, 0, 256 * time.Second},
		{10, 0, 5 * time.Minute}, // 512 s, capped
		{25, 0, 5 * time.Minute},
		{100, 0, 5 * time.Minute}, // no overflow
		{0, 0, 5 * time.Minute},
	} {
		if got := p.wait(tc.attempt, tc.jitter); got != tc.want {
			t.Errorf("wait(%d, %v) = %v, want %v", tc.attempt, tc.jitter, got, tc.want)
		}
	}
}
