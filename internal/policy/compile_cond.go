package policy

import (
	"strings"

	"github.com/kvguard/kvguard/internal/jsonpos"
)

// The compiler of conditions: a condition object to a cond tree.

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
