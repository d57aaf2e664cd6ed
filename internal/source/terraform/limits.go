package terraform

import (
	"github.com/hashicorp/hcl/v2"

	"github.com/kvguard/kvguard/internal/resource"
)

// maxModuleDepth bounds nested module calls.
const maxModuleDepth = 32

// budget caps what one root module may expand to: resource and data
// instances, module instances and dynamic block elements, multiplied
// through nested modules, together. count and for_each are checked before
// they are expanded, so that count = 1e8 (or a module of 100,000
// instances around a resource of 100,000) fails at once with an input
// error naming it, in bounded memory, instead of exhausting the machine.
type budget struct {
	max     int
	used    int
	over    bool // the cap was reached; nothing more is expanded
	skipped int  // expansions refused after the first
}

func newBudget(limit int) budget {
	if limit <= 0 {
		limit = resource.DefaultMaxInstances
	}
	return budget{max: limit}
}

// reserve takes n instances of the budget for what (an address, or a
// dynamic block) whose count or for_each is at rng. When they do not fit,
// nothing is taken: the first refusal is an input error naming what and
// the limit, later ones are counted and reported once by
// reportSkipped.
func (ev *evaluator) reserve(n int64, what, arg string, rng hcl.Range) bool {
	b := &ev.budget
	if b.over {
		b.skipped++
		return false
	}
	if n <= int64(b.max-b.used) {
		b.used += int(n)
		return true
	}
	b.over = true
	ev.errorf(pos(rng), "%s: %s gives %d instances, which would take this root module past %d instances in all (count, for_each and dynamic blocks, multiplied through modules); not expanded, and nothing more in this root is (raise the limit with --max-instances)",
		what, arg, n, b.max)
	return false
}

// reportSkipped reports how many expansions were refused after the limit
// was reached, at the root module.
func (ev *evaluator) reportSkipped() {
	if ev.budget.skipped > 0 {
		ev.errorf(resource.Position{File: ev.rootDir}, "%d more resources, module calls or dynamic blocks were not expanded after the instance limit (%d) was reached", ev.budget.skipped, ev.budget.max)
	}
}
