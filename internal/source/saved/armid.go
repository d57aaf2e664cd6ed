package saved

import (
	"strings"

	"github.com/kvguard/kvguard/internal/resource"
)

// armID is an Azure resource ID taken apart without allocating: every
// field is a substring of the ID. resource.ParseID splits and lower-cases
// each segment, which for a million secrets is most of the read time; this
// keeps its semantics (the last /providers/ segment names the provider,
// type and name segments alternate after it) for the cases the reader
// needs, and refuses empty segments, which ParseID lets through.
type armID struct {
	id       string // the ID itself (set by isComponentID, to reuse the split)
	scope    string // everything before the last /providers/ ("" for a subscription ID)
	provider string
	rest     string // after the provider: "vaults/kv/secrets/s"
	depth    int    // type/name pairs after the provider; 0 for a subscription or resource group
	name     string // the last name segment
	parent   string // the ID one level up; the scope for a top-level resource
}

const providersSeg = "/providers/"

// splitID takes an ID apart. ok is false when s is not shaped like an
// Azure resource ID.
func splitID(s string) (armID, bool) {
	var a armID
	s = strings.TrimRight(s, "/")
	if len(s) < 2 || s[0] != '/' {
		return a, false
	}
	i := lastFold(s, providersSeg)
	if i < 0 {
		// A subscription or resource group.
		if len(s) > len("/subscriptions/") && strings.EqualFold(s[:len("/subscriptions/")], "/subscriptions/") {
			return a, true
		}
		return a, false
	}
	a.scope = s[:i]
	if strings.Contains(a.scope, "//") {
		return a, false // an empty segment, which ParseID would drop
	}
	if a.scope == "" {
		a.scope = "/" // a tenant-level resource, as resource.ParseID says
	}
	after := s[i+len(providersSeg):]
	slash := strings.IndexByte(after, '/')
	if slash <= 0 {
		return a, false
	}
	a.provider = after[:slash]
	a.rest = after[slash+1:]
	// Segments of rest: type, name, type, name, ...
	n, last, prev := 0, 0, -1
	for j := 0; j <= len(a.rest); j++ {
		if j == len(a.rest) || a.rest[j] == '/' {
			if j == last {
				return a, false // an empty segment
			}
			n++
			if j < len(a.rest) {
				prev, last = last, j+1
			}
		}
	}
	if n < 2 || n%2 != 0 {
		return a, false
	}
	a.depth = n / 2
	a.name = a.rest[last:]
	if a.depth == 1 {
		a.parent = a.scope
	} else {
		// Drop "/<type>/<name>": the separator before the last type.
		cut := len(s) - len(a.rest) + prev - 1
		a.parent = s[:cut]
	}
	return a, true
}

// lastFold finds the last ASCII case-insensitive occurrence of sep in s.
func lastFold(s, sep string) int {
	for i := len(s) - len(sep); i >= 0; i-- {
		// sep starts with "/" and a letter: test those bytes before the
		// whole window.
		if s[i] == '/' && s[i+1]|0x20 == sep[1]|0x20 && strings.EqualFold(s[i:i+len(sep)], sep) {
			return i
		}
	}
	return -1
}

// fullType is the resource type the ID names, e.g.
// Microsoft.KeyVault/vaults/secrets.
func (a armID) fullType() string {
	if a.depth == 0 {
		return ""
	}
	var b strings.Builder
	b.Grow(len(a.provider) + len(a.rest))
	b.WriteString(a.provider)
	seg := 0
	for _, part := range strings.Split(a.rest, "/") {
		if seg%2 == 0 {
			b.WriteByte('/')
			b.WriteString(part)
		}
		seg++
	}
	return b.String()
}

// typeIs reports whether typ (any case) is the type the ID names, without
// building it.
func (a armID) typeIs(typ string) bool {
	p, rest, ok := cutByte(typ)
	if !ok || !fold(p, a.provider) {
		return false
	}
	r := a.rest
	for {
		var t string
		t, rest, ok = cutByte(rest)
		seg, after, more := cutByte(r)
		if !fold(t, seg) {
			return false
		}
		// Skip the name segment.
		if !more {
			return false
		}
		_, r, more = cutByte(after)
		if !ok || !more {
			return !ok && !more
		}
	}
}

// cutByte is strings.Cut(s, "/") through IndexByte, which is cheaper for
// one byte.
func cutByte(s string) (before, after string, found bool) {
	if i := strings.IndexByte(s, '/'); i >= 0 {
		return s[:i], s[i+1:], true
	}
	return s, "", false
}

// canonicalType is resource.CanonicalType without its allocation in the
// common case: a type already spelled canonically is found as is.
func canonicalType(t string) string {
	if _, ok := roles[t]; ok {
		return t
	}
	return resource.CanonicalType(t)
}
