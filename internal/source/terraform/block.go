package terraform

import (
	"strconv"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/kvguard/kvguard/internal/resource"
)

// secretAttrs are attributes kvguard never evaluates, so that secret
// material never enters its memory as a value, a document or a log line.
var secretAttrs = map[string]map[string]bool{
	"azurerm_key_vault_secret":      {"value": true, "value_wo": true, "value_wo_version": true},
	"azurerm_key_vault_certificate": {"contents": true, "password": true},
}

// evalAttr is an evaluated attribute and the expression it came from.
type evalAttr struct {
	val  cty.Value
	expr hcl.Expression
	// choices are the values an unknown val can take, when there are few
	// (the branches of a conditional whose condition is unknown).
	choices []cty.Value
}

// evalBlock is an evaluated block body: attributes, and nested blocks in
// order, with dynamic blocks expanded.
type evalBlock struct {
	attrs   map[string]evalAttr
	blocks  map[string][]*evalBlock
	order   []string          // nested block types in order of appearance
	unknown map[string]string // block type → name of its unknown for_each
	// maybe holds, for a block type of at most one block whose dynamic
	// for_each is unknown, the block as its content gives it: the block
	// is either that or absent.
	maybe map[string]*evalBlock
}

func (eb *evalBlock) addBlock(t string, b *evalBlock) {
	if _, ok := eb.blocks[t]; !ok {
		eb.order = append(eb.order, t)
	}
	eb.blocks[t] = append(eb.blocks[t], b)
}

// evalBody evaluates a body. addr is set for a resource body (whose meta-
// arguments are not part of the resource): an attribute that cannot be
// evaluated is then unknown, named after the instance's attribute.
func (m *moduleInst) evalBody(body hcl.Body, kind string, sc *scope, addr string, skip map[string]bool) *evalBlock {
	top := addr != ""
	c, d := bodyContent(body, kind)
	m.ev.diags(d)
	eb := &evalBlock{attrs: make(map[string]evalAttr, len(c.attrs)), blocks: map[string][]*evalBlock{}}
	for _, a := range c.attrs {
		if a.Name == "//" || skip[a.Name] || (top && isMetaArg(a.Name)) {
			continue
		}
		v, d := m.eval(a.Expr, sc)
		if d.HasErrors() {
			fallback := ""
			if top {
				fallback = addr + "." + a.Name
			}
			v = m.failed(d, fallback)
		}
		ea := evalAttr{val: v, expr: a.Expr}
		if !d.HasErrors() && !v.IsKnown() {
			ea.choices = m.branches(a.Expr, sc, 0)
		}
		eb.attrs[a.Name] = ea
	}
	for _, b := range c.blocks {
		switch {
		case top && (b.Type == "lifecycle" || b.Type == "provisioner" || b.Type == "connection"):
		case b.Type == "dynamic" && len(b.Labels) == 1:
			m.expandDynamic(b, sc, eb, skip)
		default:
			eb.addBlock(b.Type, m.evalBody(b.Body, b.Type, sc, "", skip))
		}
	}
	return eb
}

func isMetaArg(n string) bool {
	switch n {
	case "count", "for_each", "provider", "depends_on":
		return true
	}
	return false
}

// expandDynamic expands dynamic "<type>" { for_each, iterator, content }.
func (m *moduleInst) expandDynamic(b *hcl.Block, sc *scope, eb *evalBlock, skip map[string]bool) {
	label := b.Labels[0]
	dc, d := bodyContent(b.Body, "dynamic")
	m.ev.diags(d)
	fe := dc.attr("for_each")
	var contentBody hcl.Body
	for _, cb := range dc.blocks {
		if cb.Type == "content" {
			contentBody = cb.Body
			break
		}
	}
	if fe == nil || contentBody == nil {
		m.ev.errorf(pos(b.DefRange), "dynamic %q needs for_each and a content block", label)
		return
	}
	iter := label
	if it := dc.attr("iterator"); it != nil {
		if kw := hcl.ExprAsKeyword(it.Expr); kw != "" {
			iter = kw
		}
	}
	v, diags := m.eval(fe.Expr, sc)
	if diags.HasErrors() {
		v = m.failed(diags, "")
	}
	uv, marks := v.Unmark()
	if !uv.IsKnown() || (uv.Type().IsSetType() && !uv.IsWhollyKnown()) {
		origins, _ := marksOf(v)
		if eb.unknown == nil {
			eb.unknown = map[string]string{}
		}
		eb.unknown[label] = unknownName("dynamic "+strconv.Quote(label)+" for_each = "+m.exprText(fe.Expr), origins)
		if singleBlocks[label] && m.ev.reserve(1, "dynamic "+strconv.Quote(label), "for_each = "+m.exprText(fe.Expr), fe.Expr.Range()) {
			// At most one such block: it is absent, or it is what its
			// content says with an element not known before apply.
			iv := cty.ObjectVal(map[string]cty.Value{"key": cty.DynamicVal.WithMarks(marks), "value": cty.DynamicVal.WithMarks(marks)})
			if eb.maybe == nil {
				eb.maybe = map[string]*evalBlock{}
			}
			eb.maybe[label] = m.evalBody(contentBody, label, sc.withIter(iter, iv), "", skip)
		}
		return
	}
	if uv.IsNull() {
		return
	}
	if !uv.CanIterateElements() {
		m.ev.errorf(pos(fe.Expr.Range()), "dynamic %q: for_each must be a collection, not %s", label, uv.Type().FriendlyName())
		return
	}
	if !m.ev.reserve(int64(uv.LengthInt()), "dynamic "+strconv.Quote(label), "for_each = "+m.exprText(fe.Expr), fe.Expr.Range()) {
		return
	}
	if _, ok := eb.blocks[label]; !ok {
		eb.order = append(eb.order, label)
		eb.blocks[label] = nil
	}
	for it := uv.ElementIterator(); it.Next(); {
		if m.ev.ctx.Err() != nil {
			return
		}
		k, e := it.Element()
		if uv.Type().IsSetType() {
			k = e
		}
		iv := cty.ObjectVal(map[string]cty.Value{"key": k, "value": e.WithMarks(marks)})
		eb.addBlock(label, m.evalBody(contentBody, label, sc.withIter(iter, iv), "", skip))
	}
}

// object is the block as a value, for references: attributes, and nested
// blocks as lists of objects.
func (eb *evalBlock) object() map[string]cty.Value {
	o := make(map[string]cty.Value, len(eb.attrs)+len(eb.blocks))
	for n, a := range eb.attrs {
		o[n] = a.val
	}
	for t, list := range eb.blocks {
		if len(list) == 0 {
			o[t] = cty.EmptyTupleVal
			continue
		}
		vals := make([]cty.Value, len(list))
		for i, b := range list {
			vals[i] = cty.ObjectVal(b.object())
		}
		o[t] = cty.TupleVal(vals)
	}
	for t := range eb.unknown {
		o[t] = cty.DynamicVal
	}
	return o
}

// doc converts the block for mapping: attribute values as document values,
// nested blocks as lists of maps, a block list of unknown length as
// Unknown.
func (eb *evalBlock) doc(c *converter, prefix string) map[string]any {
	out := make(map[string]any, len(eb.attrs)+len(eb.blocks))
	for n, a := range eb.attrs {
		out[n] = c.attr(a.val, a.expr, prefix+n, a.choices)
	}
	for t, list := range eb.blocks {
		arr := make([]any, len(list))
		for i, b := range list {
			arr[i] = b.doc(c, prefix+t+"."+strconv.Itoa(i)+".")
		}
		out[t] = arr
	}
	for t, name := range eb.unknown {
		if mb := eb.maybe[t]; mb != nil {
			out[t] = resource.UnknownOneOf(name, resource.Absent, []any{mb.doc(c, prefix+t+".0.")})
			continue
		}
		out[t] = resource.Unknown{Expr: name}
	}
	return out
}

// singleBlocks are the nested block types of at most one block (MaxItems 1
// in the azurerm schema) that kvguard maps: a dynamic one whose for_each
// is unknown is either absent or one block.
var singleBlocks = map[string]bool{
	"network_acls": true, "rotation_policy": true, "automatic": true, "certificate_policy": true,
	"key_properties": true, "issuer_parameters": true, "secret_properties": true,
	"x509_certificate_properties": true, "trigger": true, "action": true, "retention_policy": true,
	"private_service_connection": true, "certificate": true,
}

// maxBranches bounds the values a chain of conditionals may list.
const maxBranches = 8

// branches returns the values a conditional expression whose condition is
// unknown can take (each branch's, nested conditionals flattened), or nil
// when expr is not one or a branch is not known.
func (m *moduleInst) branches(expr hcl.Expression, sc *scope, depth int) []cty.Value {
	c := conditional(expr)
	if c == nil || depth > 3 {
		return nil
	}
	cond, d := m.evalExpr(c.Condition, sc)
	if d.HasErrors() {
		return nil
	}
	if cond, _ = cond.Unmark(); cond.IsKnown() {
		return nil // a known condition chooses its branch; its value is unknown for another reason
	}
	var out []cty.Value
	for _, br := range []hcl.Expression{c.TrueResult, c.FalseResult} {
		v, d := m.eval(br, sc)
		if d.HasErrors() {
			return nil
		}
		if v.IsWhollyKnown() {
			out = append(out, v)
			continue
		}
		nested := m.branches(br, sc, depth+1)
		if nested == nil {
			return nil
		}
		out = append(out, nested...)
	}
	if len(out) > maxBranches {
		return nil
	}
	return out
}
