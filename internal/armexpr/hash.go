package armexpr

import (
	"crypto/sha1" //nolint:gosec // guid() is defined with SHA-1 (RFC 4122 version 5); not a security use.
	"encoding/hex"
	"math/bits"
	"strings"
)

// uniqueStringFunc is uniqueString(s1, s2, ...).
func uniqueStringFunc(_ *Env, a []any) (any, error) {
	parts, err := stringArgs(a)
	if err != nil {
		return nil, err
	}
	return UniqueString(parts...), nil
}

// guidFunc is guid(s1, s2, ...).
func guidFunc(_ *Env, a []any) (any, error) {
	parts, err := stringArgs(a)
	if err != nil {
		return nil, err
	}
	return GUID(parts...), nil
}

func stringArgs(a []any) ([]string, error) {
	parts := make([]string, len(a))
	for i := range a {
		s, err := argString(a, i)
		if err != nil {
			return nil, err
		}
		parts[i] = s
	}
	return parts, nil
}

// base32Alphabet is the alphabet of uniqueString's 13 characters.
const base32Alphabet = "abcdefghijklmnopqrstuvwxyz234567"

// UniqueString computes ARM's uniqueString(parts...): the parts joined
// with '-', UTF-8 encoded, hashed with Azure Resource Manager's 64-bit
// Murmur variant, and written as 13 characters of the base-32 alphabet
// a-z2-7, most significant bits first.
func UniqueString(parts ...string) string {
	h := Murmur64([]byte(strings.Join(parts, "-")))
	var out [13]byte
	for i := range out {
		out[i] = base32Alphabet[h>>59]
		h <<= 5
	}
	return string(out[:])
}

// Murmur64 is the 64-bit MurmurHash variant (two 32-bit lanes, seed 0)
// that Azure Resource Manager uses for uniqueString() and template hashes.
func Murmur64(data []byte) uint64 {
	const (
		c1 uint32 = 0x239b961b
		c2 uint32 = 0xab0e9789
	)
	var h1, h2 uint32
	n := len(data)
	i := 0
	for ; i+8 <= n; i += 8 {
		k1 := uint32(data[i]) | uint32(data[i+1])<<8 | uint32(data[i+2])<<16 | uint32(data[i+3])<<24
		k2 := uint32(data[i+4]) | uint32(data[i+5])<<8 | uint32(data[i+6])<<16 | uint32(data[i+7])<<24

		k1 *= c1
		k1 = bits.RotateLeft32(k1, 15)
		k1 *= c2
		h1 ^= k1
		h1 = bits.RotateLeft32(h1, 19)
		h1 += h2
		h1 = h1*5 + 0x561ccd1b

		k2 *= c2
		k2 = bits.RotateLeft32(k2, 17)
		k2 *= c1
		h2 ^= k2
		h2 = bits.RotateLeft32(h2, 13)
		h2 += h1
		h2 = h2*5 + 0x0bcaa747
	}
	if tail := n - i; tail > 0 {
		var k1 uint32
		for j := min(tail, 4) - 1; j >= 0; j-- {
			k1 = k1<<8 | uint32(data[i+j])
		}
		k1 *= c1
		k1 = bits.RotateLeft32(k1, 15)
		k1 *= c2
		h1 ^= k1
		if tail > 4 {
			var k2 uint32
			for j := tail - 1; j >= 4; j-- {
				k2 = k2<<8 | uint32(data[i+j])
			}
			k2 *= c2
			k2 = bits.RotateLeft32(k2, 17)
			k2 *= c1
			h2 ^= k2
		}
	}
	h1 ^= uint32(n)
	h2 ^= uint32(n)
	h1 += h2
	h2 += h1
	h1 = fmix32(h1)
	h2 = fmix32(h2)
	h1 += h2
	h2 += h1
	return uint64(h2)<<32 | uint64(h1)
}

func fmix32(h uint32) uint32 {
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h
}

// guidNamespace is the namespace of ARM's guid(): a name-based (version 5)
// UUID over this namespace.
var guidNamespace = [16]byte{0x11, 0xfb, 0x06, 0xfb, 0x71, 0x2d, 0x4d, 0xdd, 0x98, 0xc7, 0xe7, 0x1b, 0xbd, 0x58, 0x88, 0x30}

// GUID computes ARM's guid(parts...): an RFC 4122 §4.3 name-based UUID
// (SHA-1, version 5) of the parts joined with '-', in the namespace
// 11fb06fb-712d-4ddd-98c7-e71bbd588830, written in lower case.
func GUID(parts ...string) string {
	h := sha1.New() //nolint:gosec // see import
	h.Write(guidNamespace[:])
	h.Write([]byte(strings.Join(parts, "-")))
	sum := h.Sum(nil)
	var u [16]byte
	copy(u[:], sum[:16])
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	var buf [36]byte
	hex.Encode(buf[0:8], u[0:4])
	buf[8] = '-'
	hex.Encode(buf[9:13], u[4:6])
	buf[13] = '-'
	hex.Encode(buf[14:18], u[6:8])
	buf[18] = '-'
	hex.Encode(buf[19:23], u[8:10])
	buf[23] = '-'
	hex.Encode(buf[24:], u[10:])
	return string(buf[:])
}
