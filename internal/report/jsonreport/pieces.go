package jsonreport

import (
	"iter"
	"slices"
	"sync"

	"github.com/kvguard/kvguard/internal/assess"
)

// Formatting a report of a million components is most of the writer's
// time, and the assessments are written independently of each other. So a
// long list of assessments is cut into pieces of about pieceComponents
// components, formatted into buffers of their own by a worker per
// processor, and copied into the output in order: the bytes are those of
// formatting them one after the other. At most a few pieces per worker
// are held at once. An assessment weighs as much as assessmentWeight
// components (its reason, details and resource): a piece of a scan of
// templates, with few components, holds a few hundred assessments.
const (
	pieceComponents  = 4096
	piecesPerWorker  = 3
	assessmentWeight = 8
	// bytesPerWeight is a guess at a component's bytes in the report (an
	// ID, a name, a type, a status), for the first pieces' buffers.
	bytesPerWeight = 256
)

// writeAssessments writes the assessments, comma- and newline-separated,
// as elements of the "assessments" array, formatting them on up to
// workers goroutines. It reads them once, in order, holding only the
// pieces in flight.
func writeAssessments(b *buf, all iter.Seq[*assess.Assessment], workers int) {
	if workers < 2 {
		formatAssessments(b, all, 0)
		return
	}
	type job struct {
		as    []*assess.Assessment
		first int
		out   buf
		done  chan struct{}
	}
	jobs := make(chan *job)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				formatAssessments(&j.out, slices.Values(j.as), j.first)
				close(j.done)
			}
		}()
	}
	defer wg.Wait()
	defer close(jobs)
	window := piecesPerWorker * workers
	var inFlight []*job
	var spare [][]byte
	// A piece's buffer starts at the largest piece's size so far (before
	// the first is done, at a guess from its weight): grown from nothing,
	// a megabyte piece is a score of allocations, each copied, zeroed and
	// paid for to the collector.
	largest := 0
	put := func(j *job) {
		<-j.done
		largest = max(largest, len(j.out.b))
		spare = append(spare, b.handOff(j.out.b))
	}
	send := func(as []*assess.Assessment, first, weight int) {
		if len(inFlight) == window {
			put(inFlight[0])
			inFlight = inFlight[1:]
		}
		j := &job{as: as, first: first, done: make(chan struct{})}
		if n := len(spare); n > 0 {
			j.out.b, spare = spare[n-1], spare[:n-1]
		}
		if need := max(largest, weight*bytesPerWeight); cap(j.out.b) < need {
			j.out.b = make([]byte, 0, need+need/8)
		}
		inFlight = append(inFlight, j)
		jobs <- j
	}
	// Pieces of about pieceComponents components each.
	var piece []*assess.Assessment
	first, n, count := 0, 0, 0
	for a := range all {
		piece = append(piece, a)
		count++
		n += assessmentWeight + a.NumComponents()
		if n >= pieceComponents {
			send(piece, first, n)
			piece, first, n = nil, count, 0
		}
	}
	if len(piece) > 0 {
		send(piece, first, n)
	}
	for _, j := range inFlight {
		put(j)
	}
}

// formatAssessments writes as, the assessments from index first on.
func formatAssessments(b *buf, as iter.Seq[*assess.Assessment], first int) {
	i := first
	for a := range as {
		if i > 0 {
			b.raw(",")
		}
		b.raw("\n")
		writeAssessment(b, a)
		i++
	}
}
