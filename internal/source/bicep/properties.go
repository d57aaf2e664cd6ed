package bicep

import (
	"strings"

	"github.com/kvguard/kvguard/internal/armexpr"
	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/source/bicep/syntax"
)

// resourceProperty is sym.prop for a resource reference: id, name, type
// and apiVersion are known at compile time; anything else is read from
// the deployed resource (reference()) and is unknown.
func (fe *fileEval) resourceProperty(r *resRef, x *syntax.PropertyExpr) (any, error) {
	name := x.Name.Name
	if name == "properties" && strings.EqualFold(r.sym.typ, resource.TypeResourceDeployment) && !r.sym.decl.Existing {
		return fe.deploymentProperties(r, x)
	}
	if !resourceConstants[name] {
		return fe.unknownAt(x), nil
	}
	switch name {
	case "type":
		return r.sym.typ, nil
	case "apiVersion":
		return r.sym.version, nil
	}
	inst, err := r.instance(x.X)
	if err != nil {
		if _, ok := err.(*unknownInstance); ok {
			return fe.unknownAt(x), nil
		}
		return nil, err
	}
	if name == "id" {
		if inst.idErr != "" {
			return nil, &evalError{pos: x.Pos(), msg: inst.idErr}
		}
		if fe.names || inst.idKnown {
			return inst.id, nil
		}
		return fe.unknownAt(x), nil
	}
	// The name property's own value, as the compiler gives it (not the
	// qualified parent/child name).
	v := inst.ownVal
	if fe.names {
		v = inst.own
	}
	if resource.IsUnknown(v) {
		return fe.unknownAt(x), nil
	}
	return v, nil
}

// deploymentProperties is dep.properties for a nested deployment declared
// as a resource: what reference() gives for it once deployed (its
// outputs, mode, provisioningState), as the ARM template reader gives it
// for the compiled template.
func (fe *fileEval) deploymentProperties(r *resRef, x *syntax.PropertyExpr) (any, error) {
	inst, err := r.instance(x.X)
	if err != nil {
		if _, ok := err.(*unknownInstance); ok {
			return fe.unknownAt(x), nil
		}
		return nil, err
	}
	n := fe.nestedDeployment(inst)
	if n == nil {
		return fe.unknownAt(x), nil
	}
	return armexpr.DeepCopy(n.Properties()), nil
}

// anyCopy is the synthetic copy of a looped resource at an index that is
// not known: its loop item is unknown, so that names and IDs built from
// it are written with placeholders (names mode), as the ARM reader writes
// the compiled template's.
func (rs *resSym) anyCopy(idx resource.Unknown) (*resInst, error) {
	if c, ok := rs.anyCopies[idx.Expr]; ok {
		return c, nil
	}
	fe := rs.fe
	sc := rs.lexicalScope().bind(rs.loop.Item.Name, resource.Unknown{Expr: fe.text(rs.loop.Iter) + "[" + idx.Expr + "]"})
	if rs.loop.Index != nil {
		sc = sc.bind(rs.loop.Index.Name, idx)
	}
	inst := &resInst{sym: rs, index: -1, sc: sc}
	if rs.anyCopies == nil {
		rs.anyCopies = map[string]*resInst{}
	}
	rs.anyCopies[idx.Expr] = inst
	if err := rs.fill(inst); err != nil {
		return nil, err
	}
	return inst, nil
}
