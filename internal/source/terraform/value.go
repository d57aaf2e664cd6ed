package terraform

import (
	"math/big"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/kvguard/kvguard/internal/resource"
)

// Unknown values travel through evaluation as cty unknowns carrying marks
// that say where they came from, so that the Unknown in a document can
// name its source even after it passed through locals, module inputs and
// outputs, and so that a vault's id can be linked to the vault document
// it stands for.

// originMark names the source of an unknown value: var.expiry,
// azurerm_key_vault.kv.id, module.kv.var.name, data.x.y.id, timestamp().
type originMark string

// linkMark is carried by the (unknown) id of a vault or managed HSM: the
// ID of the document kvguard made for it.
type linkMark string

// unknownFrom returns an unknown value of any type naming its origin.
func unknownFrom(origin string) cty.Value {
	return cty.DynamicVal.Mark(originMark(origin))
}

// marksOf returns the origins and links marked anywhere on v, sorted.
func marksOf(v cty.Value) (origins, links []string) {
	_, pvm := v.UnmarkDeepWithPaths()
	seenO, seenL := map[string]bool{}, map[string]bool{}
	for _, pm := range pvm {
		for m := range pm.Marks {
			switch m := m.(type) {
			case originMark:
				if !seenO[string(m)] {
					seenO[string(m)] = true
					origins = append(origins, string(m))
				}
			case linkMark:
				if !seenL[string(m)] {
					seenL[string(m)] = true
					links = append(links, string(m))
				}
			}
		}
	}
	sort.Strings(origins)
	sort.Strings(links)
	return origins, links
}

// unknownName names an unknown attribute for resource.Unknown: the
// expression as written, followed by the origins it came from when the
// expression text does not already say them.
func unknownName(text string, origins []string) string {
	var extra []string
	for _, o := range origins {
		if !strings.Contains(text, o) {
			extra = append(extra, o)
		}
	}
	if len(extra) == 0 {
		return text
	}
	if len(extra) > 3 {
		extra = append(extra[:3], "…")
	}
	if text == "" {
		return strings.Join(extra, ", ")
	}
	return text + " (from " + strings.Join(extra, ", ") + ")"
}

// converter turns evaluated cty values into document values: plain JSON
// data with resource.Unknown leaves, and records, per attribute path, the
// document a reference to a vault's id resolves to.
type converter struct {
	m     *moduleInst
	links map[string]string
}

// attr converts the value of one attribute written as expr, at path
// (dotted, blocks indexed: private_service_connection.0.private_connection_resource_id).
func (c *converter) attr(v cty.Value, expr hcl.Expression, path string, choices []cty.Value) any {
	text := c.m.exprText(expr)
	var links []string
	if !v.IsWhollyKnown() {
		var origins []string
		origins, links = marksOf(v)
		switch {
		case len(links) == 1 && !v.IsKnown():
			c.links[path] = links[0]
		case !v.IsKnown():
			c.links[path] = "terraform:" + c.m.refName(text, origins)
		}
	}
	out := c.value(v, text, true)
	u, ok := out.(resource.Unknown)
	if !ok || len(links) > 0 {
		return out
	}
	if len(choices) > 0 {
		vals := make([]any, len(choices))
		for i, ch := range choices {
			vals[i] = c.value(ch, text, false)
		}
		return resource.UnknownOneOf(u.Expr, vals...)
	}
	if vals := c.m.allowedValues(expr); vals != nil {
		return resource.UnknownOneOf(u.Expr, vals...)
	}
	return out
}

// value converts v; top tells whether v is the attribute's whole value
// (named by its expression) or a part of it (named by its origins).
func (c *converter) value(v cty.Value, text string, top bool) any {
	v, marks := v.Unmark()
	if !v.IsKnown() {
		var origins []string
		for m := range marks {
			if o, ok := m.(originMark); ok {
				origins = append(origins, string(o))
			}
		}
		sort.Strings(origins)
		u := resource.Unknown{Expr: unknownName("", origins)}
		if top || len(origins) == 0 {
			u.Expr = unknownName(text, origins)
		}
		if v.Type() == cty.Bool {
			// A boolean not known before apply is one of two values.
			u.Choices = &resource.Choices{Values: []any{true, false}}
		}
		return u
	}
	if v.IsNull() {
		return nil
	}
	ty := v.Type()
	switch {
	case ty == cty.String:
		return v.AsString()
	case ty == cty.Number:
		return number(v.AsBigFloat())
	case ty == cty.Bool:
		return v.True()
	case ty.IsListType() || ty.IsSetType() || ty.IsTupleType():
		out := make([]any, 0, v.LengthInt())
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			out = append(out, c.value(e, text, false))
		}
		return out
	case ty.IsMapType() || ty.IsObjectType():
		out := make(map[string]any, v.LengthInt())
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			out[k.AsString()] = c.value(e, text, false)
		}
		return out
	}
	return nil
}

// number keeps integers exact and everything else as float64.
func number(f *big.Float) any {
	if f.IsInt() {
		if i, acc := f.Int64(); acc == big.Exact {
			return i
		}
	}
	x, _ := f.Float64()
	return x
}

// refName is what an unresolved reference is called in a "terraform:"
// placeholder ID: its single origin when it has one (which is qualified by
// module path), else the expression text qualified by this module's path.
func (m *moduleInst) refName(text string, origins []string) string {
	if len(origins) == 1 {
		return origins[0]
	}
	if m.addr == "" {
		return text
	}
	return m.addr + "." + text
}

// exprText returns the source text of expr, on one line and bounded, for
// naming unknowns.
func (m *moduleInst) exprText(expr hcl.Expression) string {
	if expr == nil {
		return ""
	}
	r := expr.Range()
	src, ok := m.cfg.files[r.Filename]
	if !ok || r.Start.Byte < 0 || r.End.Byte > len(src) || r.Start.Byte > r.End.Byte {
		return ""
	}
	return tidyExpr(string(src[r.Start.Byte:r.End.Byte]))
}

// maxExprText bounds an expression quoted in a document.
const maxExprText = 160

func tidyExpr(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	// A JSON string holding one interpolation, "${var.x}", reads as var.x.
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		if u, err := strconv.Unquote(s); err == nil && strings.HasPrefix(u, "${") && strings.HasSuffix(u, "}") && strings.Count(u, "${") == 1 {
			s = u[2 : len(u)-1]
		}
	}
	if len(s) > maxExprText {
		cut := maxExprText
		for cut > 0 && !utf8RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// indexKey renders an instance key as Terraform prints it in addresses:
// [0] or ["prod"].
func indexKey(k cty.Value) string {
	k, _ = k.Unmark()
	if !k.IsKnown() || k.IsNull() {
		return "[*]"
	}
	switch k.Type() {
	case cty.Number:
		if i, acc := k.AsBigFloat().Int64(); acc == big.Exact {
			return "[" + strconv.FormatInt(i, 10) + "]"
		}
		return "[" + k.AsBigFloat().Text('f', -1) + "]"
	case cty.String:
		return "[" + strconv.Quote(k.AsString()) + "]"
	}
	return "[*]"
}

// allowedValues returns the values a validation allows for the variable
// that expr refers to exactly (var.<name>), as document values, or nil.
// Terraform refuses any other value, so an unknown one is one of them.
func (m *moduleInst) allowedValues(expr hcl.Expression) []any {
	t, d := hcl.AbsTraversalForExpr(expr)
	if d.HasErrors() || len(t) != 2 || t.RootName() != "var" {
		return nil
	}
	decl := m.cfg.variables[attrAt(t, 1)]
	if decl == nil || decl.allowed == nil {
		return nil
	}
	c := &converter{m: m, links: map[string]string{}}
	out := make([]any, 0, len(decl.allowed))
	for _, v := range decl.allowed {
		if decl.hasType {
			if cv, err := convert.Convert(v, decl.typ); err == nil {
				v = cv
			}
		}
		out = append(out, c.value(v, "", false))
	}
	return out
}
