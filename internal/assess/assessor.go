package assess

import (
	"context"
	"log/slog"
	"runtime"
	"sync"
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
}

// Assessor collects documents as inputs produce them and judges them.
// Components (secrets, keys) are judged as they arrive and only their
// verdicts are kept, so that a million secrets fit in little memory; other
// documents go to the estate until Finish, which needs them all to link
// private endpoints and related resources.
type Assessor struct {
	cat   *catalog.Catalog
	opts  Options
	popts policy.Options
	ctrl  []*catalog.Recommendation
	data  []*catalog.Recommendation
	views map[*catalog.Recommendation]*Recommendation
	est   *estate.Estate

	mu    sync.Mutex
	errs  []*resource.InputError
	comps map[string]*parentComps // estate.RefKey of the parent and deployment
	total map[string]int          // components by type
	types []string                // component types, numbered for packing
	// keepWhole keeps every component as a Component rather than packed
	// (tests compare the two).
	keepWhole bool

	work chan *resource.Document
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
	a := &Assessor{
		cat: cat, opts: opts,
		popts: policy.Options{Now: opts.Now},
		views: map[*catalog.Recommendation]*Recommendation{},
		est:   estate.New(),
		comps: map[string]*parentComps{},
		total: map[string]int{},
		work:  make(chan *resource.Document, 4096),
	}
	for _, r := range cat.Recommendations {
		a.views[r] = viewOf(r)
		if r.Component != "" {
			a.data = append(a.data, r)
		} else {
			a.ctrl = append(a.ctrl, r)
		}
	}
	for range opts.Workers {
		a.wg.Add(1)
		go a.worker()
	}
	return a
}

// Add takes one document. It is safe to call from several goroutines.
func (a *Assessor) Add(doc *resource.Document) {
	if doc == nil {
		return
	}
	if estate.IsComponent(doc) {
		a.work <- doc
		return
	}
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
	a.errs = append(a.errs, list...)
	a.mu.Unlock()
}

// Finish waits for pending components, links related documents, judges
// every resource and returns the result.
func (a *Assessor) Finish(ctx context.Context) *Result {
	close(a.work)
	a.wg.Wait()
	a.mu.Lock()
	defer a.mu.Unlock()

	res := &Result{SchemaVersion: SchemaVersion, GeneratedAt: a.opts.Now.UTC(), EnabledOnly: a.opts.EnabledOnly}
	for _, r := range a.cat.Recommendations {
		res.Recommendations = append(res.Recommendations, a.views[r])
	}
	idx, problems := a.est.Seal()
	a.errs = append(a.errs, problems...)
	used := map[*resource.Suppression]bool{}
	docs := idx.Docs()

	// The documents are judged in parallel, in pieces whose results are
	// joined in order, so that the result is what judging them one by one
	// gives.
	res.Assessments = fanOut(len(docs), a.opts.Workers, used, func(lo, hi int, used map[*resource.Suppression]bool) []*Assessment {
		var out []*Assessment
		for _, doc := range docs[lo:hi] {
			if ctx.Err() != nil {
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
	rolled, placeholders := a.rollUp(idx, used)
	res.Assessments = append(res.Assessments, rolled...)
	for _, doc := range docs {
		for i := range doc.Suppressions {
			s := &doc.Suppressions[i]
			if !used[s] && !s.Listed {
				a.errs = append(a.errs, a.unusedSuppression(*s, doc))
			}
		}
	}
	sortAssessments(res.Assessments, res.Recommendations)
	estate.SortErrors(a.errs)
	res.Errors = a.errs
	res.Summary = a.summarise(res.Assessments, idx, placeholders)
	if a.cat.Framework != nil {
		res.Compliance = complianceOf(a.cat.Framework, res)
	}
	return res
}

// summarise counts the assessments per recommendation and status, and
// the vaults: found = judged + unreadable, where a vault is unreadable
// when a part of it could not be read (its properties, a listing of its
// secrets or keys); a module that was not followed does not make it
// unreadable. Managed HSMs are counted apart.
func (a *Assessor) summarise(as []*Assessment, idx *estate.Index, placeholders int) Summary {
	s := Summary{ByRecommendation: map[string]map[Status]int{}}
	for _, r := range a.cat.Recommendations {
		s.ByRecommendation[r.ID] = map[Status]int{}
	}
	for _, x := range as {
		s.ByRecommendation[x.Recommendation.ID][x.Status]++
	}
	for _, d := range idx.Vaults() {
		switch {
		case d.IsType(resource.TypeManagedHSM):
			s.Inventory.ManagedHSMs++
		case unreadable(d):
			s.Inventory.Found++
			s.Inventory.Unreadable++
		default:
			s.Inventory.Found++
			s.Inventory.Judged++
		}
	}
	s.Inventory.Placeholders = placeholders
	s.Inventory.Components = a.total
	return s
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
