package syntax

// typeExpr parses a type: a union of singular types ("'a' | 'b'"), whose
// members may be on separate lines each starting with '|'.
func (p *parser) typeExpr() Type {
	p.enter()
	defer p.leave()
	start := p.peek().pos()
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
	return &UnionType{Span: Span{start, members[len(members)-1].End()}, Members: members}
}

func (p *parser) unionSep() bool {
	return p.at(TokPipe) || p.at(TokNewline) && p.peekAt(1).kind == TokPipe
}

func (p *parser) unaryType() Type {
	t := p.peek()
	var x Type
	if t.kind == TokMinus || t.kind == TokPlus || t.kind == TokBang {
		p.next()
		inner := p.memberType()
		lit, ok := inner.(*LiteralType)
		if !ok {
			p.fail(t, "only a literal can follow a unary operator in a type")
		}
		x = &LiteralType{Span: Span{t.pos(), inner.End()}, Value: &UnaryExpr{Span: Span{t.pos(), inner.End()}, Op: t.kind, X: lit.Value}}
	} else {
		x = p.memberType()
	}
	for {
		switch p.peek().kind {
		case TokQuestion:
			q := p.next()
			x = &NullableType{Span: Span{x.Pos(), q.endPos()}, X: x}
		case TokBang:
			q := p.next()
			x = &NonNullableType{Span: Span{x.Pos(), q.endPos()}, X: x}
		default:
			return x
		}
	}
}

func (p *parser) memberType() Type {
	x := p.primaryType()
	for {
		switch p.peek().kind {
		case TokLBracket:
			p.next()
			switch {
			case p.at(TokRBracket):
				x = &ArrayType{Span: Span{x.Pos(), p.next().endPos()}, Elem: x}
			case p.at(TokStar):
				p.next()
				x = &TypeAccess{Span: Span{x.Pos(), p.expect(TokRBracket).endPos()}, X: x, Items: true}
			default:
				ix := p.expr(0)
				x = &TypeAccess{Span: Span{x.Pos(), p.expect(TokRBracket).endPos()}, X: x, Index: ix}
			}
		case TokDot:
			p.next()
			if p.at(TokStar) {
				x = &TypeAccess{Span: Span{x.Pos(), p.next().endPos()}, X: x, Extra: true}
				continue
			}
			name := p.ident("a type property name")
			if p.at(TokLt) {
				x = p.genericArgs(x, name)
				continue
			}
			if tn, ok := x.(*TypeName); ok {
				tn.Parts = append(tn.Parts, name.Name)
				tn.To = name.End()
				continue
			}
			x = &TypeAccess{Span: Span{x.Pos(), name.End()}, X: x, Prop: name.Name}
		default:
			return x
		}
	}
}

func (p *parser) primaryType() Type {
	t := p.peek()
	switch t.kind {
	case TokInt, TokTrue, TokFalse, TokNull:
		v := p.primary(0)
		return &LiteralType{Span: Span{v.Pos(), v.End()}, Value: v}
	case TokString, TokStringLeft:
		s := p.stringExpr()
		return &LiteralType{Span: Span{s.Pos(), s.End()}, Value: s}
	case TokLBrace:
		return p.objectType()
	case TokLBracket:
		return p.tupleType()
	case TokLParen:
		p.next()
		inner := p.typeExpr()
		return &ParenType{Span: Span{t.pos(), p.expect(TokRParen).endPos()}, X: inner}
	case TokIdent:
		p.next()
		id := &Ident{Span: Span{t.pos(), t.endPos()}, Name: p.text(t)}
		if p.at(TokLt) {
			return p.genericArgs(nil, id)
		}
		return &TypeName{Span: Span{t.pos(), t.endPos()}, Parts: []string{p.text(t)}}
	}
	p.fail(t, "expected a type, found %s", p.describe(t))
	return nil
}

func (p *parser) genericArgs(recv Type, name *Ident) Type {
	p.expect(TokLt)
	g := &GenericType{Recv: recv, Name: name.Name}
	p.skipNewlines()
	for !p.at(TokGt) {
		g.Args = append(g.Args, p.typeExpr())
		p.skipNewlines()
		if !p.at(TokComma) {
			break
		}
		p.next()
		p.skipNewlines()
	}
	from := name.Pos()
	if recv != nil {
		from = recv.Pos()
	}
	g.Span = Span{from, p.expect(TokGt).endPos()}
	return g
}

func (p *parser) objectType() Type {
	open := p.expect(TokLBrace)
	o := &ObjectType{}
	p.elements(TokRBrace, func() {
		ds := p.decorators()
		t := p.peek()
		prop := &ObjectTypeProp{Decorated: Decorated{ds}}
		switch t.kind {
		case TokIdent:
			prop.Name = p.text(t)
		case TokString:
			prop.Name = p.value(t)
		case TokStar:
			prop.Name = "*"
		default:
			p.fail(t, "expected a property name, found %s", p.describe(t))
		}
		p.next()
		p.expect(TokColon)
		prop.Type = p.typeExpr()
		prop.Span = Span{t.pos(), prop.Type.End()}
		o.Props = append(o.Props, prop)
	})
	o.Span = Span{open.pos(), p.expect(TokRBrace).endPos()}
	return o
}

func (p *parser) tupleType() Type {
	open := p.expect(TokLBracket)
	tt := &TupleType{}
	p.elements(TokRBracket, func() {
		p.decorators()
		tt.Items = append(tt.Items, p.typeExpr())
	})
	tt.Span = Span{open.pos(), p.expect(TokRBracket).endPos()}
	return tt
}
