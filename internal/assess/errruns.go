package assess

import (
	"bufio"
	"container/heap"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"

	"github.com/kvguard/kvguard/internal/estate"
	"github.com/kvguard/kvguard/internal/resource"
)

// errorRuns keeps input problems as runs does assessments: sorted runs in
// a temporary file, merged in the report's order (estate.SortErrors)
// when read.
type errorRuns struct {
	f        *os.File
	name     string
	sections [][2]int64
	end      int64
}

// spill sorts errs and appends them to the runs in dir as one
// run, creating the file on first use.
func (r *errorRuns) spill(dir string, errs []*resource.InputError) error {
	if r.f == nil {
		f, err := os.CreateTemp(dir, "kvguard-messages-*")
		if err != nil {
			return fmt.Errorf("spill messages: %w", err)
		}
		r.f, r.name = f, f.Name()
		if os.Remove(f.Name()) == nil {
			r.name = ""
		}
	}
	estate.SortErrors(errs)
	cw := &countingWriter{w: r.f}
	bw := bufio.NewWriterSize(cw, 1<<16)
	enc := gob.NewEncoder(bw)
	for _, e := range errs {
		w := wireError{Pos: e.Pos, ResourceID: e.ResourceID, Msg: e.Msg, Warning: e.Warning}
		if e.Err != nil {
			w.Err = e.Err.Error()
		}
		if err := enc.Encode(&w); err != nil {
			return fmt.Errorf("spill messages: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("spill messages: %w", err)
	}
	r.sections = append(r.sections, [2]int64{r.end, r.end + cw.n})
	r.end += cw.n
	return nil
}

func (r *errorRuns) close() error {
	if r == nil || r.f == nil {
		return nil
	}
	err := r.f.Close()
	if r.name != "" {
		err = errors.Join(err, os.Remove(r.name))
	}
	r.f, r.name = nil, ""
	return err
}

// wireError is an input problem as a run keeps it: its cause by message.
type wireError struct {
	Pos        resource.Position
	ResourceID string
	Msg        string
	Warning    bool
	Err        string
}

// merge yields the problems of every run and of tail (sorted) in order;
// it returns the first error reading a run back.
func (r *errorRuns) merge(tail []*resource.InputError) iter.Seq2[*resource.InputError, error] {
	return func(yield func(*resource.InputError, error) bool) {
		h := &errHeap{}
		for _, sec := range r.sections {
			dec := gob.NewDecoder(bufio.NewReaderSize(io.NewSectionReader(r.f, sec[0], sec[1]-sec[0]), 1<<14))
			h.push(func() (*resource.InputError, error) {
				var w wireError
				if err := dec.Decode(&w); err != nil {
					if errors.Is(err, io.EOF) {
						return nil, nil
					}
					return nil, fmt.Errorf("read spilled messages back: %w", err)
				}
				e := &resource.InputError{Pos: w.Pos, ResourceID: w.ResourceID, Msg: w.Msg, Warning: w.Warning}
				if w.Err != "" {
					e.Err = errors.New(w.Err)
				}
				return e, nil
			})
		}
		i := 0
		h.push(func() (*resource.InputError, error) {
			if i == len(tail) {
				return nil, nil
			}
			i++
			return tail[i-1], nil
		})
		if h.err != nil {
			yield(nil, h.err)
			return
		}
		for h.Len() > 0 {
			c := h.list[0]
			if !yield(c.e, nil) {
				return
			}
			if h.advance(c) {
				heap.Fix(h, 0)
			} else {
				heap.Pop(h)
			}
			if h.err != nil {
				yield(nil, h.err)
				return
			}
		}
	}
}

type errCursor struct {
	e    *resource.InputError
	next func() (*resource.InputError, error)
}

type errHeap struct {
	list []*errCursor
	err  error
}

func (h *errHeap) push(next func() (*resource.InputError, error)) {
	c := &errCursor{next: next}
	if h.advance(c) {
		heap.Push(h, c)
	}
}

func (h *errHeap) advance(c *errCursor) bool {
	e, err := c.next()
	if err != nil {
		h.err = err
		return false
	}
	c.e = e
	return e != nil
}

func (h *errHeap) Len() int { return len(h.list) }
func (h *errHeap) Less(i, j int) bool {
	return estate.CompareErrors(h.list[i].e, h.list[j].e) < 0
}
func (h *errHeap) Swap(i, j int) { h.list[i], h.list[j] = h.list[j], h.list[i] }
func (h *errHeap) Push(x any)    { h.list = append(h.list, x.(*errCursor)) }
func (h *errHeap) Pop() any {
	c := h.list[len(h.list)-1]
	h.list = h.list[:len(h.list)-1]
	return c
}
