//go:build race

package jobs_test

// raceEnabled shrinks the estates of the process tests under -race, whose
// instrumentation makes every request several times slower.
const raceEnabled = true
