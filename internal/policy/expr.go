package policy

import (
	"fmt"
	"strings"

	"github.com/kvguard/kvguard/internal/armexpr"
)

// expr is a compiled value: a literal, or a template expression
// ("[concat(field('name'), 'x')]"). Policy rules use the ARM template
// expression language (internal/armexpr) as a dialect: the template
// functions minus those Azure Policy refuses, plus its own.
type expr interface {
	eval(c *evalCtx) (any, error)
}

type litExpr struct{ v any }

func (e litExpr) eval(*evalCtx) (any, error) { return e.v, nil }

// tmplExpr is a parsed template expression.
type tmplExpr struct {
	e   armexpr.Expr
	src string
}

func (t tmplExpr) eval(c *evalCtx) (any, error) {
	v, err := t.e.Eval(c.env())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", t.src, err)
	}
	return v, nil
}

// dialect is Azure Policy's expression language.
var dialect = &armexpr.Dialect{
	Name: "policy rules",
	Functions: func(lname string) (armexpr.Func, bool) {
		f, ok := policyFunctions[lname]
		return f, ok
	},
	Refuse: func(lname string) bool {
		_, refused := templateOnlyFunctions[lname]
		return refused
	},
}

// isTemplate reports whether s is a template expression.
func isTemplate(s string) bool { return armexpr.IsExpression(s) }

// compileString turns a JSON string from a rule into an expression: a
// template expression is parsed, anything else is a literal (with "[["
// unescaped).
func compileString(s string) (expr, error) {
	if !armexpr.IsExpression(s) {
		return litExpr{v: armexpr.Unescape(s)}, nil
	}
	e, err := dialect.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("expression %s: %w", s, err)
	}
	return tmplExpr{e: e, src: strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")}, nil
}

// env is the template environment of an evaluation: the policy's
// parameters, its clock, and the policy functions, which reach the
// evaluation through Host.
func (c *evalCtx) env() *armexpr.Env {
	if c.tenv.Host != c {
		c.tenv = armexpr.Env{
			Deployment: armexpr.Deployment{Now: c.now},
			Parameter:  c.parameter,
			Functions:  dialect.Functions,
			Host:       c,
		}
	}
	return &c.tenv
}

func (c *evalCtx) parameter(name string) (any, error) {
	v, ok := c.params[strings.ToLower(name)]
	if !ok {
		return nil, fmt.Errorf("the definition has no parameter %q", name)
	}
	return v, nil
}
