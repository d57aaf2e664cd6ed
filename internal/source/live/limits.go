package live

import (
	"context"
	"math"
	"sync"
	"time"
)

// Azure's published limits, which the client-side limiter matches so that
// a scan rarely meets a 429 (reference: learn.microsoft.com, "Azure
// Resource Manager request limits and throttling", "Guidance for throttled
// requests in Azure Resource Graph", "Azure Key Vault service limits").
const (
	// ARMReadBurst and ARMReadRate: ARM's read token bucket per
	// subscription and principal (and per tenant for tenant-level reads).
	ARMReadBurst = 250
	ARMReadRate  = 25.0 // tokens per second
	// GraphQueries per GraphWindow: Resource Graph's quota per principal.
	GraphQueries = 15
	GraphWindow  = 5 * time.Second
	// VaultOps per VaultWindow: Key Vault's data-plane limit per vault; a
	// subscription's vaults together get 5 times as much.
	VaultOps    = 4000
	VaultWindow = 10 * time.Second
)

// ThrottleLowerBound is the least time Azure's published limits allow for
// a scan that makes reads[s] ARM reads against each subscription s,
// tenantReads tenant-level ARM reads and graphQueries Resource Graph
// queries, starting with every bucket full:
//
//	T = max( max_s (reads[s] − B)⁺ / r,  (tenantReads − B)⁺ / r,  (⌈graphQueries / Q⌉ − 1) · W )
//
// with B = 250 tokens and r = 25 per second (ARM's read bucket), Q = 15
// queries per W = 5 s (Resource Graph). Each subscription's bucket drains
// independently, so the slowest one decides; the data plane's 4,000
// transactions per 10 s per vault never binds a scan and is left out.
// Latency is not counted: this is the floor the limits alone impose.
func ThrottleLowerBound(reads []int, tenantReads, graphQueries int) time.Duration {
	return ReadLimit{}.LowerBound(reads, tenantReads, graphQueries)
}

// ReadLimit is ARM's read token bucket as the client-side limiter
// assumes it: Burst reads at once, refilled at Rate per second, per
// subscription (and once for tenant-level reads). The zero value is
// Azure's published 250 and 25 per second. Other values are for clouds
// whose limits differ (Azure Stack Hub, a national cloud that changes
// them) and for a simulator throttling tighter than Azure, where a
// limiter paced for Azure's bucket would meet a 429 on most reads.
type ReadLimit struct {
	Burst int
	Rate  float64
}

// orAzure is l with Azure's figures in place of unset ones.
func (l ReadLimit) orAzure() ReadLimit {
	if l.Burst <= 0 {
		l.Burst = ARMReadBurst
	}
	if l.Rate <= 0 {
		l.Rate = ARMReadRate
	}
	return l
}

// LowerBound is ThrottleLowerBound with ARM's bucket taken from l.
func (l ReadLimit) LowerBound(reads []int, tenantReads, graphQueries int) time.Duration {
	l = l.orAzure()
	over := func(n int) float64 { return math.Max(0, float64(n-l.Burst)) / l.Rate }
	t := over(tenantReads)
	for _, n := range reads {
		t = math.Max(t, over(n))
	}
	if graphQueries > 0 {
		windows := (graphQueries + GraphQueries - 1) / GraphQueries
		t = math.Max(t, float64(windows-1)*GraphWindow.Seconds())
	}
	return time.Duration(t * float64(time.Second))
}

// bucket is a client-side token bucket with reservations: a caller takes
// a token now (the level may go below zero) and waits until the refill
// has paid for it, so that waiters are served in order without polling.
// A 429 blocks the bucket until its Retry-After has passed.
//
// It keeps margin tokens of Azure's bucket in hand: requests paced evenly
// here can reach Azure bunched (a pause in the client or the network),
// and a few tokens of headroom there absorb that instead of a 429, for
// the price of margin/rate seconds once.
type bucket struct {
	mu       sync.Mutex
	capacity float64
	rate     float64
	margin   float64
	tokens   float64
	last     time.Time
	blocked  time.Time
}

func newBucket(capacity, rate float64) *bucket {
	margin := math.Min(5, capacity/10)
	return &bucket{capacity: capacity - margin, rate: rate, margin: margin, tokens: capacity - margin, last: time.Now()}
}

func (b *bucket) refill(now time.Time) {
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens = math.Min(b.capacity, b.tokens+el*b.rate)
		b.last = now
	}
}

// reserve takes a token and returns how long the caller must wait for it.
func (b *bucket) reserve(now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refill(now)
	b.tokens--
	var wait time.Duration
	if b.tokens < 0 {
		wait = time.Duration(-b.tokens / b.rate * float64(time.Second))
	}
	if d := b.blocked.Sub(now); d > wait {
		wait = d
	}
	return wait
}

// observe lowers the level to what the server says remains, when the
// server knows of more use than we do (another scanner under the same
// principal, a request the HTTP client retried by itself).
func (b *bucket) observe(remaining int, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refill(now)
	if r := float64(remaining) - b.margin; r < b.tokens {
		b.tokens = r
	}
}

// block refuses every token until until, after a 429.
func (b *bucket) block(until time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if until.After(b.blocked) {
		b.blocked = until
	}
	b.tokens = math.Min(b.tokens, 0)
}

// gate is Resource Graph's quota as its headers report it: when no query
// remains, nothing is sent until the window resets.
type gate struct {
	mu    sync.Mutex
	until time.Time
}

func (g *gate) wait() time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	return time.Until(g.until)
}

func (g *gate) closeUntil(t time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if t.After(g.until) {
		g.until = t
	}
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
