package armexpr

import (
	"strings"

	"github.com/kvguard/kvguard/internal/resource"
)

// Template functions the Bicep compiler emits that the library above does
// not have yet. They are kept apart (BicepExtra) so that this file adds to the
// package without touching its registry; Builtin's own entry wins once
// there is one.

// BicepExtra returns a template function of this file by name
// (case-insensitive): distinct and like.
func BicepExtra(name string) (Func, bool) {
	switch strings.ToLower(name) {
	case "distinct":
		return bicepDistinct, true
	case "like":
		return bicepLike, true
	}
	return nil, false
}

// bicepDistinct is distinct(array): the array without repeated values
// (compared as equals() compares), first occurrences kept in order.
func bicepDistinct(_ *Env, a []any) (any, error) {
	if err := nargs(a, 1, 1); err != nil {
		return nil, err
	}
	if resource.IsUnknown(a[0]) {
		return unknownOf("distinct", a), nil
	}
	arr, err := argArray(a, 0)
	if err != nil {
		return nil, err
	}
	out := make([]any, 0, len(arr))
	for _, v := range arr {
		dup := false
		for _, seen := range out {
			eq, unknown := DeepEqual(v, seen)
			if unknown {
				return unknownOf("distinct", a), nil
			}
			if eq {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, v)
		}
	}
	return out, nil
}

// bicepLike is like(input, pattern): whether input matches pattern, where
// '*' matches any run of characters, case-insensitively.
func bicepLike(_ *Env, a []any) (any, error) {
	if err := nargs(a, 2, 2); err != nil {
		return nil, err
	}
	if anyUnknown(a) {
		return unknownOf("like", a), nil
	}
	input, err := argString(a, 0)
	if err != nil {
		return nil, err
	}
	pattern, err := argString(a, 1)
	if err != nil {
		return nil, err
	}
	return bicepWildcardMatch(strings.ToLower(input), strings.ToLower(pattern)), nil
}

// bicepWildcardMatch matches s against p with '*' wildcards, without
// recursion: on a mismatch it backtracks only to the last star, so the
// work is at most len(s)*len(p).
func bicepWildcardMatch(s, p string) bool {
	si, pi := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && p[pi] != '*' && p[pi] == s[si]:
			si++
			pi++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case star >= 0:
			mark++
			si, pi = mark, star+1
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}
