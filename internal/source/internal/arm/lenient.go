package arm

import (
	"errors"
	"sort"
	"strings"

	"github.com/kvguard/kvguard/internal/jsonpos"
)

// ParseJSON parses a template or parameter file as Azure Resource
// Manager does: JSON with comments, and strings that hold raw line breaks
// and other control characters (deployment scripts embed multi-line
// scripts that way). Positions refer to the file as written.
func ParseJSON(data []byte, file string) (*jsonpos.Node, error) {
	root, err := jsonpos.Parse(data, file, true)
	if err == nil {
		return root, nil
	}
	var se *jsonpos.SyntaxError
	if !errors.As(err, &se) || (!strings.Contains(se.Msg, "span lines") && !strings.Contains(se.Msg, "control character")) {
		return nil, err
	}
	fixed, edits := escapeControlChars(data)
	if len(edits) == 0 {
		return nil, err
	}
	root, err2 := jsonpos.Parse(fixed, file, true)
	if err2 != nil {
		if errors.As(err2, &se) {
			se.Pos = remap(se.Pos, edits, lineStarts(data), len(data))
		}
		return nil, err2
	}
	fixPositions(root, edits, lineStarts(data), len(data))
	return root, nil
}

// edit records that the byte at an offset of the escaped data grew by
// extra bytes.
type edit struct {
	at    int // offset in the escaped data where the escape starts
	extra int
}

// escapeControlChars escapes raw control characters inside JSON strings.
func escapeControlChars(data []byte) ([]byte, []edit) {
	const hex = "0123456789abcdef"
	out := make([]byte, 0, len(data)+64)
	var edits []edit
	inString := false
	for i := 0; i < len(data); i++ {
		c := data[i]
		if inString {
			switch {
			case c == '\\' && i+1 < len(data):
				out = append(out, c, data[i+1])
				i++
				continue
			case c == '"':
				inString = false
			case c < 0x20:
				at := len(out)
				switch c {
				case '\n':
					out = append(out, '\\', 'n')
				case '\r':
					out = append(out, '\\', 'r')
				case '\t':
					out = append(out, '\\', 't')
				default:
					out = append(out, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
				}
				edits = append(edits, edit{at: at, extra: len(out) - at - 1})
				continue
			}
			out = append(out, c)
			continue
		}
		switch {
		case c == '"':
			inString = true
		case c == '/' && i+1 < len(data) && data[i+1] == '/':
			j := i
			for j < len(data) && data[j] != '\n' {
				j++
			}
			out = append(out, data[i:j]...)
			i = j - 1
			continue
		case c == '/' && i+1 < len(data) && data[i+1] == '*':
			end := strings.Index(string(data[i+2:]), "*/")
			j := len(data)
			if end >= 0 {
				j = i + 2 + end + 2
			}
			out = append(out, data[i:j]...)
			i = j - 1
			continue
		}
		out = append(out, c)
	}
	return out, edits
}

func lineStarts(data []byte) []int {
	starts := []int{0}
	for i, c := range data {
		if c == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}

// remap converts a position in the escaped data to one in the original.
func remap(p jsonpos.Pos, edits []edit, starts []int, size int) jsonpos.Pos {
	off := int(p.Offset)
	shift := 0
	for _, e := range edits {
		if e.at >= off {
			break
		}
		if off <= e.at+e.extra { // inside the escape itself
			shift += off - e.at
			break
		}
		shift += e.extra
	}
	orig := off - shift
	if orig > size {
		orig = size
	}
	line := sort.Search(len(starts), func(i int) bool { return starts[i] > orig }) // 1-based line
	return jsonpos.Pos{Line: line, Col: orig - starts[line-1] + 1, Offset: int64(orig)}
}

func fixPositions(n *jsonpos.Node, edits []edit, starts []int, size int) {
	if n == nil {
		return
	}
	n.Start = remap(n.Start, edits, starts, size)
	n.End = remap(n.End, edits, starts, size)
	for i := range n.Members {
		n.Members[i].KeyPos = remap(n.Members[i].KeyPos, edits, starts, size)
		fixPositions(n.Members[i].Value, edits, starts, size)
	}
	for _, it := range n.Items {
		fixPositions(it, edits, starts, size)
	}
}
