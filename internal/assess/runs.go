package assess

import (
	"bytes"
	"cmp"
	"encoding/gob"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/kvguard/kvguard/internal/resource"
)

// runs keeps the assessments of a scan in report order without holding
// them all: they collect in a buffer, which is sorted and written to a
// temporary file as a run whenever it holds about limit bytes. The
// result reads them back by merging the runs and what is left in the
// buffer (Result.All). The report order is known up front (see
// compareAssessments), so the merge gives the bytes sorting everything in
// memory would.
//
// A full buffer is sorted and written by the goroutine that filled it,
// outside mu: the units judged meanwhile on other goroutines go on
// adding to a fresh buffer instead of waiting for the disk. fileMu
// orders the writes.
type runs struct {
	mu    sync.Mutex
	order map[*Recommendation]int
	limit int // <= 0: never spill
	dir   string
	buf   []*Assessment
	size  int
	// failed is set when a run could not be written: the assessments
	// then stay in memory (the report is still complete).
	failed bool

	fileMu sync.Mutex
	file   *spillFile
}

func newRuns(order map[*Recommendation]int, limit int, dir string) *runs {
	return &runs{order: order, limit: limit, dir: dir}
}

// add keeps as, spilling the buffer as a run once it is full.
func (r *runs) add(as []*Assessment) {
	if len(as) == 0 {
		return
	}
	r.mu.Lock()
	r.buf = append(r.buf, as...)
	for _, a := range as {
		r.size += sizeOf(a)
	}
	var full []*Assessment
	if r.limit > 0 && r.size >= r.limit && !r.failed {
		full = r.buf
		r.buf, r.size = make([]*Assessment, 0, len(full)), 0
	}
	r.mu.Unlock()
	if full == nil {
		return
	}
	if err := r.spill(full); err != nil {
		r.mu.Lock()
		r.failed = true
		r.buf = append(r.buf, full...)
		for _, a := range full {
			r.size += sizeOf(a)
		}
		r.mu.Unlock()
	}
}

// keep keeps the last assessments of a scan (those Finish judges) in the
// buffer, past the limit: they are all in memory already, so writing
// them to a run lowers no peak of memory, and the report would only read
// them back at once. For a saved estate judged at Finish that round trip
// was the whole report encoded and decoded again, serially, between
// judging and writing.
func (r *runs) keep(as []*Assessment) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.buf = append(r.buf, as...)
	for _, a := range as {
		r.size += sizeOf(a)
	}
}

// spill writes full, sorted, as a run.
func (r *runs) spill(full []*Assessment) error {
	r.fileMu.Lock()
	defer r.fileMu.Unlock()
	if r.file == nil {
		r.file = newSpillFile(r.order)
	}
	sortAssessments(full, r.order)
	return r.file.write(r.dir, full)
}

// finish returns what is left in the buffer, sorted, and the runs
// written (nil when none was).
func (r *runs) finish() ([]*Assessment, *spillFile) {
	// After the runs being written (fileMu first, as in add).
	r.fileMu.Lock()
	defer r.fileMu.Unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	sortAssessments(r.buf, r.order)
	buf := r.buf
	r.buf, r.size = nil, 0
	if r.file != nil && r.file.runs() == 0 {
		_ = r.file.close() // a failed first run: nothing to read back
		r.file = nil
	}
	return buf, r.file
}

// sizeOf estimates the memory an assessment holds, for the spill limit.
func sizeOf(a *Assessment) int {
	n := 256 + len(a.Resource.ID) + len(a.Resource.Name) + len(a.Resource.Deployment) + len(a.Reason) + 150*len(a.Details)
	for i := range a.Components {
		c := &a.Components[i]
		n += 160 + len(c.ID) + len(c.Name) + len(c.Reason)
	}
	if a.compact != nil {
		n += a.compact.size()
	}
	return n
}

// spillFile is the file of runs of assessments.
type spillFile = runFile[*Assessment]

// newSpillFile returns an empty file of runs of assessments; order numbers
// the recommendations, which a run keeps by number.
func newSpillFile(order map[*Recommendation]int) *spillFile {
	recs := make([]*Recommendation, len(order))
	for r, i := range order {
		recs[i] = r
	}
	var w wireAssessment
	return &spillFile{
		what: "assessments", bufSize: 1 << 18,
		encode: func(enc *gob.Encoder, a *Assessment) error {
			w.from(a, order)
			return enc.Encode(&w)
		},
		decode: func(dec *gob.Decoder) (*Assessment, error) {
			var w wireAssessment
			if err := dec.Decode(&w); err != nil {
				return nil, err
			}
			return w.to(recs)
		},
	}
}

// keyedAssessment is an assessment with its lower-cased resource ID, the
// merge's sort key (computed once per assessment, not per comparison).
type keyedAssessment struct {
	key string
	a   *Assessment
}

func keyAssessment(a *Assessment) keyedAssessment {
	return keyedAssessment{strings.ToLower(a.Resource.ID), a}
}

// mergeAssessments yields the assessments of every run of s and of tail
// (sorted) in report order, until yield returns false. It returns the
// first error reading a run back.
func mergeAssessments(s *spillFile, order map[*Recommendation]int, tail []*Assessment, yield func(*Assessment) bool) error {
	srcs := s.sources(tail)
	keyed := make([]source[keyedAssessment], len(srcs))
	for i, src := range srcs {
		keyed[i] = mapSource(src, keyAssessment)
	}
	return kMerge(keyed, func(x, y keyedAssessment) int {
		return compareAssessments(order, x.a, y.a, x.key, y.key)
	}, func(k keyedAssessment) bool { return yield(k.a) })
}

// compareAssessments is the report order: by recommendation (in the
// result's order), then by resource: ID (case-insensitively; xk and yk
// are the lower-cased IDs), provenance, deployment; then by status and
// reason, so that not even two assessments of one resource tie.
func compareAssessments(order map[*Recommendation]int, x, y *Assessment, xk, yk string) int {
	if c := cmp.Compare(order[x.Recommendation], order[y.Recommendation]); c != 0 {
		return c
	}
	if c := strings.Compare(xk, yk); c != 0 {
		return c
	}
	return compareRest(x, y)
}

// compareRest is the report order of two assessments of one
// recommendation whose lower-cased IDs are equal.
func compareRest(x, y *Assessment) int {
	return cmp.Or(compareResources(&x.Resource, &y.Resource),
		strings.Compare(string(x.Status), string(y.Status)), strings.Compare(x.Reason, y.Reason))
}

// wireAssessment is an assessment as a run keeps it: its recommendation
// by index, details' values as JSON, components with their full IDs.
type wireAssessment struct {
	Rec        int
	Resource   Resource
	Status     Status
	Reason     string
	Details    []wireDetail
	Components []wireComponent
	Compact    *wireCompact
	Exemption  *Exemption
}

type wireDetail struct {
	Field, Path, Operator, Code string
	Expected, Actual            []byte
}

type wireComponent struct {
	ID, Name, Type string
	Status         Status
	Reason         string
	Source         *resource.Provenance
	Exemption      *Exemption
}

func (w *wireAssessment) from(a *Assessment, order map[*Recommendation]int) {
	*w = wireAssessment{Rec: order[a.Recommendation], Resource: a.Resource, Status: a.Status, Reason: a.Reason, Exemption: a.Exemption,
		Details: w.Details[:0], Components: w.Components[:0], Compact: w.Compact}
	if a.compact != nil {
		if w.Compact == nil {
			w.Compact = &wireCompact{}
		}
		w.Compact.from(a.compact)
	} else {
		w.Compact = nil
	}
	for _, d := range a.Details {
		w.Details = append(w.Details, wireDetail{Field: d.Field, Path: d.Path, Operator: d.Operator, Code: d.Code,
			Expected: jsonValue(d.Expected), Actual: jsonValue(d.Actual)})
	}
	for i := range a.Components {
		w.Components = append(w.Components, wireOf(&a.Components[i]))
	}
}

func wireOf(c *Component) wireComponent {
	return wireComponent{ID: c.FullID(), Name: c.Name, Type: c.Type, Status: c.Status,
		Reason: c.Reason, Source: c.Source, Exemption: c.Exemption}
}

func (c *wireComponent) component() Component {
	return Component{ID: c.ID, Name: c.Name, Type: c.Type, Status: c.Status, Reason: c.Reason,
		Source: c.Source, Exemption: c.Exemption}
}

func (w *wireAssessment) to(recs []*Recommendation) (*Assessment, error) {
	if w.Rec < 0 || w.Rec >= len(recs) {
		return nil, fmt.Errorf("read spilled assessments back: recommendation %d of %d", w.Rec, len(recs))
	}
	a := &Assessment{Recommendation: recs[w.Rec], Resource: w.Resource, Status: w.Status, Reason: w.Reason, Exemption: w.Exemption}
	if len(w.Details) > 0 {
		a.Details = make([]Detail, len(w.Details))
		for i, d := range w.Details {
			a.Details[i] = Detail{Field: d.Field, Path: d.Path, Operator: d.Operator, Code: d.Code,
				Expected: plainValue(d.Expected), Actual: plainValue(d.Actual)}
		}
	}
	if len(w.Components) > 0 {
		a.Components = make([]Component, len(w.Components))
		for i := range w.Components {
			a.Components[i] = w.Components[i].component()
		}
	}
	if w.Compact != nil {
		cc, err := w.Compact.to()
		if err != nil {
			return nil, err
		}
		a.compact = cc
	}
	return a, nil
}

// jsonValue encodes a detail's value as the JSON report writes it
// (HTML characters unescaped); a value JSON cannot hold is kept as the
// string the report writes for it.
func jsonValue(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return []byte(`"(unrepresentable value)"`)
	}
	return bytes.TrimRight(b.Bytes(), "\n")
}

// plainValue decodes a detail's value as plain JSON data, numbers as
// json.Number: written again, they give the same digits.
func plainValue(b []byte) any {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return string(b)
	}
	return v
}

// sortAssessments sorts assessments in report order (compareAssessments).
// It gives what one stable sort by that order gives, cheaper: the
// assessments are first dealt out by recommendation (a stable counting
// sort on the first key, the order's values being indexes), and a
// recommendation's share is sorted only if it is not in order already (a
// unit's few, inputs read in ID order). Consecutive assessments of one
// resource share the lower-cased ID. At the end of a scan of ten thousand
// vaults this runs alone, while the other core waits: it was 80 ms of a
// stable sort that looked the recommendations up in a map on every
// comparison.
func sortAssessments(as []*Assessment, order map[*Recommendation]int) {
	type keyed struct {
		rec int
		key string
		a   *Assessment
	}
	ks := make([]keyed, len(as))
	var lastID, lastKey string
	recs := 0
	for i, a := range as {
		if i == 0 || a.Resource.ID != lastID {
			lastID, lastKey = a.Resource.ID, strings.ToLower(a.Resource.ID)
		}
		r := order[a.Recommendation] // an index into the result's recommendations
		recs = max(recs, r+1)
		ks[i] = keyed{r, lastKey, a}
	}
	byRest := func(x, y keyed) int {
		if c := strings.Compare(x.key, y.key); c != 0 {
			return c
		}
		return compareRest(x.a, y.a)
	}
	start := make([]int, recs+1)
	for _, k := range ks {
		start[k.rec+1]++
	}
	for r := 1; r <= recs; r++ {
		start[r] += start[r-1]
	}
	dealt := make([]keyed, len(ks))
	next := slices.Clone(start[:recs])
	for _, k := range ks {
		dealt[next[k.rec]] = k
		next[k.rec]++
	}
	for r := range recs {
		if run := dealt[start[r]:start[r+1]]; !slices.IsSortedFunc(run, byRest) {
			slices.SortStableFunc(run, byRest)
		}
	}
	for i := range dealt {
		as[i] = dealt[i].a
	}
}
