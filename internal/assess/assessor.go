package assess

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/kvguard/kvguard/internal/catalog"
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
// documents are kept until Finish, which needs them all to link private
// endpoints and related resources.
type Assessor struct {
	cat   *catalog.Catalog
	opts  Options
	popts policy.Options
	ctrl  []*catalog.Recommendation
	data  []*catalog.Recommendation

	mu    sync.Mutex
	docs  []*resource.Document
	byID  map[string]*resource.Document
	errs  []*resource.InputError
	comps map[string]*parentComps // "id:<key>" or "host:<host>"
	total map[string]int          // components by type
	types []string                // component types, numbered for verdicts
	// keepWhole keeps every component as a Component rather than a
	// verdict (tests compare the two).
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
		byID:  map[string]*resource.Document{},
		comps: map[string]*parentComps{},
		total: map[string]int{},
		work:  make(chan *resource.Document, 4096),
	}
	for _, r := range cat.Recommendations {
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

// IsComponent reports whether a document is a Key Vault object judged in
// a resource-provider mode (secret, key, certificate, HSM key).
func IsComponent(doc *resource.Document) bool {
	if strings.HasPrefix(doc.Type, "Microsoft.KeyVault.Data/") {
		return true // as resource.NewComponent spells it: no folding needed
	}
	return hasPrefixFold(doc.Type, "microsoft.keyvault.data/") || hasPrefixFold(doc.Type, "microsoft.managedhsm.data/")
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// Add takes one document. It is safe to call from several goroutines.
func (a *Assessor) Add(doc *resource.Document) {
	if doc == nil {
		return
	}
	if IsComponent(doc) {
		a.work <- doc
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	key := resource.Key(doc.ID) + deploymentScope(doc.Deployment)
	if doc.ID == "" {
		key = fmt.Sprintf("#%d", len(a.docs))
	}
	if first, dup := a.byID[key]; dup {
		a.errs = append(a.errs, &resource.InputError{
			Pos:        positionOf(doc),
			ResourceID: doc.ID,
			Msg:        fmt.Sprintf("duplicate resource ID %s (first at %s); the copy with the most information is judged", doc.ID, describeSource(first.Source)),
		})
		// Keep whichever copy has its properties (az keyvault list output
		// beside az keyvault show output, say).
		if _, firstGap := first.GapFor("properties"); firstGap {
			if _, gap := doc.GapFor("properties"); !gap {
				*first = *doc
			}
		}
		return
	}
	a.byID[key] = doc
	a.docs = append(a.docs, doc)
}

// AddError records an input problem; errors.Join trees are flattened and
// errors without a position are kept with their message.
func (a *Assessor) AddError(err error) {
	if err == nil {
		return
	}
	list := Flatten(err)
	a.mu.Lock()
	a.errs = append(a.errs, list...)
	a.mu.Unlock()
}

// Flatten turns an error (possibly an errors.Join tree) into input
// errors; an error without a position keeps its message.
func Flatten(err error) []*resource.InputError {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []*resource.InputError
		for _, e := range j.Unwrap() {
			out = append(out, Flatten(e)...)
		}
		return out
	}
	var ie *resource.InputError
	if errors.As(err, &ie) {
		return []*resource.InputError{ie}
	}
	return []*resource.InputError{{Msg: err.Error(), Err: err}}
}

func positionOf(doc *resource.Document) resource.Position {
	return resource.Position{File: doc.Source.File, Line: doc.Source.StartLine}
}

func describeSource(p resource.Provenance) string {
	switch {
	case p.File != "" && p.StartLine > 0:
		return fmt.Sprintf("%s:%d", p.File, p.StartLine)
	case p.File != "":
		return p.File
	case p.Kind != "":
		return p.Kind
	}
	return "an earlier input"
}

func (a *Assessor) worker() {
	defer a.wg.Done()
	var keys keyCache
	for doc := range a.work {
		a.judgeComponent(doc, &keys)
	}
}

// keyCache remembers the last parent's map key: components arrive grouped
// by vault, and lower-casing a resource ID per component is measurable at
// a million of them.
type keyCache struct {
	ref    resource.Ref
	dep    string
	key    string
	seg    string  // the component type's last segment ("secrets")
	prefix *string // ref's ID or URL + "/" + seg + "/"
}

func (k *keyCache) of(r resource.Ref, dep string) string {
	if r != k.ref || dep != k.dep || k.key == "" {
		k.ref, k.dep, k.key, k.prefix = r, dep, parentKey(r)+deploymentScope(dep), nil
	}
	return k.key
}

// idPrefix returns the shared prefix when id is the parent's ID (or URL)
// followed by /<segment>/<name>, else nil.
func (k *keyCache) idPrefix(r resource.Ref, dep, typ, id, name string) *string {
	k.of(r, dep)
	seg := typ[strings.LastIndexByte(typ, '/')+1:]
	if k.prefix == nil || k.seg != seg {
		if r.IsZero() {
			return nil
		}
		p := componentPrefix(r, typ)
		k.prefix, k.seg = &p, seg
	}
	if len(id) == len(*k.prefix)+len(name) && strings.HasPrefix(id, *k.prefix) && strings.HasSuffix(id, name) {
		return k.prefix
	}
	return nil
}

// maxInline is how many data-plane recommendations judgeComponent handles
// without allocating; catalogs with more fall back to the heap.
const maxInline = 8

// judgeComponent evaluates the data-plane recommendations on one component
// and keeps the verdicts.
func (a *Assessor) judgeComponent(doc *resource.Document, keys *keyCache) {
	var inline [maxInline]Component
	var inlineHas [maxInline]bool
	results, has := inline[:0], inlineHas[:0]
	if len(a.data) > maxInline {
		results, has = make([]Component, 0, len(a.data)), make([]bool, 0, len(a.data))
	}
	results, has = results[:len(a.data)], has[:len(a.data)]
	var usedInline [4]bool
	used := usedInline[:0]
	if len(doc.Suppressions) > len(usedInline) {
		used = make([]bool, len(doc.Suppressions))
	} else {
		used = usedInline[:len(doc.Suppressions)]
	}
	disabled := false
	if a.opts.EnabledOnly {
		if v, ok := doc.Get("attributes", "enabled"); ok {
			if b, isBool := v.(bool); isBool && !b {
				disabled = true
			}
		}
	}
	// A component keeps its own location only when it is declared in code
	// (an address: a Terraform block, a Bicep or ARM resource), where a
	// finding should point at it; a secret's line in a saved estate is not
	// worth 100 bytes a million times.
	var src *resource.Provenance
	if doc.Source.Address != "" {
		s := doc.Source
		src = &s
	}
	// Names and IDs are copied (or cloned) when the verdicts are kept
	// (add): inputs may hand out strings sliced from larger ones.
	for i, r := range a.data {
		if r.Component != "*" && doc.Type != r.Component && !doc.IsType(r.Component) {
			continue
		}
		c := &results[i]
		*c = Component{ID: doc.ID, Name: doc.Name, Type: doc.Type, Source: src}
		if p := keys.idPrefix(doc.Parent, doc.Deployment, doc.Type, doc.ID, doc.Name); p != nil {
			c.ID, c.idPrefix = "", p
		}
		if disabled {
			c.Status, c.Reason = NotApplicable, disabledReason
			has[i] = true
			continue
		}
		popts := a.popts
		popts.SkipReasons = r.ComponentUnhealthyText != "" // the catalog phrases the finding
		res := r.Policy.Evaluate(doc, nil, popts)
		switch res.Outcome {
		case policy.NotApplicable, policy.Disabled:
			continue
		case policy.Compliant:
			c.Status = Healthy
		case policy.NonCompliant:
			c.Status = Unhealthy
			c.Reason = r.ComponentUnhealthyText
			if c.Reason == "" {
				c.Reason = factsFromReasons(res.Reasons)
			}
		case policy.Unknown:
			c.Status, c.Reason = Unknown, unknownReason(res)
		case policy.Error:
			c.Status, c.Reason = Unknown, "the policy could not be evaluated: "+res.Err.Error()
		}
		for j, s := range doc.Suppressions {
			if matchesRule(s.RuleID, r) && (c.Status == Unhealthy || c.Status == Unknown) {
				used[j] = true
				c.Status, c.Reason, c.Exemption = applySuppression(s, c.Status, c.Reason, a.opts.Now)
			}
		}
		has[i] = true
	}
	var warnings []*resource.InputError
	for j, s := range doc.Suppressions {
		if !used[j] {
			warnings = append(warnings, a.unusedSuppression(s, doc))
		}
	}
	key := keys.of(doc.Parent, doc.Deployment)
	a.mu.Lock()
	defer a.mu.Unlock()
	a.total[doc.Type]++
	a.errs = append(a.errs, warnings...)
	pc := a.comps[key]
	if pc == nil {
		pc = &parentComps{ref: doc.Parent, deployment: doc.Deployment, perRec: make([][]verdict, len(a.data))}
		a.comps[key] = pc
	}
	for i := range results {
		if has[i] {
			c := &results[i]
			a.add(pc, i, a.data[i], c, c.idPrefix != nil && doc.Parent == pc.ref)
		}
	}
}

// deploymentScope separates the keys of planned documents of different
// deployments (see resource.Document.Deployment).
func deploymentScope(dep string) string {
	if dep == "" {
		return ""
	}
	return "\x00" + dep
}

func parentKey(r resource.Ref) string {
	if r.ID != "" {
		return "id:" + resource.Key(r.ID)
	}
	return "host:" + strings.ToLower(r.Host)
}

// Finish waits for pending components, links related documents, judges
// every resource and returns the result.
func (a *Assessor) Finish(ctx context.Context) *Result {
	close(a.work)
	a.wg.Wait()
	a.mu.Lock()
	defer a.mu.Unlock()

	res := &Result{SchemaVersion: SchemaVersion, GeneratedAt: a.opts.Now.UTC(), Recommendations: a.cat.Recommendations, EnabledOnly: a.opts.EnabledOnly}
	idx := newIndex(a.docs)
	a.errs = append(a.errs, idx.linkPrivateEndpoints()...)
	used := map[*resource.Suppression]bool{}

	// The documents are judged in parallel, in pieces whose results are
	// joined in order, so that the result is what judging them one by one
	// gives.
	res.Assessments = fanOut(len(a.docs), a.opts.Workers, used, func(lo, hi int, used map[*resource.Suppression]bool) []*Assessment {
		var out []*Assessment
		for _, doc := range a.docs[lo:hi] {
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
	res.Assessments = append(res.Assessments, a.rollUp(idx, used)...)
	for _, doc := range a.docs {
		for i := range doc.Suppressions {
			s := &doc.Suppressions[i]
			if !used[s] {
				a.errs = append(a.errs, a.unusedSuppression(*s, doc))
			}
		}
	}
	sortAssessments(res.Assessments, a.cat)
	res.Errors = a.errs
	res.Summary = a.summarise(res.Assessments, idx)
	return res
}

// judgeResource evaluates one resource-level recommendation on one
// document; nil when it does not apply.
func (a *Assessor) judgeResource(doc *resource.Document, r *catalog.Recommendation, idx *index, used map[*resource.Suppression]bool) *Assessment {
	pr := r.Policy.Evaluate(doc, idx, a.popts)
	if pr.Outcome == policy.NotApplicable || pr.Outcome == policy.Disabled {
		return nil
	}
	as := &Assessment{Recommendation: r, Resource: resourceOf(doc), Details: pr.Reasons}
	if gap, ok := doc.GapFor("properties"); ok {
		as.Status = Unknown
		as.Reason = "the resource's properties could not be read: " + gap.Err
		as.Details = nil
	} else {
		switch pr.Outcome {
		case policy.Compliant:
			as.Status = Healthy
			as.Reason = facts(doc, r)
		case policy.NonCompliant:
			as.Status = Unhealthy
			as.Reason = withFacts(r.UnhealthyText, doc, r, pr.Reasons)
		case policy.Unknown:
			as.Status = Unknown
			as.Reason = unknownReason(pr)
		case policy.Error:
			as.Status = Unknown
			as.Reason = "the policy could not be evaluated: " + pr.Err.Error()
		}
	}
	a.applyResourceSuppressions(as, doc, used)
	return as
}

func (a *Assessor) applyResourceSuppressions(as *Assessment, doc *resource.Document, used map[*resource.Suppression]bool) {
	if doc == nil {
		return
	}
	for i := range doc.Suppressions {
		s := &doc.Suppressions[i]
		if !matchesRule(s.RuleID, as.Recommendation) {
			continue
		}
		if as.Status != Unhealthy && as.Status != Unknown {
			continue // nothing to suppress; reported as unused unless another assessment uses it
		}
		used[s] = true
		as.Status, as.Reason, as.Exemption = applySuppression(*s, as.Status, as.Reason, a.opts.Now)
	}
}

func matchesRule(id string, r *catalog.Recommendation) bool {
	return strings.EqualFold(id, r.ID) || (r.RelatedPolicy.ID != "" && strings.EqualFold(id, r.RelatedPolicy.ID))
}

func applySuppression(s resource.Suppression, st Status, reason string, now time.Time) (Status, string, *Exemption) {
	ex := &Exemption{Reason: s.Reason, Expires: s.Expires, Source: s.Pos}
	if !s.Active(now) {
		ex.Expired = true
		return st, reason + fmt.Sprintf(" (a kvguard:ignore at %s expired on %s)", s.Pos, s.Expires.Format("2006-01-02")), ex
	}
	if st != Unhealthy && st != Unknown {
		return st, reason, nil
	}
	why := "suppressed by kvguard:ignore at " + s.Pos.String()
	if s.Reason != "" {
		why += ": " + s.Reason
	}
	if !s.Expires.IsZero() {
		why += " (until " + s.Expires.Format("2006-01-02") + ")"
	}
	return Exempt, why + "; was: " + reason, ex
}

func (a *Assessor) unusedSuppression(s resource.Suppression, doc *resource.Document) *resource.InputError {
	if _, ok := a.cat.Lookup(s.RuleID); !ok {
		return &resource.InputError{Pos: s.Pos, ResourceID: doc.ID, Warning: true,
			Msg: fmt.Sprintf("kvguard:ignore names unknown recommendation %q (known: %s)", s.RuleID, strings.Join(a.cat.IDs(), ", "))}
	}
	return &resource.InputError{Pos: s.Pos, ResourceID: doc.ID, Warning: true,
		Msg: fmt.Sprintf("kvguard:ignore %s on %s is unused: the resource has no finding to suppress", s.RuleID, nameOf(doc))}
}

func nameOf(doc *resource.Document) string {
	if doc.Source.Address != "" {
		return doc.Source.Address
	}
	if doc.Name != "" {
		return doc.Name
	}
	return doc.ID
}

func resourceOf(doc *resource.Document) Resource {
	return Resource{ID: doc.ID, Name: doc.Name, Type: doc.Type, Source: doc.Source}
}

func sortAssessments(as []*Assessment, cat *catalog.Catalog) {
	order := map[*catalog.Recommendation]int{}
	for i, r := range cat.Recommendations {
		order[r] = i
	}
	type keyed struct {
		rec  int
		id   string
		file string
		addr string
		a    *Assessment
	}
	ks := make([]keyed, len(as))
	for i, a := range as {
		ks[i] = keyed{order[a.Recommendation], strings.ToLower(a.Resource.ID), a.Resource.Source.File, a.Resource.Source.Address, a}
	}
	// Inputs are read concurrently; the order must not depend on it.
	sort.SliceStable(ks, func(i, j int) bool {
		x, y := &ks[i], &ks[j]
		if x.rec != y.rec {
			return x.rec < y.rec
		}
		if x.id != y.id {
			return x.id < y.id
		}
		if x.file != y.file {
			return x.file < y.file
		}
		return x.addr < y.addr
	})
	for i := range ks {
		as[i] = ks[i].a
	}
}

func (a *Assessor) summarise(as []*Assessment, idx *index) Summary {
	s := Summary{ByRecommendation: map[string]map[Status]int{}}
	for _, r := range a.cat.Recommendations {
		s.ByRecommendation[r.ID] = map[Status]int{}
	}
	for _, x := range as {
		s.ByRecommendation[x.Recommendation.ID][x.Status]++
		if x.Resource.Placeholder && x.Recommendation == firstData(a.data) {
			s.Inventory.Placeholders++
		}
	}
	for _, d := range idx.vaults {
		s.Inventory.Found++
		if len(d.Gaps) > 0 {
			s.Inventory.Unreadable++
		} else {
			s.Inventory.Judged++
		}
	}
	s.Inventory.Components = a.total
	return s
}

func firstData(rs []*catalog.Recommendation) *catalog.Recommendation {
	if len(rs) == 0 {
		return nil
	}
	return rs[0]
}
