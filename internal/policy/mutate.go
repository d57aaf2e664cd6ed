package policy

import (
	"fmt"
	"strings"

	"github.com/kvguard/kvguard/internal/jsonpos"
	"github.com/kvguard/kvguard/internal/resource"
)

// Append and Modify change the request before Deny judges it: "Append and
// Modify are then evaluated. Since either could alter the request, a
// change made may prevent an audit or deny effect from triggering"
// (learn.microsoft.com/azure/governance/policy/concepts/effect-basics,
// "Order of evaluation"). Mutate applies one such policy to a request.

// mutation is the compiled details of an append or modify policy.
type mutation struct {
	ops []mutOp
	// conflictEffect is modify's details.conflictEffect (lower-case;
	// audit when absent).
	conflictEffect string
}

// mutOp is one modify operation, or one field/value pair of append
// (operation "append").
type mutOp struct {
	operation string // add, addorreplace, remove, append (lower-case)
	field     fieldRef
	value     expr // nil for remove
	condition expr // nil: always
}

// compileMutation reads then.details of an append (an array of
// field/value pairs) or modify (operations, conflictEffect) policy.
func (cp *compiler) compileMutation(thenNode *jsonpos.Node, effect string) (*mutation, error) {
	details := thenNode.GetFold("details")
	if details == nil {
		return nil, cp.errAt(thenNode, "%s needs then.details", effect)
	}
	m := &mutation{conflictEffect: "audit"}
	items := details.Items
	if effect == "modify" {
		if details.Kind != jsonpos.Object {
			return nil, cp.errAt(details, "modify: then.details must be an object with operations")
		}
		if ce := details.GetFold("conflictEffect"); ce != nil && ce.Kind == jsonpos.String {
			m.conflictEffect = strings.ToLower(ce.Str)
		}
		ops := details.GetFold("operations")
		if ops == nil || ops.Kind != jsonpos.Array {
			return nil, cp.errAt(details, "modify: then.details.operations must be an array")
		}
		items = ops.Items
	} else if details.Kind != jsonpos.Array {
		return nil, cp.errAt(details, "append: then.details must be an array of field/value pairs")
	}
	for _, it := range items {
		op, err := cp.compileMutOp(it, effect)
		if err != nil {
			return nil, err
		}
		m.ops = append(m.ops, op)
	}
	return m, nil
}

func (cp *compiler) compileMutOp(it *jsonpos.Node, effect string) (mutOp, error) {
	if it.Kind != jsonpos.Object {
		return mutOp{}, cp.errAt(it, "%s: each operation must be an object", effect)
	}
	op := mutOp{operation: "append"}
	if effect == "modify" {
		o := it.GetFold("operation")
		if o == nil || o.Kind != jsonpos.String {
			return mutOp{}, cp.errAt(it, "modify: an operation needs its operation (add, addOrReplace, remove)")
		}
		op.operation = strings.ToLower(o.Str)
		switch op.operation {
		case "add", "addorreplace", "remove":
		default:
			return mutOp{}, cp.errAt(o, "modify: unknown operation %q (add, addOrReplace, remove)", o.Str)
		}
	}
	f := it.GetFold("field")
	if f == nil || f.Kind != jsonpos.String {
		return mutOp{}, cp.errAt(it, "%s: an operation needs its field", effect)
	}
	ref, err := resolveField(f.Str)
	if err != nil {
		return mutOp{}, cp.errAt(f, "%v", err)
	}
	op.field = ref
	if op.operation != "remove" {
		v := it.GetFold("value")
		if v == nil {
			return mutOp{}, cp.errAt(it, "%s: an operation on %s needs its value", effect, f.Str)
		}
		if op.value, err = cp.compileValue(v); err != nil {
			return mutOp{}, err
		}
	}
	if c := it.GetFold("condition"); c != nil {
		if op.condition, err = cp.compileValue(c); err != nil {
			return mutOp{}, err
		}
	}
	return op, nil
}

// Change is one change an Append or Modify policy makes to a request.
type Change struct {
	// Operation is add, addOrReplace, remove (Modify) or append.
	Operation string
	// Field is the alias or field as the definition writes it; Path the
	// property of the document it sets.
	Field, Path string
	// Before is the request's value (nil when absent), After the value
	// sent on (nil when removed).
	Before, After any
}

// MutateResult is what Mutate makes of a request.
type MutateResult struct {
	// Doc is the request after the changes (a copy; doc itself when
	// nothing changed).
	Doc     *resource.Document
	Changes []Change
	// Refused is set when the policy refuses the request instead of
	// changing it: an append that would override a value of the request
	// ("If the append effect would override a value in the original
	// request with a different value, then it acts as a deny effect",
	// effect-append), or a modify operation that cannot be applied with
	// conflictEffect deny.
	Refused string
	// Unknown says why whether (or how) the policy changes the request
	// cannot be known before deployment; the request is left as it was.
	Unknown string
	// Err is an evaluation error; the request is left as it was.
	Err error
}

// Mutate applies an append or modify policy to a request document: when
// its if is true, its operations (those whose condition holds) change a
// copy of the document. Another effect changes nothing.
func (p *Policy) Mutate(doc *resource.Document, related Related, opts Options) (res MutateResult) {
	res.Doc = doc
	defer func() {
		if r := recover(); r != nil {
			res = MutateResult{Doc: doc, Err: fmt.Errorf("apply policy %s: %w: %v", defLabel(p.Def), errInternal, r)}
		}
	}()
	if p.mut == nil {
		return res
	}
	opts.SkipReasons = true
	r := p.Evaluate(doc, related, opts)
	switch r.Outcome {
	case NonCompliant:
	case Unknown:
		res.Unknown = "whether its condition holds is unknown before deployment"
		if r.Err != nil {
			res.Unknown += ": " + r.Err.Error()
		}
		return res
	case Error:
		res.Err = r.Err
		return res
	default:
		return res
	}
	cp := *doc
	cp.Body, _ = resource.CopyValue(doc.Body).(map[string]any)
	if cp.Body == nil {
		cp.Body = map[string]any{}
	}
	c := p.newCtx(&cp, opts)
	defer ctxPool.Put(c)
	for _, op := range p.mut.ops {
		if stop := p.applyOp(c, &cp, op, &res); stop {
			return MutateResult{Doc: doc, Refused: res.Refused, Unknown: res.Unknown, Err: res.Err}
		}
	}
	if len(res.Changes) > 0 {
		res.Doc = &cp
	}
	return res
}

// applyOp applies one operation to cp; it returns true when the policy
// refuses the request or its outcome cannot be known (res says which).
func (p *Policy) applyOp(c *evalCtx, cp *resource.Document, op mutOp, res *MutateResult) bool {
	if op.condition != nil {
		v, err := op.condition.eval(c)
		if err != nil {
			res.Err = fmt.Errorf("condition of the operation on %s: %w", op.field.text, err)
			return true
		}
		if u, ok := v.(resource.Unknown); ok {
			res.Unknown = fmt.Sprintf("whether the operation on %s applies depends on %s", op.field.text, u.Expr)
			return true
		}
		if b, _ := v.(bool); !b {
			return false
		}
	}
	var val any
	if op.value != nil {
		v, err := op.value.eval(c)
		if err != nil {
			res.Err = fmt.Errorf("value of the operation on %s: %w", op.field.text, err)
			return true
		}
		val = v
	}
	segs, err := opPath(op.field)
	if err != nil {
		if p.mut.conflictEffect == "deny" {
			res.Refused = fmt.Sprintf("%s cannot be applied (%v) and its conflictEffect is deny", op.field.text, err)
			return true
		}
		return false // conflictEffect audit: the operation is skipped
	}
	ch, refused := setPath(cp.Body, segs, op.operation, val)
	if refused != "" {
		res.Refused = fmt.Sprintf("the append on %s would override the request's value (%s): append then acts as deny", op.field.text, refused)
		return true
	}
	if ch != nil {
		ch.Operation = opName(op.operation)
		ch.Field = op.field.text
		res.Changes = append(res.Changes, *ch)
	}
	return false
}

func opName(op string) string {
	switch op {
	case "addorreplace":
		return "addOrReplace"
	}
	return op
}

// opPath is the body path an operation writes: an alias's path, tags, a
// tag, or a top-level field. A [*] may only end the path (append to an
// array); kvguard does not apply operations on array members.
func opPath(f fieldRef) ([]pathSeg, error) {
	switch f.special {
	case "":
	case "tag":
		return []pathSeg{{key: "tags"}, {key: f.tag}}, nil
	case "tags", "location", "kind", "identity.type":
		p, _ := parsePath(f.special)
		return p, nil
	default:
		return nil, fmt.Errorf("field %s cannot be modified", f.text)
	}
	for i, s := range f.path {
		if s.wildcard && i != len(f.path)-1 {
			return nil, fmt.Errorf("kvguard does not apply operations on the members of an array (%s)", f.text)
		}
	}
	return f.path, nil
}

// setPath applies one operation at path in body and says what changed
// (nil: nothing). refused describes the request's value an append would
// override.
func setPath(body map[string]any, segs []pathSeg, op string, val any) (ch *Change, refused string) {
	if segs[len(segs)-1].wildcard {
		// Append (or add) to the array the rest of the path names.
		if len(segs) == 1 || op == "remove" {
			return nil, ""
		}
		return appendArray(body, segs[:len(segs)-1], val), ""
	}
	m := body
	for _, s := range segs[:len(segs)-1] {
		k, cur := keyFold(m, s.key)
		next, ok := cur.(map[string]any)
		if !ok {
			if op == "remove" {
				return nil, ""
			}
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	last := segs[len(segs)-1]
	k, cur := keyFold(m, last.key)
	_, present := lookupFold(m, k)
	p := path(segs).String()
	switch op {
	case "remove":
		if !present {
			return nil, ""
		}
		delete(m, k)
		return &Change{Path: p, Before: cur}, ""
	case "append":
		if present && cur != nil {
			if valuesEqual(cur, val) {
				return nil, ""
			}
			return nil, display(cur)
		}
	case "add":
		// add sets a property the request leaves out; it does not
		// replace one the request sets (addOrReplace does).
		if present && cur != nil {
			return nil, ""
		}
	}
	if present && valuesEqual(cur, val) {
		return nil, ""
	}
	m[k] = val
	return &Change{Path: p, Before: cur, After: val}, ""
}

// appendArray adds val (each member when it is an array) to the array at
// segs, creating it when absent.
func appendArray(body map[string]any, segs []pathSeg, val any) *Change {
	m := body
	for _, s := range segs[:len(segs)-1] {
		k, cur := keyFold(m, s.key)
		next, ok := cur.(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	k, cur := keyFold(m, segs[len(segs)-1].key)
	before, _ := cur.([]any)
	after := append([]any(nil), before...)
	if arr, ok := val.([]any); ok {
		after = append(after, arr...)
	} else {
		after = append(after, val)
	}
	m[k] = after
	var b any
	if cur != nil {
		b = before
	}
	return &Change{Path: path(segs).String() + "[*]", Before: b, After: after}
}

// keyFold finds key in m case-insensitively: the key as m spells it (key
// when absent) and its value.
func keyFold(m map[string]any, key string) (string, any) {
	if v, ok := m[key]; ok {
		return key, v
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return k, v
		}
	}
	return key, nil
}
