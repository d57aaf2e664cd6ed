package saved

import (
	"math/bits"
	"strings"
	"unicode"
	"unicode/utf8"
)

// idSet remembers the resource IDs of one input, compared as Azure compares
// them (case-insensitively, ignoring trailing slashes), with the line each
// was first seen on. It keeps a 128-bit hash of each folded ID rather than
// the ID: a million secrets then cost about 40 MB instead of keeping every
// ID string alive after its document has been judged and dropped. Two
// different IDs are taken for one only if all 128 bits collide; for a
// million IDs that is about one chance in 10^26, far below any other
// failure, and an input crafted to collide gains nothing an input that
// leaves the resource out would not.
//
// The hashes are kept in an open-addressing table of their own rather than
// a Go map: they are random already, so a slot is found from the hash
// itself, and the reading goroutine adds a million of them in file order
// (parallel.go), where a map's hashing and probing were a tenth of its time.
//
// A large table (a saved estate's: 40 MB) is mapped outside the Go heap
// where the system allows (offHeap): it holds no pointers, and on the heap
// it would count twice towards the scan's peak memory, since the garbage
// collector lets the heap grow to twice what is live before it runs.
type idSet struct {
	keys  [][2]uint64 // a power of two of slots; {0, 0} is empty
	lines []int32
	n     int
	sink  uint64 // see touch
	off   []byte // the mapping keys and lines are in, if off the heap
}

// offHeapMin is the size of table worth mapping off the heap.
const offHeapMin = 1 << 20

// alloc gives the set an empty table of size slots.
func (s *idSet) alloc(size int) {
	s.release()
	if n := size * (16 + 4); n >= offHeapMin {
		if b, ok := offHeap(n); ok {
			s.off = b
			s.keys, s.lines = slotsOf(b, size)
			return
		}
	}
	s.keys, s.lines = make([][2]uint64, size), make([]int32, size)
}

// release gives back a table mapped off the heap and empties the set. It
// is called when the input has been read; the set may be used again (it
// starts over on the heap).
func (s *idSet) release() {
	if s.off != nil {
		b := s.off
		s.keys, s.lines, s.off, s.n = nil, nil, nil, 0
		freeOffHeap(b)
	}
}

// add records id first seen on line. If an equal ID was recorded before,
// it returns that one's line and true, and records nothing.
func (s *idSet) add(id string, line int) (int, bool) {
	return s.addHash(foldHash(id), line)
}

// addHash is add for an ID whose foldHash is h.
func (s *idSet) addHash(h [2]uint64, line int) (int, bool) {
	if h == ([2]uint64{}) {
		h[1] = 1 // {0, 0} marks an empty slot
	}
	if (s.n+1)*4 > len(s.keys)*3 {
		s.grow()
	}
	mask := uint64(len(s.keys) - 1)
	for i := h[0] & mask; ; i = (i + 1) & mask {
		switch s.keys[i] {
		case h:
			return int(s.lines[i]), true
		case [2]uint64{}:
			s.keys[i], s.lines[i] = h, int32(min(line, 1<<31-1))
			s.n++
			return 0, false
		}
	}
}

// reserve makes room for about n IDs at once, sparing the table's
// growth (each doubling rehashes everything, a cache miss per ID).
func (s *idSet) reserve(n int) {
	size := 1024
	for size < n+n/3 && size < 1<<22 {
		size *= 2
	}
	if size > len(s.keys) && s.n == 0 {
		s.alloc(size)
	}
}

// touch loads the slot h starts at and returns part of it. Touching the
// slots of a run of IDs before adding them lets their cache misses overlap
// (the processor has many loads in flight at once) instead of each add
// waiting for its own: the table outgrows the cache at a few hundred
// thousand IDs. Callers keep the results (in sink), so that the loads are
// not optimised away.
func (s *idSet) touch(h [2]uint64) uint64 {
	if len(s.keys) == 0 {
		return 0
	}
	return s.keys[h[0]&uint64(len(s.keys)-1)][0]
}

// has reports whether an ID equal to id was recorded.
func (s *idSet) has(id string) bool {
	if s.n == 0 {
		return false
	}
	h := foldHash(id)
	if h == ([2]uint64{}) {
		h[1] = 1
	}
	mask := uint64(len(s.keys) - 1)
	for i := h[0] & mask; ; i = (i + 1) & mask {
		switch s.keys[i] {
		case h:
			return true
		case [2]uint64{}:
			return false
		}
	}
}

// grow doubles the table (at most three quarters full) and rehashes it.
func (s *idSet) grow() {
	keys, lines, off := s.keys, s.lines, s.off
	size := max(1024, 2*len(keys))
	s.off = nil // kept until the slots are moved
	s.alloc(size)
	defer freeOffHeap(off)
	mask := uint64(size - 1)
	for j, h := range keys {
		if h == ([2]uint64{}) {
			continue
		}
		i := h[0] & mask
		for s.keys[i] != ([2]uint64{}) {
			i = (i + 1) & mask
		}
		s.keys[i], s.lines[i] = h, lines[j]
	}
}

// foldHash hashes the lower-cased ID without its trailing slashes into two
// independent 64-bit lanes, without allocating. ASCII IDs (all real ones)
// are hashed eight bytes at a time, upper-case letters folded with word
// arithmetic; others rune by rune through unicode.ToLower, as
// resource.Key lower-cases them. An ASCII ID never equals a non-ASCII one
// under that folding, so the two paths need not agree.
func foldHash(id string) [2]uint64 {
	id = strings.TrimRight(id, "/")
	if h, ok := foldHashASCII(id); ok {
		return h
	}
	const (
		prime1 = 0x100000001b3
		prime2 = 0x9E3779B97F4A7C15
	)
	h := [2]uint64{14695981039346656037, 0x243F6A8885A308D3}
	for i := 0; i < len(id); {
		r, n := utf8.DecodeRuneInString(id[i:])
		i += n
		var buf [utf8.UTFMax]byte
		for _, b := range buf[:utf8.EncodeRune(buf[:], unicode.ToLower(r))] {
			h[0] = (h[0] ^ uint64(b)) * prime1
			h[1] = bits.RotateLeft64((h[1]^uint64(b))*prime2, 23)
		}
	}
	return h
}

// foldHashASCII hashes an ASCII string eight bytes at a time; ok is false
// when s has a non-ASCII byte.
func foldHashASCII(s string) ([2]uint64, bool) {
	const (
		hi     = 0x8080808080808080
		ones   = 0x0101010101010101
		prime1 = 0x9E3779B97F4A7C15
		prime2 = 0xC2B2AE3D27D4EB4F
	)
	h1 := uint64(len(s))*prime1 ^ 0x243F6A8885A308D3
	h2 := uint64(len(s))*prime2 ^ 0x13198A2E03707344
	i := 0
	for {
		var w uint64
		if i+8 <= len(s) {
			t := s[i : i+8] // one bounds check; the compiler then loads the word at once
			w = uint64(t[0]) | uint64(t[1])<<8 | uint64(t[2])<<16 | uint64(t[3])<<24 |
				uint64(t[4])<<32 | uint64(t[5])<<40 | uint64(t[6])<<48 | uint64(t[7])<<56
			i += 8
		} else if i < len(s) {
			for j := 0; i < len(s); j++ {
				w |= uint64(s[i]) << (8 * j)
				i++
			}
		} else {
			break
		}
		if w&hi != 0 {
			return [2]uint64{}, false
		}
		// Set 0x20 in each byte that is 'A'..'Z': a byte b is upper case
		// when b+0x3f has its top bit set (b >= 'A') and b+0x25 has not
		// (b <= 'Z'); no byte carries into the next because all are < 0x80.
		upper := (w + 0x3f*ones) &^ (w + 0x25*ones) & hi
		w |= upper >> 2
		h1 = bits.RotateLeft64((h1^w)*prime1, 31)
		h2 = bits.RotateLeft64((h2+w)*prime2, 27) ^ h1>>17
	}
	return [2]uint64{h1 ^ h1>>29, h2 ^ h2>>32}, true
}
