package terraform

import (
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/kvguard/kvguard/internal/resource"
)

// A module call kvguard cannot follow (a registry or git module that
// terraform init has not fetched, a local directory that is missing, a
// cycle) may create private endpoints, secrets, keys or diagnostic
// settings for any vault it is handed. Such a vault is marked with
// resource.Document.MarkUnfollowed, so that the verdicts that could depend
// on what the module creates become Unknown, naming the module.

// vaultMark is carried by every attribute of a vault (or managed HSM)
// instance: its address. Wherever a value derived from the vault flows
// (its id, its name, the whole object, through locals and module outputs),
// it says which vault it came from.
type vaultMark string

// unfollowedMark is carried by the outputs of a module call that was not
// followed (which are unknown): the call and why it was not followed.
type unfollowedMark struct {
	module, why string
}

// unfollowedNote is one reason to mark a vault.
type unfollowedNote struct {
	module, why string
}

// markVault marks every attribute of a vault instance's object with the
// instance's address.
func markVault(o map[string]cty.Value, addr string) {
	for k, v := range o {
		o[k] = v.Mark(vaultMark(addr))
	}
}

// vaultsOf returns the addresses of the vaults v derives from, sorted.
func vaultsOf(v cty.Value) []string {
	seen := map[string]bool{}
	for _, pm := range deepMarks(v) {
		for m := range pm {
			if a, ok := m.(vaultMark); ok {
				seen[string(a)] = true
			}
		}
	}
	return sortedKeys(seen)
}

// unfollowedOf returns the unfollowed module calls v derives from.
func unfollowedOf(v cty.Value) []unfollowedMark {
	seen := map[unfollowedMark]bool{}
	var out []unfollowedMark
	for _, pm := range deepMarks(v) {
		for m := range pm {
			if u, ok := m.(unfollowedMark); ok && !seen[u] {
				seen[u] = true
				out = append(out, u)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].module < out[j].module })
	return out
}

func deepMarks(v cty.Value) []cty.ValueMarks {
	if v == cty.NilVal {
		return nil
	}
	_, pvm := v.UnmarkDeepWithPaths()
	out := make([]cty.ValueMarks, 0, len(pvm))
	for _, pm := range pvm {
		out = append(out, pm.Marks)
	}
	return out
}

// noteUnfollowed records, for a module call of m that was not followed,
// every vault one of its arguments derives from.
func (m *moduleInst) noteUnfollowed(cn *callNode) {
	decl := cn.decl
	var sc *scope
	switch {
	case decl.count != nil:
		sc = &scope{hasCount: true, count: unknownFrom("count.index")}
	case decl.forEach != nil:
		sc = &scope{hasEach: true, eachKey: unknownFrom("each.key"), eachVal: unknownFrom("each.value")}
	}
	note := unfollowedNote{module: cn.label, why: cn.why}
	exprs := make([]hcl.Expression, 0, len(decl.args)+1)
	if decl.forEach != nil { // for_each = { kv = azurerm_key_vault.kv.id } hands it through each.value
		exprs = append(exprs, decl.forEach.Expr)
	}
	for _, name := range sortedKeys(decl.args) {
		exprs = append(exprs, decl.args[name].Expr)
	}
	for _, e := range exprs {
		v, _ := m.eval(e, sc)
		for _, addr := range vaultsOf(v) {
			m.ev.addUnfollowed(addr, note)
		}
	}
}

func (ev *evaluator) addUnfollowed(addr string, n unfollowedNote) {
	if ev.unfollowed == nil {
		ev.unfollowed = map[string][]unfollowedNote{}
	}
	for _, have := range ev.unfollowed[addr] {
		if have == n {
			return
		}
	}
	ev.unfollowed[addr] = append(ev.unfollowed[addr], n)
}

// noteUnfollowedName records that a vault instance's name or resource
// group comes from a module that was not followed: the vault's identity,
// and so what else refers to it, is unknown because of it.
func (m *moduleInst) noteUnfollowedName(inst *resInstance) {
	for _, a := range []string{"name", "resource_group_name"} {
		ea, ok := inst.body.attrs[a]
		if !ok {
			continue
		}
		for _, u := range unfollowedOf(ea.val) {
			m.ev.addUnfollowed(inst.addr, unfollowedNote(u))
		}
	}
}

// markUnfollowed marks the vault documents handed to modules that were
// not followed.
func (ev *evaluator) markUnfollowed(out []*built) {
	if len(ev.unfollowed) == 0 {
		return
	}
	for _, b := range out {
		d := b.doc
		if !d.IsType(resource.TypeVault) && !d.IsType(resource.TypeManagedHSM) {
			continue
		}
		for _, n := range ev.unfollowed[d.Source.Address] {
			d.MarkUnfollowed(n.module, n.why)
		}
	}
}
