package armexpr

import (
	"fmt"
	"strconv"
	"strings"
)

// Error is a problem with an expression at a byte offset of the string it
// was parsed from (0 is the opening '['). Parse and Eval return it.
type Error struct {
	Offset int
	Msg    string
	// Err is the underlying cause (a function's argument error), if any.
	Err error
}

// Error renders the problem with a 1-based column.
func (e *Error) Error() string { return fmt.Sprintf("column %d: %s", e.Offset+1, e.Msg) }

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// Column is the 1-based column of the problem within the string.
func (e *Error) Column() int { return e.Offset + 1 }

func errAt(off int, format string, args ...any) *Error {
	return &Error{Offset: off, Msg: fmt.Sprintf(format, args...)}
}

// IsExpression reports whether s is a template expression: it starts with
// '[' and ends with ']', and does not start with the "[[" escape.
func IsExpression(s string) bool {
	return len(s) >= 2 && s[0] == '[' && s[len(s)-1] == ']' && s[1] != '['
}

// Unescape turns a string that starts with the "[[" escape into the
// literal it stands for ("[[x]" → "[x]"); other strings are returned
// unchanged.
func Unescape(s string) string {
	if strings.HasPrefix(s, "[[") {
		return s[1:]
	}
	return s
}

// Expr is a parsed template expression (or a literal).
type Expr interface {
	Eval(env *Env) (any, error)
}

// maxNesting bounds how deeply calls and accessors may nest in one
// expression, so that hostile input cannot exhaust the stack.
const maxNesting = 200

// Parse parses a template expression string: "[concat('a', parameters('b'))]"
// → Expr. A string that is not an expression (no surrounding brackets, or
// the "[[" escape) parses to a literal. Errors are *Error values carrying
// the offset of the problem within s.
func Parse(s string) (Expr, error) { return parse(s, nil) }

func parse(s string, d *Dialect) (Expr, error) {
	if !IsExpression(s) {
		return literal{Unescape(s)}, nil
	}
	p := &parser{src: s, pos: 1, end: len(s) - 1, dialect: d}
	p.skipSpace()
	if p.pos >= p.end {
		return nil, errAt(0, "empty expression %q", s)
	}
	n, err := p.expr(0)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos < p.end {
		return nil, errAt(p.pos, "unexpected %s after the expression", p.describe())
	}
	return &program{src: s, root: n}, nil
}

// MustParse is Parse for expressions known to be valid; it panics on error.
// For tests and fixed expressions only.
func MustParse(s string) Expr {
	e, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return e
}

type literal struct{ v any }

// Eval returns the literal.
func (l literal) Eval(*Env) (any, error) { return l.v, nil }

// program is a parsed "[...]" expression.
type program struct {
	src  string
	root node
}

// String returns the expression's source text.
func (p *program) String() string { return p.src }

type node interface {
	offset() int
}

type (
	litNode struct {
		off int
		v   any
	}
	callNode struct {
		off       int
		end       int
		namespace string
		name      string
		lname     string // lower-cased name
		args      []node
	}
	propNode struct {
		off  int
		x    node
		name string
	}
	indexNode struct {
		off int
		x   node
		idx node
	}
)

func (n *litNode) offset() int   { return n.off }
func (n *callNode) offset() int  { return n.off }
func (n *propNode) offset() int  { return n.off }
func (n *indexNode) offset() int { return n.off }

type parser struct {
	src     string
	pos     int
	end     int      // index of the closing ']'
	dialect *Dialect // nil: plain ARM templates
}

func (p *parser) skipSpace() {
	for p.pos < p.end {
		switch p.src[p.pos] {
		case ' ', '\t', '\r', '\n':
			p.pos++
		default:
			return
		}
	}
}

func (p *parser) describe() string {
	if p.pos >= p.end {
		return "end of expression"
	}
	r := p.src[p.pos]
	return fmt.Sprintf("%q", string(r))
}

func isIdentStart(c byte) bool {
	return c == '_' || c == '$' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isIdentPart(c byte) bool {
	return isIdentStart(c) || (c >= '0' && c <= '9')
}

func (p *parser) ident() string {
	start := p.pos
	for p.pos < p.end && isIdentPart(p.src[p.pos]) {
		p.pos++
	}
	return p.src[start:p.pos]
}

func (p *parser) expr(depth int) (node, error) {
	if depth > maxNesting {
		return nil, errAt(p.pos, "expression nested deeper than %d levels", maxNesting)
	}
	p.skipSpace()
	n, err := p.primary(depth)
	if err != nil {
		return nil, err
	}
	for {
		p.skipSpace()
		if p.pos >= p.end {
			return n, nil
		}
		switch p.src[p.pos] {
		case '.':
			off := p.pos
			p.pos++
			p.skipSpace()
			if p.pos >= p.end || !isIdentPart(p.src[p.pos]) {
				return nil, errAt(p.pos, "expected a property name after '.', found %s", p.describe())
			}
			n = &propNode{off: off, x: n, name: p.ident()}
		case '[':
			off := p.pos
			p.pos++
			idx, err := p.expr(depth + 1)
			if err != nil {
				return nil, err
			}
			p.skipSpace()
			if p.pos >= p.end || p.src[p.pos] != ']' {
				return nil, errAt(p.pos, "expected ']' to close the index opened at column %d, found %s", off+1, p.describe())
			}
			p.pos++
			n = &indexNode{off: off, x: n, idx: idx}
		default:
			return n, nil
		}
		if depth++; depth > maxNesting {
			return nil, errAt(p.pos, "expression nested deeper than %d levels", maxNesting)
		}
	}
}

func (p *parser) primary(depth int) (node, error) { //nolint:funlen,gocognit // recursive-descent primary expression: one case per token kind
	if p.pos >= p.end {
		return nil, errAt(p.pos, "unexpected end of expression, expected a value")
	}
	c := p.src[p.pos]
	switch {
	case c == '\'':
		return p.stringLit()
	case c == '-' || c == '+' || (c >= '0' && c <= '9'):
		return p.number()
	case isIdentStart(c):
		off := p.pos
		name := p.ident()
		namespace := ""
		p.skipSpace()
		if p.pos < p.end && p.src[p.pos] == '.' {
			// namespace.function(...): a user-defined function.
			save := p.pos
			p.pos++
			p.skipSpace()
			if p.pos < p.end && isIdentStart(p.src[p.pos]) {
				fn := p.ident()
				p.skipSpace()
				if p.pos < p.end && p.src[p.pos] == '(' {
					namespace, name = name, fn
				} else {
					p.pos = save
				}
			} else {
				p.pos = save
			}
		}
		p.skipSpace()
		if p.pos >= p.end || p.src[p.pos] != '(' {
			switch strings.ToLower(name) {
			case "true":
				return &litNode{off: off, v: true}, nil
			case "false":
				return &litNode{off: off, v: false}, nil
			case "null":
				return &litNode{off: off, v: nil}, nil
			}
			return nil, errAt(off, "%q is not a function call: expected '(' after it", name)
		}
		p.pos++
		call := &callNode{off: off, namespace: namespace, name: name, lname: strings.ToLower(name)}
		if namespace == "" {
			if err := p.dialect.check(call.lname, name); err != nil {
				return nil, errAt(off, "%s", err.Error())
			}
		}
		p.skipSpace()
		if p.pos < p.end && p.src[p.pos] == ')' {
			p.pos++
			call.end = p.pos
			return call, nil
		}
		for {
			arg, err := p.expr(depth + 1)
			if err != nil {
				return nil, err
			}
			call.args = append(call.args, arg)
			p.skipSpace()
			if p.pos >= p.end {
				return nil, errAt(p.pos, "expected ',' or ')' in the call of %s opened at column %d, found end of expression", name, off+1)
			}
			switch p.src[p.pos] {
			case ',':
				p.pos++
				continue
			case ')':
				p.pos++
				call.end = p.pos
				return call, nil
			}
			return nil, errAt(p.pos, "expected ',' or ')' in the call of %s, found %s", name, p.describe())
		}
	}
	return nil, errAt(p.pos, "unexpected %s, expected a function call, a 'string' or a number", p.describe())
}

func (p *parser) stringLit() (node, error) {
	off := p.pos
	p.pos++
	var b strings.Builder
	for {
		if p.pos >= p.end {
			// The closing ']' of the expression may be inside the string:
			// "['a]" is unterminated.
			return nil, errAt(off, "unterminated string literal")
		}
		c := p.src[p.pos]
		if c == '\'' {
			if p.pos+1 < p.end && p.src[p.pos+1] == '\'' {
				b.WriteByte('\'')
				p.pos += 2
				continue
			}
			p.pos++
			return &litNode{off: off, v: b.String()}, nil
		}
		b.WriteByte(c)
		p.pos++
	}
}

func (p *parser) number() (node, error) {
	off := p.pos
	if c := p.src[p.pos]; c == '-' || c == '+' {
		p.pos++
	}
	digits := p.pos
	for p.pos < p.end && p.src[p.pos] >= '0' && p.src[p.pos] <= '9' {
		p.pos++
	}
	if p.pos == digits {
		return nil, errAt(off, "expected digits after the sign")
	}
	isFloat := false
	if p.pos+1 < p.end && p.src[p.pos] == '.' && p.src[p.pos+1] >= '0' && p.src[p.pos+1] <= '9' {
		isFloat = true
		p.pos++
		for p.pos < p.end && p.src[p.pos] >= '0' && p.src[p.pos] <= '9' {
			p.pos++
		}
	}
	text := p.src[off:p.pos]
	if isFloat {
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return nil, errAt(off, "bad number %q", text)
		}
		return &litNode{off: off, v: f}, nil
	}
	i, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return nil, errAt(off, "integer %s out of range", text)
	}
	return &litNode{off: off, v: i}, nil
}
