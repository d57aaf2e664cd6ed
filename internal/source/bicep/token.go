package bicep

import "strconv"

// Pos is a place in a Bicep source: a byte offset and the 1-based line and
// column (columns count Unicode code points, as editors show them).
type Pos struct {
	Offset int
	Line   int
	Col    int
}

// String renders line:col.
func (p Pos) String() string { return strconv.Itoa(p.Line) + ":" + strconv.Itoa(p.Col) }

// tokenKind is the lexical class of a token.
type tokenKind uint8

const (
	tokEOF tokenKind = iota
	tokNewline
	tokIdent
	tokInt
	tokTrue
	tokFalse
	tokNull
	// String tokens: a string without holes is tokString; an interpolated
	// one is tokStringLeft ('...${), tokStringMiddle (}...${) and
	// tokStringRight (}...').
	tokString
	tokStringLeft
	tokStringMiddle
	tokStringRight
	tokLBrace
	tokRBrace
	tokLParen
	tokRParen
	tokLBracket
	tokRBracket
	tokAt
	tokComma
	tokDot
	tokEllipsis
	tokQuestion
	tokDoubleQuestion
	tokColon
	tokDoubleColon
	tokSemicolon
	tokPlus
	tokMinus
	tokPercent
	tokStar
	tokSlash
	tokHat
	tokBang
	tokNotEq
	tokNotEqI
	tokLt
	tokLe
	tokGt
	tokGe
	tokAssign
	tokEq
	tokEqI
	tokArrow
	tokAnd
	tokOr
	tokPipe
	tokIllegal
)

var tokenNames = [...]string{
	tokEOF: "end of file", tokNewline: "new line", tokIdent: "identifier", tokInt: "integer",
	tokTrue: "true", tokFalse: "false", tokNull: "null",
	tokString: "string", tokStringLeft: "string", tokStringMiddle: "string", tokStringRight: "string",
	tokLBrace: "{", tokRBrace: "}", tokLParen: "(", tokRParen: ")", tokLBracket: "[", tokRBracket: "]",
	tokAt: "@", tokComma: ",", tokDot: ".", tokEllipsis: "...", tokQuestion: "?", tokDoubleQuestion: "??",
	tokColon: ":", tokDoubleColon: "::", tokSemicolon: ";", tokPlus: "+", tokMinus: "-", tokPercent: "%",
	tokStar: "*", tokSlash: "/", tokHat: "^", tokBang: "!", tokNotEq: "!=", tokNotEqI: "!~",
	tokLt: "<", tokLe: "<=", tokGt: ">", tokGe: ">=", tokAssign: "=", tokEq: "==", tokEqI: "=~",
	tokArrow: "=>", tokAnd: "&&", tokOr: "||", tokPipe: "|", tokIllegal: "illegal character",
}

func (k tokenKind) String() string {
	if int(k) < len(tokenNames) {
		return tokenNames[k]
	}
	return "token(" + strconv.Itoa(int(k)) + ")"
}

// token is one lexeme. It holds no pointers (its text is a range of the
// source), so that the token slice of a large file costs the garbage
// collector nothing to scan.
type token struct {
	kind tokenKind
	// multiline marks string tokens of a multi-line string; dollars is
	// the number of dollars that open its holes.
	multiline bool
	dollars   int32
	pos       Pos
	// endPos is the position just past the token.
	endPos Pos
}

// text is the token's source text.
func (t token) text(src string) string { return src[t.pos.Offset:t.endPos.Offset] }

// describe renders the token for "expected X, found Y" messages.
func (t token) describe(src string) string {
	switch t.kind {
	case tokIdent, tokInt:
		return "'" + t.text(src) + "'"
	case tokString, tokStringLeft, tokStringMiddle, tokStringRight:
		return "string"
	}
	return "'" + t.kind.String() + "'"
}

// binaryPrecedence is the binding strength of a binary operator (higher
// binds tighter), or -1 when the token is not one. The levels are the
// grammar's: * / % over + - over comparisons over equality over && over ||
// over ??.
func binaryPrecedence(k tokenKind) int {
	switch k {
	case tokPercent, tokStar, tokSlash:
		return 100
	case tokPlus, tokMinus:
		return 90
	case tokGt, tokGe, tokLt, tokLe:
		return 80
	case tokEq, tokNotEq, tokEqI, tokNotEqI:
		return 70
	case tokAnd:
		return 50
	case tokOr:
		return 40
	case tokDoubleQuestion:
		return 30
	}
	return -1
}
