package assess

import (
	"cmp"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/kvguard/kvguard/internal/estate"
)

// compareResources orders resources of one ID by where they were read,
// then by the rest of what identifies them.
func compareResources(a, b *Resource) int {
	return cmp.Or(
		estate.CompareSources(a.Source, b.Source),
		strings.Compare(a.Deployment, b.Deployment),
		strings.Compare(a.ID, b.ID),
		strings.Compare(a.Name, b.Name),
		strings.Compare(a.Type, b.Type),
		estate.CompareBool(a.Placeholder, b.Placeholder),
	)
}

// dedupe sorts components by name and drops a second listing of the same
// object (listed through ARM and through the data plane). Components are
// judged on several goroutines, so they arrive in any order: the sort is
// by name, ID and then by what is shown of them (compareSameID), so that
// the one kept of two listings does not depend on the order.
func dedupe(cs []Component) []Component {
	if !sortByNameASCII(cs) {
		sort.SliceStable(cs, func(i, j int) bool {
			if !strings.EqualFold(cs[i].Name, cs[j].Name) {
				return strings.ToLower(cs[i].Name) < strings.ToLower(cs[j].Name)
			}
			if x, y := cs[i].FullID(), cs[j].FullID(); x != y {
				return x < y
			}
			return compareSameID(&cs[i], &cs[j]) < 0
		})
	}
	out := cs[:0]
	for i, c := range cs {
		if i > 0 && strings.EqualFold(c.Name, out[len(out)-1].Name) && strings.EqualFold(c.Type, out[len(out)-1].Type) && c.Source == nil {
			continue
		}
		out = append(out, c)
	}
	return out
}

// sortByNameASCII sorts components as dedupe's stable sort does (by name
// case-insensitively, then by ID, else in the order given) when every
// name is ASCII, and reports whether it did. Where EqualFold and ToLower
// agree (ASCII), that order is a strict one on (lower-cased name, ID,
// index), so any sort gives the stable sort's result; sorting indices and
// moving each component once spares the million moves of 100-byte structs
// a stable sort makes on a large vault.
func sortByNameASCII(cs []Component) bool {
	keys := make([]string, len(cs))
	sorted := true
	for i := range cs {
		name := cs[i].Name
		for j := 0; j < len(name); j++ {
			if name[j] >= utf8.RuneSelf {
				return false
			}
		}
		keys[i] = strings.ToLower(name) // no copy unless it has upper case
		if i > 0 && sorted && compareComponents(cs, keys, i-1, i) > 0 {
			sorted = false
		}
	}
	if sorted {
		return true
	}
	perm := make([]int32, len(cs))
	for i := range perm {
		perm[i] = int32(i)
	}
	slices.SortFunc(perm, func(a, b int32) int {
		if c := compareComponents(cs, keys, int(a), int(b)); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	// Apply the permutation in place, cycle by cycle: position k receives
	// cs[perm[k]]. A done position is marked by perm[k] = -1.
	for start := range perm {
		if perm[start] < 0 || int(perm[start]) == start {
			perm[start] = -1
			continue
		}
		tmp := cs[start]
		k := start
		for {
			src := int(perm[k])
			perm[k] = -1
			if src == start {
				cs[k] = tmp
				break
			}
			cs[k] = cs[src]
			k = src
		}
	}
	return true
}

// compareComponents orders cs[i] and cs[j] by lower-cased name (keys),
// then by full ID, without building the IDs, then by compareSameID.
func compareComponents(cs []Component, keys []string, i, j int) int {
	if c := strings.Compare(keys[i], keys[j]); c != 0 {
		return c
	}
	a1, a2 := cs[i].IDParts()
	b1, b2 := cs[j].IDParts()
	if c := compareJoined(a1, a2, b1, b2); c != 0 {
		return c
	}
	return compareSameID(&cs[i], &cs[j])
}

// compareSameID orders two components of one name and ID by their name's
// spelling, type, status, reason and place in code.
func compareSameID(a, b *Component) int {
	if c := cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.Type, b.Type),
		strings.Compare(string(a.Status), string(b.Status)), strings.Compare(a.Reason, b.Reason)); c != 0 {
		return c
	}
	switch {
	case a.Source == nil && b.Source == nil:
		return 0
	case a.Source == nil:
		return -1
	case b.Source == nil:
		return 1
	}
	return estate.CompareSources(*a.Source, *b.Source)
}

// compareJoined compares a1+a2 with b1+b2.
func compareJoined(a1, a2, b1, b2 string) int {
	for {
		if a1 == "" {
			a1, a2 = a2, ""
		}
		if b1 == "" {
			b1, b2 = b2, ""
		}
		if a1 == "" || b1 == "" {
			return cmp.Compare(len(a1), len(b1))
		}
		n := min(len(a1), len(b1))
		if c := strings.Compare(a1[:n], b1[:n]); c != 0 {
			return c
		}
		a1, b1 = a1[n:], b1[n:]
	}
}
