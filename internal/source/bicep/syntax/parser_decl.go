package syntax

// decorators parses "@expr NL" lines before a declaration.
func (p *parser) decorators() []*Decorator {
	var ds []*Decorator
	for p.at(TokAt) {
		at := p.next()
		x := p.decoratorCall()
		ds = append(ds, &Decorator{Span: Span{at.pos(), x.End()}, Expr: x})
		if !p.at(TokNewline) {
			t := p.peek()
			p.fail(t, "expected a new line after the decorator, found %s", p.describe(t))
		}
		p.skipNewlines()
	}
	return ds
}

func (p *parser) decoratorCall() Expr {
	id := p.ident("a decorator name")
	var cur Expr = id
	if p.at(TokLParen) {
		cur = p.callArgs(nil, id, flagComplex)
	}
	for p.at(TokDot) {
		p.next()
		name := p.ident("a decorator name")
		if p.at(TokLParen) {
			cur = p.callArgs(cur, name, flagComplex)
		} else {
			cur = &PropertyExpr{Span: Span{cur.Pos(), name.End()}, X: cur, Name: name}
		}
	}
	return cur
}

// decl parses one declaration. nested restricts it to a resource inside a
// resource body.
func (p *parser) decl(nested bool) Decl { //nolint:funlen // one case per Bicep declaration keyword
	start := p.peek().pos()
	ds := p.decorators()
	t := p.peek()
	if t.kind != TokIdent {
		p.fail(t, "expected a declaration, found %s", p.describe(t))
	}
	if nested {
		if p.text(t) != "resource" {
			p.fail(t, "expected a nested resource declaration, found %s", p.describe(t))
		}
		return p.resourceDecl(start, ds)
	}
	if p.params {
		return p.paramsDecl(start, ds, t)
	}
	switch p.text(t) {
	case "targetScope":
		p.next()
		p.expect(TokAssign)
		v := p.expr(flagComplex)
		return &TargetScopeDecl{Span: Span{start, v.End()}, Decorated: Decorated{ds}, Value: v}
	case "metadata":
		p.next()
		name := p.ident("a metadata name")
		p.expect(TokAssign)
		v := p.expr(flagComplex)
		return &MetadataDecl{Span: Span{start, v.End()}, Decorated: Decorated{ds}, Name: name, Value: v}
	case "param":
		return p.paramDecl(start, ds)
	case "var":
		return p.varDecl(start, ds)
	case "type":
		p.next()
		name := p.ident("a type name")
		p.expect(TokAssign)
		ty := p.typeExpr()
		return &TypeDecl{Span: Span{start, ty.End()}, Decorated: Decorated{ds}, Name: name, Type: ty}
	case "func":
		return p.funcDecl(start, ds)
	case "resource":
		return p.resourceDecl(start, ds)
	case "module":
		return p.moduleDecl(start, ds)
	case "output":
		return p.outputDecl(start, ds)
	case "import":
		return p.importDecl(start, ds)
	case "extension", "provider":
		p.next()
		return p.extensionDecl(start, ds)
	case "test":
		p.next()
		name := p.ident("a test name")
		path := p.stringLit("a test path")
		p.expect(TokAssign)
		body := p.object(flagComplex)
		return &TestDecl{Span: Span{start, body.End()}, Decorated: Decorated{ds}, Name: name, Path: path, Body: body}
	case "assert":
		p.next()
		name := p.ident("an assertion name")
		p.expect(TokAssign)
		v := p.expr(flagComplex)
		return &AssertDecl{Span: Span{start, v.End()}, Decorated: Decorated{ds}, Name: name, Value: v}
	}
	p.fail(t, "expected a declaration (param, var, resource, module, output, ...), found %s", p.describe(t))
	return nil
}

func (p *parser) paramDecl(start Pos, ds []*Decorator) Decl {
	p.next()
	name := p.ident("a parameter name")
	ty := p.declType(false)
	d := &ParamDecl{Decorated: Decorated{ds}, Name: name, Type: ty}
	end := ty.End()
	if p.at(TokAssign) {
		p.next()
		d.Default = p.expr(flagComplex)
		end = d.Default.End()
	}
	d.Span = Span{start, end}
	return d
}

func (p *parser) varDecl(start Pos, ds []*Decorator) Decl {
	p.next()
	name := p.ident("a variable name")
	d := &VarDecl{Decorated: Decorated{ds}, Name: name}
	if !p.at(TokAssign) {
		d.Type = p.typeExpr()
	}
	p.expect(TokAssign)
	d.Value = p.expr(flagComplex)
	d.Span = Span{start, d.Value.End()}
	return d
}

// declType parses the type of a param or output: a type expression, or
// "resource 'T@v'" (the string optional for outputs).
func (p *parser) declType(output bool) Type {
	if p.atKeyword("resource") && p.peekAt(1).kind != TokLt {
		kw := p.next()
		rt := &ResourceType{Span: Span{kw.pos(), kw.endPos()}}
		if k := p.peek().kind; !output || k == TokString || k == TokStringLeft {
			rt.Type = p.stringLit("a resource type string")
			rt.To = rt.Type.End()
		}
		return rt
	}
	return p.typeExpr()
}

func (p *parser) funcDecl(start Pos, ds []*Decorator) Decl {
	p.next()
	name := p.ident("a function name")
	d := &FuncDecl{Decorated: Decorated{ds}, Name: name}
	p.expect(TokLParen)
	p.skipNewlines()
	for !p.at(TokRParen) {
		pn := p.ident("a parameter name")
		pt := p.typeExpr()
		d.Params = append(d.Params, &TypedParam{Span: Span{pn.Pos(), pt.End()}, Name: pn, Type: pt})
		p.skipNewlines()
		if !p.at(TokComma) {
			break
		}
		p.next()
		p.skipNewlines()
	}
	p.expect(TokRParen)
	d.Result = p.typeExpr()
	p.expect(TokArrow)
	p.lambdaNewlines()
	d.Body = p.expr(flagComplex)
	d.Span = Span{start, d.Body.End()}
	return d
}

// lambdaNewlines skips new lines after "=>" unless a declaration follows
// (then the body is missing and the error should point there).
func (p *parser) lambdaNewlines() {
	if n := p.peekSkipNewlines(); n.kind == TokIdent && declKeywords[p.text(n)] {
		return
	}
	p.skipNewlines()
}

func (p *parser) resourceDecl(start Pos, ds []*Decorator) Decl {
	p.expectKeyword("resource")
	name := p.ident("a resource symbolic name")
	ty := p.stringLit("a resource type string ('Provider/type@version')")
	d := &ResourceDecl{Decorated: Decorated{ds}, Name: name, Type: ty}
	if p.atKeyword("existing") {
		p.next()
		d.Existing = true
	}
	p.expect(TokAssign)
	d.Body = p.declBody(flagComplex | flagResources)
	d.Span = Span{start, d.Body.End()}
	return d
}

func (p *parser) moduleDecl(start Pos, ds []*Decorator) Decl {
	p.next()
	name := p.ident("a module symbolic name")
	path := p.stringLit("a module path string")
	p.expect(TokAssign)
	body := p.declBody(flagComplex)
	return &ModuleDecl{Span: Span{start, body.End()}, Decorated: Decorated{ds}, Name: name, Path: path, Body: body}
}

// declBody parses the value of a resource or module declaration: an
// object, "if (cond) {...}" or "[for ...: {...}]".
func (p *parser) declBody(fl exprFlags) Expr {
	if n := p.peekSkipNewlines(); n.kind == TokIdent && p.text(n) == "if" {
		p.skipNewlines()
	}
	t := p.peek()
	switch {
	case t.kind == TokIdent && p.text(t) == "if":
		return p.ifExpr(fl)
	case t.kind == TokLBrace:
		return p.object(fl)
	case t.kind == TokLBracket:
		return p.forExpr(fl, true)
	}
	p.fail(t, "expected '{', 'if' or '[for', found %s", p.describe(t))
	return nil
}

func (p *parser) outputDecl(start Pos, ds []*Decorator) Decl {
	p.next()
	name := p.ident("an output name")
	ty := p.declType(true)
	p.expect(TokAssign)
	v := p.expr(flagComplex)
	return &OutputDecl{Span: Span{start, v.End()}, Decorated: Decorated{ds}, Name: name, Type: ty, Value: v}
}

func (p *parser) importDecl(start Pos, ds []*Decorator) Decl {
	p.next()
	switch p.peek().kind {
	case TokString, TokStringLeft:
		// The pre-0.23 form of an extension: import 'az@1.0.0' [with] [as].
		return p.extensionDecl(start, ds)
	}
	d := &ImportDecl{Decorated: Decorated{ds}}
	switch {
	case p.at(TokStar):
		p.next()
		p.expectKeyword("as")
		d.Wildcard = p.ident("a namespace name")
	case p.at(TokLBrace):
		p.next()
		p.elements(TokRBrace, func() {
			it := &ImportItem{}
			t := p.peek()
			switch t.kind {
			case TokIdent:
				p.next()
				it.Name = p.text(t)
			case TokString:
				p.next()
				it.Name = p.value(t)
			default:
				p.fail(t, "expected an imported symbol name, found %s", p.describe(t))
			}
			it.From, it.To = t.pos(), t.endPos()
			if p.atKeyword("as") {
				p.next()
				it.Alias = p.ident("an alias")
				it.To = it.Alias.End()
			}
			d.Items = append(d.Items, it)
		})
		p.expect(TokRBrace)
	default:
		t := p.peek()
		p.fail(t, "expected '{' or '*' after import, found %s", p.describe(t))
	}
	p.expectKeyword("from")
	d.From = p.stringLit("a path string")
	d.Span = Span{start, d.From.End()}
	return d
}

func (p *parser) extensionDecl(start Pos, ds []*Decorator) Decl {
	d := &ExtensionDecl{Decorated: Decorated{ds}}
	switch p.peek().kind {
	case TokString, TokStringLeft:
		d.Spec = p.stringLit("an extension")
	case TokIdent:
		d.Spec = p.ident("an extension")
	default:
		t := p.peek()
		p.fail(t, "expected an extension name, found %s", p.describe(t))
	}
	end := d.Spec.End()
	if p.atKeyword("with") {
		p.next()
		d.With = p.object(flagComplex)
		end = d.With.End()
	}
	if p.atKeyword("as") {
		p.next()
		d.Alias = p.ident("an alias")
		end = d.Alias.End()
	}
	d.Span = Span{start, end}
	return d
}

// paramsDecl parses a declaration of a .bicepparam file.
func (p *parser) paramsDecl(start Pos, ds []*Decorator, t token) Decl {
	switch p.text(t) {
	case "using":
		p.next()
		d := &UsingDecl{}
		var end Pos
		if p.atKeyword("none") {
			end = p.next().endPos()
		} else {
			d.Path = p.stringLit("a path string")
			end = d.Path.End()
		}
		if p.atKeyword("with") {
			p.next()
			d.With = p.object(flagComplex)
			end = d.With.End()
		}
		d.Span = Span{start, end}
		return d
	case "extends":
		p.next()
		path := p.stringLit("a path string")
		return &ExtendsDecl{Span: Span{start, path.End()}, Path: path}
	case "param":
		p.next()
		name := p.ident("a parameter name")
		p.expect(TokAssign)
		v := p.expr(flagComplex)
		return &ParamAssign{Span: Span{start, v.End()}, Decorated: Decorated{ds}, Name: name, Value: v}
	case "var":
		return p.varDecl(start, ds)
	case "import":
		return p.importDecl(start, ds)
	case "type":
		p.next()
		name := p.ident("a type name")
		p.expect(TokAssign)
		ty := p.typeExpr()
		return &TypeDecl{Span: Span{start, ty.End()}, Decorated: Decorated{ds}, Name: name, Type: ty}
	case "extension":
		p.next()
		return p.extensionDecl(start, ds)
	case "extensionConfig":
		p.next()
		name := p.ident("an extension alias")
		p.expectKeyword("with")
		obj := p.object(flagComplex)
		return &ExtensionConfigDecl{Span: Span{start, obj.End()}, Name: name, With: obj}
	}
	p.fail(t, "expected using, param, var, import or type in a parameters file, found %s", p.describe(t))
	return nil
}
