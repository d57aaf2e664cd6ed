package syntax

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
	if p.peekSkipNewlines().kind != TokQuestion {
		return cond
	}
	p.skipNewlines()
	p.next()
	then := p.expr(fl)
	if p.peekSkipNewlines().kind == TokColon {
		p.skipNewlines()
	}
	p.expect(TokColon)
	els := p.expr(fl)
	return &TernaryExpr{Span: Span{cond.Pos(), els.End()}, Cond: cond, Then: then, Else: els}
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
		x = &BinaryExpr{Span: Span{x.Pos(), y.End()}, Op: op, X: x, Y: y}
	}
}

func (p *parser) unary(fl exprFlags) Expr {
	t := p.peek()
	switch t.kind {
	case TokBang, TokMinus, TokPlus:
		p.next()
		p.enter()
		defer p.leave()
		x := p.unary(fl)
		return &UnaryExpr{Span: Span{t.pos(), x.End()}, Op: t.kind, X: x}
	}
	return p.member(fl)
}

// member parses a primary expression followed by any number of x[i],
// x.name, x.f(...), x::child and x! suffixes.
func (p *parser) member(fl exprFlags) Expr {
	x := p.primary(fl)
	for {
		switch p.peek().kind {
		case TokLBracket:
			p.next()
			ix := &IndexExpr{X: x}
			if p.at(TokQuestion) {
				p.next()
				ix.Safe = true
			}
			if p.at(TokHat) {
				p.next()
				ix.FromEnd = true
			}
			ix.Index = p.expr(fl)
			ix.Span = Span{x.Pos(), p.expect(TokRBracket).endPos()}
			x = ix
		case TokDot:
			p.next()
			safe := false
			if p.at(TokQuestion) {
				p.next()
				safe = true
			}
			name := p.ident("a property or function name")
			if p.at(TokLParen) {
				if safe {
					p.fail(p.peek(), "'.?' cannot be used with a function call")
				}
				x = p.callArgs(x, name, fl)
				continue
			}
			x = &PropertyExpr{Span: Span{x.Pos(), name.End()}, X: x, Name: name, Safe: safe}
		case TokDoubleColon:
			p.next()
			name := p.ident("a nested resource name")
			x = &ResourceAccessExpr{Span: Span{x.Pos(), name.End()}, X: x, Name: name}
		case TokBang:
			t := p.next()
			x = &NonNullExpr{Span: Span{x.Pos(), t.endPos()}, X: x}
		default:
			return x
		}
	}
}

func (p *parser) primary(fl exprFlags) Expr {
	t := p.peek()
	switch t.kind {
	case TokInt:
		p.next()
		v, err := strconv.ParseInt(p.text(t), 10, 64)
		if err != nil {
			p.fail(t, "integer %s is too large", p.text(t))
		}
		return &IntLit{Span: Span{t.pos(), t.endPos()}, Value: v, Text: p.text(t)}
	case TokTrue, TokFalse:
		p.next()
		return &BoolLit{Span: Span{t.pos(), t.endPos()}, Value: t.kind == TokTrue}
	case TokNull:
		p.next()
		return &NullLit{Span{t.pos(), t.endPos()}}
	case TokString, TokStringLeft:
		return p.stringExpr()
	case TokLBrace:
		if fl&flagComplex == 0 {
			p.fail(t, "objects are not allowed here (inside a string interpolation)")
		}
		return p.object(fl &^ flagResources)
	case TokLBracket:
		if fl&flagComplex == 0 {
			p.fail(t, "arrays are not allowed here (inside a string interpolation)")
		}
		if n := p.peekAfterNewlines(1); n.kind == TokIdent && p.text(n) == "for" {
			return p.forExpr(fl&^flagResources, false)
		}
		return p.array(fl)
	case TokLParen:
		return p.parenOrLambda(fl)
	case TokIdent:
		p.next()
		id := &Ident{Span: Span{t.pos(), t.endPos()}, Name: p.text(t)}
		switch p.peek().kind {
		case TokLParen:
			return p.callArgs(nil, id, fl)
		case TokArrow:
			p.next()
			p.lambdaNewlines()
			body := p.expr(fl | flagComplex)
			return &LambdaExpr{Span: Span{t.pos(), body.End()}, Params: []*Ident{id}, Body: body}
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
		if p.toks[j].kind != TokNewline {
			return p.toks[j]
		}
	}
	return p.toks[len(p.toks)-1]
}

// callArgs parses "(args)" after a function name. New lines may follow
// '(' and ',' and precede ')'.
func (p *parser) callArgs(recv Expr, name *Ident, fl exprFlags) Expr {
	p.expect(TokLParen)
	c := &CallExpr{Recv: recv, Name: name}
	p.skipNewlines()
	for !p.at(TokRParen) {
		c.Args = append(c.Args, p.expr(fl|flagComplex))
		p.skipNewlines()
		if !p.at(TokComma) {
			break
		}
		p.next()
		p.skipNewlines()
	}
	end := p.expect(TokRParen).endPos()
	from := name.Pos()
	if recv != nil {
		from = recv.Pos()
	}
	c.Span = Span{from, end}
	return c
}

// parenOrLambda parses "(x)" or a lambda "(a, b) => body".
func (p *parser) parenOrLambda(fl exprFlags) Expr {
	open := p.expect(TokLParen)
	var items []Expr
	p.skipNewlines()
	for !p.at(TokRParen) {
		items = append(items, p.expr(fl|flagComplex))
		p.skipNewlines()
		if !p.at(TokComma) {
			break
		}
		p.next()
		p.skipNewlines()
	}
	closeTok := p.expect(TokRParen)
	if p.at(TokArrow) {
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
		lam.Span = Span{open.pos(), lam.Body.End()}
		return lam
	}
	if len(items) != 1 {
		p.fail(open, "parentheses must contain exactly one expression")
	}
	return &ParenExpr{Span: Span{open.pos(), closeTok.endPos()}, X: items[0]}
}

// stringExpr parses a string token or an interpolated string.
func (p *parser) stringExpr() *StringExpr {
	t := p.next()
	s := &StringExpr{Parts: []string{p.value(t)}, Multiline: t.multiline}
	if t.kind == TokString {
		s.Span = Span{t.pos(), t.endPos()}
		return s
	}
	for {
		// Holes hold simple expressions: no objects or arrays.
		x := p.expr(0)
		s.Exprs = append(s.Exprs, x)
		n := p.peek()
		switch n.kind {
		case TokStringMiddle:
			p.next()
			s.Parts = append(s.Parts, p.value(n))
		case TokStringRight:
			p.next()
			s.Parts = append(s.Parts, p.value(n))
			s.Span = Span{t.pos(), n.endPos()}
			return s
		default:
			p.fail(n, "expected '}' to close the interpolation, found %s", p.describe(n))
		}
	}
}

func (p *parser) object(fl exprFlags) *ObjectExpr {
	open := p.expect(TokLBrace)
	o := &ObjectExpr{}
	p.elements(TokRBrace, func() {
		o.Items = append(o.Items, p.objectItem(fl))
	})
	o.Span = Span{open.pos(), p.expect(TokRBrace).endPos()}
	return o
}

func (p *parser) objectItem(fl exprFlags) Node {
	t := p.peek()
	if fl&flagResources != 0 && (t.kind == TokAt ||
		t.kind == TokIdent && p.text(t) == "resource" && p.peekAt(1).kind == TokIdent) {
		return p.decl(true)
	}
	if t.kind == TokEllipsis {
		p.next()
		x := p.expr(flagComplex)
		return &ObjectProp{Span: Span{t.pos(), x.End()}, Value: x, Spread: true}
	}
	var key Expr
	switch t.kind {
	case TokIdent:
		p.next()
		key = &Ident{Span: Span{t.pos(), t.endPos()}, Name: p.text(t)}
	case TokString, TokStringLeft:
		key = p.stringExpr()
	default:
		p.fail(t, "expected a property name, found %s", p.describe(t))
	}
	p.expect(TokColon)
	v := p.expr(flagComplex)
	return &ObjectProp{Span: Span{t.pos(), v.End()}, Key: key, Value: v}
}

func (p *parser) array(fl exprFlags) *ArrayExpr {
	open := p.expect(TokLBracket)
	a := &ArrayExpr{}
	p.elements(TokRBracket, func() {
		t := p.peek()
		it := &ArrayItem{}
		if t.kind == TokEllipsis {
			p.next()
			it.Spread = true
		}
		it.Value = p.expr(flagComplex)
		it.Span = Span{t.pos(), it.Value.End()}
		a.Items = append(a.Items, it)
	})
	a.Span = Span{open.pos(), p.expect(TokRBracket).endPos()}
	return a
}

// forExpr parses "[for x in xs: body]". In a resource or module
// declaration (decl) the body is an object or "if (c) {...}".
func (p *parser) forExpr(fl exprFlags, decl bool) *ForExpr {
	open := p.expect(TokLBracket)
	p.skipNewlines()
	p.expectKeyword("for")
	f := &ForExpr{}
	if p.at(TokLParen) {
		p.next()
		f.Item = p.ident("a loop item name")
		p.expect(TokComma)
		f.Index = p.ident("a loop index name")
		p.expect(TokRParen)
	} else {
		f.Item = p.ident("a loop item name")
	}
	p.expectKeyword("in")
	f.Iter = p.expr(flagComplex)
	p.expect(TokColon)
	switch {
	case decl && p.atKeyword("if"):
		f.Body = p.ifExpr(fl)
	case decl:
		if !p.at(TokLBrace) {
			t := p.peek()
			p.fail(t, "expected '{' or 'if', found %s", p.describe(t))
		}
		f.Body = p.object(fl)
	default:
		f.Body = p.expr(fl | flagComplex)
	}
	p.skipNewlines()
	f.Span = Span{open.pos(), p.expect(TokRBracket).endPos()}
	return f
}

func (p *parser) ifExpr(fl exprFlags) *IfExpr {
	kw := p.expectKeyword("if")
	open := p.expect(TokLParen)
	p.skipNewlines()
	cond := p.expr(flagComplex)
	p.skipNewlines()
	p.expect(TokRParen)
	cond = &ParenExpr{Span: Span{open.pos(), p.prevEnd()}, X: cond}
	body := p.object(fl)
	return &IfExpr{Span: Span{kw.pos(), body.End()}, Cond: cond, Body: body}
}
