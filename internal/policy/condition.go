package policy

// truth is three-valued truth: a condition over a value nobody can know
// before deployment is neither true nor false.
type truth int8

const (
	truthFalse truth = iota
	truthTrue
	truthUnknown
)

func truthOf(b bool) truth {
	if b {
		return truthTrue
	}
	return truthFalse
}

func (t truth) not() truth {
	switch t {
	case truthTrue:
		return truthFalse
	case truthFalse:
		return truthTrue
	}
	return truthUnknown
}

// cond is a compiled condition.
type cond interface {
	eval(c *evalCtx) truth
	// explain evaluates like eval and returns the leaf findings that
	// decided the result (for true: the conditions that matched).
	explain(c *evalCtx) (truth, []Reason)
}

type allOfCond struct{ items []cond }
type anyOfCond struct{ items []cond }
type notCond struct{ inner cond }

func (a *allOfCond) eval(c *evalCtx) truth {
	res := truthTrue
	for _, it := range a.items {
		switch it.eval(c) {
		case truthFalse:
			return truthFalse
		case truthUnknown:
			res = truthUnknown
		}
	}
	return res
}

func (a *allOfCond) explain(c *evalCtx) (truth, []Reason) {
	res := truthTrue
	var byResult [3][]Reason
	for _, it := range a.items {
		r, why := it.explain(c)
		byResult[r] = append(byResult[r], why...)
		switch r {
		case truthFalse:
			return truthFalse, byResult[truthFalse]
		case truthUnknown:
			res = truthUnknown
		}
	}
	return res, byResult[res]
}

func (a *anyOfCond) eval(c *evalCtx) truth {
	res := truthFalse
	for _, it := range a.items {
		switch it.eval(c) {
		case truthTrue:
			return truthTrue
		case truthUnknown:
			res = truthUnknown
		}
	}
	return res
}

func (a *anyOfCond) explain(c *evalCtx) (truth, []Reason) {
	res := truthFalse
	var byResult [3][]Reason
	for _, it := range a.items {
		r, why := it.explain(c)
		byResult[r] = append(byResult[r], why...)
		switch r {
		case truthTrue:
			return truthTrue, byResult[truthTrue]
		case truthUnknown:
			res = truthUnknown
		}
	}
	return res, byResult[res]
}

func (n *notCond) eval(c *evalCtx) truth {
	c.negations++
	r := n.inner.eval(c)
	c.negations--
	return r.not()
}

func (n *notCond) explain(c *evalCtx) (truth, []Reason) {
	c.negations++
	r, why := n.inner.explain(c)
	c.negations--
	out := make([]Reason, len(why))
	for i, w := range why {
		w.Negated = !w.Negated
		out[i] = w
	}
	return r.not(), out
}
