package syntax

import (
	"errors"
	"math"

	"github.com/kvguard/kvguard/internal/resource"
)

// maxDepth bounds the nesting of expressions and types, so that a
// hostile input ("((((((...") fails with an error instead of exhausting
// the stack.
const maxDepth = 200

// Parse parses Bicep source into a syntax tree. file names the source in
// errors, which carry file:line:col. The tree of a source with errors
// holds every declaration that parsed; the error joins a
// *resource.InputError per problem (at most a few per file).
func Parse(src []byte, file string) (*File, error) {
	return parse(src, file, false)
}

// ParseParams parses a .bicepparam source (using, param assignments, var,
// import, type, extends, extensionConfig).
func ParseParams(src []byte, file string) (*File, error) {
	return parse(src, file, true)
}

// maxSource is the longest source parsed: token positions are 32-bit.
const maxSource = math.MaxInt32

func parse(src []byte, file string, params bool) (*File, error) {
	if len(src) > maxSource {
		return &File{Name: file}, resource.Errorf(resource.Position{File: file}, "longer than %d MiB: not parsed", maxSource>>20)
	}
	lx := lex(string(src), file)
	p := &parser{src: lx.src, toks: lx.toks, file: file, params: params, errs: lx.errs}
	f := &File{Name: file, Comments: lx.comments}
	if n := len(lx.toks); n > 0 {
		f.Lines = lx.toks[n-1].pos().Line
	}
	if len(lx.errs) > 0 {
		// Lexical errors make the token stream unreliable; parse anyway
		// so that the tree holds what can be read, but report the lexer's
		// errors first.
		p.errs = append([]error(nil), lx.errs...)
	}
	f.Decls = p.program()
	return f, errors.Join(p.errs...)
}

// bailout unwinds the parser to the enclosing declaration after a
// syntax error has been recorded.
type bailout struct{}

type parser struct {
	src    string
	toks   []token
	i      int
	file   string
	params bool
	errs   []error
	depth  int
}

func (p *parser) peek() token { return p.toks[p.i] }

// text is a token's source text (a slice of the source, not a copy).
func (p *parser) text(t token) string { return t.text(p.src) }

// value is a string token's decoded value.
func (p *parser) value(t token) string { return stringValue(p.src, t) }

// describe renders a token for "expected X, found Y" messages.
func (p *parser) describe(t token) string { return t.describe(p.src) }

// peekAt looks n tokens ahead (0 is the current one).
func (p *parser) peekAt(n int) token {
	if p.i+n < len(p.toks) {
		return p.toks[p.i+n]
	}
	return p.toks[len(p.toks)-1]
}

// peekSkipNewlines returns the first token from the current one that is
// not a new line.
func (p *parser) peekSkipNewlines() token {
	for j := p.i; j < len(p.toks); j++ {
		if p.toks[j].kind != TokNewline {
			return p.toks[j]
		}
	}
	return p.toks[len(p.toks)-1]
}

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != TokEOF {
		p.i++
	}
	return t
}

// prevEnd is the end of the last token consumed.
func (p *parser) prevEnd() Pos {
	if p.i == 0 {
		return p.toks[0].pos()
	}
	return p.toks[p.i-1].endPos()
}

func (p *parser) at(k TokenKind) bool { return p.peek().kind == k }

func (p *parser) atKeyword(kw string) bool {
	t := p.peek()
	return t.kind == TokIdent && p.text(t) == kw
}

func (p *parser) skipNewlines() {
	for p.at(TokNewline) {
		p.next()
	}
}

// fail records a syntax error at t and unwinds to the declaration.
func (p *parser) fail(t token, format string, args ...any) {
	p.errorAt(t.pos(), format, args...)
	panic(bailout{})
}

func (p *parser) errorAt(pos Pos, format string, args ...any) {
	if len(p.errs) < maxErrors {
		p.errs = append(p.errs, resource.Errorf(resource.Position{File: p.file, Line: pos.Line, Col: pos.Col}, format, args...))
	}
}

func (p *parser) expect(k TokenKind) token {
	t := p.peek()
	if t.kind != k {
		p.fail(t, "expected '%s', found %s", k, p.describe(t))
	}
	return p.next()
}

func (p *parser) expectKeyword(kw string) token {
	t := p.peek()
	if t.kind != TokIdent || p.text(t) != kw {
		p.fail(t, "expected '%s', found %s", kw, p.describe(t))
	}
	return p.next()
}

func (p *parser) ident(what string) *Ident {
	t := p.peek()
	if t.kind != TokIdent {
		p.fail(t, "expected %s, found %s", what, p.describe(t))
	}
	p.next()
	return &Ident{Span: Span{t.pos(), t.endPos()}, Name: p.text(t)}
}

// program parses declarations until the end of the file, recovering at
// the next line that starts a declaration after an error.
func (p *parser) program() []Decl {
	var decls []Decl
	for !p.at(TokEOF) {
		if p.at(TokNewline) {
			p.next()
			continue
		}
		d, ok := p.declOrRecover()
		if !ok {
			if len(p.errs) >= maxErrors {
				return decls
			}
			continue
		}
		decls = append(decls, d)
	}
	return decls
}

func (p *parser) declOrRecover() (d Decl, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			if _, is := r.(bailout); !is {
				panic(r)
			}
			p.synchronize()
			d, ok = nil, false
		}
	}()
	d = p.decl(false)
	// A declaration ends at a new line or the end of the file.
	if t := p.peek(); t.kind != TokNewline && t.kind != TokEOF {
		p.fail(t, "expected a new line after the declaration, found %s", p.describe(t))
	}
	return d, true
}

// declKeywords start a declaration; recovery resumes at a line starting
// with one of them in the first column.
var declKeywords = map[string]bool{
	"targetScope": true, "metadata": true, "param": true, "var": true, "type": true, "func": true,
	"resource": true, "module": true, "output": true, "import": true, "extension": true,
	"test": true, "assert": true, "using": true, "extends": true, "extensionConfig": true, "provider": true,
}

// synchronize skips to the start of the next line whose first token is a
// declaration keyword or a decorator in the first column.
func (p *parser) synchronize() {
	for !p.at(TokEOF) {
		t := p.next()
		if t.kind != TokNewline {
			continue
		}
		n := p.peek()
		if n.pos().Col == 1 && (n.kind == TokAt || n.kind == TokIdent && declKeywords[p.text(n)]) {
			return
		}
	}
}

// stringLit parses a string (interpolation allowed) where one is required.
func (p *parser) stringLit(what string) *StringExpr {
	t := p.peek()
	if t.kind != TokString && t.kind != TokStringLeft {
		p.fail(t, "expected %s, found %s", what, p.describe(t))
	}
	return p.stringExpr()
}

// elements parses the items of an array, object or import list up to
// (not including) closing: separated by new lines or commas, a trailing
// comma allowed.
func (p *parser) elements(closing TokenKind, item func()) {
	p.skipNewlines()
	for !p.at(closing) {
		if p.at(TokEOF) {
			t := p.peek()
			p.fail(t, "expected '%s', found end of file", closing)
		}
		item()
		switch {
		case p.at(TokNewline):
			p.skipNewlines()
		case p.at(TokComma):
			p.next()
			p.skipNewlines()
		case p.at(closing):
		default:
			t := p.peek()
			p.fail(t, "expected a new line or ',' before %s", p.describe(t))
		}
	}
}
