package terraform

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/kvguard/kvguard/internal/readfs"
	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/source/terraform/funcs"
)

// moduleConfig is one module directory's configuration, parsed but not
// evaluated. It is shared by every instance of the module in one Read.
type moduleConfig struct {
	dir     string // as the user named it (or below), for positions
	absDir  string
	realDir string            // absDir with symlinks resolved, to recognise a module reached again
	files   map[string][]byte // file name (as in ranges) → source
	nfiles  int

	variables map[string]*variableDecl
	locals    map[string]*hcl.Attribute
	outputs   map[string]*hcl.Attribute
	resources []*resourceDecl
	byKey     map[string]*resourceDecl
	calls     []*callDecl
	callByKey map[string]*callDecl
	providers []*providerDecl
}

type variableDecl struct {
	name     string
	rng      hcl.Range
	typ      cty.Type
	hasType  bool
	defaults *typeexpr.Defaults
	def      hcl.Expression // nil: no default
	nullable bool
	// allowed lists the values a validation block allows
	// (condition = contains([...], var.<name>)), or nil.
	allowed []cty.Value
}

// parseHCL reports whether a -var value for this variable is an HCL
// expression rather than a literal string, as Terraform decides it: from
// the declared type.
func (v *variableDecl) parseHCL() bool {
	return v.hasType && !v.typ.IsPrimitiveType()
}

type resourceDecl struct {
	managed    bool
	typ, name  string
	key        string // azurerm_key_vault.kv, data.azurerm_client_config.current
	body       hcl.Body
	defRange   hcl.Range
	start, end int
	count      *hcl.Attribute
	forEach    *hcl.Attribute
	provider   string // azurerm, azurerm.west
	sups       []resource.Suppression
}

type callDecl struct {
	name        string
	source      string
	sourceRange hcl.Range
	version     string
	defRange    hcl.Range
	count       *hcl.Attribute
	forEach     *hcl.Attribute
	args        map[string]*hcl.Attribute
	providers   map[string]string // provider name in the child → in the caller
}

type providerDecl struct {
	name, alias string
	body        hcl.Body
}

var topSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
	{Type: "terraform"},
	{Type: "provider", LabelNames: []string{"name"}},
	{Type: "variable", LabelNames: []string{"name"}},
	{Type: "locals"},
	{Type: "output", LabelNames: []string{"name"}},
	{Type: "module", LabelNames: []string{"name"}},
	{Type: "resource", LabelNames: []string{"type", "name"}},
	{Type: "data", LabelNames: []string{"type", "name"}},
	{Type: "ephemeral", LabelNames: []string{"type", "name"}},
	{Type: "check", LabelNames: []string{"name"}},
	{Type: "moved"},
	{Type: "import"},
	{Type: "removed"},
}}

var variableSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "default"}, {Name: "type"}, {Name: "description"}, {Name: "sensitive"},
		{Name: "nullable"}, {Name: "ephemeral"},
	},
	Blocks: []hcl.BlockHeaderSchema{{Type: "validation"}},
}

var outputSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "value"}, {Name: "description"}, {Name: "sensitive"}, {Name: "depends_on"}, {Name: "ephemeral"},
	},
	Blocks: []hcl.BlockHeaderSchema{{Type: "precondition"}},
}

// configFiles lists the configuration files of a module directory in the
// order Terraform loads them (lexical), leaving out override files, which
// kvguard does not merge, and editor droppings Terraform also ignores.
func configFiles(dir string) (files, overrides []string, err error) {
	ents, err := readfs.ReadDir(dir)
	if err != nil {
		return nil, nil, err
	}
	for _, e := range ents {
		n := e.Name()
		if e.IsDir() || strings.HasPrefix(n, ".") || strings.HasSuffix(n, "~") || strings.HasPrefix(n, "#") {
			continue
		}
		if !strings.HasSuffix(n, ".tf") && !strings.HasSuffix(n, ".tf.json") {
			continue
		}
		base := strings.TrimSuffix(strings.TrimSuffix(n, ".json"), ".tf")
		if base == "override" || strings.HasSuffix(base, "_override") {
			overrides = append(overrides, n)
			continue
		}
		files = append(files, n)
	}
	sort.Strings(files)
	return files, overrides, nil
}

// readRegular reads a configuration file of the module directory whose
// resolved path is realDir: one that is no symbolic link in four system
// calls (readfs), a link or anything odd the long way (funcs.RegularIn,
// then os.ReadFile). An error wrapping funcs.ErrNotRegular means it is
// not to be read; any other, that it could not be.
func readRegular(name, realDir string) ([]byte, error) {
	if realDir != "" && !funcs.UnderSystemDir(filepath.Join(realDir, filepath.Base(name))) {
		src, err := readfs.ReadFile(name, -1)
		if !errors.Is(err, readfs.ErrSymlink) && !errors.Is(err, readfs.ErrNotRegular) {
			return src, err
		}
	}
	if err := funcs.RegularIn(name, realDir); err != nil {
		if errors.Is(err, funcs.ErrNotRegular) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %w", funcs.ErrNotRegular, err)
	}
	return os.ReadFile(name)
}

// load parses a module directory. Problems become errors on the
// evaluator; whatever parsed is kept.
func (ev *evaluator) load(dir string) *moduleConfig {
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	if c, ok := ev.configs[abs]; ok {
		return c
	}
	cfg := &moduleConfig{
		dir: dir, absDir: abs, realDir: ev.dirs.real(abs), files: map[string][]byte{},
		variables: map[string]*variableDecl{}, locals: map[string]*hcl.Attribute{},
		outputs: map[string]*hcl.Attribute{}, byKey: map[string]*resourceDecl{},
		callByKey: map[string]*callDecl{},
	}
	ev.configs[abs] = cfg
	ev.allow(abs)
	names, overrides, err := configFiles(dir)
	if err != nil {
		ev.errorf(resource.Position{File: dir}, "read module directory: %v", err)
		return cfg
	}
	for _, n := range overrides {
		ev.log.DebugContext(ev.ctx, "override file not merged", "file", filepath.Join(dir, n))
	}
	for _, n := range names {
		ev.loadFile(cfg, filepath.Join(dir, n))
	}
	return cfg
}

func (ev *evaluator) loadFile(cfg *moduleConfig, name string) { //nolint:funlen,gocognit // one case per top-level block kind of a Terraform file
	src, err := readRegular(name, cfg.realDir)
	if errors.Is(err, funcs.ErrNotRegular) {
		ev.errorf(resource.Position{File: name}, "not read: %v", err)
		return
	}
	if err != nil {
		ev.errorf(resource.Position{File: name}, "read: %v", err)
		return
	}
	ev.files++
	cfg.nfiles++
	var fp *fileParse
	if cfg.absDir != ev.rootAbs && ev.parses != nil {
		fp = ev.parses.parse(name, src) // a called module: others may call it too
	} else {
		fp = parseFile(name, src)
	}
	src = fp.src
	cfg.files[name] = src
	f, diags := fp.file, fp.diags
	ev.diags(diags)
	if f == nil || f.Body == nil {
		return
	}
	broken, whole := brokenRanges(diags)
	if whole || (broken != nil && strings.HasSuffix(name, ".json")) {
		// An error that no block contains (or a JSON syntax error, after
		// which nothing is reliably where it seems) leaves the file out.
		return
	}
	bc, _, diags := f.Body.PartialContent(topSchema)
	ev.diags(diags)
	if bc == nil {
		return
	}
	var sups *fileSuppressions
	var jsonSups map[string][]resource.Suppression
	if bytes.Contains(src, []byte(resource.SuppressionMarker)) {
		if strings.HasSuffix(name, ".json") {
			jsonSups = ev.jsonFileSuppressions(name, src)
		} else {
			sups = ev.scanSuppressions(name, src)
		}
	}
	if broken != nil {
		ev.lostResources(name, src, bc.Blocks)
	}
	for _, b := range bc.Blocks {
		if overlaps(b, broken) {
			// A half-parsed block could give a verdict the code does not
			// mean: it is left out, and the rest of the file is read.
			ev.brokenBlock(b)
			continue
		}
		switch b.Type {
		case "variable":
			ev.loadVariable(cfg, b)
		case "locals":
			attrs, d := b.Body.JustAttributes()
			ev.diags(d)
			for n, a := range attrs {
				if prev, dup := cfg.locals[n]; dup {
					ev.errorf(pos(a.NameRange), "duplicate local value %q; it was already defined at %s", n, pos(prev.NameRange))
					continue
				}
				cfg.locals[n] = a
			}
		case "output":
			c, _, d := b.Body.PartialContent(outputSchema)
			ev.diags(d)
			if a := c.Attributes["value"]; a != nil {
				cfg.outputs[b.Labels[0]] = a
			}
		case "module":
			ev.loadCall(cfg, b)
		case "resource", "data":
			rd := ev.loadResource(cfg, b, sups)
			if rd != nil && rd.managed {
				rd.sups = append(rd.sups, jsonSups[rd.key]...)
			}
		case "provider":
			pd := &providerDecl{name: b.Labels[0], body: b.Body}
			c, _ := bodyContent(b.Body, "provider")
			if a := c.attr("alias"); a != nil {
				if v, d := a.Expr.Value(nil); !d.HasErrors() && v.Type() == cty.String && v.IsKnown() && !v.IsNull() {
					pd.alias = v.AsString()
				}
			}
			cfg.providers = append(cfg.providers, pd)
		}
	}
}

func (ev *evaluator) loadVariable(cfg *moduleConfig, b *hcl.Block) {
	c, _, diags := b.Body.PartialContent(variableSchema)
	ev.diags(diags)
	v := &variableDecl{name: b.Labels[0], rng: b.DefRange, typ: cty.DynamicPseudoType, nullable: true}
	if a := c.Attributes["type"]; a != nil {
		ty, defs, d := typeexpr.TypeConstraintWithDefaults(a.Expr)
		if d.HasErrors() {
			ev.diags(d)
		} else {
			v.typ, v.defaults, v.hasType = ty, defs, true
		}
	}
	if a := c.Attributes["default"]; a != nil {
		v.def = a.Expr
	}
	if a := c.Attributes["nullable"]; a != nil {
		if nv, d := a.Expr.Value(nil); !d.HasErrors() && nv.Type() == cty.Bool && nv.IsKnown() && !nv.IsNull() {
			v.nullable = nv.True()
		}
	}
	for _, vb := range c.Blocks {
		if vb.Type == "validation" && v.allowed == nil {
			v.allowed = allowedByValidation(vb.Body, v.name)
		}
	}
	if prev, dup := cfg.variables[v.name]; dup {
		ev.errorf(pos(b.DefRange), "duplicate variable %q; it was already declared at %s", v.name, pos(prev.rng))
		return
	}
	cfg.variables[v.name] = v
}

func (ev *evaluator) loadCall(cfg *moduleConfig, b *hcl.Block) {
	c, d := bodyContent(b.Body, "module")
	ev.diags(d)
	call := &callDecl{name: b.Labels[0], defRange: b.DefRange, args: map[string]*hcl.Attribute{}}
	for _, a := range c.attrs {
		switch a.Name {
		case "source":
			call.sourceRange = a.Expr.Range()
			v, d := a.Expr.Value(nil)
			if d.HasErrors() || v.Type() != cty.String || v.IsNull() || !v.IsKnown() {
				ev.errorf(pos(a.Expr.Range()), "module %q: source must be a literal string", call.name)
				continue
			}
			call.source = v.AsString()
		case "version":
			if v, d := a.Expr.Value(nil); !d.HasErrors() && v.Type() == cty.String && v.IsKnown() && !v.IsNull() {
				call.version = v.AsString()
			}
		case "count":
			call.count = a
		case "for_each":
			call.forEach = a
		case "providers":
			call.providers = providerMap(a.Expr)
		case "depends_on":
		default:
			call.args[a.Name] = a
		}
	}
	if prev, dup := cfg.callByKey[call.name]; dup {
		ev.errorf(pos(b.DefRange), "duplicate module call %q; it was already declared at %s", call.name, pos(prev.defRange))
		return
	}
	cfg.calls = append(cfg.calls, call)
	cfg.callByKey[call.name] = call
}

// providerMap reads a module call's providers = { azurerm = azurerm.west }.
func providerMap(expr hcl.Expression) map[string]string {
	pairs, d := hcl.ExprMap(expr)
	if d.HasErrors() {
		return nil
	}
	m := map[string]string{}
	for _, p := range pairs {
		k := hcl.ExprAsKeyword(p.Key)
		if k == "" {
			kt, d := hcl.AbsTraversalForExpr(p.Key)
			if d.HasErrors() {
				continue
			}
			k = traversalString(kt)
		}
		vt, d := hcl.AbsTraversalForExpr(p.Value)
		if d.HasErrors() {
			continue
		}
		m[k] = traversalString(vt)
	}
	return m
}

func (ev *evaluator) loadResource(cfg *moduleConfig, b *hcl.Block, sups *fileSuppressions) *resourceDecl {
	rd := &resourceDecl{managed: b.Type == "resource", typ: b.Labels[0], name: b.Labels[1], body: b.Body, defRange: b.DefRange}
	rd.key = rd.typ + "." + rd.name
	if !rd.managed {
		rd.key = "data." + rd.key
	}
	rd.start, rd.end = blockRange(b)
	c, d := bodyContent(b.Body, rd.typ)
	ev.diags(d)
	for _, a := range c.attrs {
		switch a.Name {
		case "count":
			rd.count = a
		case "for_each":
			rd.forEach = a
		case "provider":
			if t, d := hcl.AbsTraversalForExpr(a.Expr); !d.HasErrors() {
				rd.provider = traversalString(t)
			}
		}
	}
	if rd.count != nil && rd.forEach != nil {
		ev.errorf(pos(rd.forEach.NameRange), "%s: count and for_each cannot both be set", rd.key)
		rd.forEach = nil
	}
	if rd.managed && sups != nil {
		rd.sups = append(rd.sups, sups.forBlock(b.DefRange.Start.Line)...)
	}
	if prev, dup := cfg.byKey[rd.key]; dup {
		ev.errorf(pos(b.DefRange), "duplicate resource %s; it was already declared at %s", rd.key, pos(prev.defRange))
		return nil
	}
	cfg.resources = append(cfg.resources, rd)
	cfg.byKey[rd.key] = rd
	return rd
}

func traversalString(t hcl.Traversal) string {
	var sb strings.Builder
	for i, s := range t {
		switch s := s.(type) {
		case hcl.TraverseRoot:
			sb.WriteString(s.Name)
		case hcl.TraverseAttr:
			if i > 0 {
				sb.WriteByte('.')
			}
			sb.WriteString(s.Name)
		case hcl.TraverseIndex:
			sb.WriteString(indexKey(s.Key))
		}
	}
	return sb.String()
}

func pos(r hcl.Range) resource.Position {
	return resource.Position{File: r.Filename, Line: r.Start.Line, Col: r.Start.Column}
}

// allowedByValidation reads the values a validation block allows when its
// condition is contains([literal values], var.<name>).
func allowedByValidation(body hcl.Body, name string) []cty.Value {
	attrs, _ := body.JustAttributes()
	a := attrs["condition"]
	if a == nil {
		return nil
	}
	call, ok := a.Expr.(*hclsyntax.FunctionCallExpr)
	if !ok || call.Name != "contains" || len(call.Args) != 2 {
		return nil
	}
	t, d := hcl.AbsTraversalForExpr(call.Args[1])
	if d.HasErrors() || len(t) != 2 || t.RootName() != "var" || attrAt(t, 1) != name {
		return nil
	}
	list, d := call.Args[0].Value(nil)
	if d.HasErrors() || !list.IsWhollyKnown() || list.IsNull() || !list.CanIterateElements() || list.LengthInt() == 0 || list.LengthInt() > maxBranches {
		return nil
	}
	var out []cty.Value
	for it := list.ElementIterator(); it.Next(); {
		_, e := it.Element()
		out = append(out, e)
	}
	return out
}

// realPath resolves the symlinks of an absolute path, or returns it as is.
func realPath(abs string) string {
	if resolved, err := filepath.EvalSymlinks(abs); err == nil {
		return resolved
	}
	return abs
}
