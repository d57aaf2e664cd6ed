package assess

import (
	"context"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kvguard/kvguard/internal/catalog"
	"github.com/kvguard/kvguard/internal/estate"
	"github.com/kvguard/kvguard/internal/policy"
	"github.com/kvguard/kvguard/internal/resource"
)

// Options tune an assessment run.
type Options struct {
	// EnabledOnly skips disabled secrets and keys (the CIS reading);
	// Azure Policy and Defender judge them too.
	EnabledOnly bool
	// Now is the instant for utcNow() and suppression expiry; zero means
	// time.Now().
	Now time.Time
	// Workers evaluate components in parallel; 0 means GOMAXPROCS.
	Workers int
	Logger  *slog.Logger
	// SpillBytes is about how many bytes of assessments are kept in
	// memory before they are sorted and written to a temporary file as a
	// run (merged when the result is read); 0 means DefaultSpillBytes,
	// negative never spills. What Finish judges (documents kept until the
	// end, a saved estate's vaults) is not spilled: it is all in memory
	// by then, and the writers read it at once.
	SpillBytes int
	// SpillMessages is how many input problems are kept in memory before
	// they are sorted and spilled as a run; 0 means DefaultSpillMessages,
	// negative never spills.
	SpillMessages int
	// TempDir is where runs are spilled; "" means os.TempDir().
	TempDir string
}

// DefaultSpillMessages is Options.SpillMessages's default: a scan of a
// hundred thousand templates gives a quarter of a million warnings.
const DefaultSpillMessages = 1 << 12

// DefaultSpillBytes is Options.SpillBytes's default.
const DefaultSpillBytes = 4 << 20

// Assessor collects documents as inputs produce them and judges them.
//
// Documents arrive unit by unit (see Unit): a unit whose documents link
// only among themselves is linked and judged as soon as it is complete,
// its assessments kept in sorted runs (spilled to disk past
// Options.SpillBytes) and its documents dropped, so that memory does not
// grow with the number of inputs. What may link across units (resources
// that exist, IDs naming a real subscription: see estate.Crosses) is kept
// until Finish, with the documents given to Add. Components (secrets,
// keys) are judged as they arrive and only their verdicts are kept, so
// that a million secrets fit in little memory.
type Assessor struct {
	cat   *catalog.Catalog
	opts  Options
	popts policy.Options
	ctrl  []*catalog.Recommendation
	data  []*catalog.Recommendation
	views map[*catalog.Recommendation]*Recommendation
	// reads are the fields each data-plane recommendation's rule reads
	// (policy.Reads), to tell which a partial gap concerns.
	reads map[*catalog.Recommendation][]string
	recs  []*Recommendation // in catalog order
	order map[*Recommendation]int
	est   *estate.Estate // documents kept until Finish
	// rot joins key rotation policies saved apart from their keys to
	// those keys, which it holds until Finish.
	rot *estate.RotationPolicies

	mu   sync.Mutex
	errs []*resource.InputError // not yet spilled (see errorRuns)
	// errRuns are the problems spilled; nErrors and nWarnings count all.
	// errMu orders the writes of runs, made outside mu (spillErrs).
	errMu              sync.Mutex
	errRuns            *errorRuns
	errSpillFailed     bool
	nErrors, nWarnings int
	comps              map[string]*parentComps // kept until Finish; by estate.RefKey of the parent and deployment
	total              map[string]int          // components by type
	types              []string                // component types, numbered for packing
	sum                Summary                 // of the assessments recorded so far
	open               map[*Unit]bool          // units not yet done
	runs               *runs
	// keepWhole keeps every component as a Component rather than packed
	// (tests compare the two).
	keepWhole bool
	// compactMin is how many components a roll-up must have to be kept
	// compact (compact.go); tests lower it.
	compactMin int
	// directs counts the roll-ups whose components went straight from
	// packed to compact (direct.go), for tests.
	directs atomic.Int64

	docs docCount

	work chan work
	wg   sync.WaitGroup
}

// New starts an assessor.
func New(cat *catalog.Catalog, opts Options) *Assessor {
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.SpillBytes == 0 {
		opts.SpillBytes = DefaultSpillBytes
	}
	if opts.SpillMessages == 0 {
		opts.SpillMessages = DefaultSpillMessages
	}
	a := &Assessor{
		cat: cat, opts: opts,
		popts:      policy.Options{Now: opts.Now},
		views:      map[*catalog.Recommendation]*Recommendation{},
		reads:      map[*catalog.Recommendation][]string{},
		order:      map[*Recommendation]int{},
		est:        estate.New(),
		rot:        estate.NewRotationPolicies(),
		comps:      map[string]*parentComps{},
		total:      map[string]int{},
		open:       map[*Unit]bool{},
		sum:        Summary{ByRecommendation: map[string]map[Status]int{}},
		work:       make(chan work, 4096),
		errRuns:    newErrorRuns(),
		compactMin: compactMin,
	}
	for _, r := range cat.Recommendations {
		v := viewOf(r)
		a.views[r] = v
		a.order[v] = len(a.recs)
		a.recs = append(a.recs, v)
		a.sum.ByRecommendation[r.ID] = map[Status]int{}
		if r.Component != "" {
			a.data = append(a.data, r)
			if r.Policy != nil {
				a.reads[r] = policy.Reads(r.Policy.Def)
			}
		} else {
			a.ctrl = append(a.ctrl, r)
		}
	}
	a.runs = newRuns(a.order, opts.SpillBytes, opts.TempDir)
	for range opts.Workers {
		a.wg.Add(1)
		go a.worker()
	}
	return a
}

// Add takes one document that belongs to no unit: it is kept until
// Finish. It is safe to call from several goroutines.
func (a *Assessor) Add(doc *resource.Document) {
	if doc == nil || a.rot.Take(doc) {
		return
	}
	if estate.IsComponent(doc) {
		a.work <- work{doc: doc}
		return
	}
	a.docs.add(1)
	a.docs.keep(1)
	a.est.Add(doc)
}

// AddError records an input problem; errors.Join trees are flattened and
// errors without a position are kept with their message.
func (a *Assessor) AddError(err error) {
	if err == nil {
		return
	}
	list := estate.Flatten(err)
	a.mu.Lock()
	full := a.addErrs(list)
	a.mu.Unlock()
	a.spillErrs(full)
}

// addErrs keeps input problems (with the lock held). When there are
// many, it returns them, taken out of memory, for the caller to spill
// with spillErrs once it has let go of the lock.
func (a *Assessor) addErrs(list []*resource.InputError) (full []*resource.InputError) {
	for _, e := range list {
		if e.Warning {
			a.nWarnings++
		} else {
			a.nErrors++
		}
	}
	a.errs = append(a.errs, list...)
	if a.opts.SpillMessages > 0 && len(a.errs) >= a.opts.SpillMessages && !a.errSpillFailed {
		full = a.errs
		a.errs = make([]*resource.InputError, 0, len(full))
	}
	return full
}

// spillErrs writes problems taken out by addErrs as a run (without the
// lock held, so that units judged meanwhile need not wait for the disk);
// if that fails, they go back into memory, where the rest stay too.
func (a *Assessor) spillErrs(full []*resource.InputError) {
	if full == nil {
		return
	}
	a.errMu.Lock()
	err := spillErrors(a.errRuns, a.opts.TempDir, full)
	a.errMu.Unlock()
	if err == nil {
		return
	}
	a.opts.Logger.Warn("messages kept in memory", "err", err)
	a.mu.Lock()
	a.errSpillFailed = true
	a.errs = append(a.errs, full...)
	a.mu.Unlock()
}

// Finish waits for pending components, finishes the units that were not
// done (a scan cut short), links and judges what was kept, and returns
// the result. The result may hold runs on disk: Close it once written.
func (a *Assessor) Finish(ctx context.Context) *Result {
	a.mu.Lock()
	open := make([]*Unit, 0, len(a.open))
	for u := range a.open {
		open = append(open, u)
	}
	a.mu.Unlock()
	for _, u := range open {
		u.Done()
	}
	// Keys held for their saved rotation policies are judged now, with
	// the documents kept until Finish: saved Azure JSON always is.
	keys, unmatched := a.rot.Finish()
	for _, d := range keys {
		a.work <- work{doc: d}
	}
	a.mu.Lock()
	full := a.addErrs(unmatched)
	a.mu.Unlock()
	a.spillErrs(full)
	close(a.work)
	a.wg.Wait()

	j := a.judge(func() bool { return ctx.Err() != nil }, a.est, a.comps, a.opts.Workers)
	a.record(j, true)
	a.docs.add(-a.docs.kept())

	// After the runs of problems being written (errMu first, as in
	// spillErrs).
	a.errMu.Lock()
	defer a.errMu.Unlock()
	a.mu.Lock()
	defer a.mu.Unlock()
	res := &Result{SchemaVersion: SchemaVersion, GeneratedAt: a.opts.Now.UTC(), EnabledOnly: a.opts.EnabledOnly,
		Recommendations: a.recs, order: a.order}
	res.Assessments, res.spilled = a.runs.finish()
	estate.SortErrors(a.errs)
	res.Errors = a.errs
	res.nErrors, res.nWarnings = a.nErrors, a.nWarnings
	if a.errRuns.runs() > 0 {
		res.errRuns = a.errRuns
	}
	res.Summary = a.sum
	res.Summary.Inventory.Components = a.total
	if a.cat.Framework != nil {
		res.Compliance = complianceOf(a.cat.Framework, res)
	}
	return res
}

// judged is what judging a set of documents gives.
type judged struct {
	as           []*Assessment
	errs         []*resource.InputError
	vaults       []*resource.Document
	placeholders int
}

// judge links the documents of est, judges them and rolls up the
// components of comps (which it empties) to their vaults, on up to
// workers goroutines; it judges no more resources once stopped (if not
// nil) says so.
func (a *Assessor) judge(stopped func() bool, est *estate.Estate, comps map[string]*parentComps, workers int) judged {
	idx, problems := est.Seal()
	j := judged{errs: problems, vaults: idx.Vaults()}
	used := map[*resource.Suppression]bool{}
	docs := idx.Docs()

	// The documents are judged in parallel, in pieces whose results are
	// joined in order, so that the result is what judging them one by one
	// gives.
	j.as = fanOut(len(docs), workers, used, func(lo, hi int, used map[*resource.Suppression]bool) []*Assessment {
		var out []*Assessment
		for _, doc := range docs[lo:hi] {
			if stopped != nil && stopped() {
				break
			}
			for _, r := range a.ctrl {
				if as := a.judgeResource(doc, r, idx, used); as != nil {
					out = append(out, as)
				}
			}
		}
		return out
	})
	rolled, placeholders, warnings := a.rollUp(idx, comps, workers, used)
	j.as = append(j.as, rolled...)
	j.errs = append(j.errs, warnings...)
	j.placeholders = placeholders
	for _, doc := range docs {
		for i := range doc.Suppressions {
			s := &doc.Suppressions[i]
			if !used[s] && !s.Listed {
				j.errs = append(j.errs, a.unusedSuppression(*s, doc))
			}
		}
	}
	return j
}

// record counts what was judged into the summary and keeps the
// assessments (see runs) and problems. last says that nothing is judged
// after j (Finish): its assessments stay in memory for the writers rather
// than being spilled (runs.keep).
func (a *Assessor) record(j judged, last bool) {
	if last {
		a.runs.keep(j.as)
	} else {
		a.runs.add(j.as)
	}
	a.mu.Lock()
	full := a.addErrs(j.errs)
	defer a.spillErrs(full) // runs after the unlock
	defer a.mu.Unlock()
	for _, x := range j.as {
		a.sum.ByRecommendation[x.Recommendation.ID][x.Status]++
	}
	inv := &a.sum.Inventory
	for _, d := range j.vaults {
		switch {
		case d.IsType(resource.TypeManagedHSM):
			inv.ManagedHSMs++
		case unreadable(d):
			inv.Found++
			inv.Unreadable++
		default:
			inv.Found++
			inv.Judged++
		}
	}
	inv.Placeholders += j.placeholders
}

// unreadable reports whether a part of a vault could not be read.
func unreadable(d *resource.Document) bool {
	for _, g := range d.Gaps {
		if g.Part != resource.PartUnfollowed {
			return true
		}
	}
	return false
}
