package policy

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/kvguard/kvguard/internal/armexpr"
	"github.com/kvguard/kvguard/internal/jsonpos"
	"github.com/kvguard/kvguard/internal/resource"
)

// Policy is a compiled definition with its parameter values bound:
// compiled once, evaluated against many documents, safe for concurrent use.
type Policy struct {
	Def    *Definition
	params map[string]any
	effect string // lower-case
	mode   string // lower-case
	ifCond cond
	exist  *existence
	mut    *mutation // append and modify details (mutate.go)
}

// existence is the auditIfNotExists / deployIfNotExists details.
type existence struct {
	typ       string
	name      expr // may be nil
	scope     string
	rgName    expr
	condition cond // nil: any related resource satisfies
}

// Options are the evaluation settings.
type Options struct {
	// Params are the assignment's parameter values (by name).
	Params map[string]any
	// Now is the instant utcNow() returns; zero means time.Now().
	Now time.Time
	// APIVersion is what requestContext().apiVersion returns. Compliance
	// scans use the resource provider's latest API version.
	APIVersion string
	// SkipReasons leaves Result.Reasons empty for non-compliant verdicts,
	// for callers that judge millions of components and phrase findings
	// themselves.
	SkipReasons bool
}

// DefaultAPIVersion is requestContext().apiVersion during compliance
// evaluation: the newest Key Vault control-plane version.
const DefaultAPIVersion = "2026-02-01"

type compiler struct {
	def    *Definition
	params map[string]any
	depth  int
}

func (cp *compiler) pos(n *jsonpos.Node) resource.Position {
	p := resource.Position{File: cp.def.File}
	if n != nil {
		p.Line, p.Col = n.Start.Line, n.Start.Col
	}
	return p
}

func (cp *compiler) errAt(n *jsonpos.Node, format string, args ...any) error {
	return resource.Errorf(cp.pos(n), format, args...)
}

func (cp *compiler) errAtKey(m *jsonpos.Member, format string, args ...any) error {
	return resource.Errorf(resource.Position{File: cp.def.File, Line: m.KeyPos.Line, Col: m.KeyPos.Col}, format, args...)
}

// constCtx evaluates expressions that may only depend on parameters.
func (cp *compiler) constCtx() *evalCtx {
	return &evalCtx{params: cp.params, now: time.Now(), apiVersion: DefaultAPIVersion}
}

// Compile binds parameter values and compiles the rule. Errors name the
// definition's file and the line of the offending member.
func Compile(def *Definition, params map[string]any) (p *Policy, err error) {
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, fmt.Errorf("compile policy %s: %w: %v", defLabel(def), errInternal, r)
		}
	}()
	pv, err := def.resolveParameters(params)
	if err != nil {
		return nil, err
	}
	cp := &compiler{def: def, params: pv}
	rule := def.rule
	ifNode, thenNode := rule.GetFold("if"), rule.GetFold("then")
	if ifNode == nil || thenNode == nil {
		return nil, cp.errAt(rule, "policyRule needs both if and then")
	}
	p = &Policy{Def: def, params: pv, mode: strings.ToLower(def.Mode)}
	switch p.mode {
	case "all", "indexed", "microsoft.keyvault.data", "microsoft.managedhsm.data":
	default:
		return nil, cp.errAt(rule, "unsupported mode %q (kvguard evaluates All, Indexed, Microsoft.KeyVault.Data and Microsoft.ManagedHSM.Data)", def.Mode)
	}
	if p.ifCond, err = cp.compileCond(ifNode); err != nil {
		return nil, err
	}
	effNode := thenNode.GetFold("effect")
	if effNode == nil || effNode.Kind != jsonpos.String {
		return nil, cp.errAt(thenNode, "then.effect must be a string")
	}
	eff, err := compileString(effNode.Str)
	if err != nil {
		return nil, cp.errAt(effNode, "%v", err)
	}
	ev, err := eff.eval(cp.constCtx())
	if err != nil {
		return nil, cp.errAt(effNode, "%v", err)
	}
	es, ok := ev.(string)
	if !ok {
		return nil, cp.errAt(effNode, "effect must evaluate to a string")
	}
	p.effect = strings.ToLower(es)
	switch p.effect {
	case "audit", "deny", "disabled", "denyaction", "manual":
	case "modify", "append":
		if p.mut, err = cp.compileMutation(thenNode, p.effect); err != nil {
			return nil, err
		}
	case "auditifnotexists", "deployifnotexists":
		details := thenNode.GetFold("details")
		if details == nil || details.Kind != jsonpos.Object {
			return nil, cp.errAt(thenNode, "%s needs then.details", es)
		}
		if p.exist, err = cp.compileExistence(details); err != nil {
			return nil, err
		}
	default:
		return nil, cp.errAt(effNode, "unknown effect %q", es)
	}
	return p, nil
}

func (cp *compiler) compileExistence(details *jsonpos.Node) (*existence, error) {
	ex := &existence{scope: "resourcegroup"}
	t := details.GetFold("type")
	if t == nil || t.Kind != jsonpos.String {
		return nil, cp.errAt(details, "details.type is required")
	}
	ex.typ = t.Str
	var err error
	if n := details.GetFold("name"); n != nil {
		if ex.name, err = cp.compileValue(n); err != nil {
			return nil, err
		}
	}
	if n := details.GetFold("resourceGroupName"); n != nil {
		if ex.rgName, err = cp.compileValue(n); err != nil {
			return nil, err
		}
	}
	if n := details.GetFold("existenceScope"); n != nil && n.Kind == jsonpos.String {
		ex.scope = strings.ToLower(n.Str)
	}
	if n := details.GetFold("existenceCondition"); n != nil {
		if ex.condition, err = cp.compileCond(n); err != nil {
			return nil, err
		}
	}
	return ex, nil
}

// Effect is the effect the policy applies (lower-case), after parameters.
func (p *Policy) Effect() string { return p.effect }

// Param is the value a parameter is bound to (defaults included), by
// name, case-insensitively; nil when the definition has no such
// parameter.
func (p *Policy) Param(name string) any { return p.params[strings.ToLower(name)] }

// Mode is the definition's mode (lower-case).
func (p *Policy) Mode() string { return p.mode }

// RelatedType is the related resource type of an ifNotExists policy, or "".
func (p *Policy) RelatedType() string {
	if p.exist == nil {
		return ""
	}
	return p.exist.typ
}

// Outcome is a policy's verdict on one document.
type Outcome uint8

// The outcomes, in Azure Policy's terms.
const (
	// NotApplicable: the resource is out of the policy's scope (type,
	// mode, or the if of an ifNotExists policy is false).
	NotApplicable Outcome = iota
	Compliant
	NonCompliant
	// Unknown: a value that decides the verdict is unknown, or a related
	// listing could not be read.
	Unknown
	// Disabled: the effect is disabled; nothing was evaluated.
	Disabled
	// Error: the rule could not be evaluated (a function failed, types
	// could not be compared); Azure reports such evaluations as errors.
	Error
)

func (o Outcome) String() string {
	return [...]string{"NotApplicable", "Compliant", "NonCompliant", "Unknown", "Disabled", "Error"}[o]
}

// Result is the verdict with its explanation.
type Result struct {
	Outcome Outcome
	// Reasons are the conditions that made the resource non-compliant, or
	// the unknown ones that left the verdict open.
	Reasons []Reason
	// Err is the evaluation error (Outcome Error) or the reason a related
	// listing is unknown; for an Unknown that the choices of its unknowns
	// did not settle, Note in words.
	Err error
	// ForEvery names the unknowns (by expression) whose every possible
	// value was tried: the outcome, Compliant, NonCompliant or
	// NotApplicable, holds for each. See choices.go.
	ForEvery []string
	// Possibilities, for an Unknown outcome that trying the choices of
	// its unknowns did not settle, are the combinations tried and their
	// outcomes; Deciding names the expressions whose value decides it.
	Possibilities []Possibility
	Deciding      []string
}

// Related finds the resources an ifNotExists policy looks for.
type Related interface {
	// Related returns the resources of the query's type related to doc.
	// known is false when they could not be listed (then why says why).
	Related(doc *resource.Document, q RelatedQuery) (docs []*resource.Document, known bool, why string)
}

// RelatedQuery is what an ifNotExists policy asks for.
type RelatedQuery struct {
	Type string
	// Name is the exact name to match, "" for any; a final "?" segment
	// matches any child name.
	Name string
	// Scope is "resourcegroup" or "subscription" for types that are not
	// children or extensions of the evaluated resource.
	Scope         string
	ResourceGroup string
}

type scope struct {
	// field count
	prefix path
	doc    *resource.Document
	// value count
	valueCount bool
	name       string
	item       any
}

type evalCtx struct {
	p             *Policy
	ifDoc         *resource.Document
	fieldDoc      *resource.Document
	params        map[string]any
	scopes        []scope
	now           time.Time
	apiVersion    string
	negations     int
	applicability bool
	err           error
	fieldCache    map[string]*fieldRef
	tenv          armexpr.Env // the template environment (see env)
}

func (c *evalCtx) fail(pos resource.Position, err error) {
	if c.err == nil {
		c.err = fmt.Errorf("%s: %w", pos, err)
	}
}

// inMode reports whether a document of this type is evaluated under the
// definition's mode.
func (p *Policy) inMode(doc *resource.Document) bool {
	t := doc.Type
	kvData := hasPrefixFold(t, "microsoft.keyvault.data/")
	hsmData := hasPrefixFold(t, "microsoft.managedhsm.data/")
	data := kvData || hsmData
	switch p.mode {
	case "microsoft.keyvault.data":
		return kvData
	case "microsoft.managedhsm.data":
		return hsmData
	case "indexed":
		return !data && indexed(doc)
	}
	return !data
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// indexed reports whether a type supports tags and location (Indexed
// mode): tracked resources, known by type or recognised by their location
// member. Indexed mode is a property of the type, not of the document: a
// key vault declared without its location (invalid IaC, a trimmed export)
// is still evaluated.
func indexed(doc *resource.Document) bool {
	switch strings.ToLower(doc.Type) {
	case "microsoft.insights/diagnosticsettings", "microsoft.resources/subscriptions", "microsoft.resources/resourcegroups":
		return false
	case "microsoft.keyvault/vaults", "microsoft.keyvault/managedhsms", "microsoft.network/privateendpoints":
		return true
	}
	if doc.Body == nil {
		return true
	}
	_, ok := lookupFold(doc.Body, "location")
	if ok {
		return true
	}
	id, _ := resource.ParseID(doc.ID)
	return len(id.Types) == 1 // top-level resources are tracked even when the input omitted location
}

// Evaluate judges one document. related may be nil when the policy is not
// an ifNotExists policy. An outcome that is Unknown because of unknowns
// whose possible values are known (resource.UnknownOneOf) is settled by
// trying each of them (choices.go). A panic while evaluating is this
// rule's Error on this document, never the caller's: the rest of a scan
// goes on.
func (p *Policy) Evaluate(doc *resource.Document, related Related, opts Options) (res Result) {
	defer recoverEvaluation(p, &res)
	budget := maxChoiceEvaluations
	return p.evaluateChoices(doc, related, opts, &budget)
}

// evaluateOnce judges one document as it is.
func (p *Policy) evaluateOnce(doc *resource.Document, related Related, opts Options) Result {
	if p.effect == "disabled" {
		return Result{Outcome: Disabled}
	}
	if !p.inMode(doc) {
		return Result{Outcome: NotApplicable}
	}
	c := p.newCtx(doc, opts)
	defer ctxPool.Put(c)
	if p.exist != nil {
		return p.evalIfNotExists(c, doc, related)
	}
	// Resource Manager and resource-provider modes: only type, name and
	// kind conditions decide applicability.
	c.applicability = true
	app := p.ifCond.eval(c)
	c.applicability = false
	if c.err != nil {
		return Result{Outcome: Error, Err: c.err}
	}
	if app == truthFalse {
		return Result{Outcome: NotApplicable}
	}
	r := p.ifCond.eval(c)
	if c.err != nil {
		return Result{Outcome: Error, Err: c.err}
	}
	switch r {
	case truthFalse:
		return Result{Outcome: Compliant}
	case truthTrue:
		if opts.SkipReasons {
			return Result{Outcome: NonCompliant}
		}
		_, why := p.ifCond.explain(c)
		return Result{Outcome: NonCompliant, Reasons: findings(why)}
	}
	_, why := p.ifCond.explain(c)
	return Result{Outcome: Unknown, Reasons: findings(why)}
}

// errInternal marks a panic recovered while compiling or evaluating: a bug
// in kvguard, not in the definition.
var errInternal = errors.New("internal error (please report it)")

// recoverEvaluation turns a panic in Evaluate into an Error outcome naming
// the policy and the panic.
func recoverEvaluation(p *Policy, res *Result) {
	if r := recover(); r != nil {
		var def *Definition
		if p != nil {
			def = p.Def
		}
		*res = Result{Outcome: Error, Err: fmt.Errorf("evaluate policy %s: %w: %v", defLabel(def), errInternal, r)}
	}
}

func defLabel(d *Definition) string {
	if d == nil {
		return "(no definition)"
	}
	return d.label()
}

// ctxPool reuses evaluation contexts: judging a million components should
// not allocate a million of them.
var ctxPool = sync.Pool{New: func() any { return new(evalCtx) }}

func (p *Policy) newCtx(doc *resource.Document, opts Options) *evalCtx {
	c := ctxPool.Get().(*evalCtx)
	scopes, cache := c.scopes[:0], c.fieldCache
	if len(cache) > 64 {
		cache = nil
	}
	*c = evalCtx{p: p, ifDoc: doc, fieldDoc: doc, params: p.params, now: opts.Now, apiVersion: opts.APIVersion, scopes: scopes, fieldCache: cache}
	if c.now.IsZero() {
		c.now = time.Now()
	}
	if c.apiVersion == "" {
		c.apiVersion = DefaultAPIVersion
	}
	return c
}

func (p *Policy) evalIfNotExists(c *evalCtx, doc *resource.Document, related Related) Result {
	r := p.ifCond.eval(c)
	if c.err != nil {
		return Result{Outcome: Error, Err: c.err}
	}
	switch r {
	case truthFalse:
		return Result{Outcome: NotApplicable}
	case truthUnknown:
		_, why := p.ifCond.explain(c)
		return Result{Outcome: Unknown, Reasons: findings(why)}
	}
	if related == nil {
		return Result{Outcome: Unknown, Err: errors.New("related resources were not provided")}
	}
	q := RelatedQuery{Type: p.exist.typ, Scope: p.exist.scope}
	if p.exist.name != nil {
		v, err := p.exist.name.eval(c)
		if err != nil {
			return Result{Outcome: Error, Err: err}
		}
		if s, ok := v.(string); ok {
			q.Name = s
		} else if _, unk := v.(unknownValue); unk {
			return Result{Outcome: Unknown, Err: fmt.Errorf("the related resource's name is unknown")}
		}
	}
	if p.exist.rgName != nil {
		if v, err := p.exist.rgName.eval(c); err == nil {
			q.ResourceGroup, _ = v.(string)
		}
	}
	docs, known, why := related.Related(doc, q)
	if !known {
		return Result{Outcome: Unknown, Err: errors.New(why)}
	}
	anyUnknown := false
	var unknownWhy []Reason
	for _, rd := range docs {
		if p.exist.condition == nil {
			return Result{Outcome: Compliant}
		}
		c.fieldDoc = rd
		switch p.exist.condition.eval(c) {
		case truthTrue:
			c.fieldDoc = doc
			return Result{Outcome: Compliant}
		case truthUnknown:
			anyUnknown = true
			_, w := p.exist.condition.explain(c)
			unknownWhy = append(unknownWhy, w...)
		}
		if c.err != nil {
			return Result{Outcome: Error, Err: c.err}
		}
	}
	c.fieldDoc = doc
	if anyUnknown {
		return Result{Outcome: Unknown, Reasons: findings(unknownWhy)}
	}
	reason := Reason{Field: p.exist.typ, Operator: "exists", Expected: true, Actual: missing}
	if len(docs) > 0 {
		reason = Reason{Field: p.exist.typ, Operator: "existenceCondition", Expected: true, Actual: fmt.Sprintf("%d related resource(s), none meeting the existence condition", len(docs))}
	}
	return Result{Outcome: NonCompliant, Reasons: []Reason{reason}}
}

// findings drops conditions on type and other structural checks that
// every matching resource meets, keeping what distinguishes this one.
func findings(rs []Reason) []Reason {
	out := rs[:0:0]
	for _, r := range rs {
		if strings.EqualFold(r.Field, "type") {
			continue
		}
		out = append(out, r)
	}
	return out
}
