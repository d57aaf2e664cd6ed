package assess

import (
	"encoding/gob"
	"errors"

	"github.com/kvguard/kvguard/internal/estate"
	"github.com/kvguard/kvguard/internal/resource"
)

// errorRuns keeps input problems as runs does assessments: sorted runs in
// a temporary file, merged in the report's order (estate.SortErrors)
// when read.
type errorRuns = runFile[*resource.InputError]

func newErrorRuns() *errorRuns {
	return &errorRuns{
		what: "messages", bufSize: 1 << 16,
		encode: func(enc *gob.Encoder, e *resource.InputError) error {
			w := wireError{Pos: e.Pos, ResourceID: e.ResourceID, Msg: e.Msg, Warning: e.Warning}
			if e.Err != nil {
				w.Err = e.Err.Error()
			}
			return enc.Encode(&w)
		},
		decode: func(dec *gob.Decoder) (*resource.InputError, error) {
			var w wireError
			if err := dec.Decode(&w); err != nil {
				return nil, err
			}
			e := &resource.InputError{Pos: w.Pos, ResourceID: w.ResourceID, Msg: w.Msg, Warning: w.Warning}
			if w.Err != "" {
				e.Err = errors.New(w.Err)
			}
			return e, nil
		},
	}
}

// spillErrors sorts errs and appends them to the runs in dir as one run.
func spillErrors(r *errorRuns, dir string, errs []*resource.InputError) error {
	estate.SortErrors(errs)
	return r.write(dir, errs)
}

// mergeErrors yields the problems of every run of r and of tail (sorted)
// in order, until yield returns false; it returns the first error reading
// a run back.
func mergeErrors(r *errorRuns, tail []*resource.InputError, yield func(*resource.InputError) bool) error {
	return kMerge(r.sources(tail), estate.CompareErrors, yield)
}

// wireError is an input problem as a run keeps it: its cause by message.
type wireError struct {
	Pos        resource.Position
	ResourceID string
	Msg        string
	Warning    bool
	Err        string
}
