package syntax

// File is a parsed .bicep or .bicepparam source.
type File struct {
	// Name is the path the source was read from, for messages.
	Name  string
	Decls []Decl
	// Comments are every comment of the source, in order.
	Comments []Comment
	// Lines is the number of lines of the source.
	Lines int
}

// Node is any syntax tree node.
type Node interface {
	// Pos is where the node starts.
	Pos() Pos
	// End is where the node ends: the position just past its last token.
	End() Pos
}

// Span is embedded by nodes to record their extent.
type Span struct{ From, To Pos }

// Pos is where the node starts.
func (s Span) Pos() Pos { return s.From }

// End is where the node ends.
func (s Span) End() Pos { return s.To }

// Decl is a top-level statement (or a resource nested in a resource body).
type Decl interface {
	Node
	declNode()
}

// Expr is an expression.
type Expr interface {
	Node
	exprNode()
}

// Type is a type expression.
type Type interface {
	Node
	typeNode()
}

// Ident is an identifier.
type Ident struct {
	Span
	Name string
}

// Decorator is "@expr" before a declaration; Expr is a call, possibly
// namespace-qualified (@sys.description('...')).
type Decorator struct {
	Span
	Expr Expr
}

// Decorated is embedded by declarations that can carry decorators.
type Decorated struct {
	Decorators []*Decorator
}

// TargetScopeDecl is "targetScope = expr".
type TargetScopeDecl struct {
	Span
	Decorated
	Value Expr
}

// MetadataDecl is "metadata name = expr".
type MetadataDecl struct {
	Span
	Decorated
	Name  *Ident
	Value Expr
}

// ParamDecl is "param name type [= default]". ResourceType is set for the
// "param name resource 'T@v'" form.
type ParamDecl struct {
	Span
	Decorated
	Name    *Ident
	Type    Type
	Default Expr
}

// VarDecl is "var name [type] = expr".
type VarDecl struct {
	Span
	Decorated
	Name  *Ident
	Type  Type
	Value Expr
}

// TypeDecl is "type name = typeExpr".
type TypeDecl struct {
	Span
	Decorated
	Name *Ident
	Type Type
}

// FuncDecl is "func name(params) resultType => body".
type FuncDecl struct {
	Span
	Decorated
	Name   *Ident
	Params []*TypedParam
	Result Type
	Body   Expr
}

// TypedParam is one "name type" parameter of a user-defined function.
type TypedParam struct {
	Span
	Name *Ident
	Type Type
}

// ResourceDecl is "resource sym 'Type@version' [existing] = body", where
// Body is an *ObjectExpr, an *IfExpr or a *ForExpr.
type ResourceDecl struct {
	Span
	Decorated
	Name     *Ident
	Type     *StringExpr
	Existing bool
	Body     Expr
}

// ModuleDecl is "module sym 'path' = body".
type ModuleDecl struct {
	Span
	Decorated
	Name *Ident
	Path *StringExpr
	Body Expr
}

// OutputDecl is "output name type = expr" (Type is a *ResourceType for
// "output name resource 'T@v' = expr").
type OutputDecl struct {
	Span
	Decorated
	Name  *Ident
	Type  Type
	Value Expr
}

// ImportDecl is "import {a, b as c} from 'path'" or "import * as ns from
// 'path'" (Wildcard set), or the older "import 'ext@1.0' ..." extension form.
type ImportDecl struct {
	Span
	Decorated
	Items    []*ImportItem
	Wildcard *Ident
	From     *StringExpr
}

// ImportItem is one imported symbol: Name (an identifier or a string) and
// its optional alias.
type ImportItem struct {
	Span
	Name  string
	Alias *Ident
}

// ExtensionDecl is "extension spec [with {...}] [as alias]".
type ExtensionDecl struct {
	Span
	Decorated
	Spec  Expr
	With  *ObjectExpr
	Alias *Ident
}

// TestDecl is "test name 'path' = {...}".
type TestDecl struct {
	Span
	Decorated
	Name *Ident
	Path *StringExpr
	Body Expr
}

// AssertDecl is "assert name = expr".
type AssertDecl struct {
	Span
	Decorated
	Name  *Ident
	Value Expr
}

// UsingDecl is a .bicepparam "using 'path'" (Path nil for "using none").
type UsingDecl struct {
	Span
	Path *StringExpr
	With *ObjectExpr
}

// ExtendsDecl is a .bicepparam "extends 'path'".
type ExtendsDecl struct {
	Span
	Path *StringExpr
}

// ParamAssign is a .bicepparam "param name = expr".
type ParamAssign struct {
	Span
	Decorated
	Name  *Ident
	Value Expr
}

// ExtensionConfigDecl is a .bicepparam "extensionConfig alias with {...}".
type ExtensionConfigDecl struct {
	Span
	Name *Ident
	With *ObjectExpr
}

func (*TargetScopeDecl) declNode()     {}
func (*MetadataDecl) declNode()        {}
func (*ParamDecl) declNode()           {}
func (*VarDecl) declNode()             {}
func (*TypeDecl) declNode()            {}
func (*FuncDecl) declNode()            {}
func (*ResourceDecl) declNode()        {}
func (*ModuleDecl) declNode()          {}
func (*OutputDecl) declNode()          {}
func (*ImportDecl) declNode()          {}
func (*ExtensionDecl) declNode()       {}
func (*TestDecl) declNode()            {}
func (*AssertDecl) declNode()          {}
func (*UsingDecl) declNode()           {}
func (*ExtendsDecl) declNode()         {}
func (*ParamAssign) declNode()         {}
func (*ExtensionConfigDecl) declNode() {}
