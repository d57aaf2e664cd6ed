package terraform

import (
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/kvguard/kvguard/internal/resource"
)

// resNode is a resource (or data source) block of a module instance,
// expanded into its instances.
type resNode struct {
	state     uint8
	decl      *resourceDecl
	exp       expansion
	instances []*resInstance
	val       cty.Value // what azurerm_key_vault.kv evaluates to
}

// resInstance is one instance: azurerm_key_vault.kv["prod"].
type resInstance struct {
	addr  string
	body  *evalBlock
	sub   string
	docID string // vaults and managed HSMs: the document ID their id stands for
}

// expansion is the result of a count or for_each: the instance keys, and
// each.value for for_each.
type expansion struct {
	mode    int // expandNone, expandCount, expandForEach
	keys    []cty.Value
	vals    []cty.Value
	unknown bool   // count or for_each not known before apply
	expr    string // its text, when unknown
}

const (
	expandNone = iota
	expandCount
	expandForEach
)

// resourceValue is what a reference to resource key evaluates to.
func (m *moduleInst) resourceValue(key string) cty.Value {
	decl := m.cfg.byKey[key]
	if decl == nil {
		return unknownFrom(m.qual(key))
	}
	rn := m.res[key]
	if rn != nil && rn.state == busy {
		return m.ev.cycle(m.qual(key), decl.defRange)
	}
	return m.resourceNode(key).val
}

// resourceNode expands and evaluates resource key once.
func (m *moduleInst) resourceNode(key string) *resNode {
	decl := m.cfg.byKey[key]
	if decl == nil {
		return nil
	}
	rn := m.res[key]
	if rn == nil {
		rn = &resNode{decl: decl}
		m.res[key] = rn
	}
	if rn.state != fresh {
		return rn
	}
	rn.state = busy
	m.ev.enter(m.qual(key))
	m.expandResource(rn)
	m.ev.leave()
	rn.state = done
	return rn
}

func (m *moduleInst) expandResource(rn *resNode) {
	decl := rn.decl
	base := m.prefix() + decl.key
	rn.exp = m.expand(decl.count, decl.forEach, base, decl.defRange)
	skip := secretAttrs[decl.typ]
	sub := m.subscriptionFor(decl)
	objs := make([]cty.Value, 0, len(rn.exp.keys))
	for i := range rn.exp.keys {
		if m.ev.ctx.Err() != nil {
			rn.exp.keys = rn.exp.keys[:i]
			break
		}
		sc, addr := rn.exp.instance(i, base)
		inst := &resInstance{addr: addr, sub: sub}
		inst.body = m.evalBody(decl.body, decl.typ, sc, addr, skip)
		objs = append(objs, m.instanceObject(decl, inst))
		rn.instances = append(rn.instances, inst)
	}
	switch {
	case rn.exp.unknown:
		// Terraform cannot index what it cannot count; any reference is
		// unknown, but still stands for this resource.
		v := unknownFrom(base)
		if len(rn.instances) == 1 && rn.instances[0].docID != "" {
			v = v.Mark(linkMark(rn.instances[0].docID)).Mark(vaultMark(rn.instances[0].addr))
		}
		rn.val = v
	case rn.exp.mode == expandNone:
		if len(objs) == 1 {
			rn.val = objs[0]
		} else {
			rn.val = unknownFrom(base)
		}
	case rn.exp.mode == expandCount:
		if len(objs) == 0 {
			rn.val = cty.EmptyTupleVal
		} else {
			rn.val = cty.TupleVal(objs)
		}
	default:
		o := make(map[string]cty.Value, len(objs))
		for i, k := range rn.exp.keys {
			o[k.AsString()] = objs[i]
		}
		rn.val = cty.ObjectVal(o)
	}
}

// instance returns the scope and address of instance i.
func (e *expansion) instance(i int, base string) (*scope, string) {
	switch {
	case e.mode == expandNone:
		return nil, base
	case e.unknown:
		if e.mode == expandCount {
			return &scope{hasCount: true, count: unknownFrom("count.index")}, base + "[*]"
		}
		return &scope{hasEach: true, eachKey: unknownFrom("each.key"), eachVal: unknownFrom("each.value")}, base + "[*]"
	case e.mode == expandCount:
		return &scope{hasCount: true, count: e.keys[i]}, base + indexKey(e.keys[i])
	}
	return &scope{hasEach: true, eachKey: e.keys[i], eachVal: e.vals[i]}, base + indexKey(e.keys[i])
}

// expand evaluates count or for_each. An unknown count gives one instance
// addressed [*] and a warning; count = 0 or an empty for_each gives none.
func (m *moduleInst) expand(count, forEach *hcl.Attribute, what string, decl hcl.Range) expansion {
	switch {
	case count != nil:
		return m.expandCount(count, what)
	case forEach != nil:
		return m.expandForEach(forEach, what)
	}
	if !m.ev.reserve(1, what, "the block", decl) {
		return expansion{mode: expandNone}
	}
	return expansion{mode: expandNone, keys: []cty.Value{cty.NilVal}}
}

func (m *moduleInst) expandCount(count *hcl.Attribute, what string) expansion {
	e := expansion{mode: expandCount}
	v, d := m.eval(count.Expr, nil)
	if d.HasErrors() {
		v = m.failed(d, "")
	}
	v, _ = v.UnmarkDeep()
	if !v.IsKnown() {
		return m.unknownExpansion(e, count, what, "count")
	}
	nv, err := convert.Convert(v, cty.Number)
	if err != nil || nv.IsNull() {
		m.ev.errorf(pos(count.Expr.Range()), "%s: count must be a whole number", what)
		return e
	}
	n, acc := nv.AsBigFloat().Int64()
	if acc != 0 || n < 0 {
		m.ev.errorf(pos(count.Expr.Range()), "%s: count must be a whole number of zero or more, not %s", what, nv.AsBigFloat().Text('g', -1))
		return e
	}
	if !m.ev.reserve(n, what, "count = "+m.exprText(count.Expr), count.Expr.Range()) {
		return e
	}
	e.keys = make([]cty.Value, 0, n)
	for i := int64(0); i < n; i++ {
		e.keys = append(e.keys, cty.NumberIntVal(i))
	}
	return e
}

// expandForEach expands a map (keys in lexical order, as Terraform) or a
// set of strings. each.value keeps the marks of its element.
func (m *moduleInst) expandForEach(forEach *hcl.Attribute, what string) expansion {
	e := expansion{mode: expandForEach}
	v, d := m.eval(forEach.Expr, nil)
	if d.HasErrors() {
		v = m.failed(d, "")
	}
	v, marks := v.Unmark()
	if !v.IsKnown() {
		return m.unknownExpansion(e, forEach, what, "for_each")
	}
	at := pos(forEach.Expr.Range())
	if v.IsNull() {
		m.ev.errorf(at, "%s: for_each must not be null", what)
		return e
	}
	ty := v.Type()
	isSet := ty.IsSetType() || ty.IsListType() || ty.IsTupleType()
	if !isSet && !ty.IsMapType() && !ty.IsObjectType() {
		m.ev.errorf(at, "%s: for_each must be a map or a set of strings, not %s", what, ty.FriendlyName())
		return e
	}
	if isSet && !v.IsWhollyKnown() {
		return m.unknownExpansion(e, forEach, what, "for_each")
	}
	if ty.IsListType() || ty.IsTupleType() {
		m.ev.errorf(at, "%s: for_each must be a map or a set of strings, not a %s; use toset()", what, ty.FriendlyName())
	}
	if !m.ev.reserve(int64(v.LengthInt()), what, "for_each = "+m.exprText(forEach.Expr), forEach.Expr.Range()) {
		return e
	}
	for it := v.ElementIterator(); it.Next(); {
		k, elem := it.Element()
		if isSet {
			sk, _ := elem.Unmark()
			if sk.Type() != cty.String || sk.IsNull() {
				m.ev.errorf(at, "%s: for_each set elements must be strings", what)
				return expansion{mode: expandForEach}
			}
			k = sk
		}
		e.keys = append(e.keys, k)
		e.vals = append(e.vals, elem.WithMarks(marks))
	}
	return e
}

func (m *moduleInst) unknownExpansion(e expansion, a *hcl.Attribute, what, arg string) expansion {
	if !m.ev.reserve(1, what, arg+" = "+m.exprText(a.Expr), a.Expr.Range()) {
		return e
	}
	e.unknown = true
	e.expr = m.exprText(a.Expr)
	e.keys = []cty.Value{cty.DynamicVal}
	e.vals = []cty.Value{cty.DynamicVal}
	m.ev.warnf(pos(a.Expr.Range()), "%s = %s is not known before apply; kvguard judges %s once, as %s[*]", arg, e.expr, what, what)
	return e
}

// computedAttrs are attributes the provider sets at apply time that code
// refers to; they are unknown, named after the instance.
var computedAttrs = map[string][]string{
	"azurerm_key_vault":                                  {"vault_uri"},
	"azurerm_key_vault_secret":                           {"version", "versionless_id", "resource_id", "resource_versionless_id"},
	"azurerm_key_vault_key":                              {"version", "versionless_id", "resource_id", "resource_versionless_id", "public_key_pem", "public_key_openssh", "n", "e", "x", "y"},
	"azurerm_key_vault_certificate":                      {"version", "versionless_id", "secret_id", "versionless_secret_id", "thumbprint", "certificate_data", "certificate_data_base64", "resource_manager_id", "resource_manager_versionless_id", "certificate_attribute"},
	"azurerm_private_endpoint":                           {"network_interface", "private_dns_zone_configs", "custom_dns_configs"},
	"azurerm_key_vault_managed_hardware_security_module": {"hsm_uri"},
}

// instanceObject is the value of a resource instance for references: its
// configured arguments plus unknown computed attributes. The id of a vault
// or managed HSM carries the document ID kvguard gives it, so that a
// key_vault_id = azurerm_key_vault.kv.id that travelled through module
// outputs still links to the right vault.
func (m *moduleInst) instanceObject(decl *resourceDecl, inst *resInstance) cty.Value {
	o := inst.body.object()
	if !decl.managed {
		return cty.ObjectVal(o)
	}
	id := cty.UnknownVal(cty.String).Mark(originMark(inst.addr + ".id"))
	if armType := linkableTypes[decl.typ]; armType != "" {
		inst.docID = docID(inst.sub, ctyString(o["resource_group_name"]), armType, ctyString(o["name"]), inst.addr)
		id = id.Mark(linkMark(inst.docID))
	}
	o["id"] = id
	for _, c := range computedAttrs[decl.typ] {
		if _, set := o[c]; !set {
			o[c] = cty.DynamicVal.Mark(originMark(inst.addr + "." + c))
		}
	}
	if inst.docID != "" {
		markVault(o, inst.addr)
	}
	return cty.ObjectVal(o)
}

// linkableTypes are the resources whose id other resources link to.
var linkableTypes = map[string]string{
	"azurerm_key_vault": resource.TypeVault,
	"azurerm_key_vault_managed_hardware_security_module": resource.TypeManagedHSM,
}

// ctyString returns a known string value as a Go string, anything else as
// nil (unknown or absent).
func ctyString(v cty.Value) any {
	if v == cty.NilVal {
		return nil
	}
	v, _ = v.UnmarkDeep()
	if !v.IsKnown() || v.IsNull() || v.Type() != cty.String {
		return nil
	}
	return v.AsString()
}

// subscriptionFor is the subscription of an azurerm resource's provider
// configuration, or the placeholder when it is not known.
func (m *moduleInst) subscriptionFor(decl *resourceDecl) string {
	p := decl.provider
	if p == "" {
		p = "azurerm"
	}
	if s := m.providers[p]; s != "" {
		return s
	}
	return subscriptionPlaceholder
}

// requiredArgs are the arguments the azurerm provider requires of the
// resources whose identity and verdicts depend on them.
var requiredArgs = map[string][]string{
	"azurerm_key_vault": {"name", "location", "resource_group_name", "sku_name", "tenant_id"},
	"azurerm_key_vault_managed_hardware_security_module": {"name", "location", "resource_group_name", "sku_name", "tenant_id", "admin_object_ids"},
}

// checkRequired warns about a required argument left out (or null):
// Terraform would reject the resource; kvguard still judges it, with what
// is missing unknown or at its default.
func (m *moduleInst) checkRequired(decl *resourceDecl, inst *resInstance) {
	var missing []string
	for _, a := range requiredArgs[decl.typ] {
		if ea, ok := inst.body.attrs[a]; !ok || (ea.val.IsKnown() && ea.val.IsNull()) {
			missing = append(missing, strconv.Quote(a))
		}
	}
	switch len(missing) {
	case 0:
	case 1:
		m.ev.warnf(pos(decl.defRange), "%s: the required argument %s is not set; Terraform would reject this resource", inst.addr, missing[0])
	default:
		m.ev.warnf(pos(decl.defRange), "%s: the required arguments %s are not set; Terraform would reject this resource", inst.addr, strings.Join(missing, ", "))
	}
}
