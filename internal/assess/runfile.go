package assess

import (
	"bufio"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"os"
)

// The external merge behind the assessor's memory bound: what a scan
// produces (assessments, input problems) collects in memory, is sorted and
// written to a temporary file as a run whenever there is too much of it,
// and is read back by merging the runs with what is left in memory. The
// report order is known up front, so the merge gives the bytes sorting
// everything in memory would. runFile is the file of runs; kMerge the
// merge. runs (assessments) and errorRuns (input problems) are the two
// uses.

// runFile holds sorted runs of T end to end in one temporary file, each a
// section of gob values. The file is removed as soon as it is created
// where the system allows (and by close otherwise), so that nothing is
// left behind.
type runFile[T any] struct {
	what     string // "assessments", "messages": in the file's name and in errors
	bufSize  int    // of the buffered writer, and the most a run's reader gets (see readBufSize)
	f        *os.File
	name     string // to remove in close; "" once removed
	sections [][2]int64
	end      int64
	// encode writes one value; decode reads one back (io.EOF at the end
	// of a run).
	encode func(*gob.Encoder, T) error
	decode func(*gob.Decoder) (T, error)
}

// write appends items, already sorted, as one run, creating the file in
// dir ("" for os.TempDir()) on first use.
func (r *runFile[T]) write(dir string, items []T) error {
	if r.f == nil {
		f, err := os.CreateTemp(dir, "kvguard-"+r.what+"-*")
		if err != nil {
			return fmt.Errorf("spill %s: %w", r.what, err)
		}
		r.f, r.name = f, f.Name()
		if os.Remove(f.Name()) == nil {
			r.name = ""
		}
	}
	cw := &countingWriter{w: r.f}
	bw := bufio.NewWriterSize(cw, r.bufSize)
	enc := gob.NewEncoder(bw)
	for _, x := range items {
		if err := r.encode(enc, x); err != nil {
			return fmt.Errorf("spill %s: %w", r.what, err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("spill %s: %w", r.what, err)
	}
	r.sections = append(r.sections, [2]int64{r.end, r.end + cw.n})
	r.end += cw.n
	return nil
}

// runs is how many runs were written.
func (r *runFile[T]) runs() int {
	if r == nil {
		return 0
	}
	return len(r.sections)
}

// sources returns a reader of each run and one of tail (sorted, kept in
// memory), for kMerge.
func (r *runFile[T]) sources(tail []T) []source[T] {
	srcs := make([]source[T], 0, len(r.sections)+1)
	size := readBufSize(r.bufSize, len(r.sections))
	for _, sec := range r.sections {
		dec := gob.NewDecoder(bufio.NewReaderSize(io.NewSectionReader(r.f, sec[0], sec[1]-sec[0]), size))
		srcs = append(srcs, func() (T, bool, error) {
			x, err := r.decode(dec)
			if err != nil {
				var zero T
				if errors.Is(err, io.EOF) {
					return zero, false, nil
				}
				return zero, false, fmt.Errorf("read spilled %s back: %w", r.what, err)
			}
			return x, true, nil
		})
	}
	return append(srcs, sliceSource(tail))
}

// Bounds of the merge's read buffers: all of a merge's readers share
// mergeBufBytes, so that a scan that spilled hundreds of runs does not
// hold hundreds of large buffers while it writes its report; each gets at
// least minReadBuf, enough for a few values per read.
const (
	mergeBufBytes = 4 << 20
	minReadBuf    = 8 << 10
)

// readBufSize is the read buffer of each of n runs merged at once: at
// most limit, together at most mergeBufBytes, at least minReadBuf.
func readBufSize(limit, n int) int {
	if n <= 0 {
		return limit
	}
	return max(minReadBuf, min(limit, mergeBufBytes/n))
}

// close removes the file; the runs may be read no more.
func (r *runFile[T]) close() error {
	if r == nil || r.f == nil {
		return nil
	}
	err := r.f.Close()
	if r.name != "" {
		err = errors.Join(err, os.Remove(r.name))
	}
	r.f, r.name, r.sections = nil, "", nil
	return err
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// source yields the values of one sorted run in order: false at its end
// or on an error.
type source[T any] func() (T, bool, error)

// sliceSource yields the values of xs.
func sliceSource[T any](xs []T) source[T] {
	i := 0
	return func() (T, bool, error) {
		if i == len(xs) {
			var zero T
			return zero, false, nil
		}
		i++
		return xs[i-1], true, nil
	}
}

// mapSource yields f of what src yields.
func mapSource[T, E any](src source[T], f func(T) E) source[E] {
	return func() (E, bool, error) {
		x, ok, err := src()
		if !ok {
			var zero E
			return zero, false, err
		}
		return f(x), true, nil
	}
}

// kMerge yields the values of the sorted sources in the order cmp gives
// (a heap of the sources' next values; among equal ones, the earlier
// source's first), until yield returns false. It stops at the first error
// reading a source and returns it: what was yielded is then incomplete.
func kMerge[E any](srcs []source[E], cmp func(x, y E) int, yield func(E) bool) error {
	type head struct {
		x   E
		src int
	}
	h := make([]head, 0, len(srcs))
	less := func(i, j int) bool {
		if c := cmp(h[i].x, h[j].x); c != 0 {
			return c < 0
		}
		return h[i].src < h[j].src
	}
	down := func(i int) {
		for {
			l := 2*i + 1
			if l >= len(h) {
				return
			}
			m := l
			if r := l + 1; r < len(h) && less(r, l) {
				m = r
			}
			if !less(m, i) {
				return
			}
			h[i], h[m] = h[m], h[i]
			i = m
		}
	}
	for i, src := range srcs {
		x, ok, err := src()
		if err != nil {
			return err
		}
		if ok {
			h = append(h, head{x, i})
		}
	}
	for i := len(h)/2 - 1; i >= 0; i-- {
		down(i)
	}
	for len(h) > 0 {
		if !yield(h[0].x) {
			return nil
		}
		x, ok, err := srcs[h[0].src]()
		if err != nil {
			return err
		}
		if ok {
			h[0].x = x
		} else {
			h[0] = h[len(h)-1]
			h = h[:len(h)-1]
		}
		down(0)
	}
	return nil
}
