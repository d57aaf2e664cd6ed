package syntax

import (
	"strings"
	"unicode/utf8"

	"github.com/kvguard/kvguard/internal/resource"
)

// Comment is a // or /* */ comment of a source, kept for kvguard:ignore
// suppressions.
type Comment struct {
	Pos     Pos
	EndLine int
	Text    string
	// OwnLine is true when nothing but white space precedes the comment on
	// its line: such a comment annotates the declaration below it.
	OwnLine bool
}

// maxErrors caps the syntax errors reported per file: after a few, the
// rest are usually consequences of the first.
const maxErrors = 10

// templateEntry tracks an open interpolation hole or an object brace
// inside one, so that '}' can tell "close the hole" from "close the
// object" (the lexer is modal, as Bicep's is).
type templateEntry struct {
	brace     bool
	multiline bool
	dollars   int
}

type lexer struct {
	src       string
	file      string
	off       int
	line      int
	lineStart int
	// colOff/colVal cache the column of an offset on the current line so
	// that computing columns stays linear on very long lines.
	colOff, colVal int
	stack          []templateEntry
	toks           []token
	comments       []Comment
	errs           []error
	// strMulti and strDollars describe the string segment scan just read.
	strMulti   bool
	strDollars int
}

// lex splits src into tokens, always ending with TokEOF.
func lex(src, file string) *lexer {
	// About one token per five bytes in typical Bicep; sizing the slice
	// up front saves the copies of growing it.
	l := &lexer{src: src, file: file, line: 1, toks: make([]token, 0, len(src)/5+16)}
	if strings.HasPrefix(src, "\uFEFF") {
		l.off = len("\uFEFF")
		l.lineStart = l.off
	}
	l.colOff = l.lineStart
	l.colVal = 1
	for {
		t := l.next()
		l.toks = append(l.toks, t)
		if t.kind == TokEOF {
			return l
		}
	}
}

// posAt returns the position of byte offset off, which must lie on the
// current line at or after the last offset asked for.
func (l *lexer) posAt(off int) Pos {
	if off < l.colOff || l.colOff < l.lineStart {
		l.colOff, l.colVal = l.lineStart, 1
	}
	l.colVal += utf8.RuneCountInString(l.src[l.colOff:off])
	l.colOff = off
	return Pos{Offset: off, Line: l.line, Col: l.colVal}
}

func (l *lexer) errorAt(p Pos, format string, args ...any) {
	if len(l.errs) < maxErrors {
		l.errs = append(l.errs, resource.Errorf(resource.Position{File: l.file, Line: p.Line, Col: p.Col}, format, args...))
	}
}

func (l *lexer) peek(i int) byte {
	if l.off+i < len(l.src) {
		return l.src[l.off+i]
	}
	return 0
}

// newline advances over one line break (\n, \r or \r\n) and starts a new
// line.
func (l *lexer) newline() {
	if l.src[l.off] == '\r' && l.peek(1) == '\n' {
		l.off++
	}
	l.off++
	l.line++
	l.lineStart = l.off
}

// onlySpaceBefore reports whether only blanks precede off on its line.
func (l *lexer) onlySpaceBefore(off int) bool {
	return strings.TrimLeft(l.src[l.lineStart:off], " \t") == ""
}

// skipTrivia skips blanks, comments and #disable-next-line style pragmas.
func (l *lexer) skipTrivia() {
	for l.off < len(l.src) {
		c := l.src[l.off]
		switch {
		case c == ' ' || c == '\t':
			l.off++
		case c == '/' && l.peek(1) == '/':
			start := l.off
			p := l.posAt(start)
			own := l.onlySpaceBefore(start)
			for l.off < len(l.src) && l.src[l.off] != '\n' && l.src[l.off] != '\r' {
				l.off++
			}
			l.comments = append(l.comments, Comment{Pos: p, EndLine: p.Line, Text: l.src[start:l.off], OwnLine: own})
		case c == '/' && l.peek(1) == '*':
			l.blockComment()
		case c == '#' && len(l.stack) == 0 && l.onlySpaceBefore(l.off) && isIdentStart(l.peek(1)):
			// A directive such as #disable-next-line BCP081: trivia to the
			// end of the line.
			for l.off < len(l.src) && l.src[l.off] != '\n' && l.src[l.off] != '\r' {
				l.off++
			}
		default:
			return
		}
	}
}

func (l *lexer) blockComment() {
	start := l.off
	p := l.posAt(start)
	own := l.onlySpaceBefore(start)
	l.off += 2
	for {
		if l.off >= len(l.src) {
			l.errorAt(p, "unterminated multi-line comment")
			break
		}
		c := l.src[l.off]
		if c == '*' && l.peek(1) == '/' {
			l.off += 2
			break
		}
		if c == '\n' || c == '\r' {
			l.newline()
			continue
		}
		l.off++
	}
	l.comments = append(l.comments, Comment{Pos: p, EndLine: l.line, Text: l.src[start:l.off], OwnLine: own})
}

func (l *lexer) next() token {
	l.skipTrivia()
	start := l.off
	if l.off >= len(l.src) {
		p := l.posAt(start)
		return token{kind: TokEOF, start: packPos(p), end: packPos(p)}
	}
	p := l.posAt(start)
	c := l.src[l.off]
	if c == '\n' || c == '\r' {
		if len(l.stack) > 0 && !l.stack[len(l.stack)-1].brace {
			// A hole of a single-line string cannot span lines.
			l.errorAt(p, "unterminated string: new line in an interpolation")
			l.stack = l.stack[:0]
		}
		for l.off < len(l.src) && (l.src[l.off] == '\n' || l.src[l.off] == '\r') {
			l.newline()
		}
		return token{kind: TokNewline, start: packPos(p), end: packPos(p)}
	}
	kind := l.scan(c, p)
	t := token{kind: kind, start: packPos(p), end: packPos(l.posAt(l.off))}
	return l.decorate(t)
}

// decorate records what scan learnt about a string token and reports
// illegal characters.
func (l *lexer) decorate(t token) token {
	switch t.kind {
	case TokString, TokStringLeft, TokStringMiddle, TokStringRight:
		t.multiline, t.dollars = l.strMulti, int32(l.strDollars)
	case TokIllegal:
		if text := t.text(l.src); text == `"` {
			l.errorAt(t.pos(), `strings use single quotes: unexpected '"'`)
		} else {
			l.errorAt(t.pos(), "unexpected character %q", text)
		}
	}
	return t
}

// singleTokens are the one-character tokens that never start a longer
// one.
var singleTokens = [256]TokenKind{
	'(': TokLParen, ')': TokRParen, '[': TokLBracket, ']': TokRBracket, '@': TokAt, ',': TokComma,
	';': TokSemicolon, '+': TokPlus, '-': TokMinus, '%': TokPercent, '*': TokStar, '/': TokSlash, '^': TokHat,
}

// pairToken describes a character that may start a two-character token:
// what it is alone (TokIllegal for '&') and what it makes with each
// second character.
type pairToken struct {
	alone TokenKind
	next  map[byte]TokenKind
}

// pairTokens are the characters that may start two-character tokens.
var pairTokens = [256]*pairToken{
	'?': {TokQuestion, map[byte]TokenKind{'?': TokDoubleQuestion}},
	':': {TokColon, map[byte]TokenKind{':': TokDoubleColon}},
	'<': {TokLt, map[byte]TokenKind{'=': TokLe}},
	'>': {TokGt, map[byte]TokenKind{'=': TokGe}},
	'&': {TokIllegal, map[byte]TokenKind{'&': TokAnd}},
	'|': {TokPipe, map[byte]TokenKind{'|': TokOr}},
	'!': {TokBang, map[byte]TokenKind{'=': TokNotEq, '~': TokNotEqI}},
	'=': {TokAssign, map[byte]TokenKind{'=': TokEq, '~': TokEqI, '>': TokArrow}},
}

// scan reads one token starting with c (already known not to be trivia or
// a line break) and returns its kind.
func (l *lexer) scan(c byte, p Pos) TokenKind {
	l.off++
	if k := singleTokens[c]; k != TokEOF {
		return k
	}
	if pt := pairTokens[c]; pt != nil {
		if k, ok := pt.next[l.peek(0)]; ok {
			l.off++
			return k
		}
		return pt.alone
	}
	switch c {
	case '{':
		if len(l.stack) > 0 {
			// Inside a hole, remember the brace so that its '}' closes
			// the object, not the hole.
			l.stack = append(l.stack, templateEntry{brace: true})
		}
		return TokLBrace
	case '}':
		return l.closeBrace(p)
	case '.':
		if l.peek(0) == '.' && l.peek(1) == '.' {
			l.off += 2
			return TokEllipsis
		}
		return TokDot
	case '\'':
		return l.quote(p)
	case '$':
		return l.dollar(p)
	}
	switch {
	case isDigit(c):
		for isDigit(l.peek(0)) {
			l.off++
		}
		return TokInt
	case isIdentStart(c):
		for isIdentContinue(l.peek(0)) {
			l.off++
		}
		switch l.src[p.Offset:l.off] {
		case "true":
			return TokTrue
		case "false":
			return TokFalse
		case "null":
			return TokNull
		}
		return TokIdent
	}
	// Swallow a whole UTF-8 sequence so the message shows the character.
	_, size := utf8.DecodeRuneInString(l.src[p.Offset:])
	l.off = p.Offset + max(size, 1)
	return TokIllegal
}

// quote scans a string after its opening quote: three quotes start a
// multi-line string, one a single-line string (whose holes are tracked on
// the stack).
func (l *lexer) quote(p Pos) TokenKind {
	if l.peek(0) == '\'' && l.peek(1) == '\'' {
		l.off += 2
		l.strMulti, l.strDollars = true, 0
		return l.multilineSegment(true, 0, p)
	}
	l.strMulti, l.strDollars = false, 0
	k := l.stringSegment(true, p)
	if k == TokStringLeft {
		l.stack = append(l.stack, templateEntry{})
	}
	return k
}

// dollar scans a multi-line string opened with one or more dollars before
// its three quotes; its holes open with as many dollars and a brace.
func (l *lexer) dollar(p Pos) TokenKind {
	dollars := 1
	for l.peek(0) == '$' {
		l.off++
		dollars++
	}
	if l.peek(0) != '\'' || l.peek(1) != '\'' || l.peek(2) != '\'' {
		return TokIllegal
	}
	l.off += 3
	l.strMulti, l.strDollars = true, dollars
	k := l.multilineSegment(true, dollars, p)
	if k == TokStringLeft {
		l.stack = append(l.stack, templateEntry{multiline: true, dollars: dollars})
	}
	return k
}

func isDigit(c byte) bool      { return c >= '0' && c <= '9' }
func isHexDigit(c byte) bool   { return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }
func isIdentStart(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' }
func isIdentContinue(c byte) bool {
	return isIdentStart(c) || isDigit(c)
}
