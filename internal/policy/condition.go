package policy

import (
	"fmt"
	"strings"

	"github.com/kvguard/kvguard/internal/jsonpos"
	"github.com/kvguard/kvguard/internal/resource"
)

// tri is three-valued truth: a condition over a value nobody can know
// before deployment is neither true nor false.
type tri int8

const (
	triFalse tri = iota
	triTrue
	triUnknown
)

func triOf(b bool) tri {
	if b {
		return triTrue
	}
	return triFalse
}

func (t tri) not() tri {
	switch t {
	case triTrue:
		return triFalse
	case triFalse:
		return triTrue
	}
	return triUnknown
}

// cond is a compiled condition.
type cond interface {
	eval(c *evalCtx) tri
	// explain evaluates like eval and returns the leaf findings that
	// decided the result (for true: the conditions that matched).
	explain(c *evalCtx) (tri, []Reason)
}

type allOfCond struct{ items []cond }
type anyOfCond struct{ items []cond }
type notCond struct{ inner cond }

func (a *allOfCond) eval(c *evalCtx) tri {
	res := triTrue
	for _, it := range a.items {
		switch it.eval(c) {
		case triFalse:
			return triFalse
		case triUnknown:
			res = triUnknown
		}
	}
	return res
}

func (a *allOfCond) explain(c *evalCtx) (tri, []Reason) {
	res := triTrue
	var byResult [3][]Reason
	for _, it := range a.items {
		r, why := it.explain(c)
		byResult[r] = append(byResult[r], why...)
		switch r {
		case triFalse:
			return triFalse, byResult[triFalse]
		case triUnknown:
			res = triUnknown
		}
	}
	return res, byResult[res]
}

func (a *anyOfCond) eval(c *evalCtx) tri {
	res := triFalse
	for _, it := range a.items {
		switch it.eval(c) {
		case triTrue:
			return triTrue
		case triUnknown:
			res = triUnknown
		}
	}
	return res
}

func (a *anyOfCond) explain(c *evalCtx) (tri, []Reason) {
	res := triFalse
	var byResult [3][]Reason
	for _, it := range a.items {
		r, why := it.explain(c)
		byResult[r] = append(byResult[r], why...)
		switch r {
		case triTrue:
			return triTrue, byResult[triTrue]
		case triUnknown:
			res = triUnknown
		}
	}
	return res, byResult[res]
}

func (n *notCond) eval(c *evalCtx) tri {
	c.negations++
	r := n.inner.eval(c)
	c.negations--
	return r.not()
}

func (n *notCond) explain(c *evalCtx) (tri, []Reason) {
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

// operator is a compiled comparison.
type operator struct {
	name string // as written, canonical casing
	kind opKind
	neg  bool // the not* form
}

type opKind uint8

const (
	opEquals opKind = iota
	opLike
	opMatch
	opMatchInsensitively
	opContains
	opIn
	opContainsKey
	opLess
	opLessOrEquals
	opGreater
	opGreaterOrEquals
	opExists
)

var operators = map[string]operator{
	"equals":                {name: "equals", kind: opEquals},
	"notequals":             {name: "notEquals", kind: opEquals, neg: true},
	"like":                  {name: "like", kind: opLike},
	"notlike":               {name: "notLike", kind: opLike, neg: true},
	"match":                 {name: "match", kind: opMatch},
	"notmatch":              {name: "notMatch", kind: opMatch, neg: true},
	"matchinsensitively":    {name: "matchInsensitively", kind: opMatchInsensitively},
	"notmatchinsensitively": {name: "notMatchInsensitively", kind: opMatchInsensitively, neg: true},
	"contains":              {name: "contains", kind: opContains},
	"notcontains":           {name: "notContains", kind: opContains, neg: true},
	"in":                    {name: "in", kind: opIn},
	"notin":                 {name: "notIn", kind: opIn, neg: true},
	"containskey":           {name: "containsKey", kind: opContainsKey},
	"notcontainskey":        {name: "notContainsKey", kind: opContainsKey, neg: true},
	"less":                  {name: "less", kind: opLess},
	"lessorequals":          {name: "lessOrEquals", kind: opLessOrEquals},
	"greater":               {name: "greater", kind: opGreater},
	"greaterorequals":       {name: "greaterOrEquals", kind: opGreaterOrEquals},
	"exists":                {name: "exists", kind: opExists},
}

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

func (l *leafCond) eval(c *evalCtx) tri {
	r, _ := l.run(c, false)
	return r
}

func (l *leafCond) explain(c *evalCtx) (tri, []Reason) {
	r, why := l.run(c, true)
	return r, []Reason{why}
}

func (l *leafCond) run(c *evalCtx, explain bool) (tri, Reason) { //nolint:funlen,gocognit // evaluation hot path of every leaf condition, kept in one place
	var why Reason
	if c.applicability && !l.typeCond {
		// Non-type conditions are treated as true (false when negated) when
		// deciding applicability.
		return triOf(c.negations%2 == 0), why
	}
	expected, err := l.operand.eval(c)
	if err != nil {
		c.fail(l.pos, err)
		return triFalse, why
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
		res := triTrue
		var decisive any = many
		for _, e := range many {
			switch c.apply(l, e, expected) {
			case triFalse:
				if explain {
					why.Actual = e
				}
				return triFalse, why
			case triUnknown:
				res = triUnknown
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
			return triFalse, why
		}
		if explain {
			why.Actual = v
		}
		return c.apply(l, v, expected), why
	default:
		lo, hi, err := l.count.eval(c)
		if err != nil {
			c.fail(l.pos, err)
			return triFalse, why
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
				return triUnknown, why
			}
		}
		return rlo, why
	}
}

// apply runs the operator on a value.
func (c *evalCtx) apply(l *leafCond, actual, expected any) tri { //nolint:funlen // one case per policy condition operator (equals, like, in, ...), read as a table
	op := l.op
	if _, ok := expected.(unknownValue); ok {
		return triUnknown
	}
	if _, ok := actual.(unknownValue); ok {
		if op.kind == opExists {
			want, _ := boolOf(expected)
			return triOf(want) // an unknown value is set
		}
		return triUnknown
	}
	if actual == nil {
		actual = missing
	}
	_, isMissing := actual.(missingValue)
	var r bool
	switch op.kind {
	case opExists:
		want, ok := boolOf(expected)
		if !ok {
			c.fail(l.pos, fmt.Errorf("exists needs true or false, got %s", display(expected)))
			return triFalse
		}
		return triOf(!isMissing == want)
	case opEquals:
		r = !isMissing && valuesEqual(actual, expected)
	case opIn:
		arr, ok := expected.([]any)
		if !ok {
			c.fail(l.pos, fmt.Errorf("%s needs an array, got %s", op.name, typeName(expected)))
			return triFalse
		}
		if !isMissing {
			for _, e := range arr {
				if valuesEqual(actual, e) {
					r = true
					break
				}
			}
		}
	case opLike:
		s, ok1 := stringOf(actual)
		p, ok2 := stringOf(expected)
		r = !isMissing && ok1 && ok2 && likeMatch(s, p)
	case opMatch, opMatchInsensitively:
		s, ok1 := stringOf(actual)
		p, ok2 := stringOf(expected)
		r = !isMissing && ok1 && ok2 && patternMatch(s, p, op.kind == opMatchInsensitively)
	case opContains:
		if !isMissing {
			r = containsValue(actual, expected)
		}
	case opContainsKey:
		if m, ok := actual.(map[string]any); ok {
			if k, ok := stringOf(expected); ok {
				_, r = lookupFold(m, k)
			}
		}
	case opLess, opLessOrEquals, opGreater, opGreaterOrEquals:
		if isMissing {
			return triFalse
		}
		cmp, ok := compareOrdered(actual, expected)
		if !ok {
			c.fail(l.pos, fmt.Errorf("%s cannot compare %s with %s", op.name, display(actual), display(expected)))
			return triFalse
		}
		switch op.kind {
		case opLess:
			r = cmp < 0
		case opLessOrEquals:
			r = cmp <= 0
		case opGreater:
			r = cmp > 0
		default:
			r = cmp >= 0
		}
	}
	if op.neg {
		r = !r
	}
	return triOf(r)
}

func boolOf(v any) (bool, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		switch strings.ToLower(x) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return false, false
}

func containsValue(actual, expected any) bool {
	switch x := actual.(type) {
	case []any:
		for _, e := range x {
			if valuesEqual(e, expected) {
				return true
			}
		}
		return false
	case map[string]any:
		k, ok := stringOf(expected)
		if !ok {
			return false
		}
		_, found := lookupFold(x, k)
		return found
	}
	s, ok1 := stringOf(actual)
	sub, ok2 := stringOf(expected)
	return ok1 && ok2 && strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

// likeMatch implements like: '*' matches any run of characters,
// case-insensitively.
func likeMatch(s, pattern string) bool {
	s, pattern = strings.ToLower(s), strings.ToLower(pattern)
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return s == pattern
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for i := 1; i < len(parts)-1; i++ {
		j := strings.Index(s, parts[i])
		if j < 0 {
			return false
		}
		s = s[j+len(parts[i]):]
	}
	return strings.HasSuffix(s, parts[len(parts)-1])
}

// patternMatch implements match: '#' a digit, '?' a letter, '.' any
// character, anything else itself; the whole value must match.
func patternMatch(s, pattern string, insensitive bool) bool {
	rs, rp := []rune(s), []rune(pattern)
	if len(rs) != len(rp) {
		return false
	}
	for i, p := range rp {
		c := rs[i]
		switch p {
		case '#':
			if c < '0' || c > '9' {
				return false
			}
		case '?':
			if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') {
				return false
			}
		case '.':
		default:
			if insensitive {
				if !strings.EqualFold(string(c), string(p)) {
					return false
				}
			} else if c != p {
				return false
			}
		}
	}
	return true
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
		case triTrue:
			lo++
			hi++
		case triUnknown:
			hi++
		}
	}
	return lo, hi, nil
}

// compile turns a condition object into a cond.
func (cp *compiler) compileCond(n *jsonpos.Node) (cond, error) { //nolint:funlen,gocognit // one case per policy condition form (allOf, anyOf, not, field, value, count)
	if n == nil || n.Kind != jsonpos.Object {
		return nil, cp.errAt(n, "a condition must be an object")
	}
	if len(n.Members) == 0 {
		return nil, cp.errAt(n, "empty condition")
	}
	if cp.depth++; cp.depth > 64 {
		return nil, cp.errAt(n, "conditions nested deeper than 64 levels")
	}
	defer func() { cp.depth-- }()
	var left, opKey *jsonpos.Member
	var leftKind string
	for i := range n.Members {
		m := &n.Members[i]
		switch strings.ToLower(m.Key) {
		case "allof", "anyof":
			if len(n.Members) != 1 {
				return nil, cp.errAt(n, "%s must be the only member of its condition", m.Key)
			}
			if m.Value.Kind != jsonpos.Array {
				return nil, cp.errAt(m.Value, "%s needs an array of conditions", m.Key)
			}
			var items []cond
			for _, it := range m.Value.Items {
				c, err := cp.compileCond(it)
				if err != nil {
					return nil, err
				}
				items = append(items, c)
			}
			if strings.EqualFold(m.Key, "allOf") {
				return &allOfCond{items: items}, nil
			}
			return &anyOfCond{items: items}, nil
		case "not":
			if len(n.Members) != 1 {
				return nil, cp.errAt(n, "not must be the only member of its condition")
			}
			inner, err := cp.compileCond(m.Value)
			if err != nil {
				return nil, err
			}
			return &notCond{inner: inner}, nil
		case "field", "value", "count":
			if left != nil {
				return nil, cp.errAt(m.Value, "a condition has one of field, value or count, not both %s and %s", leftKind, m.Key)
			}
			left, leftKind = m, strings.ToLower(m.Key)
		default:
			if _, ok := operators[strings.ToLower(m.Key)]; !ok {
				return nil, cp.errAtKey(m, "unknown condition member %q (operators: equals, notEquals, like, notLike, match, matchInsensitively, notMatch, notMatchInsensitively, contains, notContains, in, notIn, containsKey, notContainsKey, less, lessOrEquals, greater, greaterOrEquals, exists)", m.Key)
			}
			if opKey != nil {
				return nil, cp.errAt(m.Value, "a condition has one operator, found %s and %s", opKey.Key, m.Key)
			}
			opKey = m
		}
	}
	if left == nil {
		return nil, cp.errAt(n, "condition has no field, value or count")
	}
	if opKey == nil {
		return nil, cp.errAt(n, "condition on %s has no operator", leftKind)
	}
	l := &leafCond{op: operators[strings.ToLower(opKey.Key)], pos: cp.pos(n)}
	operand, err := cp.compileValue(opKey.Value)
	if err != nil {
		return nil, err
	}
	l.operand = operand
	switch leftKind {
	case "field":
		if left.Value.Kind != jsonpos.String {
			return nil, cp.errAt(left.Value, "field must be a string")
		}
		fname := left.Value.Str
		if isTemplate(fname) {
			// A field named by an expression; evaluate it once now, as its
			// arguments can only be parameters.
			e, err := compileString(fname)
			if err != nil {
				return nil, cp.errAt(left.Value, "%v", err)
			}
			v, err := e.eval(cp.constCtx())
			if err != nil {
				return nil, cp.errAt(left.Value, "%v", err)
			}
			s, ok := v.(string)
			if !ok {
				return nil, cp.errAt(left.Value, "field expression must give a string")
			}
			fname = s
		}
		f, err := resolveField(fname)
		if err != nil {
			return nil, cp.errAt(left.Value, "%v", err)
		}
		l.field, l.src = &f, fname
		l.typeCond = f.special == "type" || f.special == "name" || f.special == "kind"
	case "value":
		e, err := cp.compileValue(left.Value)
		if err != nil {
			return nil, err
		}
		l.value = e
		l.src = "value"
		if left.Value.Kind == jsonpos.String {
			l.src = left.Value.Str
		}
	case "count":
		k, err := cp.compileCount(left.Value)
		if err != nil {
			return nil, err
		}
		l.count = k
		l.src = "count"
		if k.field != nil {
			l.src = "count(" + k.field.text + ")"
		} else if left.Value.Kind == jsonpos.Object {
			if v := left.Value.GetFold("value"); v != nil && v.Kind == jsonpos.String {
				l.src = "count(" + v.Str + ")"
			}
		}
	}
	return l, nil
}

func (cp *compiler) compileCount(n *jsonpos.Node) (*countExpr, error) {
	if n.Kind != jsonpos.Object {
		return nil, cp.errAt(n, "count must be an object with field or value")
	}
	k := &countExpr{}
	for _, m := range n.Members {
		switch strings.ToLower(m.Key) {
		case "field":
			if m.Value.Kind != jsonpos.String {
				return nil, cp.errAt(m.Value, "count.field must be a string")
			}
			f, err := resolveField(m.Value.Str)
			if err != nil {
				return nil, cp.errAt(m.Value, "%v", err)
			}
			if f.special != "" || !f.path.hasWildcard() {
				return nil, cp.errAt(m.Value, "count.field must be an array alias with [*], got %q", m.Value.Str)
			}
			k.field = &f
		case "value":
			e, err := cp.compileValue(m.Value)
			if err != nil {
				return nil, err
			}
			k.value = e
		case "name":
			if m.Value.Kind != jsonpos.String {
				return nil, cp.errAt(m.Value, "count.name must be a string")
			}
			k.name = strings.ToLower(m.Value.Str)
		case "where":
			w, err := cp.compileCond(m.Value)
			if err != nil {
				return nil, err
			}
			k.where = w
		default:
			return nil, cp.errAtKey(&m, "unknown count member %q", m.Key)
		}
	}
	if (k.field == nil) == (k.value == nil) {
		return nil, cp.errAt(n, "count needs exactly one of field or value")
	}
	if k.field != nil && k.name != "" {
		return nil, cp.errAt(n, "count.name applies to value counts only")
	}
	return k, nil
}

// compileValue compiles an operand or value: strings may be template
// expressions; arrays and objects may contain them.
func (cp *compiler) compileValue(n *jsonpos.Node) (expr, error) {
	switch n.Kind {
	case jsonpos.String:
		e, err := compileString(n.Str)
		if err != nil {
			return nil, cp.errAt(n, "%v", err)
		}
		return e, nil
	case jsonpos.Array:
		items := make([]expr, len(n.Items))
		constant := true
		for i, it := range n.Items {
			e, err := cp.compileValue(it)
			if err != nil {
				return nil, err
			}
			if _, ok := e.(litExpr); !ok {
				constant = false
			}
			items[i] = e
		}
		if constant {
			return litExpr{v: n.Interface()}, nil
		}
		return arrayExpr(items), nil
	case jsonpos.Object:
		obj := objectExpr{}
		constant := true
		for _, m := range n.Members {
			e, err := cp.compileValue(m.Value)
			if err != nil {
				return nil, err
			}
			if _, ok := e.(litExpr); !ok {
				constant = false
			}
			obj = append(obj, objectMember{key: m.Key, value: e})
		}
		if constant {
			return litExpr{v: n.Interface()}, nil
		}
		return obj, nil
	}
	return litExpr{v: n.Interface()}, nil
}

type arrayExpr []expr

func (a arrayExpr) eval(c *evalCtx) (any, error) {
	out := make([]any, len(a))
	for i, e := range a {
		v, err := e.eval(c)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

type objectMember struct {
	key   string
	value expr
}

type objectExpr []objectMember

func (o objectExpr) eval(c *evalCtx) (any, error) {
	out := make(map[string]any, len(o))
	for _, m := range o {
		v, err := m.value.eval(c)
		if err != nil {
			return nil, err
		}
		out[m.key] = v
	}
	return out, nil
}
