package readfs

import (
	"encoding/binary"
	"testing"
)

// FuzzParseDirents: no listing the kernel could hand back, nor garbage,
// makes the parser panic or loop.
func FuzzParseDirents(f *testing.F) {
	rec := func(name string, typ byte) []byte {
		n := direntNameOff + len(name) + 1
		n = (n + 7) &^ 7
		b := make([]byte, n)
		binary.LittleEndian.PutUint16(b[16:], uint16(n))
		b[18] = typ
		copy(b[direntNameOff:], name)
		return b
	}
	f.Add(append(rec(".", 4), rec("main.tf", 8)...))
	f.Add(rec("sub", 4))
	f.Add([]byte{1, 2, 3})
	f.Add(make([]byte, 24))
	f.Fuzz(func(t *testing.T, b []byte) {
		out, _ := parseDirents(t.TempDir(), b, nil)
		for _, e := range out {
			if e.Name() == "" && len(b) < direntNameOff {
				t.Fatal("an entry from too few bytes")
			}
		}
	})
}
