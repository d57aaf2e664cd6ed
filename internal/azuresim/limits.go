package azuresim

import (
	"math"
	"sync"
	"time"
)

// Limits are the throttling limits the simulator enforces when
// Options.Throttle is set. The zero value of a field means Azure's
// published value (DefaultLimits).
type Limits struct {
	// ARMReadBurst and ARMReadRate are the token bucket of Azure Resource
	// Manager reads per subscription and principal: 250 tokens, refilled
	// at 25 per second.
	ARMReadBurst int
	ARMReadRate  float64
	// TenantReadBurst and TenantReadRate are the same bucket for
	// tenant-level reads (the subscription list, management groups).
	TenantReadBurst int
	TenantReadRate  float64
	// GraphQueries per GraphWindow is Resource Graph's quota per
	// principal: 15 queries per 5-second window.
	GraphQueries int
	GraphWindow  time.Duration
	// VaultOps per VaultWindow is the Key Vault data-plane limit per
	// vault: 4,000 transactions per 10 seconds.
	VaultOps    int
	VaultWindow time.Duration
}

// DefaultLimits are Azure's published limits (learn.microsoft.com: "Azure
// Resource Manager request limits and throttling", "Guidance for throttled
// requests in Azure Resource Graph", "Azure Key Vault service limits").
var DefaultLimits = Limits{
	ARMReadBurst:    250,
	ARMReadRate:     25,
	TenantReadBurst: 250,
	TenantReadRate:  25,
	GraphQueries:    15,
	GraphWindow:     5 * time.Second,
	VaultOps:        4000,
	VaultWindow:     10 * time.Second,
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.ARMReadBurst > 0 {
		d.ARMReadBurst = l.ARMReadBurst
	}
	if l.ARMReadRate > 0 {
		d.ARMReadRate = l.ARMReadRate
	}
	if l.TenantReadBurst > 0 {
		d.TenantReadBurst = l.TenantReadBurst
	}
	if l.TenantReadRate > 0 {
		d.TenantReadRate = l.TenantReadRate
	}
	if l.GraphQueries > 0 {
		d.GraphQueries = l.GraphQueries
	}
	if l.GraphWindow > 0 {
		d.GraphWindow = l.GraphWindow
	}
	if l.VaultOps > 0 {
		d.VaultOps = l.VaultOps
	}
	if l.VaultWindow > 0 {
		d.VaultWindow = l.VaultWindow
	}
	return d
}

// bucket is a token bucket as ARM describes its regional throttling: it
// starts full, refills continuously, and a request that finds it empty is
// refused with the time until the next token.
type bucket struct {
	capacity float64
	rate     float64
	tokens   float64
	last     time.Time
}

func newBucket(capacity int, rate float64, now time.Time) *bucket {
	return &bucket{capacity: float64(capacity), rate: rate, tokens: float64(capacity), last: now}
}

// take removes one token. It returns whether it could, the tokens left
// (rounded down) and, when refused, how long until a token is back.
func (b *bucket) take(now time.Time) (ok bool, remaining int, retryAfter time.Duration) {
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens = math.Min(b.capacity, b.tokens+el*b.rate)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, int(b.tokens), 0
	}
	wait := time.Duration((1 - b.tokens) / b.rate * float64(time.Second))
	return false, 0, wait
}

// window is Resource Graph's quota: at most n queries in a window that
// starts with the first query after the previous window ended.
type window struct {
	n     int
	size  time.Duration
	start time.Time
	used  int
}

// take counts one query. It returns whether it is allowed, the quota left
// and the time until the window resets (the x-ms-user-quota-* headers).
func (w *window) take(now time.Time) (ok bool, remaining int, resetsAfter time.Duration) {
	if w.start.IsZero() || now.Sub(w.start) >= w.size {
		w.start, w.used = now, 0
	}
	reset := w.size - now.Sub(w.start)
	if w.used >= w.n {
		return false, 0, reset
	}
	w.used++
	return true, w.n - w.used, reset
}

// limiter holds every bucket and window of a simulator, keyed by scope.
type limiter struct {
	mu      sync.Mutex
	limits  Limits
	buckets map[string]*bucket
	windows map[string]*window
}

func newLimiter(l Limits) *limiter {
	return &limiter{limits: l.withDefaults(), buckets: map[string]*bucket{}, windows: map[string]*window{}}
}

// armRead takes a read token for key (subscription and principal, or the
// tenant and principal).
func (l *limiter) armRead(key string, tenantLevel bool, now time.Time) (bool, int, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		if tenantLevel {
			b = newBucket(l.limits.TenantReadBurst, l.limits.TenantReadRate, now)
		} else {
			b = newBucket(l.limits.ARMReadBurst, l.limits.ARMReadRate, now)
		}
		l.buckets[key] = b
	}
	return b.take(now)
}

// graph counts one Resource Graph query of principal.
func (l *limiter) graph(principal string, now time.Time) (bool, int, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.windows[principal]
	if w == nil {
		w = &window{n: l.limits.GraphQueries, size: l.limits.GraphWindow}
		l.windows[principal] = w
	}
	return w.take(now)
}

// vault takes a data-plane token of the vault host.
func (l *limiter) vault(host string, now time.Time) (bool, int, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	key := "kv:" + host
	b := l.buckets[key]
	if b == nil {
		rate := float64(l.limits.VaultOps) / l.limits.VaultWindow.Seconds()
		b = newBucket(l.limits.VaultOps, rate, now)
		l.buckets[key] = b
	}
	return b.take(now)
}
