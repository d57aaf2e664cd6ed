package terraform

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/zclconf/go-cty/cty"

	"github.com/kvguard/kvguard/internal/jsonpos"
	"github.com/kvguard/kvguard/internal/resource"
)

// lineRange is where a resource sits in the plan file.
type lineRange struct{ start, end int }

// planIndex holds positions from a first, streaming pass over the plan:
// the line range of each resource object, and where format_version is.
type planIndex struct {
	changes   []lineRange          // resource_changes[i]
	deferred  []lineRange          // deferred_changes[i].resource_change
	planned   map[string]lineRange // planned_values / values resources by address
	formatPos *jsonpos.Pos
}

func (r *Reader) readPlanFile(ctx context.Context, path string, emit func(*resource.Document)) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return errors.Join(resource.Errorf(resource.Position{File: path}, "%v", err))
	}
	data = utf8Text(data)
	idx, err := indexPlan(data, path)
	if err != nil {
		var se *jsonpos.SyntaxError
		if errors.As(err, &se) {
			return errors.Join(resource.Errorf(resource.Position{File: path, Line: se.Pos.Line, Col: se.Pos.Col}, "invalid plan JSON: %s", se.Msg))
		}
		return errors.Join(resource.Errorf(resource.Position{File: path}, "invalid plan JSON: %v", err))
	}
	var plan tfjson.Plan
	plan.UseJSONNumber(true)
	if err := json.Unmarshal(data, &plan); err != nil {
		return errors.Join(planDecodeError(data, path, idx, err))
	}
	pr := &planReader{path: path, idx: idx, log: r}
	var bs []*built
	if plan.ResourceChanges == nil && plan.PlannedValues == nil && plan.DeferredChanges == nil {
		// terraform show -json of a state: everything is known.
		var st tfjson.State
		st.UseJSONNumber(true)
		if err := json.Unmarshal(data, &st); err != nil {
			return errors.Join(planDecodeError(data, path, idx, err))
		}
		pr.plan = &plan
		bs = pr.readState(ctx, st.Values)
	} else {
		pr.plan = &plan
		bs = pr.readPlan(ctx)
	}
	linkLiterals(bs)
	bs = joinParts(bs)
	for _, b := range bs {
		emitBuilt(b, emit)
	}
	if err := ctx.Err(); err != nil {
		pr.errs = append(pr.errs, fmt.Errorf("read %s: %w", path, err))
	}
	return errors.Join(pr.errs...)
}

// planDecodeError places an error of json.Unmarshal or of the plan's
// validation (format_version missing or unsupported).
func planDecodeError(data []byte, path string, idx *planIndex, err error) error {
	p := resource.Position{File: path, Line: 1, Col: 1}
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		p.Line, p.Col = offsetPos(data, te.Offset)
	case errors.As(err, &se):
		p.Line, p.Col = offsetPos(data, se.Offset)
	case idx.formatPos != nil:
		p.Line, p.Col = idx.formatPos.Line, idx.formatPos.Col
	}
	return resource.Errorf(p, "invalid Terraform plan: %v", err)
}

func offsetPos(data []byte, off int64) (line, col int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	before := data[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(off) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}

// indexPlan checks the JSON syntax (with positions) and records where
// each resource is, one resource at a time.
func indexPlan(data []byte, path string) (*planIndex, error) {
	idx := &planIndex{planned: map[string]lineRange{}}
	d := jsonpos.NewBytesDecoder(data, path)
	if _, err := d.BeginObject(); err != nil {
		return nil, err
	}
	for {
		key, kp, ok, err := d.Key()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		switch key {
		case "format_version":
			p := kp
			idx.formatPos = &p
			if _, _, err := d.Skip(); err != nil {
				return nil, err
			}
		case "resource_changes":
			if idx.changes, err = indexChanges(d, nil); err != nil {
				return nil, err
			}
		case "deferred_changes":
			if idx.deferred, err = indexChanges(d, func(n *jsonpos.Node) *jsonpos.Node { return n.Get("resource_change") }); err != nil {
				return nil, err
			}
		case "planned_values", "values":
			n, err := d.Node()
			if err != nil {
				return nil, err
			}
			indexModule(n.Get("root_module"), idx.planned)
		default:
			if _, _, err := d.Skip(); err != nil {
				return nil, err
			}
		}
	}
	if _, err := d.End(); err != nil {
		return nil, err
	}
	return idx, d.Finish()
}

// indexChanges returns the line range of each element of a change array
// (in order, as tfjson decodes it); inner picks the resource change inside
// an element (deferred_changes).
func indexChanges(d *jsonpos.Decoder, inner func(*jsonpos.Node) *jsonpos.Node) ([]lineRange, error) {
	if k, err := d.Peek(); err != nil || k != jsonpos.Array {
		_, _, err2 := d.Skip()
		return nil, errors.Join(err, err2)
	}
	if _, err := d.BeginArray(); err != nil {
		return nil, err
	}
	var out []lineRange
	for {
		more, err := d.More()
		if err != nil {
			return nil, err
		}
		if !more {
			break
		}
		n, err := d.Node()
		if err != nil {
			return nil, err
		}
		if inner != nil {
			if in := inner(n); in != nil {
				n = in
			}
		}
		out = append(out, lineRange{n.Start.Line, n.EndLine()})
	}
	_, err := d.End()
	return out, err
}

func indexModule(n *jsonpos.Node, out map[string]lineRange) {
	if n == nil {
		return
	}
	if rs := n.Get("resources"); rs != nil {
		for _, r := range rs.Items {
			if a := r.Get("address"); a != nil && a.Kind == jsonpos.String {
				out[a.Str] = lineRange{r.Start.Line, r.EndLine()}
			}
		}
	}
	if cm := n.Get("child_modules"); cm != nil {
		for _, c := range cm.Items {
			indexModule(c, out)
		}
	}
}

// planReader maps one plan.
type planReader struct {
	plan *tfjson.Plan
	path string
	idx  *planIndex
	log  *Reader
	sub  string
	errs []error

	docByInst  map[string]string   // vault/HSM instance address → document ID
	byConfig   map[string][]string // module instance + "|" + config address → instance addresses
	moduleInst map[string]bool     // module instance addresses seen
}

// planItem is one resource instance of the plan, before mapping.
type planItem struct {
	addr, module, typ, name string
	after                   map[string]any
	unknown                 any
	rng                     lineRange
	maybe                   string // deferred: the instance may not exist
}

func (pr *planReader) readPlan(ctx context.Context) []*built {
	var items []*planItem
	if len(pr.plan.ResourceChanges) > 0 || len(pr.plan.DeferredChanges) > 0 {
		for i, rc := range pr.plan.ResourceChanges {
			if rc == nil || rc.Mode != tfjson.ManagedResourceMode || rc.DeposedKey != "" || rc.Change == nil {
				continue
			}
			if onlyDeletes(rc.Change.Actions) {
				continue
			}
			if it := pr.changeItem(rc, rangeAt(pr.idx.changes, i), ""); it != nil {
				items = append(items, it)
			}
		}
		// Terraform 1.9+ defers what it cannot plan yet (a for_each over
		// values known only after apply); those resources may or may not
		// come to exist.
		for i, dc := range pr.plan.DeferredChanges {
			if dc == nil || dc.ResourceChange == nil || dc.ResourceChange.Mode != tfjson.ManagedResourceMode || dc.ResourceChange.Change == nil {
				continue
			}
			rc := dc.ResourceChange
			if it := pr.changeItem(rc, rangeAt(pr.idx.deferred, i), "planning of "+rc.Address+" was deferred ("+dc.Reason+")"); it != nil {
				items = append(items, it)
			}
		}
	} else if pr.plan.PlannedValues != nil {
		items = pr.stateItems(pr.plan.PlannedValues.RootModule, nil)
	}
	pr.plan.PriorState, pr.plan.ResourceDrift = nil, nil
	return pr.mapItems(ctx, items)
}

// changeItem takes what kvguard needs of a resource change and drops the
// rest: the plan keeps secret values, which must not linger.
func (pr *planReader) changeItem(rc *tfjson.ResourceChange, rng lineRange, maybe string) *planItem {
	after, _ := rc.Change.After.(map[string]any)
	rc.Change.Before, rc.Change.After = nil, nil
	if rc.Type == "" || rc.Name == "" {
		return nil // not a resource
	}
	addr := rc.Address
	if addr == "" {
		addr = rc.Type + "." + rc.Name
		if rc.ModuleAddress != "" {
			addr = rc.ModuleAddress + "." + addr
		}
		if rc.Index != nil {
			addr += indexKey(goIndex(rc.Index))
		}
	}
	return &planItem{
		addr: addr, module: rc.ModuleAddress, typ: rc.Type, name: rc.Name,
		after: after, unknown: rc.Change.AfterUnknown, rng: rng, maybe: maybe,
	}
}

// rangeAt is the i-th recorded range, or line 1 when the first pass could
// not place the element.
func rangeAt(rs []lineRange, i int) lineRange {
	if i < len(rs) && rs[i].start > 0 {
		return rs[i]
	}
	return lineRange{1, 1}
}

// goIndex converts a plan's instance index (a number or a string) to the
// value indexKey prints.
func goIndex(v any) cty.Value {
	switch x := v.(type) {
	case string:
		return cty.StringVal(x)
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return cty.NumberIntVal(i)
		}
	case float64:
		return cty.NumberFloatVal(x)
	}
	return cty.DynamicVal
}

func (pr *planReader) readState(ctx context.Context, vals *tfjson.StateValues) []*built {
	if vals == nil {
		return nil
	}
	return pr.mapItems(ctx, pr.stateItems(vals.RootModule, nil))
}

func (pr *planReader) stateItems(m *tfjson.StateModule, out []*planItem) []*planItem {
	if m == nil {
		return out
	}
	for _, r := range m.Resources {
		if r == nil || r.Mode != tfjson.ManagedResourceMode {
			continue
		}
		if r.Type == "" || r.Name == "" || r.Address == "" {
			continue
		}
		rng, ok := pr.idx.planned[r.Address]
		if !ok {
			rng = lineRange{1, 1}
		}
		out = append(out, &planItem{addr: r.Address, module: m.Address, typ: r.Type, name: r.Name, after: r.AttributeValues, rng: rng})
	}
	for _, c := range m.ChildModules {
		out = pr.stateItems(c, out)
	}
	return out
}

func onlyDeletes(a tfjson.Actions) bool {
	if len(a) == 0 {
		return false
	}
	for _, x := range a {
		if x != tfjson.ActionDelete && x != tfjson.Action("forget") {
			return false
		}
	}
	return true
}

func (pr *planReader) mapItems(ctx context.Context, items []*planItem) []*built {
	pr.sub = pr.subscription()
	pr.docByInst = map[string]string{}
	pr.byConfig = map[string][]string{}
	pr.moduleInst = map[string]bool{"": true}
	type pending struct {
		it *planItem
		in *input
		cr *tfjson.ConfigResource
	}
	var todo []pending
	for _, it := range items {
		for m := it.module; m != ""; m = parentModule(m) {
			pr.moduleInst[m] = true
		}
		if mappers[it.typ] == nil {
			continue
		}
		dropSecrets(it.typ, it.after)
		attrs, _ := overlay(it.after, it.unknown, "").(map[string]any)
		if attrs == nil {
			attrs = map[string]any{}
		}
		cr := pr.configResource(it.module, it.typ+"."+it.name)
		dropUnconfigured(it.typ, attrs, cr)
		in := &input{
			kind: "terraform-plan", typ: it.typ, address: it.addr, attrs: attrs,
			file: pr.path, start: it.rng.start, end: it.rng.end, sub: pr.sub, maybe: it.maybe,
		}
		if armType := linkableTypes[it.typ]; armType != "" {
			id, ok := attrs["id"].(string)
			if !ok || id == "" {
				id = docID(pr.sub, attrs["resource_group_name"], armType, attrs["name"], it.addr)
			}
			pr.docByInst[it.addr] = id
			k := it.module + "|" + it.typ + "." + it.name
			pr.byConfig[k] = append(pr.byConfig[k], it.addr)
		}
		todo = append(todo, pending{it, in, cr})
	}
	out := make([]*built, 0, len(todo))
	for _, p := range todo {
		if ctx.Err() != nil {
			break
		}
		p.in.links = pr.linksFor(p.it, p.in.attrs, p.cr)
		if b := mapResource(p.in); b != nil {
			if id, ok := pr.docByInst[p.in.address]; ok {
				b.doc.ID = id
				b.doc.Body["id"] = id
			}
			out = append(out, b)
		}
	}
	return out
}

// dropSecrets removes secret material from a resource's planned values
// before anything else looks at them.
func dropSecrets(typ string, after map[string]any) {
	if after == nil {
		return
	}
	for k := range secretAttrs[typ] {
		delete(after, k)
	}
	if typ == "azurerm_key_vault_certificate" {
		if list, ok := after["certificate"].([]any); ok {
			for _, e := range list {
				if m, ok := e.(map[string]any); ok {
					delete(m, "contents")
					delete(m, "password")
				}
			}
		}
	}
}

// overlay turns planned values and after_unknown into document values:
// numbers become int64/float64, and what after_unknown marks becomes
// resource.Unknown naming the attribute.
func overlay(v any, unk any, path string) any {
	switch u := unk.(type) {
	case bool:
		if u {
			return resource.Unknown{Expr: "known after apply: " + path}
		}
	case map[string]any:
		m, _ := v.(map[string]any)
		out := make(map[string]any, len(m)+len(u))
		for k, x := range m {
			out[k] = overlay(x, nil, joinPath(path, k))
		}
		for k, x := range u {
			out[k] = overlay(m[k], x, joinPath(path, k))
		}
		return out
	case []any:
		l, _ := v.([]any)
		n := len(l)
		if len(u) > n {
			n = len(u)
		}
		out := make([]any, n)
		for i := 0; i < n; i++ {
			var x, ux any
			if i < len(l) {
				x = l[i]
			}
			if i < len(u) {
				ux = u[i]
			}
			out[i] = overlay(x, ux, path+"["+strconv.Itoa(i)+"]")
		}
		return out
	}
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = overlay(e, nil, joinPath(path, k))
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = overlay(e, nil, path+"["+strconv.Itoa(i)+"]")
		}
		return out
	}
	return v
}

func joinPath(p, k string) string {
	if p == "" {
		return k
	}
	return p + "." + k
}

// defaultable are Optional+Computed arguments: a plan shows them unknown
// when the code leaves them out, yet Azure then stores the default that
// the mapping fills in. They are dropped when the configuration does not
// set them.
var defaultable = map[string][]string{
	"azurerm_key_vault": {"network_acls", "rbac_authorization_enabled", "enable_rbac_authorization", "public_network_access_enabled",
		"soft_delete_retention_days", "purge_protection_enabled", "access_policy", "contact",
		"enabled_for_deployment", "enabled_for_disk_encryption", "enabled_for_template_deployment"},
	"azurerm_key_vault_key":                              {"curve", "key_size", "rotation_policy"},
	"azurerm_key_vault_managed_hardware_security_module": {"network_acls", "public_network_access_enabled", "soft_delete_retention_days"},
	"azurerm_private_endpoint":                           {"ip_configuration"},
}

func dropUnconfigured(typ string, attrs map[string]any, cr *tfjson.ConfigResource) {
	if cr == nil {
		return
	}
	for _, k := range defaultable[typ] {
		if _, unk := attrs[k].(resource.Unknown); unk && cr.Expressions[k] == nil {
			delete(attrs, k)
		}
	}
}

// subscription reads the azurerm provider's subscription_id from the
// configuration: a constant, or a root variable with a planned value.
func (pr *planReader) subscription() string {
	if pr.plan.Config == nil {
		return subscriptionPlaceholder
	}
	keys := make([]string, 0, len(pr.plan.Config.ProviderConfigs))
	for k := range pr.plan.Config.ProviderConfigs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		pc := pr.plan.Config.ProviderConfigs[k]
		if pc == nil || pc.Name != "azurerm" || pc.Alias != "" || pc.ModuleAddress != "" {
			continue
		}
		e := pc.Expressions["subscription_id"]
		if e == nil || e.ExpressionData == nil {
			continue
		}
		if s, ok := e.ConstantValue.(string); ok && s != "" {
			return s
		}
		for _, ref := range e.References {
			if name, ok := strings.CutPrefix(ref, "var."); ok {
				if v := pr.plan.Variables[name]; v != nil {
					if s, ok := v.Value.(string); ok && s != "" {
						return s
					}
				}
			}
		}
	}
	return subscriptionPlaceholder
}
