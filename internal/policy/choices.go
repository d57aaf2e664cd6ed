package policy

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kvguard/kvguard/internal/resource"
)

// An IaC input sometimes knows every value an unknown can take: a boolean
// variable, the two branches of a conditional, a dynamic block present or
// absent, a parameter's allowedValues. It marks such a value
// resource.UnknownOneOf. When a verdict comes out Unknown, Evaluate tries
// every combination of those values (substituted into copies of the
// documents, the key dropped for resource.Absent) and gives the common
// outcome when they all agree: an unknown that cannot change the outcome
// does not make it Unknown. When they disagree the outcome stays Unknown,
// and the result says which values decide it.

// maxCombinations caps the combinations of choices tried for one verdict;
// past it the verdict stays Unknown.
const maxCombinations = 64

// maxChoiceEvaluations caps the evaluations one verdict may take, nested
// choices (a choice holding further choices) included.
const maxChoiceEvaluations = 256

// Possibility is one combination of choices and the outcome it gives.
type Possibility struct {
	// Values holds, by the unknown's expression, the value tried
	// (resource.Absent for "not set").
	Values  map[string]any
	Outcome Outcome
}

// choiceSite is an unknown with choices and where it sits.
type choiceSite struct {
	doc    int   // index into the documents (0 the evaluated one, then related)
	path   []any // map keys (string) and array indexes (int)
	values []any // this site's choices: the same expression, mapped differently (true/false, "Enabled"/"Disabled")
}

// choiceGroup is one unknown expression and every site that holds it: the
// same expression takes the same value everywhere.
type choiceGroup struct {
	expr   string
	values []any
	sites  []choiceSite
}

// evaluateChoices judges doc, then, when the outcome is Unknown and the
// documents hold unknowns with choices, every combination of them.
func (p *Policy) evaluateChoices(doc *resource.Document, related Related, opts Options, budget *int) Result {
	var rec *recordingRelated
	if related != nil && p.exist != nil {
		rec = &recordingRelated{inner: related}
		related = rec
	}
	*budget--
	r := p.evaluateOnce(doc, related, opts)
	if r.Outcome != Unknown || *budget <= 0 {
		return r
	}
	docs := []*resource.Document{doc}
	if rec != nil {
		docs = append(docs, rec.docs...)
	}
	groups := choiceGroups(docs)
	if len(groups) == 0 {
		return r
	}
	combos := 1
	for _, g := range groups {
		combos *= len(g.values)
		if combos > maxCombinations {
			return r
		}
	}
	poss := make([]Possibility, 0, combos)
	results := make([]Result, 0, combos)
	for _, pick := range combinations(groups) {
		if *budget <= 0 {
			return r
		}
		subs := substitute(docs, groups, pick)
		var rel Related
		if rec != nil {
			rel = substitutedRelated{inner: rec.inner, subs: subs[1:], orig: docs[1:]}
		}
		res := p.evaluateChoices(subs[0], rel, opts, budget)
		vals := make(map[string]any, len(groups))
		for i, g := range groups {
			vals[g.expr] = g.values[pick[i]]
		}
		poss = append(poss, Possibility{Values: vals, Outcome: res.Outcome})
		results = append(results, res)
	}
	return combine(r, groups, poss, results)
}

// combine gives the common outcome of the possibilities, or Unknown naming
// the values that decide it.
func combine(orig Result, groups []choiceGroup, poss []Possibility, results []Result) Result {
	exprs := make([]string, len(groups))
	for i, g := range groups {
		exprs[i] = g.expr
	}
	first := results[0].Outcome
	agree := first != Unknown && first != Error
	for _, res := range results[1:] {
		if res.Outcome != first {
			agree = false
		}
	}
	if agree {
		out := Result{Outcome: first, ForEvery: exprs}
		seen := map[string]bool{}
		for _, res := range results {
			out.ForEvery = mergeStrings(out.ForEvery, res.ForEvery)
			for _, rs := range res.Reasons {
				if k := rs.String(); !seen[k] {
					seen[k] = true
					out.Reasons = append(out.Reasons, rs)
				}
			}
		}
		return out
	}
	for _, res := range results {
		if res.Outcome == Error || (res.Outcome == Unknown && len(res.Possibilities) == 0) {
			return orig // something else is unknown too: trying the choices settles nothing
		}
	}
	// Some possibilities hold further choices that decide them (a dynamic
	// block whose content is itself a choice): their outcome is Unknown
	// here, and their own possibilities are spliced in.
	deciding := decidingExprs(groups, poss)
	var flat []Possibility
	for i, res := range results {
		if len(res.Possibilities) == 0 {
			flat = append(flat, poss[i])
			continue
		}
		deciding = mergeStrings(deciding, res.Deciding)
		for _, inner := range res.Possibilities {
			vals := make(map[string]any, len(poss[i].Values)+len(inner.Values))
			for k, v := range poss[i].Values {
				vals[k] = v
			}
			for k, v := range inner.Values {
				vals[k] = v
			}
			flat = append(flat, Possibility{Values: vals, Outcome: inner.Outcome})
		}
	}
	out := Result{Outcome: Unknown, Possibilities: flat, Deciding: deciding}
	for _, rs := range orig.Reasons {
		if u, ok := rs.Actual.(unknownValue); ok && u.Choices != nil && !contains(deciding, u.Expr) {
			continue // an unknown that does not change the outcome
		}
		out.Reasons = append(out.Reasons, rs)
	}
	out.Err = fmt.Errorf("%s", out.Note())
	return out
}

// decidingExprs returns the expressions whose value alone changes the
// outcome in some pair of possibilities.
func decidingExprs(groups []choiceGroup, poss []Possibility) []string {
	var out []string
	for _, g := range groups {
		if decides(g.expr, poss) {
			out = append(out, g.expr)
		}
	}
	if len(out) == 0 { // the outcome turns only on values together
		for _, g := range groups {
			out = append(out, g.expr)
		}
	}
	return out
}

// decides reports whether two possibilities that differ only in expr's
// value have different outcomes.
func decides(expr string, poss []Possibility) bool {
	for i := range poss {
		for j := i + 1; j < len(poss); j++ {
			if poss[i].Outcome != poss[j].Outcome && onlyDiffer(poss[i].Values, poss[j].Values, expr) {
				return true
			}
		}
	}
	return false
}

func onlyDiffer(a, b map[string]any, expr string) bool {
	for k, v := range a {
		same := valuesEqual(v, b[k]) || (resource.IsAbsent(v) && resource.IsAbsent(b[k]))
		if same == (k == expr) {
			return false
		}
	}
	return true
}

// Note says, in words, what trying the choices established: "for every
// value of var.x" or which values give which outcome. Empty when no
// choices were tried.
func (r Result) Note() string {
	if len(r.Possibilities) == 0 {
		if len(r.ForEvery) == 0 {
			return ""
		}
		return "the same for every value of " + strings.Join(r.ForEvery, ", ")
	}
	byOutcome := map[Outcome][]string{}
	var order []Outcome
	for _, ps := range r.Possibilities {
		if _, ok := byOutcome[ps.Outcome]; !ok {
			order = append(order, ps.Outcome)
		}
		var parts []string
		for _, e := range r.Deciding {
			if v, ok := ps.Values[e]; ok {
				parts = append(parts, e+" = "+choiceText(v))
			}
		}
		s := strings.Join(parts, ", ")
		if !contains(byOutcome[ps.Outcome], s) {
			byOutcome[ps.Outcome] = append(byOutcome[ps.Outcome], s)
		}
	}
	var parts []string
	for _, o := range order {
		parts = append(parts, o.String()+" when "+strings.Join(byOutcome[o], " or "))
	}
	return "the verdict depends on " + strings.Join(r.Deciding, ", ") + ": " + strings.Join(parts, "; ")
}

// maxChoiceText bounds a value quoted in a note (a whole block can be a
// choice).
const maxChoiceText = 80

func choiceText(v any) string {
	if resource.IsAbsent(v) {
		return "(absent)"
	}
	s := display(v)
	if len(s) > maxChoiceText {
		cut := maxChoiceText
		for cut > 0 && s[cut]&0xC0 == 0x80 {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func mergeStrings(a, b []string) []string {
	for _, s := range b {
		if !contains(a, s) {
			a = append(a, s)
		}
	}
	return a
}

// choiceGroups finds the unknowns with choices in docs, grouped by
// expression, in a stable order.
func choiceGroups(docs []*resource.Document) []choiceGroup {
	var groups []choiceGroup
	index := map[string]int{}
	for di, d := range docs {
		walkChoices(d.Body, nil, func(path []any, u resource.Unknown) {
			key := fmt.Sprintf("%s\x00%d", u.Expr, len(u.Choices.Values))
			gi, ok := index[key]
			if !ok {
				gi = len(groups)
				index[key] = gi
				groups = append(groups, choiceGroup{expr: u.Expr, values: u.Choices.Values})
			}
			groups[gi].sites = append(groups[gi].sites, choiceSite{doc: di, path: append([]any(nil), path...), values: u.Choices.Values})
		})
	}
	sort.SliceStable(groups, func(i, j int) bool { return groups[i].expr < groups[j].expr })
	return groups
}

func walkChoices(v any, path []any, f func([]any, resource.Unknown)) {
	switch x := v.(type) {
	case resource.Unknown:
		if x.Choices != nil && len(x.Choices.Values) > 0 {
			f(path, x)
		}
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			walkChoices(x[k], append(path, k), f)
		}
	case []any:
		for i, e := range x {
			walkChoices(e, append(path, i), f)
		}
	}
}

// combinations lists every pick of one value index per group.
func combinations(groups []choiceGroup) [][]int {
	out := [][]int{{}}
	for _, g := range groups {
		next := make([][]int, 0, len(out)*len(g.values))
		for _, prefix := range out {
			for i := range g.values {
				next = append(next, append(append([]int(nil), prefix...), i))
			}
		}
		out = next
	}
	return out
}

// substitute returns copies of docs with each group's site set to its
// picked value (removed for Absent).
func substitute(docs []*resource.Document, groups []choiceGroup, pick []int) []*resource.Document {
	out := make([]*resource.Document, len(docs))
	for i, d := range docs {
		c := *d
		c.Body, _ = resource.CopyValue(d.Body).(map[string]any)
		out[i] = &c
	}
	for gi, g := range groups {
		for _, s := range g.sites {
			out[s.doc].Body, _ = resource.SetAt(out[s.doc].Body, s.path, s.values[pick[gi]]).(map[string]any)
		}
	}
	for _, d := range out {
		d.Body, _ = resource.DropAbsent(d.Body).(map[string]any)
	}
	return out
}

// recordingRelated keeps the related documents a policy was given, so
// that their choices are tried too.
type recordingRelated struct {
	inner Related
	docs  []*resource.Document
}

func (r *recordingRelated) Related(doc *resource.Document, q RelatedQuery) ([]*resource.Document, bool, string) {
	docs, known, why := r.inner.Related(doc, q)
	r.docs = append(r.docs, docs...)
	return docs, known, why
}

// substitutedRelated answers with the substituted copies of the recorded
// documents.
type substitutedRelated struct {
	inner      Related
	orig, subs []*resource.Document
}

func (r substitutedRelated) Related(doc *resource.Document, q RelatedQuery) ([]*resource.Document, bool, string) {
	docs, known, why := r.inner.Related(doc, q)
	out := make([]*resource.Document, len(docs))
	for i, d := range docs {
		out[i] = d
		for j, o := range r.orig {
			if o == d {
				out[i] = r.subs[j]
				break
			}
		}
	}
	return out, known, why
}
