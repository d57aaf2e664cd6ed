package syntax

// IntLit is an integer literal (Bicep has no fractional literals).
type IntLit struct {
	Span
	Value int64
	Text  string
}

// BoolLit is true or false.
type BoolLit struct {
	Span
	Value bool
}

// NullLit is null.
type NullLit struct{ Span }

// StringExpr is a string, possibly interpolated: Parts are the literal
// pieces around the holes (len(Parts) == len(Exprs)+1).
type StringExpr struct {
	Span
	Parts     []string
	Exprs     []Expr
	Multiline bool
}

// Literal returns the value of a string without holes.
func (s *StringExpr) Literal() (string, bool) {
	if len(s.Exprs) != 0 {
		return "", false
	}
	return s.Parts[0], true
}

// ArrayExpr is "[a, b]" or a newline-separated array.
type ArrayExpr struct {
	Span
	Items []*ArrayItem
}

// ArrayItem is an element, or "...expr" when Spread.
type ArrayItem struct {
	Span
	Spread bool
	Value  Expr
}

// ObjectExpr is "{ key: value ... }". Items hold *ObjectProp values and,
// in a resource body, nested *ResourceDecl values, in source order.
type ObjectExpr struct {
	Span
	Items []Node
}

// ObjectProp is "key: value" (Key is an *Ident or a *StringExpr) or
// "...expr" when Spread.
type ObjectProp struct {
	Span
	Key    Expr
	Value  Expr
	Spread bool
}

// KeyName returns the property name when the key is an identifier or a
// string without holes.
func (p *ObjectProp) KeyName() (string, bool) {
	switch k := p.Key.(type) {
	case *Ident:
		return k.Name, true
	case *StringExpr:
		return k.Literal()
	}
	return "", false
}

// ForExpr is "[for item in expr: body]" or "[for (item, index) in expr:
// body]"; Body is an expression, or an *IfExpr for a filtered loop.
type ForExpr struct {
	Span
	Item  *Ident
	Index *Ident
	Iter  Expr
	Body  Expr
}

// IfExpr is "if (cond) { ... }" in a resource or module declaration.
type IfExpr struct {
	Span
	Cond Expr
	Body *ObjectExpr
}

// UnaryExpr is "!x", "-x" or "+x".
type UnaryExpr struct {
	Span
	Op TokenKind
	X  Expr
}

// BinaryExpr is "x op y".
type BinaryExpr struct {
	Span
	Op   TokenKind
	X, Y Expr
}

// TernaryExpr is "cond ? then : else".
type TernaryExpr struct {
	Span
	Cond, Then, Else Expr
}

// ParenExpr is "(x)".
type ParenExpr struct {
	Span
	X Expr
}

// CallExpr is "name(args)" or, with Recv set, "recv.name(args)": a
// namespace-qualified function (sys.concat, az.resourceGroup) or a method
// on a value (kv.getSecret, mod.outputs.x.foo).
type CallExpr struct {
	Span
	Recv Expr
	Name *Ident
	Args []Expr
}

// PropertyExpr is "x.name" or "x.?name" (Safe).
type PropertyExpr struct {
	Span
	X    Expr
	Name *Ident
	Safe bool
}

// IndexExpr is "x[i]", "x[?i]" (Safe) or "x[^i]" (FromEnd).
type IndexExpr struct {
	Span
	X       Expr
	Index   Expr
	Safe    bool
	FromEnd bool
}

// ResourceAccessExpr is "parent::child".
type ResourceAccessExpr struct {
	Span
	X    Expr
	Name *Ident
}

// NonNullExpr is "x!".
type NonNullExpr struct {
	Span
	X Expr
}

// LambdaExpr is "x => body" or "(x, y) => body".
type LambdaExpr struct {
	Span
	Params []*Ident
	Body   Expr
}

func (*Ident) exprNode()              {}
func (*IntLit) exprNode()             {}
func (*BoolLit) exprNode()            {}
func (*NullLit) exprNode()            {}
func (*StringExpr) exprNode()         {}
func (*ArrayExpr) exprNode()          {}
func (*ObjectExpr) exprNode()         {}
func (*ForExpr) exprNode()            {}
func (*IfExpr) exprNode()             {}
func (*UnaryExpr) exprNode()          {}
func (*BinaryExpr) exprNode()         {}
func (*TernaryExpr) exprNode()        {}
func (*ParenExpr) exprNode()          {}
func (*CallExpr) exprNode()           {}
func (*PropertyExpr) exprNode()       {}
func (*IndexExpr) exprNode()          {}
func (*ResourceAccessExpr) exprNode() {}
func (*NonNullExpr) exprNode()        {}
func (*LambdaExpr) exprNode()         {}

// TypeName is a named type: string, sys.int, myType, mod.someType.
type TypeName struct {
	Span
	Parts []string
}

// LiteralType is a literal used as a type ('a', 1, true, null, -1).
type LiteralType struct {
	Span
	Value Expr
}

// UnionType is "a | b | c".
type UnionType struct {
	Span
	Members []Type
}

// ArrayType is "elem[]".
type ArrayType struct {
	Span
	Elem Type
}

// NullableType is "t?"; NonNullableType is "t!".
type NullableType struct {
	Span
	X Type
}

// NonNullableType is "t!".
type NonNullableType struct {
	Span
	X Type
}

// ObjectType is "{ name: type ... }".
type ObjectType struct {
	Span
	Props []*ObjectTypeProp
}

// ObjectTypeProp is one property of an object type; Name is "*" for the
// additional-properties matcher.
type ObjectTypeProp struct {
	Span
	Decorated
	Name string
	Type Type
}

// TupleType is "[ t1 \n t2 ]".
type TupleType struct {
	Span
	Items []Type
}

// ParenType is "(t)".
type ParenType struct {
	Span
	X Type
}

// ResourceType is "resource 'T@v'" in a param or output declaration (Type
// may be nil for an output).
type ResourceType struct {
	Span
	Type *StringExpr
}

// GenericType is "name<args>": resourceInput<'T@v'>, resourceOutput<...>.
type GenericType struct {
	Span
	Recv Type
	Name string
	Args []Type
}

// TypeAccess is "t.prop", "t[0]", "t[*]" or "t.*".
type TypeAccess struct {
	Span
	X     Type
	Prop  string
	Index Expr
	Items bool
	Extra bool
}

func (*TypeName) typeNode()        {}
func (*LiteralType) typeNode()     {}
func (*UnionType) typeNode()       {}
func (*ArrayType) typeNode()       {}
func (*NullableType) typeNode()    {}
func (*NonNullableType) typeNode() {}
func (*ObjectType) typeNode()      {}
func (*TupleType) typeNode()       {}
func (*ParenType) typeNode()       {}
func (*ResourceType) typeNode()    {}
func (*GenericType) typeNode()     {}
func (*TypeAccess) typeNode()      {}
