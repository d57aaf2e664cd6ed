package policy

import (
	"fmt"

	"github.com/kvguard/kvguard/internal/resource"
)

// Leaf conditions (field, value, count) and their evaluation.

// leafCond is one condition: a field, value or count compared by an
// operator with an operand.
type leafCond struct {
	field   *fieldRef
	value   expr
	count   *countExpr
	op      operator
	operand expr
	src     string // the left side as written, for reasons
	pos     resource.Position
	// typeCond marks conditions on type, name or kind: the only ones that
	// decide applicability for Resource Manager modes.
	typeCond bool
}

func (l *leafCond) eval(c *evalCtx) truth {
	r, _ := l.run(c, false)
	return r
}

func (l *leafCond) explain(c *evalCtx) (truth, []Reason) {
	r, why := l.run(c, true)
	return r, []Reason{why}
}

func (l *leafCond) run(c *evalCtx, explain bool) (truth, Reason) { //nolint:funlen,gocognit // evaluation hot path of every leaf condition, kept in one place
	var why Reason
	if c.applicability && !l.typeCond {
		// Non-type conditions are treated as true (false when negated) when
		// deciding applicability.
		return truthOf(c.negations%2 == 0), why
	}
	expected, err := l.operand.eval(c)
	if err != nil {
		c.fail(l.pos, err)
		return truthFalse, why
	}
	if explain {
		why = Reason{Field: l.src, Operator: l.op.name, Expected: expected}
		if l.field != nil && l.field.special == "" {
			why.Path = l.field.path.String()
		}
	}
	switch {
	case l.field != nil:
		v, many, isMany := l.field.read(c.fieldDoc, c)
		if !isMany {
			if explain {
				why.Actual = v
			}
			return c.apply(l, v, expected), why
		}
		// [*]: every selected value must meet the condition; an empty
		// selection meets it.
		res := truthTrue
		var decisive any = many
		for _, e := range many {
			switch c.apply(l, e, expected) {
			case truthFalse:
				if explain {
					why.Actual = e
				}
				return truthFalse, why
			case truthUnknown:
				res = truthUnknown
				decisive = e
			}
		}
		if explain {
			why.Actual = decisive
		}
		return res, why
	case l.value != nil:
		v, err := l.value.eval(c)
		if err != nil {
			c.fail(l.pos, err)
			return truthFalse, why
		}
		if explain {
			why.Actual = v
		}
		return c.apply(l, v, expected), why
	default:
		lo, hi, err := l.count.eval(c)
		if err != nil {
			c.fail(l.pos, err)
			return truthFalse, why
		}
		if explain {
			if lo == hi {
				why.Actual = int64(lo)
			} else {
				why.Actual = unknownValue{Expr: fmt.Sprintf("between %d and %d", lo, hi)}
			}
		}
		rlo := c.apply(l, int64(lo), expected)
		if lo == hi {
			return rlo, why
		}
		// Some members could not be judged: the count lies in [lo, hi].
		// The result is known only if every count in the range agrees.
		for n := lo + 1; n <= hi; n++ {
			if c.apply(l, int64(n), expected) != rlo {
				return truthUnknown, why
			}
		}
		return rlo, why
	}
}

// countExpr is a field count or a value count.
type countExpr struct {
	field *fieldRef // field count
	value expr      // value count
	name  string    // value count's name, lower-case
	where cond      // nil: count all members
}

// maxValueCountIterations is Azure Policy's limit on value-count members.
const maxValueCountIterations = 100

// eval returns the number of members meeting where: lo counts those known
// to, hi adds those that could not be judged.
func (k *countExpr) eval(c *evalCtx) (lo, hi int, err error) {
	var members []any
	var sc scope
	if k.field != nil {
		v, many, isMany := k.field.read(c.fieldDoc, c)
		if !isMany {
			if _, ok := v.(unknownValue); ok {
				return 0, 0, nil
			}
		}
		members = many
		sc = scope{prefix: k.field.path, doc: c.fieldDoc}
	} else {
		v, err := k.value.eval(c)
		if err != nil {
			return 0, 0, err
		}
		switch x := v.(type) {
		case unknownValue:
			return 0, 1 << 20, nil
		case []any:
			members = x
		case nil, missingValue:
		default:
			return 0, 0, fmt.Errorf("count value must be an array, got %s", typeName(v))
		}
		if len(members) > maxValueCountIterations {
			return 0, 0, fmt.Errorf("value count over %d members exceeds Azure Policy's limit of %d", len(members), maxValueCountIterations)
		}
		sc = scope{name: k.name, valueCount: true}
	}
	if k.where == nil {
		return len(members), len(members), nil
	}
	for _, m := range members {
		sc.item = m
		c.scopes = append(c.scopes, sc)
		r := k.where.eval(c)
		c.scopes = c.scopes[:len(c.scopes)-1]
		switch r {
		case truthTrue:
			lo++
			hi++
		case truthUnknown:
			hi++
		}
	}
	return lo, hi, nil
}
