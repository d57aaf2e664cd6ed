package syntax

import (
	"strconv"
	"strings"
)

// closeBrace handles '}': the end of an object, or the end of an
// interpolation hole, after which the string continues.
func (l *lexer) closeBrace(p Pos) TokenKind {
	if n := len(l.stack); n > 0 {
		top := l.stack[n-1]
		if top.brace {
			l.stack = l.stack[:n-1]
			return TokRBrace
		}
		var k TokenKind
		l.strMulti, l.strDollars = top.multiline, top.dollars
		if top.multiline {
			k = l.multilineSegment(false, top.dollars, p)
		} else {
			k = l.stringSegment(false, p)
		}
		if k == TokStringRight {
			l.stack = l.stack[:n-1]
		}
		return k
	}
	return TokRBrace
}

// stringSegment scans a single-line string segment after its opening
// quote (first) or after the '}' closing a hole.
func (l *lexer) stringSegment(first bool, p Pos) TokenKind {
	done, more := TokString, TokStringLeft
	if !first {
		done, more = TokStringRight, TokStringMiddle
	}
	for {
		if l.off >= len(l.src) {
			l.errorAt(p, "unterminated string")
			return done
		}
		c := l.src[l.off]
		switch {
		case c == '\n' || c == '\r':
			l.errorAt(p, "unterminated string: strings cannot span lines (use ''' for multi-line strings)")
			return done
		case c == '\'':
			l.off++
			return done
		case c == '$' && l.peek(1) == '{':
			l.off += 2
			return more
		case c == '\\':
			if n := escapeLen(l.src[l.off:]); n > 0 {
				l.off += n
				continue
			}
			l.errorAt(l.posAt(l.off), `invalid escape sequence: use \\, \', \n, \r, \t, \$ or \u{...}`)
			l.off++
			if l.off < len(l.src) && l.src[l.off] != '\n' && l.src[l.off] != '\r' {
				l.off++
			}
		default:
			l.off++
		}
	}
}

// multilineSegment scans a segment of a multi-line (triple-quoted)
// string. dollars > 0 makes it an interpolating string, whose holes open
// with that many dollars and a brace.
func (l *lexer) multilineSegment(first bool, dollars int, p Pos) TokenKind {
	done, more := TokString, TokStringLeft
	if !first {
		done, more = TokStringRight, TokStringMiddle
	}
	for l.off < len(l.src) {
		c := l.src[l.off]
		switch c {
		case '$':
			n := 0
			for l.peek(0) == '$' {
				l.off++
				n++
			}
			if dollars > 0 && n >= dollars && l.peek(0) == '{' {
				l.off++
				return more
			}
		case '\'':
			n := 0
			for l.peek(0) == '\'' {
				l.off++
				n++
			}
			if n >= 3 {
				return done
			}
		case '\n', '\r':
			l.newline()
		default:
			l.off++
		}
	}
	l.errorAt(p, "unterminated multi-line string")
	return done
}

// stringValue decodes a string token of src into its value: delimiters
// removed, escapes resolved (single-line strings), the line break after
// an opening triple quote dropped (multi-line strings).
func stringValue(src string, t token) string {
	text := t.text(src)
	first := t.kind == TokString || t.kind == TokStringLeft
	closed := t.kind == TokString || t.kind == TokStringRight
	if text == "" {
		return ""
	}
	if !t.multiline {
		// Strip the delimiters: ' or } at the start, ' or ${ at the end.
		text = text[1:]
		if closed {
			text = strings.TrimSuffix(text, "'")
		} else {
			text = strings.TrimSuffix(text, "${")
		}
		return unescape(text)
	}
	if first {
		text = strings.TrimPrefix(text[min(int(t.dollars), len(text)):], "'''")
		// A line break right after the opening quotes is not content.
		text = strings.TrimPrefix(text, "\r")
		text = strings.TrimPrefix(text, "\n")
	} else {
		text = text[1:]
	}
	if closed {
		text = strings.TrimSuffix(text, "'''")
	} else {
		// Only the interpolation's own dollars open the hole; more are
		// literal text.
		text = strings.TrimSuffix(text, strings.Repeat("$", int(t.dollars))+"{")
	}
	return text
}

// escapeLen is the length of the valid escape sequence at the start of s
// (which begins with a backslash), or 0.
func escapeLen(s string) int {
	if len(s) < 2 {
		return 0
	}
	switch s[1] {
	case 'n', 'r', 't', '\\', '\'':
		return 2
	case '$':
		return 2
	case 'u':
		if len(s) < 4 || s[2] != '{' {
			return 0
		}
		i := 3
		for i < len(s) && isHexDigit(s[i]) {
			i++
		}
		if i == 3 || i >= len(s) || s[i] != '}' {
			return 0
		}
		v, err := strconv.ParseUint(s[3:i], 16, 32)
		if err != nil || v > 0x10FFFF {
			return 0
		}
		return i + 1
	}
	return 0
}

// unescape resolves the escape sequences of a single-line string segment.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		n := escapeLen(s[i:])
		if n == 0 {
			b.WriteByte(c)
			continue
		}
		switch s[i+1] {
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case '\\', '\'', '$':
			b.WriteByte(s[i+1])
		case 'u':
			v, _ := strconv.ParseUint(s[i+3:i+n-1], 16, 32)
			b.WriteRune(rune(v))
		}
		i += n - 1
	}
	return b.String()
}
