package table

import (
	"strings"
	"unicode/utf8"
)

// Wrap breaks s into lines for a terminal: the first at most first
// runes, the others at most rest. Lines break between words; a word
// longer than a line (a resource ID, a path) is cut, so that no line is
// wider than asked. A limit below 1 leaves s on one line.
func Wrap(s string, first, rest int) []string {
	if first < 1 || rest < 1 || utf8.RuneCountInString(s) <= first {
		return []string{s}
	}
	var lines []string
	var cur strings.Builder
	n, limit := 0, first
	flush := func() {
		lines = append(lines, cur.String())
		cur.Reset()
		n, limit = 0, rest
	}
	for _, word := range strings.Fields(s) {
		w := utf8.RuneCountInString(word)
		if n > 0 && n+1+w > limit {
			flush()
		}
		if n > 0 {
			cur.WriteByte(' ')
			n++
		}
		for w > limit-n {
			// Cut a word that does not fit on a line of its own.
			if n > 0 && w <= limit {
				flush()
				continue
			}
			cut := byteIndexOfRune(word, limit-n)
			cur.WriteString(word[:cut])
			word = word[cut:]
			w = utf8.RuneCountInString(word)
			flush()
		}
		cur.WriteString(word)
		n += w
	}
	if n > 0 || len(lines) == 0 {
		lines = append(lines, cur.String())
	}
	return lines
}

func byteIndexOfRune(s string, runes int) int {
	i := 0
	for j := range s {
		if i == runes {
			return j
		}
		i++
	}
	return len(s)
}

// Styles colour the table on a terminal: ANSI SGR sequences around a
// word already padded to its column, so that colour never changes the
// layout. The zero value colours nothing.
type Styles struct{ On bool }

// status colours a verdict.
func (s Styles) status(word string, st string) string {
	if !s.On {
		return word
	}
	code := map[string]string{"Unhealthy": "31", "Unknown": "33", "Exempt": "36", "Healthy": "32", "NotApplicable": "2"}[st]
	return paint(word, code)
}

// severity colours a severity.
func (s Styles) severity(word string, sev string) string {
	if !s.On {
		return word
	}
	code := map[string]string{"High": "1;31", "Medium": "33", "Low": "2"}[sev]
	return paint(word, code)
}

func paint(word, code string) string {
	if code == "" {
		return word
	}
	// Colour the word, not the padding after it.
	trimmed := strings.TrimRight(word, " ")
	return "\x1b[" + code + "m" + trimmed + "\x1b[0m" + word[len(trimmed):]
}
