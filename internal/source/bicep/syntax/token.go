package syntax

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

// TokenKind is the lexical class of a token.
type TokenKind uint8

// The token kinds.
const (
	TokEOF TokenKind = iota
	TokNewline
	TokIdent
	TokInt
	TokTrue
	TokFalse
	TokNull
	// TokString is a string without holes; an interpolated string is
	// TokStringLeft ('...${), TokStringMiddle (}...${) and
	// TokStringRight (}...').
	TokString
	TokStringLeft
	TokStringMiddle
	TokStringRight
	TokLBrace
	TokRBrace
	TokLParen
	TokRParen
	TokLBracket
	TokRBracket
	TokAt
	TokComma
	TokDot
	TokEllipsis
	TokQuestion
	TokDoubleQuestion
	TokColon
	TokDoubleColon
	TokSemicolon
	TokPlus
	TokMinus
	TokPercent
	TokStar
	TokSlash
	TokHat
	TokBang
	TokNotEq
	TokNotEqI
	TokLt
	TokLe
	TokGt
	TokGe
	TokAssign
	TokEq
	TokEqI
	TokArrow
	TokAnd
	TokOr
	TokPipe
	TokIllegal
)

var tokenNames = [...]string{
	TokEOF: "end of file", TokNewline: "new line", TokIdent: "identifier", TokInt: "integer",
	TokTrue: "true", TokFalse: "false", TokNull: "null",
	TokString: "string", TokStringLeft: "string", TokStringMiddle: "string", TokStringRight: "string",
	TokLBrace: "{", TokRBrace: "}", TokLParen: "(", TokRParen: ")", TokLBracket: "[", TokRBracket: "]",
	TokAt: "@", TokComma: ",", TokDot: ".", TokEllipsis: "...", TokQuestion: "?", TokDoubleQuestion: "??",
	TokColon: ":", TokDoubleColon: "::", TokSemicolon: ";", TokPlus: "+", TokMinus: "-", TokPercent: "%",
	TokStar: "*", TokSlash: "/", TokHat: "^", TokBang: "!", TokNotEq: "!=", TokNotEqI: "!~",
	TokLt: "<", TokLe: "<=", TokGt: ">", TokGe: ">=", TokAssign: "=", TokEq: "==", TokEqI: "=~",
	TokArrow: "=>", TokAnd: "&&", TokOr: "||", TokPipe: "|", TokIllegal: "illegal character",
}

func (k TokenKind) String() string {
	if int(k) < len(tokenNames) {
		return tokenNames[k]
	}
	return "token(" + strconv.Itoa(int(k)) + ")"
}

// token is one lexeme. It holds no pointers (its text is a range of the
// source), so that the token slice of a large file costs the garbage
// collector nothing to scan.
type token struct {
	kind TokenKind
	// multiline marks string tokens of a multi-line string; dollars is
	// the number of dollars that open its holes.
	multiline bool
	dollars   int32
	// start and end (just past the token) are its positions, packed: a
	// file has millions of tokens, and they are most of what lexing
	// allocates (parse refuses sources past maxSource).
	start, end packedPos
}

// packedPos is a Pos in 32-bit fields.
type packedPos struct{ off, line, col int32 }

func packPos(p Pos) packedPos { return packedPos{int32(p.Offset), int32(p.Line), int32(p.Col)} }

func (p packedPos) unpack() Pos { return Pos{Offset: int(p.off), Line: int(p.line), Col: int(p.col)} }

// pos is where the token starts.
func (t token) pos() Pos { return t.start.unpack() }

// endPos is the position just past the token.
func (t token) endPos() Pos { return t.end.unpack() }

// text is the token's source text.
func (t token) text(src string) string { return src[t.start.off:t.end.off] }

// describe renders the token for "expected X, found Y" messages.
func (t token) describe(src string) string {
	switch t.kind {
	case TokIdent, TokInt:
		return "'" + t.text(src) + "'"
	case TokString, TokStringLeft, TokStringMiddle, TokStringRight:
		return "string"
	}
	return "'" + t.kind.String() + "'"
}

// binaryPrecedence is the binding strength of a binary operator (higher
// binds tighter), or -1 when the token is not one. The levels are the
// grammar's: * / % over + - over comparisons over equality over && over ||
// over ??.
func binaryPrecedence(k TokenKind) int {
	switch k {
	case TokPercent, TokStar, TokSlash:
		return 100
	case TokPlus, TokMinus:
		return 90
	case TokGt, TokGe, TokLt, TokLe:
		return 80
	case TokEq, TokNotEq, TokEqI, TokNotEqI:
		return 70
	case TokAnd:
		return 50
	case TokOr:
		return 40
	case TokDoubleQuestion:
		return 30
	}
	return -1
}
