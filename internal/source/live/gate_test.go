package live_test

import (
	"context"
	"net/http"
	"strings"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// gate is a transport that holds the requests hold selects until release
// is closed or the request is cancelled: tests synchronise with the scan
// through it instead of through latencies and time limits.
type gate struct {
	next      policy.Transporter
	hold      func(*http.Request) bool
	release   <-chan struct{}
	firstHeld chan struct{} // closed when the first request is held
	once      sync.Once
}

func newGate(next policy.Transporter, hold func(*http.Request) bool, release <-chan struct{}) *gate {
	return &gate{next: next, hold: hold, release: release, firstHeld: make(chan struct{})}
}

func (g *gate) Do(req *http.Request) (*http.Response, error) {
	if g.hold(req) {
		g.once.Do(func() { close(g.firstHeld) })
		select {
		case <-g.release:
		case <-req.Context().Done():
			return nil, req.Context().Err()
		}
	}
	return g.next.Do(req)
}

// vaultRead selects the requests that read a vault's contents (secrets,
// keys, diagnostic settings, …): what a scan does after its inventory.
func vaultRead(req *http.Request) bool {
	p := strings.ToLower(req.URL.Path)
	const vaults = "/providers/microsoft.keyvault/vaults/"
	i := strings.Index(p, vaults)
	return i >= 0 && strings.Contains(p[i+len(vaults):], "/")
}

// deadline is a context whose deadline passes when the test says so
// (expire): the scan's clock, injected, so that "the time ran out" happens
// at a chosen point of the scan whatever the machine's speed.
type deadline struct {
	context.Context // for values only
	done            chan struct{}
	once            sync.Once
}

func newDeadline() *deadline {
	return &deadline{Context: context.Background(), done: make(chan struct{})}
}

func (d *deadline) Done() <-chan struct{} { return d.done }

func (d *deadline) Err() error {
	select {
	case <-d.done:
		return context.DeadlineExceeded
	default:
		return nil
	}
}

func (d *deadline) expire() { d.once.Do(func() { close(d.done) }) }
