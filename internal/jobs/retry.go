package jobs

import (
	"math/rand/v2"
	"time"

	"github.com/riverqueue/river/rivertype"
)

// retryPolicy waits 2^(attempt-1) seconds before a failed job's next
// attempt, at most max, less up to a tenth at random so that jobs that
// failed together do not all come back at once.
type retryPolicy struct{ max time.Duration }

// NextRetry implements river.ClientRetryPolicy.
func (p retryPolicy) NextRetry(job *rivertype.JobRow) time.Time {
	return time.Now().UTC().Add(p.wait(job.Attempt, rand.Float64())) //nolint:gosec // jitter, not a secret
}

// wait is the delay after attempt (1, 2, …), with jitter in [0, 1).
func (p retryPolicy) wait(attempt int, jitter float64) time.Duration {
	d := p.max
	if attempt >= 1 && attempt <= 30 {
		d = min(time.Duration(1<<(attempt-1))*time.Second, p.max)
	}
	return d - time.Duration(jitter*float64(d)/10)
}
