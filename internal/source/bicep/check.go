package bicep

import (
	"github.com/kvguard/kvguard/internal/resource"
	"github.com/kvguard/kvguard/internal/source/bicep/syntax"
)

// bicepFunctions are the functions the compiler implements itself (they
// have no ARM template counterpart of the same name).
var bicepFunctions = map[string]bool{
	"any": true, "nameof": true, "loadTextContent": true, "loadFileAsBase64": true, "loadJsonContent": true,
	"loadYamlContent": true, "loadDirectoryFileInfo": true, "readEnvironmentVariable": true, "getSecret": true,
	"externalInput": true, "resourceGroup": true, "subscription": true, "managementGroup": true, "tenant": true,
}

// checker finds what the compiler would reject before anything runs:
// names and functions that do not exist, and variables that refer to
// themselves. It visits every expression, used or not, since the
// evaluator only evaluates what the resources need.
type checker struct {
	fe *fileEval
	// deps are the variables each variable refers to, for the cycle check.
	deps map[*symbol][]varRef
	cur  *symbol
}

type varRef struct {
	to *symbol
	at *syntax.Ident
}

// check runs the checks on a file instance.
func (fe *fileEval) check() {
	c := &checker{fe: fe, deps: map[*symbol][]varRef{}}
	for _, d := range fe.file.Decls {
		c.decl(d)
	}
	c.cycles()
}

func (c *checker) decl(d syntax.Decl) {
	switch x := d.(type) {
	case *syntax.ParamDecl:
		c.expr(x.Default, nil)
	case *syntax.VarDecl:
		c.cur = c.fe.syms[x.Name.Name]
		c.expr(x.Value, nil)
		c.cur = nil
	case *syntax.ParamAssign:
		c.cur = c.fe.syms[x.Name.Name]
		c.expr(x.Value, nil)
		c.cur = nil
	case *syntax.OutputDecl:
		c.expr(x.Value, nil)
	case *syntax.FuncDecl:
		var sc *locals
		for _, p := range x.Params {
			sc = sc.bind(p.Name.Name, nil)
		}
		c.expr(x.Body, sc)
	case *syntax.ResourceDecl:
		if s, ok := c.fe.syms[x.Name.Name]; ok && s.kind == symResource {
			c.resource(s.res)
		}
	case *syntax.ModuleDecl:
		c.expr(x.Body, nil)
	case *syntax.TargetScopeDecl:
		c.expr(x.Value, nil)
	}
}

func (c *checker) resource(rs *resSym) {
	sc := rs.lexicalScope()
	c.expr(rs.decl.Body, sc)
	for _, it := range rs.body.Items {
		if d, ok := it.(*syntax.ResourceDecl); ok && rs.children[d.Name.Name] != nil {
			c.resource(rs.children[d.Name.Name])
		}
	}
}

func (c *checker) errorf(pos syntax.Pos, format string, args ...any) {
	_ = c.fe.errorf(pos, format, args...)
}

// expr checks an expression; sc holds the local names in scope.
func (c *checker) expr(e syntax.Expr, sc *locals) { //nolint:funlen // type switch with one case per Bicep expression kind
	if e == nil {
		return
	}
	switch x := e.(type) {
	case *syntax.Ident:
		c.ident(x, sc)
	case *syntax.StringExpr:
		for _, h := range x.Exprs {
			c.expr(h, sc)
		}
	case *syntax.ArrayExpr:
		for _, it := range x.Items {
			c.expr(it.Value, sc)
		}
	case *syntax.ObjectExpr:
		for _, it := range x.Items {
			if p, ok := it.(*syntax.ObjectProp); ok {
				if _, lit := p.KeyName(); !lit && p.Key != nil {
					c.expr(p.Key, sc)
				}
				c.expr(p.Value, sc)
			}
		}
	case *syntax.ForExpr:
		c.expr(x.Iter, sc)
		inner := sc.bind(x.Item.Name, nil)
		if x.Index != nil {
			inner = inner.bind(x.Index.Name, nil)
		}
		c.expr(x.Body, inner)
	case *syntax.IfExpr:
		c.expr(x.Cond, sc)
		c.expr(x.Body, sc)
	case *syntax.UnaryExpr:
		c.expr(x.X, sc)
	case *syntax.BinaryExpr:
		c.expr(x.X, sc)
		c.expr(x.Y, sc)
	case *syntax.TernaryExpr:
		c.expr(x.Cond, sc)
		c.expr(x.Then, sc)
		c.expr(x.Else, sc)
	case *syntax.ParenExpr:
		c.expr(x.X, sc)
	case *syntax.NonNullExpr:
		c.expr(x.X, sc)
	case *syntax.PropertyExpr:
		c.member(x.X, sc)
	case *syntax.IndexExpr:
		c.member(x.X, sc)
		c.expr(x.Index, sc)
	case *syntax.ResourceAccessExpr:
		c.expr(x.X, sc)
	case *syntax.LambdaExpr:
		inner := sc
		for _, p := range x.Params {
			inner = inner.bind(p.Name, nil)
		}
		c.expr(x.Body, inner)
	case *syntax.CallExpr:
		c.call(x, sc)
	}
}

// member checks the left side of an access; a wildcard import's name is
// fine there.
func (c *checker) member(e syntax.Expr, sc *locals) {
	if id, ok := e.(*syntax.Ident); ok {
		if _, local := sc.lookup(id.Name); !local {
			if s, ok := c.fe.syms[id.Name]; ok && s.kind == symImportNS {
				return
			}
		}
	}
	c.expr(e, sc)
}

func (c *checker) ident(id *syntax.Ident, sc *locals) {
	if _, ok := sc.lookup(id.Name); ok {
		return
	}
	s, ok := c.fe.syms[id.Name]
	if !ok {
		c.errorf(id.Pos(), "unknown name %q", id.Name)
		return
	}
	if s.kind == symVar && c.cur != nil && s.owner == c.fe {
		c.deps[c.cur] = append(c.deps[c.cur], varRef{to: s, at: id})
	}
}

func (c *checker) call(x *syntax.CallExpr, sc *locals) {
	for _, a := range x.Args {
		c.expr(a, sc)
	}
	if x.Recv != nil {
		if id, ok := x.Recv.(*syntax.Ident); ok {
			if _, local := sc.lookup(id.Name); !local {
				if _, declared := c.fe.syms[id.Name]; !declared && isBuiltinNamespace(id.Name) {
					c.function(x)
					return
				}
			}
		}
		c.member(x.Recv, sc)
		return
	}
	if s, ok := c.fe.syms[x.Name.Name]; ok && s.kind == symFunc {
		return
	}
	c.function(x)
}

// function checks that a system function exists.
func (c *checker) function(x *syntax.CallExpr) {
	name := x.Name.Name
	if bicepFunctions[name] {
		return
	}
	if _, ok := builtin(name); !ok {
		c.errorf(x.Name.Pos(), "unknown function %q", name)
	}
}

// cycles reports variables that refer to themselves, directly or through
// others, and makes them unknown so that evaluation does not loop.
func (c *checker) cycles() {
	const (
		white = iota
		grey
		black
	)
	color := map[*symbol]int{}
	var visit func(s *symbol)
	visit = func(s *symbol) {
		color[s] = grey
		for _, r := range c.deps[s] {
			switch color[r.to] {
			case white:
				visit(r.to)
			case grey:
				c.errorf(r.at.Pos(), "variable %q refers to itself (through %s)", r.to.name, r.at.Name)
				u := resource.Unknown{Expr: r.to.name}
				r.to.state, r.to.value = [2]evalState{stateDone, stateDone}, [2]any{u, u}
			}
		}
		color[s] = black
	}
	for _, d := range c.fe.file.Decls {
		var name string
		switch x := d.(type) {
		case *syntax.VarDecl:
			name = x.Name.Name
		case *syntax.ParamAssign:
			name = x.Name.Name
		default:
			continue
		}
		if s := c.fe.syms[name]; s != nil && color[s] == white {
			visit(s)
		}
	}
}
