package bicep

import (
	"errors"
	"path/filepath"
	"strings"

	"github.com/kvguard/kvguard/internal/armexpr"
	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/source/bicep/syntax"
)

// newFileEval declares the symbols of a file instance.
func (r *run) newFileEval(pf *parsedFile, dep armexpr.Deployment, params map[string]any, prefix string, depth int) (*fileEval, error) {
	fe := &fileEval{run: r, file: pf.file, src: pf.src, dep: dep, prefix: prefix, depth: depth,
		syms: map[string]*symbol{}, provided: params, paramsUnknown: params == nil}
	for _, d := range pf.file.Decls {
		if depth > 0 {
			// A module's scope is where its caller deploys it.
			break
		}
		if ts, ok := d.(*syntax.TargetScopeDecl); ok {
			if s, ok := ts.Value.(*syntax.StringExpr); ok {
				if v, ok := s.Literal(); ok {
					fe.dep.Scope = v
				}
			}
		}
	}
	fe.env = &armexpr.Env{Deployment: fe.dep}
	for _, d := range pf.file.Decls {
		fe.declare(d)
	}
	fe.check()
	return fe, nil
}

// declare adds a declaration's symbol.
func (fe *fileEval) declare(d syntax.Decl) {
	add := func(id *syntax.Ident, s *symbol) {
		if id == nil {
			return
		}
		if _, dup := fe.syms[id.Name]; dup {
			_ = fe.errorf(id.Pos(), "%q is declared more than once", id.Name)
			return
		}
		s.name, s.pos, s.owner = id.Name, id.Pos(), fe
		fe.syms[id.Name] = s
	}
	switch x := d.(type) {
	case *syntax.ParamDecl:
		add(x.Name, &symbol{kind: symParam, param: x})
	case *syntax.VarDecl:
		add(x.Name, &symbol{kind: symVar, varD: x})
	case *syntax.ParamAssign:
		add(x.Name, &symbol{kind: symVar, varD: &syntax.VarDecl{Span: x.Span, Name: x.Name, Value: x.Value}})
	case *syntax.FuncDecl:
		add(x.Name, &symbol{kind: symFunc, fn: x})
	case *syntax.ResourceDecl:
		rs, err := fe.declareResource(x, nil)
		if err == nil {
			add(x.Name, &symbol{kind: symResource, res: rs})
		}
	case *syntax.ModuleDecl:
		fe.declareModule(x)
	case *syntax.ImportDecl:
		fe.declareImport(x)
	}
}

// declareImport brings the exported symbols of another Bicep file in.
func (fe *fileEval) declareImport(d *syntax.ImportDecl) {
	p, ok := d.From.Literal()
	if !ok {
		_ = fe.errorf(d.From.Pos(), "an import path must be a literal string")
		return
	}
	if isRegistryPath(p) || !strings.EqualFold(filepath.Ext(p), ".bicep") {
		fe.run.report(resource.Warnf(fe.position(d.From.Pos()), "import from %s not followed; imported symbols are unknown", p))
		for _, it := range d.Items {
			name := it.Name
			if it.Alias != nil {
				name = it.Alias.Name
			}
			fe.syms[name] = &symbol{kind: symVar, name: name, state: [2]evalState{stateDone, stateDone},
				value: [2]any{resource.Unknown{Expr: name}, resource.Unknown{Expr: name}}, owner: fe}
		}
		return
	}
	target := filepath.Join(filepath.Dir(fe.file.Name), filepath.FromSlash(p))
	other, err := fe.run.importedFile(target, fe.dep)
	if err != nil {
		_ = fe.errorf(d.From.Pos(), "import %s: %v", p, err)
		return
	}
	if d.Wildcard != nil {
		fe.syms[d.Wildcard.Name] = &symbol{kind: symImportNS, name: d.Wildcard.Name, ns: other, owner: fe}
		return
	}
	for _, it := range d.Items {
		s, ok := other.syms[it.Name]
		if !ok {
			if !other.declaresType(it.Name) {
				_ = fe.errorf(it.Pos(), "%s does not export %q", p, it.Name)
			}
			continue
		}
		name := it.Name
		if it.Alias != nil {
			name = it.Alias.Name
		}
		fe.syms[name] = s
	}
}

// declaresType reports whether the file declares a type of that name
// (types matter to no value, but importing one is not an error).
func (fe *fileEval) declaresType(name string) bool {
	for _, d := range fe.file.Decls {
		if td, ok := d.(*syntax.TypeDecl); ok && td.Name.Name == name {
			return true
		}
	}
	return false
}

// importedFile evaluates an imported file once per run.
func (r *run) importedFile(path string, dep armexpr.Deployment) (*fileEval, error) {
	key := filepath.Clean(path)
	if r.imports == nil {
		r.imports = map[string]*fileEval{}
	}
	if fe, ok := r.imports[key]; ok {
		if fe == nil {
			return nil, errors.New("import cycle")
		}
		return fe, nil
	}
	r.imports[key] = nil
	pf, err := r.parseFile(path)
	if err != nil {
		return nil, err
	}
	fe, err := r.newFileEval(pf, dep, map[string]any{}, "", 0)
	if err != nil {
		return nil, err
	}
	r.imports[key] = fe
	return fe, nil
}

// declaresParam reports whether the file declares a parameter of that
// name (case-insensitively, as deployments match them).
func (fe *fileEval) declaresParam(name string) bool {
	for _, d := range fe.file.Decls {
		if p, ok := d.(*syntax.ParamDecl); ok && strings.EqualFold(p.Name.Name, name) {
			return true
		}
	}
	return false
}
