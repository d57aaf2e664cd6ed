package arm

import "github.com/kvguard/kvguard/internal/resource"

// Budget counts the resource instances one input expands to: every
// resource, and every copy of a copy loop, multiplied through nested
// deployments and modules. A deployment a hostile or mistaken template
// would expand to millions of resources is refused before it is expanded,
// with an input error, so that time and memory stay bounded. One Budget
// serves one input (a template with its nested deployments, or a Bicep
// file with its modules); it is not safe for concurrent use.
type Budget struct {
	max, used int
	spent     bool
}

// NewBudget returns a Budget of limit instances; limit <= 0 means
// resource.DefaultMaxInstances.
func NewBudget(limit int) *Budget {
	if limit <= 0 {
		limit = resource.DefaultMaxInstances
	}
	return &Budget{max: limit}
}

// Take reserves n instances. It is false, and stays false, once the
// instances would pass the cap: the caller reports it (once, see Spent)
// and expands nothing more.
func (b *Budget) Take(n int) bool {
	if b.spent {
		return false
	}
	if n > b.max-b.used {
		b.spent = true
		return false
	}
	b.used += n
	return true
}

// Max is the cap.
func (b *Budget) Max() int { return b.max }

// Used is the number of instances taken so far.
func (b *Budget) Used() int { return b.used }

// Spent reports whether a Take has failed.
func (b *Budget) Spent() bool { return b.spent }
