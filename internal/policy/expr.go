package policy

import (
	"fmt"
	"strconv"
	"strings"
)

// expr is a compiled template expression ("[concat(field('name'), 'x')]").
// Policy rules use the ARM template expression language with a restricted
// function set plus policy-only functions (field, current, addDays, …).
type expr interface {
	eval(c *evalCtx) (any, error)
}

type litExpr struct{ v any }

func (e litExpr) eval(*evalCtx) (any, error) { return e.v, nil }

type callExpr struct {
	name string // lower-case
	fn   function
	args []expr
	src  string
}

type memberExpr struct {
	target expr
	name   string
}

type indexExpr struct {
	target expr
	index  expr
}

// isTemplate reports whether s is a template expression (starts with '['
// and ends with ']', and is not escaped with "[[").
func isTemplate(s string) bool {
	return len(s) >= 2 && s[0] == '[' && s[len(s)-1] == ']' && !strings.HasPrefix(s, "[[")
}

// compileString turns a JSON string from a rule into an expression: a
// template expression is parsed, anything else is a literal (with "[["
// unescaped).
func compileString(s string) (expr, error) {
	if strings.HasPrefix(s, "[[") {
		return litExpr{v: s[1:]}, nil
	}
	if !isTemplate(s) {
		return litExpr{v: s}, nil
	}
	p := &exprParser{src: s[1 : len(s)-1]}
	e, err := p.parseExpr()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos < len(p.src) {
		return nil, p.errorf("unexpected %q after expression", p.src[p.pos:])
	}
	return e, nil
}

type exprParser struct {
	src string
	pos int
}

func (p *exprParser) errorf(format string, args ...any) error {
	return fmt.Errorf("expression [%s] at offset %d: %s", p.src, p.pos+1, fmt.Sprintf(format, args...))
}

func (p *exprParser) skipSpace() {
	for p.pos < len(p.src) && (p.src[p.pos] == ' ' || p.src[p.pos] == '\t' || p.src[p.pos] == '\n' || p.src[p.pos] == '\r') {
		p.pos++
	}
}

func (p *exprParser) parseExpr() (expr, error) {
	e, err := p.parsePrimary()
	if err != nil {
		return nil, err
	}
	for {
		p.skipSpace()
		if p.pos >= len(p.src) {
			return e, nil
		}
		switch p.src[p.pos] {
		case '.':
			p.pos++
			p.skipSpace()
			name := p.ident()
			if name == "" {
				return nil, p.errorf("expected a property name after '.'")
			}
			e = memberExpr{target: e, name: name}
		case '[':
			p.pos++
			idx, err := p.parseExpr()
			if err != nil {
				return nil, err
			}
			p.skipSpace()
			if p.pos >= len(p.src) || p.src[p.pos] != ']' {
				return nil, p.errorf("expected ']'")
			}
			p.pos++
			e = indexExpr{target: e, index: idx}
		default:
			return e, nil
		}
	}
}

func (p *exprParser) ident() string {
	start := p.pos
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		if c == '_' || c == '$' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (p.pos > start && c >= '0' && c <= '9') {
			p.pos++
			continue
		}
		break
	}
	return p.src[start:p.pos]
}

func (p *exprParser) parsePrimary() (expr, error) {
	p.skipSpace()
	if p.pos >= len(p.src) {
		return nil, p.errorf("unexpected end of expression")
	}
	c := p.src[p.pos]
	switch {
	case c == '\'':
		return p.parseString()
	case c == '-' || (c >= '0' && c <= '9'):
		start := p.pos
		p.pos++
		for p.pos < len(p.src) && (p.src[p.pos] >= '0' && p.src[p.pos] <= '9' || p.src[p.pos] == '.') {
			p.pos++
		}
		lit := p.src[start:p.pos]
		if n, err := strconv.ParseInt(lit, 10, 64); err == nil {
			return litExpr{v: n}, nil
		}
		f, err := strconv.ParseFloat(lit, 64)
		if err != nil {
			return nil, p.errorf("invalid number %q", lit)
		}
		return litExpr{v: f}, nil
	}
	start := p.pos
	name := p.ident()
	if name == "" {
		return nil, p.errorf("unexpected %q", string(c))
	}
	p.skipSpace()
	if p.pos >= len(p.src) || p.src[p.pos] != '(' {
		switch strings.ToLower(name) {
		case "true":
			return litExpr{v: true}, nil
		case "false":
			return litExpr{v: false}, nil
		case "null":
			return litExpr{v: nil}, nil
		}
		return nil, p.errorf("expected '(' after function name %q", name)
	}
	p.pos++
	var args []expr
	for {
		p.skipSpace()
		if p.pos < len(p.src) && p.src[p.pos] == ')' {
			p.pos++
			break
		}
		if len(args) > 0 {
			if p.pos >= len(p.src) || p.src[p.pos] != ',' {
				return nil, p.errorf("expected ',' or ')' in arguments of %s", name)
			}
			p.pos++
		}
		a, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		args = append(args, a)
	}
	lname := strings.ToLower(name)
	fn, ok := functions[lname]
	if !ok {
		if _, banned := templateOnlyFunctions[lname]; banned {
			return nil, fmt.Errorf("expression [%s]: function %s is not allowed in policy rules", p.src, name)
		}
		return nil, fmt.Errorf("expression [%s]: unknown function %s", p.src, name)
	}
	if len(args) < fn.minArgs || (fn.maxArgs >= 0 && len(args) > fn.maxArgs) {
		return nil, fmt.Errorf("expression [%s]: %s takes %s, got %d", p.src, name, fn.arity(), len(args))
	}
	return &callExpr{name: lname, fn: fn, args: args, src: p.src[start:p.pos]}, nil
}

func (p *exprParser) parseString() (expr, error) {
	p.pos++ // opening quote
	var b strings.Builder
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		if c == '\'' {
			if p.pos+1 < len(p.src) && p.src[p.pos+1] == '\'' {
				b.WriteByte('\'')
				p.pos += 2
				continue
			}
			p.pos++
			return litExpr{v: b.String()}, nil
		}
		b.WriteByte(c)
		p.pos++
	}
	return nil, p.errorf("unterminated string")
}

func (e *callExpr) eval(c *evalCtx) (any, error) {
	if e.fn.raw != nil {
		return e.fn.raw(c, e.args)
	}
	args := make([]any, len(e.args))
	for i, a := range e.args {
		v, err := a.eval(c)
		if err != nil {
			return nil, err
		}
		args[i] = v
	}
	if !e.fn.acceptsUnknown {
		for _, a := range args {
			if u, ok := a.(unknownValue); ok {
				return u, nil
			}
		}
	}
	v, err := e.fn.call(c, args)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", e.src, err)
	}
	return v, nil
}

func (e memberExpr) eval(c *evalCtx) (any, error) {
	t, err := e.target.eval(c)
	if err != nil {
		return nil, err
	}
	if u, ok := t.(unknownValue); ok {
		return u, nil
	}
	m, ok := t.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("cannot read property %q of %s", e.name, typeName(t))
	}
	v, ok := lookupFold(m, e.name)
	if !ok {
		return nil, fmt.Errorf("the object has no property %q", e.name)
	}
	return v, nil
}

func (e indexExpr) eval(c *evalCtx) (any, error) {
	t, err := e.target.eval(c)
	if err != nil {
		return nil, err
	}
	i, err := e.index.eval(c)
	if err != nil {
		return nil, err
	}
	if u, ok := t.(unknownValue); ok {
		return u, nil
	}
	if u, ok := i.(unknownValue); ok {
		return u, nil
	}
	switch x := t.(type) {
	case []any:
		n, ok := toInt(i)
		if !ok || n < 0 || n >= int64(len(x)) {
			return nil, fmt.Errorf("index %v out of range of an array of %d", i, len(x))
		}
		return x[n], nil
	case map[string]any:
		k, ok := i.(string)
		if !ok {
			return nil, fmt.Errorf("object index must be a string")
		}
		v, ok := lookupFold(x, k)
		if !ok {
			return nil, fmt.Errorf("the object has no property %q", k)
		}
		return v, nil
	}
	return nil, fmt.Errorf("cannot index %s", typeName(t))
}
