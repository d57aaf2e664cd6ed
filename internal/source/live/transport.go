package live

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

// meter is the transport under every SDK client of a scan. It paces
// requests with client-side limits that match Azure's, gives each request
// its own time limit (after the pacing wait, so that waiting for a token
// never times a request out), learns from throttling headers, and counts
// what happened for the summary and the progress display.
//
// It sits below azcore's retry policy, so every try (and every data-plane
// challenge round trip) passes through it.
type meter struct {
	next      policy.Transporter
	armHost   string
	timeout   time.Duration
	retryable map[int]bool

	mu     sync.Mutex
	subs   map[string]*bucket
	vaults map[string]*bucket
	// vaultSub maps a vault host to its subscription, whose data-plane
	// bucket (dataSubs) all its vaults share.
	vaultSub map[string]string
	dataSubs map[string]*bucket
	arm      ReadLimit // ARM's read bucket per subscription and for the tenant
	tenant   *bucket
	graph    *bucket
	graphQ   gate
	perSub   map[string]int // reads sent per subscription, for the bound
	tenantN  int
	graphN   int

	requests  atomic.Int64
	retries   atomic.Int64
	throttled atomic.Int64
	waitNanos atomic.Int64
}

func newMeter(next policy.Transporter, armEndpoint string, timeout time.Duration, arm ReadLimit) *meter {
	arm = arm.orAzure()
	host := armEndpoint
	if i := strings.Index(host, "://"); i >= 0 {
		host = host[i+3:]
	}
	host = strings.ToLower(strings.TrimRight(host, "/"))
	if i := strings.Index(host, "/"); i >= 0 {
		host = host[:i]
	}
	return &meter{
		next: next, armHost: host, timeout: timeout,
		retryable: map[int]bool{408: true, 429: true, 500: true, 502: true, 503: true, 504: true},
		subs:      map[string]*bucket{}, vaults: map[string]*bucket{},
		vaultSub: map[string]string{}, dataSubs: map[string]*bucket{},
		arm:    arm,
		tenant: newBucket(float64(arm.Burst), arm.Rate),
		// Resource Graph: at most 15 queries in 5 s. A bucket of 15 that
		// refills 3 per second could still put 30 queries into one window,
		// so the quota headers (graphQ) have the last word.
		graph:  newBucket(GraphQueries, float64(GraphQueries)/GraphWindow.Seconds()),
		perSub: map[string]int{},
	}
}

// route says which limit a request falls under.
type route struct {
	kind string // "sub", "tenant", "graph", "vault"
	key  string // subscription ID or vault host
}

var reSubPath = regexp.MustCompile(`(?i)^/subscriptions/([^/]+)/.+`)

func (m *meter) classify(req *http.Request) route {
	host := strings.ToLower(req.URL.Host)
	if host != m.armHost {
		return route{kind: "vault", key: strings.ToLower(req.URL.Hostname())}
	}
	p := req.URL.Path
	if strings.HasPrefix(strings.ToLower(p), "/providers/microsoft.resourcegraph/") {
		return route{kind: "graph"}
	}
	if mm := reSubPath.FindStringSubmatch(p); mm != nil {
		return route{kind: "sub", key: strings.ToLower(mm[1])}
	}
	return route{kind: "tenant"}
}

// registerVault says which subscription a vault host belongs to, for
// Key Vault's subscription-wide data-plane limit (5× the per-vault one).
func (m *meter) registerVault(host, sub string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.vaultSub[strings.ToLower(host)] = strings.ToLower(sub)
}

// dataSubBucket is the subscription-wide data-plane bucket of a vault
// host, or nil when its subscription is unknown.
func (m *meter) dataSubBucket(host string) *bucket {
	m.mu.Lock()
	defer m.mu.Unlock()
	sub, ok := m.vaultSub[host]
	if !ok {
		return nil
	}
	b := m.dataSubs[sub]
	if b == nil {
		b = newBucket(5*VaultOps, 5*VaultOps/VaultWindow.Seconds())
		m.dataSubs[sub] = b
	}
	return b
}

func (m *meter) bucketFor(r route) *bucket {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch r.kind {
	case "sub":
		m.perSub[r.key]++
		b := m.subs[r.key]
		if b == nil {
			b = newBucket(float64(m.arm.Burst), m.arm.Rate)
			m.subs[r.key] = b
		}
		return b
	case "vault":
		b := m.vaults[r.key]
		if b == nil {
			b = newBucket(VaultOps, VaultOps/VaultWindow.Seconds())
			m.vaults[r.key] = b
		}
		return b
	case "graph":
		m.graphN++
		return m.graph
	}
	m.tenantN++
	return m.tenant
}

// callKey marks a context with the state of one SDK call, so that the
// meter can tell a retry from a first try or a challenge round trip.
type callKey struct{}

type callState struct {
	tries         int
	lastRetryable bool
}

// pageKey marks the context of a list call whose page kvguard decodes
// itself (see callPolicy).
type pageKey struct{}

// pageHolder receives the items of a page decoded by callPolicy: the
// objects of its member (default "value"; "data" for Resource Graph).
type pageHolder struct {
	member  string
	items   []map[string]any
	decoded bool
	err     error // why the page could not be decoded
}

// result is what the call gave: its error, or the page's if it could not
// be decoded (so that a page is never silently empty).
func (h *pageHolder) result(err error) error {
	if err == nil && !h.decoded {
		err = h.err
		if err == nil {
			err = errors.New("the page was not decoded")
		}
	}
	return err
}

// callPolicy is a per-call policy. It gives each SDK call its state, and
// for list pages marked with pageKey it decodes the body once, into the
// plain JSON kvguard keeps (the body exactly as Azure sent it), and hands
// the SDK's typed handler only the nextLink it pages with. The typed
// models would be decoded and thrown away: half of a scan's CPU went into
// them.
type callPolicy struct{}

func (callPolicy) Do(req *policy.Request) (*http.Response, error) {
	ctx := context.WithValue(req.Raw().Context(), callKey{}, &callState{})
	resp, err := req.Clone(ctx).Next()
	h, _ := ctx.Value(pageKey{}).(*pageHolder)
	if err != nil || h == nil || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	body, err := runtime.Payload(resp)
	if err != nil {
		h.err = err
		return resp, nil //nolint:nilerr // the SDK reports it
	}
	page, err := decodeMap(body)
	if err != nil {
		h.err = fmt.Errorf("decode the page: %w", err)
		return resp, nil // let the SDK's decoder say what is wrong
	}
	// The items go to kvguard; the SDK gets the rest of the page (its
	// nextLink, or Resource Graph's skipToken and counts).
	items := h.member
	if items == "" {
		items = "value"
	}
	h.items = objects(page, items)
	delete(page, items)
	small, err := json.Marshal(page)
	if err != nil {
		h.err = err
		return resp, nil //nolint:nilerr // the error is kept in h.err and reported after the SDK's call returns
	}
	h.decoded = true
	resp.Body = io.NopCloser(bytes.NewReader(small))
	resp.ContentLength = int64(len(small))
	return resp, nil
}

// Do paces, times out and counts one HTTP request.
func (m *meter) Do(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	st, _ := ctx.Value(callKey{}).(*callState)
	if st != nil {
		if st.tries > 0 && st.lastRetryable {
			m.retries.Add(1)
		}
		st.tries++
	}
	r := m.classify(req)
	b := m.bucketFor(r)
	now := time.Now()
	wait := b.reserve(now)
	switch r.kind {
	case "graph":
		wait = max(wait, m.graphQ.wait())
	case "vault":
		if sb := m.dataSubBucket(r.key); sb != nil {
			wait = max(wait, sb.reserve(now))
		}
	}
	if wait > 0 {
		m.waitNanos.Add(int64(wait))
		if err := sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
	m.requests.Add(1)
	tctx, cancel := context.WithTimeout(ctx, m.timeout)
	resp, err := m.next.Do(req.WithContext(tctx))
	if err != nil {
		cancel()
		if st != nil {
			st.lastRetryable = true
		}
		if tctx.Err() != nil && ctx.Err() == nil {
			return nil, fmt.Errorf("%s %s: no answer within the request time limit of %s: %w", req.Method, req.URL.Path, m.timeout, err)
		}
		return nil, err
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	if st != nil {
		st.lastRetryable = m.retryable[resp.StatusCode]
	}
	m.observe(r, b, resp)
	return resp, nil
}

// observe learns from the response's throttling headers.
func (m *meter) observe(r route, b *bucket, resp *http.Response) {
	now := time.Now()
	h := resp.Header
	switch r.kind {
	case "sub":
		if n, err := strconv.Atoi(h.Get("x-ms-ratelimit-remaining-subscription-reads")); err == nil {
			b.observe(n, now)
		}
	case "tenant":
		if n, err := strconv.Atoi(h.Get("x-ms-ratelimit-remaining-tenant-reads")); err == nil {
			b.observe(n, now)
		}
	case "graph":
		// Resource Graph reports its quota on every answer; when none is
		// left, no query goes out until the window resets.
		if n, err := strconv.Atoi(h.Get("x-ms-user-quota-remaining")); err == nil && n <= 0 {
			if d, ok := parseHMS(h.Get("x-ms-user-quota-resets-after")); ok {
				m.graphQ.closeUntil(now.Add(d))
			}
		}
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		m.throttled.Add(1)
		if d := retryAfter(h, now); d > 0 {
			m.waitNanos.Add(int64(d))
			b.block(now.Add(d))
		}
	}
}

// retryAfter reads the delay azcore will honour before the next try.
func retryAfter(h http.Header, now time.Time) time.Duration {
	for _, k := range []string{"retry-after-ms", "x-ms-retry-after-ms"} {
		if ms, err := strconv.Atoi(h.Get(k)); err == nil && ms > 0 {
			return time.Duration(ms) * time.Millisecond
		}
	}
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return t.Sub(now)
	}
	return 0
}

// parseHMS reads Resource Graph's hh:mm:ss.
func parseHMS(s string) (time.Duration, bool) {
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return 0, false
	}
	var d time.Duration
	for i, unit := range []time.Duration{time.Hour, time.Minute, time.Second} {
		n, err := strconv.ParseFloat(parts[i], 64)
		if err != nil {
			return 0, false
		}
		d += time.Duration(n * float64(unit))
	}
	return d, true
}

type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

// reads returns the ARM reads sent so far per subscription, the
// tenant-level reads and the Resource Graph queries.
func (m *meter) reads() (perSub map[string]int, tenant, graph int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	perSub = make(map[string]int, len(m.perSub))
	for k, v := range m.perSub {
		perSub[k] = v
	}
	return perSub, m.tenantN, m.graphN
}

var _ policy.Transporter = (*meter)(nil)

// payload returns the body of a captured response (runtime.WithCaptureResponse).
func payload(resp *http.Response) ([]byte, error) {
	if resp == nil {
		return nil, fmt.Errorf("no response captured")
	}
	return runtime.Payload(resp)
}
