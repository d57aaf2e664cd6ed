package bicep

// typeExpr parses a type: a union of singular types ("'a' | 'b'"), whose
// members may be on separate lines each starting with '|'.
func (p *parser) typeExpr() Type {
	p.enter()
	defer p.leave()
	start := p.peek().pos
	var members []Type
	leading := p.unionSep()
	if leading {
		p.skipNewlines()
		p.next()
	}
	first := p.unaryType()
	if !leading && !p.unionSep() {
		return first
	}
	members = append(members, first)
	for p.unionSep() {
		p.skipNewlines()
		p.next()
		members = append(members, p.unaryType())
	}
	return &UnionType{span: span{start, members[len(members)-1].End()}, Members: members}
}

func (p *parser) unionSep() bool {
	return p.at(tokPipe) || p.at(tokNewline) && p.peekAt(1).kind == tokPipe
}

func (p *parser) unaryType() Type {
	t := p.peek()
	var x Type
	if t.kind == tokMinus || t.kind == tokPlus || t.kind == tokBang {
		p.next()
		inner := p.memberType()
		lit, ok := inner.(*LiteralType)
		if !ok {
			p.fail(t, "only a literal can follow a unary operator in a type")
		}
		x = &LiteralType{span: span{t.pos, inner.End()}, Value: &UnaryExpr{span: span{t.pos, inner.End()}, Op: t.kind, X: lit.Value}}
	} else {
		x = p.memberType()
	}
	for {
		switch p.peek().kind {
		case tokQuestion:
			q := p.next()
			x = &NullableType{span: span{x.Pos(), q.endPos}, X: x}
		case tokBang:
			q := p.next()
			x = &NonNullableType{span: span{x.Pos(), q.endPos}, X: x}
		default:
			return x
		}
	}
}

func (p *parser) memberType() Type {
	x := p.primaryType()
	for {
		switch p.peek().kind {
		case tokLBracket:
			p.next()
			switch {
			case p.at(tokRBracket):
				x = &ArrayType{span: span{x.Pos(), p.next().endPos}, Elem: x}
			case p.at(tokStar):
				p.next()
				x = &TypeAccess{span: span{x.Pos(), p.expect(tokRBracket).endPos}, X: x, Items: true}
			default:
				ix := p.expr(0)
				x = &TypeAccess{span: span{x.Pos(), p.expect(tokRBracket).endPos}, X: x, Index: ix}
			}
		case tokDot:
			p.next()
			if p.at(tokStar) {
				x = &TypeAccess{span: span{x.Pos(), p.next().endPos}, X: x, Extra: true}
				continue
			}
			name := p.ident("a type property name")
			if p.at(tokLt) {
				x = p.genericArgs(x, name)
				continue
			}
			if tn, ok := x.(*TypeName); ok {
				tn.Parts = append(tn.Parts, name.Name)
				tn.To = name.End()
				continue
			}
			x = &TypeAccess{span: span{x.Pos(), name.End()}, X: x, Prop: name.Name}
		default:
			return x
		}
	}
}

func (p *parser) primaryType() Type {
	t := p.peek()
	switch t.kind {
	case tokInt, tokTrue, tokFalse, tokNull:
		v := p.primary(0)
		return &LiteralType{span: span{v.Pos(), v.End()}, Value: v}
	case tokString, tokStringLeft:
		s := p.stringExpr()
		return &LiteralType{span: span{s.Pos(), s.End()}, Value: s}
	case tokLBrace:
		return p.objectType()
	case tokLBracket:
		return p.tupleType()
	case tokLParen:
		p.next()
		inner := p.typeExpr()
		return &ParenType{span: span{t.pos, p.expect(tokRParen).endPos}, X: inner}
	case tokIdent:
		p.next()
		id := &Ident{span: span{t.pos, t.endPos}, Name: p.text(t)}
		if p.at(tokLt) {
			return p.genericArgs(nil, id)
		}
		return &TypeName{span: span{t.pos, t.endPos}, Parts: []string{p.text(t)}}
	}
	p.fail(t, "expected a type, found %s", p.describe(t))
	return nil
}

func (p *parser) genericArgs(recv Type, name *Ident) Type {
	p.expect(tokLt)
	g := &GenericType{Recv: recv, Name: name.Name}
	p.skipNewlines()
	for !p.at(tokGt) {
		g.Args = append(g.Args, p.typeExpr())
		p.skipNewlines()
		if !p.at(tokComma) {
			break
		}
		p.next()
		p.skipNewlines()
	}
	from := name.Pos()
	if recv != nil {
		from = recv.Pos()
	}
	g.span = span{from, p.expect(tokGt).endPos}
	return g
}

func (p *parser) objectType() Type {
	open := p.expect(tokLBrace)
	o := &ObjectType{}
	p.elements(tokRBrace, func() {
		ds := p.decorators()
		t := p.peek()
		prop := &ObjectTypeProp{Decorated: Decorated{ds}}
		switch t.kind {
		case tokIdent:
			prop.Name = p.text(t)
		case tokString:
			prop.Name = p.value(t)
		case tokStar:
			prop.Name = "*"
		default:
			p.fail(t, "expected a property name, found %s", p.describe(t))
		}
		p.next()
		p.expect(tokColon)
		prop.Type = p.typeExpr()
		prop.span = span{t.pos, prop.Type.End()}
		o.Props = append(o.Props, prop)
	})
	o.span = span{open.pos, p.expect(tokRBrace).endPos}
	return o
}

func (p *parser) tupleType() Type {
	open := p.expect(tokLBracket)
	tt := &TupleType{}
	p.elements(tokRBracket, func() {
		p.decorators()
		tt.Items = append(tt.Items, p.typeExpr())
	})
	tt.span = span{open.pos, p.expect(tokRBracket).endPos}
	return tt
}
