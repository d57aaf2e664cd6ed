package azuresim

import (
	"encoding/binary"
	"hash/fnv"
	"net/http"
	"sync"
)

// faults decides which requests fail. Every decision is a function of the
// seed, the request (method, host, path and query) and how many times that
// request was made before: the n-th attempt at a request meets the same
// fault on every run, however concurrent requests interleave and however
// slow the machine is. Tests that inject faults are reproducible.
type faults struct {
	seed                         uint64
	failRate, dropRate, throttle float64

	mu       sync.Mutex
	attempts map[uint64]uint64 // request hash → attempts so far
}

type faultKind int

const (
	faultNone faultKind = iota
	faultFail
	faultFailInternal // 500 rather than 503
	faultDrop
	faultThrottle
)

func newFaults(o Options) *faults {
	return &faults{seed: o.Seed, failRate: o.FailRate, dropRate: o.DropRate, throttle: o.ThrottleRate}
}

func (f *faults) enabled() bool {
	return f.failRate > 0 || f.dropRate > 0 || f.throttle > 0
}

// decide returns the fault of this attempt at r.
func (f *faults) decide(r *http.Request) faultKind {
	if !f.enabled() {
		return faultNone
	}
	key := f.hash(0, r.Method, hostOnly(r.Host), r.URL.Path, r.URL.RawQuery)
	f.mu.Lock()
	if f.attempts == nil {
		f.attempts = map[uint64]uint64{}
	}
	f.attempts[key]++
	n := f.attempts[key]
	f.mu.Unlock()
	if n == 1 && unit(f.hash(key, "throttle")) < f.throttle {
		return faultThrottle
	}
	u := unit(f.hash(key^n, "fault"))
	switch {
	case u < f.dropRate:
		return faultDrop
	case u < f.dropRate+f.failRate:
		if f.hash(key^n, "status")&1 == 0 {
			return faultFailInternal
		}
		return faultFail
	}
	return faultNone
}

// hash is FNV-1a over the seed, a salt and the parts, finished with a
// splitmix64 step so that nearby inputs spread over the whole range.
func (f *faults) hash(salt uint64, parts ...string) uint64 {
	h := fnv.New64a()
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], f.seed)
	binary.LittleEndian.PutUint64(b[8:], salt)
	_, _ = h.Write(b[:])
	for _, p := range parts {
		_, _ = h.Write([]byte(p))
		_, _ = h.Write([]byte{0})
	}
	z := h.Sum64() + 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// unit maps a hash to [0, 1).
func unit(h uint64) float64 { return float64(h>>11) / (1 << 53) }
