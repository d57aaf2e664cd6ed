package assess

import (
	"sync"
	"sync/atomic"

	"github.com/kvguard/kvguard/internal/resource"
)

// fanOut runs work over [0, n) cut into pieces, on up to workers
// goroutines taking the next piece as they finish one (vaults differ a
// thousandfold in size), and returns the pieces' results joined in order:
// what one call over [0, n) would return. Each piece records the
// suppressions it used in a map of its own; they are merged into used. A
// panic in a piece is raised again on the calling goroutine.
func fanOut(n, workers int, used map[*resource.Suppression]bool, work func(lo, hi int, used map[*resource.Suppression]bool) []*Assessment) []*Assessment {
	pieces := min(n, 8*workers)
	if workers <= 1 || pieces <= 1 {
		return work(0, n, used)
	}
	type piece struct {
		out  []*Assessment
		used map[*resource.Suppression]bool
	}
	results := make([]piece, pieces)
	var next atomic.Int64
	var wg sync.WaitGroup
	var panicked atomic.Pointer[any]
	for range min(workers, pieces) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if p := recover(); p != nil {
					panicked.CompareAndSwap(nil, &p)
				}
			}()
			for {
				i := int(next.Add(1) - 1)
				if i >= pieces {
					return
				}
				u := map[*resource.Suppression]bool{}
				results[i] = piece{out: work(n*i/pieces, n*(i+1)/pieces, u), used: u}
			}
		}()
	}
	wg.Wait()
	if p := panicked.Load(); p != nil {
		panic(*p)
	}
	total := 0
	for _, r := range results {
		total += len(r.out)
	}
	out := make([]*Assessment, 0, total)
	for _, r := range results {
		out = append(out, r.out...)
		for s := range r.used {
			used[s] = true
		}
	}
	return out
}
