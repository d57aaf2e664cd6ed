package terraform

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"

	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/source/terraform/funcs"
)

// evaluator evaluates one root module and the modules it calls, for one
// Read. It holds every module instance of that root until the documents
// are emitted, and nothing of any other root.
type evaluator struct {
	ctx     context.Context
	log     *slog.Logger
	dirs    *dirMemo
	opts    Options
	rootDir string
	rootAbs string
	// scanRoot is the directory file functions may read below (see
	// Options.Root), symlinks resolved.
	scanRoot string

	configs  map[string]*moduleConfig // by absolute directory
	parses   *moduleParses            // the Reader's, shared by its reads
	allowed  []string                 // directories file() may read
	manifest map[string]string        // .terraform/modules/modules.json: key → dir
	// funcs serves every module of the root: Terraform resolves relative
	// file paths against its working directory, the root module.
	funcs    map[string]function.Function
	rootVals map[string]cty.Value

	errs   []error
	seen   map[string]bool
	stack  []string // labels of the nodes being evaluated, for cycle reports
	files  int
	budget budget
	// unfollowed holds, by vault address, the module calls that were not
	// followed and were handed something of the vault.
	unfollowed map[string][]unfollowedNote
}

func newEvaluator(ctx context.Context, r *Reader, dir string) *evaluator {
	ev := &evaluator{
		ctx: ctx, log: r.log, opts: r.opts, rootDir: dir, parses: &r.parses, dirs: &r.dirs,
		configs: map[string]*moduleConfig{}, seen: map[string]bool{},
		budget: newBudget(r.opts.MaxInstances),
	}
	ev.rootAbs, _ = filepath.Abs(dir)
	ev.scanRoot = ev.scanRootOf(r.opts.Root)
	ev.allow(ev.rootAbs)
	ev.funcs = funcs.Table(funcs.Options{BaseDir: dir, Allowed: ev.isAllowed})
	ev.manifest = readManifest(dir)
	return ev
}

// allow lets file functions read below a module directory, when it lies
// inside the scanned root (symlinks followed): a local module source such
// as ../../../../ must not open the rest of the disk to file().
func (ev *evaluator) allow(abs string) {
	abs = ev.dirs.real(abs)
	if !within(abs, ev.scanRoot) {
		ev.log.DebugContext(ev.ctx, "module directory outside the scanned root: its files are not read by file functions", "dir", abs, "root", ev.scanRoot)
		return
	}
	for _, a := range ev.allowed {
		if a == abs {
			return
		}
	}
	ev.allowed = append(ev.allowed, abs)
}

// isAllowed reports whether file() may read abs: only files inside the
// root module's directory or a module directory that was followed.
func (ev *evaluator) isAllowed(abs string) bool {
	for _, a := range ev.allowed {
		if within(abs, a) {
			return true
		}
	}
	ev.log.DebugContext(ev.ctx, "file outside the scanned tree not read", "path", abs)
	return false
}

func (ev *evaluator) add(e *resource.InputError) {
	key := e.Error()
	if ev.seen[key] {
		return
	}
	ev.seen[key] = true
	ev.errs = append(ev.errs, e)
}

func (ev *evaluator) errorf(p resource.Position, format string, args ...any) {
	ev.add(resource.Errorf(p, format, args...))
}

func (ev *evaluator) warnf(p resource.Position, format string, args ...any) {
	ev.add(resource.Warnf(p, format, args...))
}

// diags records HCL diagnostics (parse errors, bad structure) as input
// errors at their positions.
func (ev *evaluator) diags(ds hcl.Diagnostics) {
	for _, d := range ds {
		p := resource.Position{}
		if d.Subject != nil {
			p = pos(*d.Subject)
		}
		msg := d.Summary
		if d.Detail != "" {
			msg += "; " + d.Detail
		}
		if d.Severity == hcl.DiagError {
			ev.errorf(p, "%s", msg)
		} else {
			ev.warnf(p, "%s", msg)
		}
	}
}

// evalFailed handles the diagnostics of an expression that could not be
// evaluated: its value becomes unknown. A call to a function kvguard does
// not know is worth a warning (it may hide a verdict); other failures are
// what Terraform would also not know before apply, or errors Terraform
// reports itself, and are only logged.
func (ev *evaluator) evalFailed(ds hcl.Diagnostics) {
	for _, d := range ds {
		if d.Severity != hcl.DiagError {
			continue
		}
		if d.Summary == "Call to unknown function" && d.Subject != nil {
			ev.warnf(pos(*d.Subject), "%s; kvguard treats the value as unknown", strings.TrimSuffix(d.Detail, "."))
			continue
		}
		where := ""
		if d.Subject != nil {
			where = pos(*d.Subject).String()
		}
		ev.log.DebugContext(ev.ctx, "expression not evaluated; treated as unknown", "at", where, "reason", d.Summary)
	}
}

// failed returns the value of an expression that could not be
// evaluated: unknown, named after the references that failed (an
// attribute the provider computes, such as random_integer.x.result), or
// after fallback.
func (m *moduleInst) failed(ds hcl.Diagnostics, fallback string) cty.Value {
	m.ev.evalFailed(ds)
	var marks []any
	for _, d := range ds {
		if d.Severity != hcl.DiagError || d.Expression == nil || d.Summary != "Unsupported attribute" {
			continue
		}
		if t, td := hcl.AbsTraversalForExpr(d.Expression); !td.HasErrors() {
			marks = append(marks, originMark(m.qual(traversalString(t))))
		}
	}
	if len(marks) == 0 && fallback != "" {
		marks = append(marks, originMark(fallback))
	}
	if len(marks) == 0 {
		return cty.DynamicVal
	}
	return cty.DynamicVal.WithMarks(cty.NewValueMarks(marks...))
}

// node is a lazily evaluated named value (variable, local, output) with
// the state that detects cycles.
type node struct {
	state uint8
	val   cty.Value
}

const (
	fresh uint8 = iota
	busy
	done
)

// enter pushes label on the evaluation stack.
func (ev *evaluator) enter(label string) { ev.stack = append(ev.stack, label) }
func (ev *evaluator) leave()             { ev.stack = ev.stack[:len(ev.stack)-1] }

// cycle reports that label was reached again while being evaluated.
func (ev *evaluator) cycle(label string, at hcl.Range) cty.Value {
	i := len(ev.stack) - 1
	for i >= 0 && ev.stack[i] != label {
		i--
	}
	if i < 0 {
		i = len(ev.stack)
	}
	chain := append(append([]string(nil), ev.stack[i:]...), label)
	members := append([]string(nil), chain[:len(chain)-1]...)
	sort.Strings(members)
	key := "cycle:" + strings.Join(members, ",")
	if !ev.seen[key] {
		ev.seen[key] = true
		ev.errs = append(ev.errs, resource.Errorf(pos(at), "cycle: %s", strings.Join(chain, " → ")))
	}
	return unknownFrom(label + " (cycle)")
}

// scope holds what an expression may refer to besides the module's named
// values: count.index, each.key/each.value, dynamic block iterators.
type scope struct {
	hasCount bool
	count    cty.Value
	hasEach  bool
	eachKey  cty.Value
	eachVal  cty.Value
	iters    map[string]cty.Value
}

func (s *scope) withIter(name string, v cty.Value) *scope {
	n := &scope{}
	if s != nil {
		*n = *s
	}
	n.iters = make(map[string]cty.Value, len(n.iters)+1)
	if s != nil {
		for k, x := range s.iters {
			n.iters[k] = x
		}
	}
	n.iters[name] = v
	return n
}

// eval evaluates expr in module instance m with scope sc.
//
// HCL marks a conditional's result with the marks of both branches, even
// when the condition is known, so var.shared ? azurerm_key_vault.a.id :
// azurerm_key_vault.b.id would carry the links of both vaults and link to
// neither. When a conditional's value carries more than one link, eval
// takes the value of the branch the condition chooses, as Terraform
// applies it.
func (m *moduleInst) eval(expr hcl.Expression, sc *scope) (cty.Value, hcl.Diagnostics) {
	v, d := m.evalExpr(expr, sc)
	if c := conditional(expr); c != nil && !d.HasErrors() {
		if _, links := marksOf(v); len(links) > 1 {
			if cv, cd, ok := m.evalChosen(c, sc, v.Type()); ok {
				return cv, cd
			}
		}
	}
	return v, d
}

// conditional returns expr as a conditional expression, looking through
// parentheses and a template holding only it ("${a ? b : c}"), or nil.
func conditional(expr hcl.Expression) *hclsyntax.ConditionalExpr {
	for {
		switch e := expr.(type) {
		case *hclsyntax.ConditionalExpr:
			return e
		case *hclsyntax.ParenthesesExpr:
			expr = e.Expression
		case *hclsyntax.TemplateWrapExpr:
			expr = e.Wrapped
		default:
			return nil
		}
	}
}

// evalChosen evaluates the branch of c its condition chooses, converted to
// ty (the type of the whole conditional), keeping the condition's marks.
// It reports false when the condition is not a known bool.
func (m *moduleInst) evalChosen(c *hclsyntax.ConditionalExpr, sc *scope, ty cty.Type) (cty.Value, hcl.Diagnostics, bool) {
	cond, d := m.evalExpr(c.Condition, sc)
	if d.HasErrors() {
		return cty.NilVal, nil, false
	}
	cond, marks := cond.Unmark()
	if !cond.IsKnown() || cond.IsNull() {
		return cty.NilVal, nil, false
	}
	cond, err := convert.Convert(cond, cty.Bool)
	if err != nil {
		return cty.NilVal, nil, false //nolint:nilerr // a condition not convertible to bool means the value cannot be decided, not an error
	}
	branch := c.FalseResult
	if cond.True() {
		branch = c.TrueResult
	}
	v, d := m.eval(branch, sc) // narrows nested conditionals too
	if d.HasErrors() {
		return cty.NilVal, nil, false
	}
	if cv, err := convert.Convert(v, ty); err == nil {
		v = cv
	}
	return v.WithMarks(marks), d, true
}

// evalExpr evaluates expr in module instance m with scope sc.
func (m *moduleInst) evalExpr(expr hcl.Expression, sc *scope) (cty.Value, hcl.Diagnostics) {
	trs := expr.Variables()
	ctx := &hcl.EvalContext{Functions: m.ev.funcs}
	if len(trs) == 0 {
		return expr.Value(ctx)
	}
	vars := make(map[string]cty.Value, 4)
	var n needs
	for _, tr := range trs {
		root := tr.RootName()
		if sc != nil {
			if v, ok := sc.iters[root]; ok {
				vars[root] = v
				continue
			}
		}
		if v, ok := m.builtin(root, sc); ok {
			if v != cty.NilVal {
				vars[root] = v
			}
			continue
		}
		n.add(tr)
	}
	m.fill(vars, &n)
	ctx.Variables = vars
	return expr.Value(ctx)
}

// builtin returns the values Terraform defines itself: path, terraform,
// count, each (self only exists in provisioners).
func (m *moduleInst) builtin(root string, sc *scope) (cty.Value, bool) {
	switch root {
	case "path":
		return m.pathVal(), true
	case "terraform":
		return cty.ObjectVal(map[string]cty.Value{"workspace": cty.StringVal("default")}), true
	case "count":
		if sc != nil && sc.hasCount {
			return cty.ObjectVal(map[string]cty.Value{"index": sc.count}), true
		}
		return cty.NilVal, true
	case "each":
		if sc != nil && sc.hasEach {
			return cty.ObjectVal(map[string]cty.Value{"key": sc.eachKey, "value": sc.eachVal}), true
		}
		return cty.NilVal, true
	case "self":
		return cty.NilVal, true
	}
	return cty.NilVal, false
}

// pathVal is path.module, path.root and path.cwd. Paths are relative to
// the root module, as Terraform's are relative to its working directory.
func (m *moduleInst) pathVal() cty.Value {
	return cty.ObjectVal(map[string]cty.Value{
		"module": cty.StringVal(m.pathModule),
		"root":   cty.StringVal("."),
		// The directory Terraform runs in is not known to kvguard, and
		// the one kvguard runs in must not reach a report.
		"cwd": unknownFrom("path.cwd"),
	})
}

// dataValue is a data source: read at plan time, so unknown to kvguard,
// except for arguments written in its configuration (a resource group
// looked up by name has that name).
func (m *moduleInst) dataValue(typ, name string, dn *dataNeed) cty.Value {
	origin := m.qual("data." + typ + "." + name)
	if dn.whole {
		return unknownFrom(origin)
	}
	o := make(map[string]cty.Value, len(dn.attrs))
	for a := range dn.attrs {
		o[a] = unknownFrom(origin + "." + a)
	}
	decl := m.cfg.byKey["data."+typ+"."+name]
	if decl == nil || decl.count != nil || decl.forEach != nil {
		return cty.ObjectVal(o)
	}
	if rn := m.resourceNode(decl.key); rn != nil && len(rn.instances) == 1 {
		for a := range dn.attrs {
			if ea, ok := rn.instances[0].body.attrs[a]; ok && ea.val.IsWhollyKnown() && !ea.val.IsNull() {
				o[a] = ea.val
			}
		}
	}
	return cty.ObjectVal(o)
}

// qual qualifies a name with the module instance's address.
func (m *moduleInst) qual(s string) string {
	if m.addr == "" {
		return s
	}
	return m.addr + "." + s
}

// prefix is the module address as the start of a resource address.
func (m *moduleInst) prefix() string {
	if m.addr == "" {
		return ""
	}
	return m.addr + "."
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}
