package resource

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Printable returns s with every rune a terminal would act on instead of
// show written as a Go escape (\x1b, \n, \u202e): C0 and C1 controls, DEL,
// the line and paragraph separators, bidi embeddings, overrides and
// isolates, and bytes that are not UTF-8. Text without them is returned as
// is. Messages pass through it before they reach stderr, so a file named
// "a\x1b[31mb\n.json" can neither colour the terminal nor forge a line.
func Printable(s string) string {
	if printable(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			b.WriteString(`\x`)
			b.WriteString(strconv.FormatUint(uint64(s[i])|0x100, 16)[1:])
		case unsafeRune(r):
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// QuoteName is a file name or resource ID as messages print it: as is when
// every rune is printable, otherwise Go-quoted ("a\x1b[31mb\n.json"), so
// the reader sees the escapes and where the name begins and ends.
func QuoteName(s string) string {
	if printable(s) {
		return s
	}
	return strconv.QuoteToASCII(s)
}

func printable(s string) bool {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n <= 1) || unsafeRune(r) {
			return false
		}
		i += n
	}
	return true
}

// unsafeRune reports the runes a terminal interprets: controls, DEL, the
// Unicode line and paragraph separators and the bidi formatting runes.
func unsafeRune(r rune) bool {
	return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0x2028 || r == 0x2029 ||
		r == 0x061c || r == 0x200e || r == 0x200f ||
		(r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}
