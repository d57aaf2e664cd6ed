package bicep

import (
	"sort"
	"strconv"
	"strings"

	"github.com/kvguard/kvguard/internal/armexpr"
	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/source/bicep/syntax"
	"github.com/kvguard/kvguard/internal/source/internal/arm"
)

// emitAll emits the documents of a file instance, in declaration order.
// Variables and outputs are evaluated only as far as resources need them
// (like the deployment, which fails only on what it evaluates); the
// checker has already reported unknown names and functions everywhere.
func (fe *fileEval) emitAll() {
	for _, d := range fe.file.Decls {
		if fe.run.ctx.Err() != nil {
			return
		}
		switch x := d.(type) {
		case *syntax.ResourceDecl:
			if s, ok := fe.syms[x.Name.Name]; ok && s.kind == symResource && s.res.decl == x {
				fe.emitResource(s.res)
			}
		case *syntax.ModuleDecl:
			if s, ok := fe.syms[x.Name.Name]; ok && s.kind == symModule && s.mod.decl == x {
				fe.emitModule(s.mod)
			}
		}
	}
}

// emitResource emits the copies of a resource and then its nested
// children.
func (fe *fileEval) emitResource(rs *resSym) {
	insts, err := rs.instances()
	if err != nil {
		_ = fe.fail(rs.decl, err)
	}
	if rs.unknownCount {
		fe.run.report(resource.Warnf(fe.position(rs.loop.Iter.Pos()), "resource %s loops over a collection that is not known before deployment; kvguard judges it once, as %s[*]", rs.address, rs.address))
	}
	sups := fe.suppressions(rs.decl)
	if strings.EqualFold(rs.typ, resource.TypeResourceDeployment) && !rs.decl.Existing {
		// A nested deployment written as a resource makes no document of
		// its own: its template's resources do.
		for _, inst := range insts {
			if inst.cond != false {
				fe.nestedDeployment(inst).Deploy()
			}
		}
		return
	}
	for _, inst := range insts {
		if inst.cond == false {
			continue
		}
		res := &arm.Resource{
			Type: inst.docType, APIVersion: rs.version, Name: inst.name, NameValue: inst.nameVal,
			ID: inst.id, ExtScope: inst.extScope, Existing: rs.decl.Existing, Suppressions: sups,
			Source: resource.Provenance{Kind: "bicep", File: fe.file.Name, StartLine: rs.decl.Pos().Line,
				EndLine: rs.decl.End().Line, Address: inst.address(), APIVersion: rs.version},
			Maybe: inst.maybe(), BadName: inst.badName, DependsOn: fe.dependsOn(rs, inst), At: fe.propertyAt(rs.body),
		}
		if !rs.decl.Existing {
			body, err := rs.bodyOf(inst)
			if err != nil {
				continue
			}
			res.Body = armexpr.DeepCopy(body).(map[string]any)
			if strings.EqualFold(inst.docType, resource.TypePrivateEndpoint) {
				fe.fixEndpointLinks(rs, inst, res.Body)
			}
		}
		fe.run.add(res)
	}
	for _, it := range rs.body.Items {
		if child, ok := it.(*syntax.ResourceDecl); ok {
			if c := rs.children[child.Name.Name]; c != nil {
				fe.emitResource(c)
			}
		}
	}
}

// emitModule evaluates the copies of a module and emits their documents.
func (fe *fileEval) emitModule(ms *modSym) {
	insts, err := ms.instances()
	if err != nil {
		_ = fe.fail(ms.decl, err)
	}
	for _, inst := range insts {
		if inst.cond == false {
			continue
		}
		child, err := fe.moduleChild(inst)
		if inst.nested != nil {
			inst.nested.Deploy()
			continue
		}
		if err != nil || child == nil {
			if why := ms.notRead + inst.notRead; why != "" {
				fe.markUnfollowed(inst, why)
			}
			continue
		}
		child.emitAll()
	}
}

// suppressions reads the kvguard:ignore comments of a declaration: on its
// own lines (decorators and the declaration line) and in the block of
// comment lines right above it.
func (fe *fileEval) suppressions(d *syntax.ResourceDecl) []resource.Suppression {
	first := d.Pos().Line
	declLine := d.Name.Pos().Line
	cs := fe.file.Comments
	// Comments are in source order: find the ones ending at or before the
	// declaration line.
	i := sort.Search(len(cs), func(i int) bool { return cs[i].Pos.Line > declLine })
	var picked []syntax.Comment
	expect := first - 1
	for j := i - 1; j >= 0; j-- {
		c := cs[j]
		switch {
		case c.Pos.Line >= first:
			picked = append(picked, c)
		case c.OwnLine && c.EndLine == expect:
			picked = append(picked, c)
			expect = c.Pos.Line - 1
		default:
			j = -1
		}
	}
	var out []resource.Suppression
	for k := len(picked) - 1; k >= 0; k-- {
		c := picked[k]
		if !strings.Contains(c.Text, resource.SuppressionMarker) {
			continue
		}
		pos := fe.position(c.Pos)
		s, found, err := resource.ParseSuppression(strings.TrimPrefix(strings.TrimPrefix(c.Text, "//"), "/*"), pos)
		if err != nil {
			fe.run.report(&resource.InputError{Pos: pos, Msg: err.Error(), Err: err})
			continue
		}
		if found {
			out = append(out, s)
		}
	}
	return out
}

// fixEndpointLinks evaluates again, in names mode, a private endpoint's
// privateLinkServiceId that is unknown (it names a vault whose name is a
// parameter without a value), so that it still names the vault document,
// as the ARM template reader does. Only connections written out literally
// are fixed, as there only the compiled template has them one by one.
func (fe *fileEval) fixEndpointLinks(rs *resSym, inst *resInst, body map[string]any) {
	po, ok := propValue(rs.body, "properties").(*syntax.ObjectExpr)
	if !ok {
		return
	}
	arm.SetLinkServiceID(body, func(key string, i, n int) string {
		arrExpr, ok := propValue(po, key).(*syntax.ArrayExpr)
		if !ok || len(arrExpr.Items) != n || arrExpr.Items[i].Spread {
			return ""
		}
		item, ok := arrExpr.Items[i].Value.(*syntax.ObjectExpr)
		if !ok {
			return ""
		}
		ipo, ok := propValue(item, "properties").(*syntax.ObjectExpr)
		if !ok {
			return ""
		}
		idp := prop(ipo, "privateLinkServiceId")
		if idp == nil {
			return ""
		}
		v, err := fe.mode(true).value(idp.Value, inst.sc)
		if err != nil {
			return ""
		}
		return nameString(v)
	})
}

// dependsOn resolves the resources an instance depends on to their IDs
// (names mode): its parent, and the resources its dependsOn names.
func (fe *fileEval) dependsOn(rs *resSym, inst *resInst) []string {
	var out []string
	if inst.parent != nil {
		out = append(out, inst.parent.id)
	}
	arr, ok := propValue(rs.body, "dependsOn").(*syntax.ArrayExpr)
	if !ok {
		return out
	}
	for _, it := range arr.Items {
		v, err := fe.mode(true).eval(it.Value, inst.sc)
		r, isRes := v.(*resRef)
		if err != nil || !isRes {
			continue
		}
		insts, err := r.sym.instances()
		if err != nil || r.sym.unknownCount {
			continue
		}
		for i, x := range insts {
			if r.index < 0 || r.index == i {
				out = append(out, x.id)
			}
		}
	}
	return out
}

// propertyAt returns the position of a property of a resource body, by
// its path (array elements by index), for messages about its value.
func (fe *fileEval) propertyAt(body *syntax.ObjectExpr) func(path ...string) (resource.Position, bool) {
	return func(path ...string) (resource.Position, bool) {
		var e syntax.Expr = body
		for _, p := range path {
			switch x := e.(type) {
			case *syntax.ObjectExpr:
				e = propValue(x, p)
			case *syntax.ArrayExpr:
				i, err := strconv.Atoi(p)
				if err != nil || i < 0 || i >= len(x.Items) || x.Items[i].Spread {
					return resource.Position{}, false
				}
				e = x.Items[i].Value
			default:
				return resource.Position{}, false
			}
			if e == nil {
				return resource.Position{}, false
			}
		}
		return fe.position(e.Pos()), true
	}
}
