package jsonreport

import (
	"sync"

	"github.com/kvguard/kvguard/internal/assess"
)

// Formatting a report of a million components is most of the writer's
// time, and the assessments are written independently of each other. So a
// long list of assessments is cut into pieces of about pieceComponents
// components, formatted into buffers of their own by a worker per
// processor, and copied into the output in order: the bytes are those of
// formatting them one after the other. At most a few pieces per worker
// are held at once.
const (
	pieceComponents = 4096
	piecesPerWorker = 3
)

// writeAssessments writes the assessments, comma- and newline-separated,
// as elements of the "assessments" array, formatting them on up to
// workers goroutines.
func writeAssessments(b *buf, as []*assess.Assessment, workers int) {
	pieces := cutPieces(as)
	if len(pieces) < 2 || workers < 2 {
		formatAssessments(b, as, 0)
		return
	}
	type job struct {
		lo, hi int
		out    buf
		done   chan struct{}
	}
	jobs := make(chan *job)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				formatAssessments(&j.out, as[j.lo:j.hi], j.lo)
				close(j.done)
			}
		}()
	}
	defer wg.Wait()
	defer close(jobs)
	window := piecesPerWorker * workers
	var inFlight []*job
	var spare [][]byte
	put := func(j *job) {
		<-j.done
		b.b = append(b.b, j.out.b...)
		b.grown()
		spare = append(spare, j.out.b[:0])
	}
	for i := range pieces {
		if len(inFlight) == window {
			put(inFlight[0])
			inFlight = inFlight[1:]
		}
		j := &job{lo: pieces[i][0], hi: pieces[i][1], done: make(chan struct{})}
		if n := len(spare); n > 0 {
			j.out.b, spare = spare[n-1], spare[:n-1]
		}
		inFlight = append(inFlight, j)
		jobs <- j
	}
	for _, j := range inFlight {
		put(j)
	}
}

// formatAssessments writes as, the assessments from index first on.
func formatAssessments(b *buf, as []*assess.Assessment, first int) {
	for i, a := range as {
		if first+i > 0 {
			b.raw(",")
		}
		b.raw("\n")
		writeAssessment(b, a)
	}
}

// cutPieces cuts the assessments into runs of about pieceComponents
// components each, as [lo, hi) pairs.
func cutPieces(as []*assess.Assessment) [][2]int {
	var pieces [][2]int
	lo, n := 0, 0
	for i, a := range as {
		n += 1 + len(a.Components)
		if n >= pieceComponents {
			pieces = append(pieces, [2]int{lo, i + 1})
			lo, n = i+1, 0
		}
	}
	if lo < len(as) {
		pieces = append(pieces, [2]int{lo, len(as)})
	}
	return pieces
}
