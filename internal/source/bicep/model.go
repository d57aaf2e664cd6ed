package bicep

import (
	"strings"

	"github.com/kvguard/kvguard/internal/armexpr"
	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/source/bicep/syntax"
	"github.com/kvguard/kvguard/internal/source/internal/arm"
)

// resSym is a resource declaration of a file instance.
type resSym struct {
	fe       *fileEval
	decl     *syntax.ResourceDecl
	address  string
	parent   *resSym // lexical parent (nested declaration)
	children map[string]*resSym
	typ      string
	version  string
	loop     *syntax.ForExpr
	cond     syntax.Expr
	body     *syntax.ObjectExpr
	// insts are the evaluated copies (one without a loop); computed on
	// first use.
	insts     []*resInst
	instState evalState
	// unknownCount is set when the loop's collection is unknown.
	unknownCount bool
	// anyCopies are the synthetic copies of unknown indexes, by index
	// expression.
	anyCopies map[string]*resInst
	// notARM marks a resource of an extension (Microsoft Graph, ...):
	// not an Azure Resource Manager resource, so not evaluated.
	notARM bool
}

// resInst is one copy of a resource: the result of its loop iteration (if
// any), its condition, names, parent, scope and ID.
//
// Names and IDs are computed as the ARM template reader computes them for
// the compiled template: in value mode (what a .name or .id expression
// gives: unknown when a part is) and in names mode (unknown parameters as
// "[parameters('x')]" placeholders, so that the document ID is always a
// string and related resources still link).
type resInst struct {
	sym   *resSym
	index int // loop index, or -1
	// placeholder marks the one copy of a loop over an unknown
	// collection (index 0, addressed [*]).
	placeholder bool
	// badName says why the name cannot give the resource's parents.
	badName string
	sc      *locals
	cond    any // true, false or an unknown
	// ownVal and own are the name property's value in value and names
	// mode; nameVal and name the full name (parent/child).
	ownVal  any
	own     any
	nameVal any
	name    string
	id      string
	// idKnown is false when the ID depends on an unknown value (then .id
	// is unknown in value mode); idErr says why .id cannot be built.
	idKnown bool
	idErr   string
	docType string
	// chain is the ID the resource's type chain hangs from (the target
	// scope, or the resource an extension resource extends); extScope is
	// the extended resource, if any.
	chain    string
	extScope string
	tgt      target
	// parent is the parent instance (nested or parent:).
	parent *resInst
	// nested evaluates the template of a Microsoft.Resources/deployments
	// resource (see nestedDeployment).
	nested      *arm.Nested
	nestedState evalState
}

// resRef is the value of a resource symbol in an expression: a symbol, or
// one copy of a looped one (index >= 0).
type resRef struct {
	sym   *resSym
	index int
	// unknownIdx, in names mode, is an index not known before
	// deployment: the reference is to a synthetic copy whose loop item is
	// unknown (see resSym.anyCopy).
	unknownIdx *resource.Unknown
}

// unknownInstance is the instance of a loop whose collection is unknown.
type unknownInstance struct{}

func (*unknownInstance) Error() string { return "the resource's loop collection is unknown" }

// propertyNames that the compiler resolves at compile time; any other
// property of a resource is read with reference() and is unknown here.
var resourceConstants = map[string]bool{"id": true, "name": true, "type": true, "apiVersion": true}

// splitType splits 'Microsoft.KeyVault/vaults@2023-07-01'.
func splitType(s string) (typ, version string) {
	typ, version, _ = strings.Cut(s, "@")
	return typ, version
}

// prop finds a property of a resource or module body by name.
func prop(body *syntax.ObjectExpr, name string) *syntax.ObjectProp {
	for _, it := range body.Items {
		if p, ok := it.(*syntax.ObjectProp); ok {
			if k, ok := p.KeyName(); ok && k == name {
				return p
			}
		}
	}
	return nil
}

// propValue is the value of a body property, or nil.
func propValue(body *syntax.ObjectExpr, name string) syntax.Expr {
	if p := prop(body, name); p != nil {
		return p.Value
	}
	return nil
}

// lookupMap reads an object member that is itself an object.
func lookupMap(m map[string]any, key string) (map[string]any, bool) {
	v, _ := resource.LookupFold(m, key)
	o, ok := v.(map[string]any)
	return o, ok
}

// nameString renders a names-mode value as the ARM template reader does
// when it builds IDs: strings as they are, an unknown as "[expression]".
func nameString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case resource.Unknown:
		return "[" + x.Expr + "]"
	}
	return armexpr.Stringify(v)
}

// modSym is a module declaration of a file instance.
type modSym struct {
	fe      *fileEval
	decl    *syntax.ModuleDecl
	address string
	path    string
	loop    *syntax.ForExpr
	cond    syntax.Expr
	body    *syntax.ObjectExpr
	insts   []*modInst
	state   evalState
	// registry is set for modules that are not read: br:/ts: references
	// not in the Bicep restore cache, files of another kind; notRead says
	// why.
	registry bool
	notRead  string
	// cache is the read root of a registry module read from the Bicep
	// restore cache (target is its main.json).
	cache *arm.ReadRoot
	// unknownCount is set when the loop's collection is unknown.
	unknownCount bool
	// target is the resolved file of a local module.
	target string
}

// modInst is one copy of a module: a nested deployment.
type modInst struct {
	sym   *modSym
	index int
	// placeholder marks the one copy of a loop over an unknown
	// collection (index 0, addressed [*]).
	placeholder bool
	sc          *locals
	cond        any
	name        any
	// nameStr is the name in names mode, the nested deployment's name.
	nameStr string
	tgt     target
	// child evaluates the module file with this copy's parameters; nil
	// for registry modules, modules written as ARM templates and modules
	// that could not be loaded.
	child *fileEval
	// nested evaluates a module written as an ARM template (.json) with
	// this copy's parameters.
	nested *arm.Nested
	// failed is set when the module could not be loaded (reported once);
	// notRead says why. marked is set once the Mapper knows it was not
	// read.
	failed  bool
	notRead string
	marked  bool
}

// modRef is the value of a module symbol in an expression.
type modRef struct {
	sym   *modSym
	index int
}

// paramResource is the value of a resource-typed parameter ("param kv
// resource 'Microsoft.KeyVault/vaults@2023-07-01'"): a resource known by
// its ID, which the parameter holds.
type paramResource struct {
	id      any
	typ     string
	version string
}

func newParamResource(id any, rt *syntax.ResourceType) *paramResource {
	p := &paramResource{id: id}
	if rt.Type != nil {
		if lit, ok := rt.Type.Literal(); ok {
			p.typ, p.version = splitType(lit)
		}
	}
	return p
}

// property is kv.id, kv.name (the last segment of the ID), kv.type and
// kv.apiVersion; anything else is read from the deployed resource.
func (p *paramResource) property(name string) (any, bool) {
	switch name {
	case "id":
		return p.id, true
	case "name":
		if s, ok := p.id.(string); ok {
			return s[strings.LastIndexByte(s, '/')+1:], true
		}
		return p.id, true
	case "type":
		return p.typ, true
	case "apiVersion":
		return p.version, true
	}
	return nil, false
}

// scopeKind is where a resource or module is deployed.
type scopeKind uint8

const (
	scopeResourceGroup scopeKind = iota + 1
	scopeSubscription
	scopeManagementGroup
	scopeTenant
	// scopeExtension: the resource extends another resource (diagnostic
	// settings, locks, role assignments on a vault).
	scopeExtension
)

// scopeRef is a deployment scope: the value of resourceGroup('rg'),
// subscription('id'), managementGroup('mg') or tenant(), or an extension
// resource's target. Parts are strings or unknowns.
type scopeRef struct {
	kind    scopeKind
	sub, rg any
	mg      any
	// id is the resource ID of the target (extension) or of the
	// management group.
	id any
}

// scopeID is the resource ID of the scope itself.
func (s *scopeRef) scopeID() any {
	switch s.kind {
	case scopeResourceGroup:
		sub, ok1 := s.sub.(string)
		rg, ok2 := s.rg.(string)
		if ok1 && ok2 {
			return "/subscriptions/" + sub + "/resourceGroups/" + rg
		}
		return resource.Unknown{Expr: "resourceGroup().id"}
	case scopeSubscription:
		return concatID("/subscriptions/", s.sub)
	case scopeTenant:
		return "/"
	}
	return s.id
}

// property reads resourceGroup('x').name and the like.
func (s *scopeRef) property(name string) (any, bool) {
	switch name {
	case "id":
		return s.scopeID(), true
	case "name":
		switch s.kind {
		case scopeResourceGroup:
			return s.rg, true
		case scopeSubscription:
			return s.sub, true
		case scopeManagementGroup:
			return s.mg, true
		}
	case "subscriptionId":
		if s.kind == scopeResourceGroup || s.kind == scopeSubscription {
			return s.sub, true
		}
	}
	return nil, false
}

// concatID appends a name to an ID prefix, unknown if the name is.
func concatID(prefix string, name any) any {
	if s, ok := name.(string); ok {
		return prefix + s
	}
	return resource.Unknown{Expr: prefix + armexpr.RenderValue(name)}
}

// target is where a deployment's resources go (shared with the other
// template front end through armexpr).
type target = armexpr.Target

func targetOf(d armexpr.Deployment) target { return armexpr.TargetOf(d) }
