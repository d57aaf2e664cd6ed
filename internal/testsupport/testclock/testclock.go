// Package testclock is the injected clock kvguard's tests move instead of
// sleeping: what a test asserts about time never depends on how fast a
// loaded machine runs it.
package testclock

import (
	"sync"
	"time"
)

// Clock is a clock that stands still until a test moves it; safe for the
// goroutines of the code under test.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// New returns a clock at 2026-11-01 12:00 UTC.
func New() *Clock { return At(time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)) }

// At returns a clock at t.
func At(t time.Time) *Clock { return &Clock{t: t} }

// Now is the clock's instant (pass it where the code takes a func() time.Time).
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
