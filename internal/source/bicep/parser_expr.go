package bicep

import "strconv"

// exprFlags say which constructs an expression may contain where it
// appears.
type exprFlags uint8

const (
	// flagComplex allows object and array literals (not inside an
	// interpolation hole).
	flagComplex exprFlags = 1 << iota
	// flagResources allows nested resource declarations in objects (a
	// resource body).
	flagResources
)

func (p *parser) enter() {
	p.depth++
	if p.depth > maxDepth {
		p.fail(p.peek(), "expression nested more than %d levels deep", maxDepth)
	}
}

func (p *parser) leave() { p.depth-- }

// expr parses "binary [? expr : expr]"; new lines may precede ? and :.
func (p *parser) expr(fl exprFlags) Expr {
	p.enter()
	defer p.leave()
	cond := p.binary(fl, 0)
	if p.peekSkipNewlines().kind != tokQuestion {
		return cond
	}
	p.skipNewlines()
	p.next()
	then := p.expr(fl)
	if p.peekSkipNewlines().kind == tokColon {
		p.skipNewlines()
	}
	p.expect(tokColon)
	els := p.expr(fl)
	return &TernaryExpr{span: span{cond.Pos(), els.End()}, Cond: cond, Then: then, Else: els}
}

// binary parses operators binding tighter than prec, left-associative.
func (p *parser) binary(fl exprFlags, prec int) Expr {
	x := p.unary(fl)
	for {
		op := p.peek().kind
		q := binaryPrecedence(op)
		if q <= prec {
			return x
		}
		p.next()
		y := p.binary(fl, q)
		x = &BinaryExpr{span: span{x.Pos(), y.End()}, Op: op, X: x, Y: y}
	}
}

func (p *parser) unary(fl exprFlags) Expr {
	t := p.peek()
	switch t.kind {
	case tokBang, tokMinus, tokPlus:
		p.next()
		p.enter()
		defer p.leave()
		x := p.unary(fl)
		return &UnaryExpr{span: span{t.pos, x.End()}, Op: t.kind, X: x}
	}
	return p.member(fl)
}

// member parses a primary expression followed by any number of x[i],
// x.name, x.f(...), x::child and x! suffixes.
func (p *parser) member(fl exprFlags) Expr {
	x := p.primary(fl)
	for {
		switch p.peek().kind {
		case tokLBracket:
			p.next()
			ix := &IndexExpr{X: x}
			if p.at(tokQuestion) {
				p.next()
				ix.Safe = true
			}
			if p.at(tokHat) {
				p.next()
				ix.FromEnd = true
			}
			ix.Index = p.expr(fl)
			ix.span = span{x.Pos(), p.expect(tokRBracket).endPos}
			x = ix
		case tokDot:
			p.next()
			safe := false
			if p.at(tokQuestion) {
				p.next()
				safe = true
			}
			name := p.ident("a property or function name")
			if p.at(tokLParen) {
				if safe {
					p.fail(p.peek(), "'.?' cannot be used with a function call")
				}
				x = p.callArgs(x, name, fl)
				continue
			}
			x = &PropertyExpr{span: span{x.Pos(), name.End()}, X: x, Name: name, Safe: safe}
		case tokDoubleColon:
			p.next()
			name := p.ident("a nested resource name")
			x = &ResourceAccessExpr{span: span{x.Pos(), name.End()}, X: x, Name: name}
		case tokBang:
			t := p.next()
			x = &NonNullExpr{span: span{x.Pos(), t.endPos}, X: x}
		default:
			return x
		}
	}
}

func (p *parser) primary(fl exprFlags) Expr {
	t := p.peek()
	switch t.kind {
	case tokInt:
		p.next()
		v, err := strconv.ParseInt(p.text(t), 10, 64)
		if err != nil {
			p.fail(t, "integer %s is too large", p.text(t))
		}
		return &IntLit{span: span{t.pos, t.endPos}, Value: v, Text: p.text(t)}
	case tokTrue, tokFalse:
		p.next()
		return &BoolLit{span: span{t.pos, t.endPos}, Value: t.kind == tokTrue}
	case tokNull:
		p.next()
		return &NullLit{span{t.pos, t.endPos}}
	case tokString, tokStringLeft:
		return p.stringExpr()
	case tokLBrace:
		if fl&flagComplex == 0 {
			p.fail(t, "objects are not allowed here (inside a string interpolation)")
		}
		return p.object(fl &^ flagResources)
	case tokLBracket:
		if fl&flagComplex == 0 {
			p.fail(t, "arrays are not allowed here (inside a string interpolation)")
		}
		if n := p.peekAfterNewlines(1); n.kind == tokIdent && p.text(n) == "for" {
			return p.forExpr(fl&^flagResources, false)
		}
		return p.array(fl)
	case tokLParen:
		return p.parenOrLambda(fl)
	case tokIdent:
		p.next()
		id := &Ident{span: span{t.pos, t.endPos}, Name: p.text(t)}
		switch p.peek().kind {
		case tokLParen:
			return p.callArgs(nil, id, fl)
		case tokArrow:
			p.next()
			p.lambdaNewlines()
			body := p.expr(fl | flagComplex)
			return &LambdaExpr{span: span{t.pos, body.End()}, Params: []*Ident{id}, Body: body}
		}
		return id
	}
	p.fail(t, "expected an expression, found %s", p.describe(t))
	return nil
}

// peekAfterNewlines returns the first non-newline token at or after n
// tokens ahead.
func (p *parser) peekAfterNewlines(n int) token {
	for j := p.i + n; j < len(p.toks); j++ {
		if p.toks[j].kind != tokNewline {
			return p.toks[j]
		}
	}
	return p.toks[len(p.toks)-1]
}

// callArgs parses "(args)" after a function name. New lines may follow
// '(' and ',' and precede ')'.
func (p *parser) callArgs(recv Expr, name *Ident, fl exprFlags) Expr {
	p.expect(tokLParen)
	c := &CallExpr{Recv: recv, Name: name}
	p.skipNewlines()
	for !p.at(tokRParen) {
		c.Args = append(c.Args, p.expr(fl|flagComplex))
		p.skipNewlines()
		if !p.at(tokComma) {
			break
		}
		p.next()
		p.skipNewlines()
	}
	end := p.expect(tokRParen).endPos
	from := name.Pos()
	if recv != nil {
		from = recv.Pos()
	}
	c.span = span{from, end}
	return c
}

// parenOrLambda parses "(x)" or a lambda "(a, b) => body".
func (p *parser) parenOrLambda(fl exprFlags) Expr {
	open := p.expect(tokLParen)
	var items []Expr
	p.skipNewlines()
	for !p.at(tokRParen) {
		items = append(items, p.expr(fl|flagComplex))
		p.skipNewlines()
		if !p.at(tokComma) {
			break
		}
		p.next()
		p.skipNewlines()
	}
	closeTok := p.expect(tokRParen)
	if p.at(tokArrow) {
		p.next()
		lam := &LambdaExpr{}
		for _, it := range items {
			id, ok := it.(*Ident)
			if !ok {
				p.errorAt(it.Pos(), "expected a lambda parameter name")
				panic(bailout{})
			}
			lam.Params = append(lam.Params, id)
		}
		p.lambdaNewlines()
		lam.Body = p.expr(fl | flagComplex)
		lam.span = span{open.pos, lam.Body.End()}
		return lam
	}
	if len(items) != 1 {
		p.fail(open, "parentheses must contain exactly one expression")
	}
	return &ParenExpr{span: span{open.pos, closeTok.endPos}, X: items[0]}
}

// stringExpr parses a string token or an interpolated string.
func (p *parser) stringExpr() *StringExpr {
	t := p.next()
	s := &StringExpr{Parts: []string{p.value(t)}, Multiline: t.multiline}
	if t.kind == tokString {
		s.span = span{t.pos, t.endPos}
		return s
	}
	for {
		// Holes hold simple expressions: no objects or arrays.
		x := p.expr(0)
		s.Exprs = append(s.Exprs, x)
		n := p.peek()
		switch n.kind {
		case tokStringMiddle:
			p.next()
			s.Parts = append(s.Parts, p.value(n))
		case tokStringRight:
			p.next()
			s.Parts = append(s.Parts, p.value(n))
			s.span = span{t.pos, n.endPos}
			return s
		default:
			p.fail(n, "expected '}' to close the interpolation, found %s", p.describe(n))
		}
	}
}

func (p *parser) object(fl exprFlags) *ObjectExpr {
	open := p.expect(tokLBrace)
	o := &ObjectExpr{}
	p.elements(tokRBrace, func() {
		o.Items = append(o.Items, p.objectItem(fl))
	})
	o.span = span{open.pos, p.expect(tokRBrace).endPos}
	return o
}

func (p *parser) objectItem(fl exprFlags) Node {
	t := p.peek()
	if fl&flagResources != 0 && (t.kind == tokAt ||
		t.kind == tokIdent && p.text(t) == "resource" && p.peekAt(1).kind == tokIdent) {
		return p.decl(true)
	}
	if t.kind == tokEllipsis {
		p.next()
		x := p.expr(flagComplex)
		return &ObjectProp{span: span{t.pos, x.End()}, Value: x, Spread: true}
	}
	var key Expr
	switch t.kind {
	case tokIdent:
		p.next()
		key = &Ident{span: span{t.pos, t.endPos}, Name: p.text(t)}
	case tokString, tokStringLeft:
		key = p.stringExpr()
	default:
		p.fail(t, "expected a property name, found %s", p.describe(t))
	}
	p.expect(tokColon)
	v := p.expr(flagComplex)
	return &ObjectProp{span: span{t.pos, v.End()}, Key: key, Value: v}
}

func (p *parser) array(fl exprFlags) *ArrayExpr {
	open := p.expect(tokLBracket)
	a := &ArrayExpr{}
	p.elements(tokRBracket, func() {
		t := p.peek()
		it := &ArrayItem{}
		if t.kind == tokEllipsis {
			p.next()
			it.Spread = true
		}
		it.Value = p.expr(flagComplex)
		it.span = span{t.pos, it.Value.End()}
		a.Items = append(a.Items, it)
	})
	a.span = span{open.pos, p.expect(tokRBracket).endPos}
	return a
}

// forExpr parses "[for x in xs: body]". In a resource or module
// declaration (decl) the body is an object or "if (c) {...}".
func (p *parser) forExpr(fl exprFlags, decl bool) *ForExpr {
	open := p.expect(tokLBracket)
	p.skipNewlines()
	p.expectKeyword("for")
	f := &ForExpr{}
	if p.at(tokLParen) {
		p.next()
		f.Item = p.ident("a loop item name")
		p.expect(tokComma)
		f.Index = p.ident("a loop index name")
		p.expect(tokRParen)
	} else {
		f.Item = p.ident("a loop item name")
	}
	p.expectKeyword("in")
	f.Iter = p.expr(flagComplex)
	p.expect(tokColon)
	switch {
	case decl && p.atKeyword("if"):
		f.Body = p.ifExpr(fl)
	case decl:
		if !p.at(tokLBrace) {
			t := p.peek()
			p.fail(t, "expected '{' or 'if', found %s", p.describe(t))
		}
		f.Body = p.object(fl)
	default:
		f.Body = p.expr(fl | flagComplex)
	}
	p.skipNewlines()
	f.span = span{open.pos, p.expect(tokRBracket).endPos}
	return f
}

func (p *parser) ifExpr(fl exprFlags) *IfExpr {
	kw := p.expectKeyword("if")
	open := p.expect(tokLParen)
	p.skipNewlines()
	cond := p.expr(flagComplex)
	p.skipNewlines()
	p.expect(tokRParen)
	cond = &ParenExpr{span: span{open.pos, p.prevEnd()}, X: cond}
	body := p.object(fl)
	return &IfExpr{span: span{kw.pos, body.End()}, Cond: cond, Body: body}
}
