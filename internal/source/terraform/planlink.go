package terraform

import (
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	tfjson "github.com/hashicorp/terraform-json"

	"github.com/kvguard/kvguard/internal/resource"
)

// Linking in a plan: an id that is unknown until apply is absent from the
// planned values, but the configuration section says which expression
// set it (references ["azurerm_key_vault.kv.id", "azurerm_key_vault.kv"]).
// Following those references through module inputs (var.x → the caller's
// argument) and outputs (module.kv.id → the output's expression) finds the
// vault instance, whose document ID kvguard knows.

// linkPaths are the reference attributes kvguard links, per type.
var linkPaths = map[string][]string{
	"azurerm_key_vault_secret":                               {"key_vault_id"},
	"azurerm_key_vault_key":                                  {"key_vault_id"},
	"azurerm_key_vault_certificate":                          {"key_vault_id"},
	"azurerm_key_vault_managed_hardware_security_module_key": {"managed_hsm_id"},
	"azurerm_monitor_diagnostic_setting":                     {"target_resource_id"},
	// Not a vault: the reference names the key (parts.go, rotationTarget).
	"azurerm_key_vault_managed_hardware_security_module_key_rotation_policy": {"managed_hsm_key_id"},
}

func (pr *planReader) linksFor(it *planItem, attrs map[string]any, cr *tfjson.ConfigResource) map[string]string {
	links := map[string]string{}
	try := func(path string, e *tfjson.Expression) {
		if _, unknown := pathGet(attrs, path).(resource.Unknown); !unknown || e == nil || e.ExpressionData == nil {
			return
		}
		ids := pr.resolve(it.module, e.References, 0)
		if len(ids) == 1 {
			links[path] = ids[0]
			return
		}
		if len(e.References) > 0 {
			name := e.References[0]
			if it.module != "" {
				name = it.module + "." + name
			}
			links[path] = "terraform:" + name
		}
	}
	if cr == nil {
		return links
	}
	for _, p := range linkPaths[it.typ] {
		try(p, cr.Expressions[p])
	}
	if it.typ == "azurerm_private_endpoint" {
		if e := cr.Expressions["private_service_connection"]; e != nil && e.ExpressionData != nil {
			for i, nb := range e.NestedBlocks {
				try("private_service_connection."+strconv.Itoa(i)+".private_connection_resource_id", nb["private_connection_resource_id"])
			}
		}
	}
	return links
}

// maxRefDepth bounds reference chains through modules.
const maxRefDepth = 32

// resolve returns the distinct document IDs of the vaults the references
// (made in module instance mod) lead to.
func (pr *planReader) resolve(mod string, refs []string, depth int) []string {
	if depth > maxRefDepth {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	addAll := func(ids []string) {
		for _, id := range ids {
			if !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	var done []string
	for _, ref := range refs {
		covered := false
		for _, d := range done {
			if d == ref || strings.HasPrefix(d, ref+".") || strings.HasPrefix(d, ref+"[") {
				covered = true // "azurerm_key_vault.kv" after "azurerm_key_vault.kv.id"
				break
			}
		}
		if covered {
			continue
		}
		done = append(done, ref)
		addAll(pr.resolveOne(mod, ref, depth))
	}
	return out
}

func (pr *planReader) resolveOne(mod, ref string, depth int) []string {
	t, d := hclsyntax.ParseTraversalAbs([]byte(ref), "", hcl.Pos{Line: 1, Column: 1})
	if d.HasErrors() || len(t) < 2 {
		return nil
	}
	root := t.RootName()
	switch root {
	case "var":
		name := attrAt(t, 1)
		if mod == "" || name == "" {
			return nil
		}
		parent, call, _ := splitModule(mod)
		mc := pr.moduleCall(parent, call)
		if mc == nil {
			return nil
		}
		e := mc.Expressions[name]
		if e == nil || e.ExpressionData == nil {
			return nil
		}
		return pr.resolve(parent, e.References, depth+1)
	case "module":
		return pr.resolveOutput(mod, t, depth)
	case "data", "local", "each", "count", "path", "terraform", "self":
		return nil
	}
	name := attrAt(t, 1)
	if linkableTypes[root] == "" || name == "" {
		return nil
	}
	i := 2
	inst := ""
	if i < len(t) {
		if ix, ok := t[i].(hcl.TraverseIndex); ok {
			inst = indexKey(ix.Key)
			i++
		}
	}
	if a := attrAt(t, i); a != "" && a != "id" {
		return nil // vault_uri, name, ...: not the vault's ID
	}
	addrs := pr.byConfig[mod+"|"+root+"."+name]
	if inst != "" {
		want := root + "." + name + inst
		if mod != "" {
			want = mod + "." + want
		}
		for _, a := range addrs {
			if a == want {
				return []string{pr.docByInst[a]}
			}
		}
		return nil
	}
	if len(addrs) != 1 {
		return nil
	}
	return []string{pr.docByInst[addrs[0]]}
}

// configModule finds the configuration of module instance mod
// (module.kv["a"].module.keys): instance keys do not matter.
func (pr *planReader) configModule(mod string) *tfjson.ConfigModule {
	if pr.plan.Config == nil {
		return nil
	}
	cm := pr.plan.Config.RootModule
	for _, call := range moduleCalls(mod) {
		if cm == nil {
			return nil
		}
		mc := cm.ModuleCalls[call]
		if mc == nil {
			return nil
		}
		cm = mc.Module
	}
	return cm
}

func (pr *planReader) moduleCall(mod, call string) *tfjson.ModuleCall {
	cm := pr.configModule(mod)
	if cm == nil {
		return nil
	}
	return cm.ModuleCalls[call]
}

func (pr *planReader) configResource(mod, addr string) *tfjson.ConfigResource {
	cm := pr.configModule(mod)
	if cm == nil {
		return nil
	}
	for _, r := range cm.Resources {
		if r != nil && r.Mode == tfjson.ManagedResourceMode && r.Address == addr {
			return r
		}
	}
	return nil
}

// moduleSteps splits a module instance address into its steps:
// module.kv["a.b"].module.keys gives [`kv["a.b"]`, "keys"] as
// (name, key) pairs.
type moduleStep struct{ name, key string }

func moduleSteps(mod string) []moduleStep {
	var steps []moduleStep
	s := mod
	for len(s) > 0 {
		s = strings.TrimPrefix(s, ".")
		rest, ok := strings.CutPrefix(s, "module.")
		if !ok {
			return steps
		}
		i := 0
		for i < len(rest) && rest[i] != '.' && rest[i] != '[' {
			i++
		}
		st := moduleStep{name: rest[:i]}
		rest = rest[i:]
		if strings.HasPrefix(rest, "[") {
			j := closingBracket(rest)
			if j < 0 {
				return steps
			}
			st.key = rest[:j+1]
			rest = rest[j+1:]
		}
		steps = append(steps, st)
		s = rest
	}
	return steps
}

// closingBracket finds the ] closing the index at s[0], skipping quoted
// strings.
func closingBracket(s string) int {
	inStr := false
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case inStr && c == '\\':
			i++
		case c == '"':
			inStr = !inStr
		case !inStr && c == ']':
			return i
		}
	}
	return -1
}

func moduleCalls(mod string) []string {
	steps := moduleSteps(mod)
	out := make([]string, len(steps))
	for i, s := range steps {
		out[i] = s.name
	}
	return out
}

// splitModule returns the parent of module instance mod and the call name
// of its last step.
func splitModule(mod string) (parent, call, key string) {
	steps := moduleSteps(mod)
	if len(steps) == 0 {
		return "", "", ""
	}
	last := steps[len(steps)-1]
	var b strings.Builder
	for i, s := range steps[:len(steps)-1] {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString("module." + s.name + s.key)
	}
	return b.String(), last.name, last.key
}

func parentModule(mod string) string {
	p, _, _ := splitModule(mod)
	return p
}

// resolveOutput follows module.<call>[key].<output> into the output's
// expression in the called module instance.
func (pr *planReader) resolveOutput(mod string, t hcl.Traversal, depth int) []string {
	call := attrAt(t, 1)
	mc := pr.moduleCall(mod, call)
	if mc == nil || mc.Module == nil {
		return nil
	}
	i := 2
	var key *hcl.TraverseIndex
	if i < len(t) {
		if ix, ok := t[i].(hcl.TraverseIndex); ok {
			key = &ix
			i++
		}
	}
	out := attrAt(t, i)
	if out == "" {
		return nil
	}
	o := mc.Module.Outputs[out]
	if o == nil || o.Expression == nil || o.Expression.ExpressionData == nil {
		return nil
	}
	prefix := "module." + call
	if mod != "" {
		prefix = mod + "." + prefix
	}
	var insts []string
	if key != nil {
		insts = []string{prefix + indexKey(key.Key)}
	} else {
		for m := range pr.moduleInst {
			if m == prefix || (strings.HasPrefix(m, prefix+"[") && !strings.Contains(m[len(prefix):], ".module.")) {
				insts = append(insts, m)
			}
		}
	}
	if len(insts) != 1 {
		return nil
	}
	return pr.resolve(insts[0], o.Expression.References, depth+1)
}
