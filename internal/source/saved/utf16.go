package saved

import (
	"bufio"
	"errors"
	"io"
	"unicode/utf16"
	"unicode/utf8"
)

// utf16Reader transcodes UTF-16 to UTF-8. Windows PowerShell 5.1 writes
// UTF-16LE with a byte-order mark for "ConvertTo-Json > file", which is how
// many Azure PowerShell exports are saved. Columns in positions then count
// UTF-8 bytes of the transcoded text.
type utf16Reader struct {
	in        *bufio.Reader
	bigEndian bool
	pending   []byte // transcoded bytes not yet returned
	buf       [utf8.UTFMax]byte
	held      int32 // a unit read after a lone high surrogate, or -1
}

func newUTF16Reader(in *bufio.Reader, bigEndian bool) *utf16Reader {
	return &utf16Reader{in: in, bigEndian: bigEndian, held: -1}
}

var errOddUTF16 = errors.New("the file is UTF-16 but has an odd number of bytes")

func (u *utf16Reader) unit() (uint16, error) {
	var b [2]byte
	n, err := io.ReadFull(u.in, b[:])
	if err != nil {
		if n == 1 {
			return 0, errOddUTF16
		}
		return 0, err
	}
	if u.bigEndian {
		return uint16(b[0])<<8 | uint16(b[1]), nil
	}
	return uint16(b[1])<<8 | uint16(b[0]), nil
}

func (u *utf16Reader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(u.pending) > 0 {
			c := copy(p[n:], u.pending)
			u.pending = u.pending[c:]
			n += c
			continue
		}
		if n > 0 && u.held < 0 && u.in.Buffered() < 2 {
			return n, nil // do not block for more once something was read
		}
		var r rune
		if u.held >= 0 {
			r, u.held = rune(u.held), -1
		} else {
			w, err := u.unit()
			if err != nil {
				if n > 0 && errors.Is(err, io.EOF) {
					return n, nil
				}
				return n, err
			}
			r = rune(w)
		}
		if utf16.IsSurrogate(r) {
			w2, err := u.unit()
			switch {
			case err == nil:
				if d := utf16.DecodeRune(r, rune(w2)); d != utf8.RuneError {
					r = d
				} else {
					// Not a pair: the second unit stands on its own.
					r, u.held = utf8.RuneError, int32(w2)
				}
			case errors.Is(err, io.EOF):
				r = utf8.RuneError
			default:
				return n, err
			}
		}
		l := utf8.EncodeRune(u.buf[:], r)
		u.pending = u.buf[:l]
	}
	return n, nil
}
