package policy

import (
	"fmt"
	"strings"
)

// The operators of policy conditions (equals, like, in, ...) and how
// each compares a value with its operand.

// operator is a compiled comparison.
type operator struct {
	name string // as written, canonical casing
	kind opKind
	neg  bool // the not* form
}

type opKind uint8

const (
	opEquals opKind = iota
	opLike
	opMatch
	opMatchInsensitively
	opContains
	opIn
	opContainsKey
	opLess
	opLessOrEquals
	opGreater
	opGreaterOrEquals
	opExists
)

var operators = map[string]operator{
	"equals":                {name: "equals", kind: opEquals},
	"notequals":             {name: "notEquals", kind: opEquals, neg: true},
	"like":                  {name: "like", kind: opLike},
	"notlike":               {name: "notLike", kind: opLike, neg: true},
	"match":                 {name: "match", kind: opMatch},
	"notmatch":              {name: "notMatch", kind: opMatch, neg: true},
	"matchinsensitively":    {name: "matchInsensitively", kind: opMatchInsensitively},
	"notmatchinsensitively": {name: "notMatchInsensitively", kind: opMatchInsensitively, neg: true},
	"contains":              {name: "contains", kind: opContains},
	"notcontains":           {name: "notContains", kind: opContains, neg: true},
	"in":                    {name: "in", kind: opIn},
	"notin":                 {name: "notIn", kind: opIn, neg: true},
	"containskey":           {name: "containsKey", kind: opContainsKey},
	"notcontainskey":        {name: "notContainsKey", kind: opContainsKey, neg: true},
	"less":                  {name: "less", kind: opLess},
	"lessorequals":          {name: "lessOrEquals", kind: opLessOrEquals},
	"greater":               {name: "greater", kind: opGreater},
	"greaterorequals":       {name: "greaterOrEquals", kind: opGreaterOrEquals},
	"exists":                {name: "exists", kind: opExists},
}

// apply runs the operator on a value.
func (c *evalCtx) apply(l *leafCond, actual, expected any) truth { //nolint:funlen // one case per policy condition operator (equals, like, in, ...), read as a table
	op := l.op
	if _, ok := expected.(unknownValue); ok {
		return truthUnknown
	}
	if _, ok := actual.(unknownValue); ok {
		if op.kind == opExists {
			want, _ := boolOf(expected)
			return truthOf(want) // an unknown value is set
		}
		return truthUnknown
	}
	if actual == nil {
		actual = missing
	}
	_, isMissing := actual.(missingValue)
	var r bool
	switch op.kind {
	case opExists:
		want, ok := boolOf(expected)
		if !ok {
			c.fail(l.pos, fmt.Errorf("exists needs true or false, got %s", display(expected)))
			return truthFalse
		}
		return truthOf(!isMissing == want)
	case opEquals:
		r = !isMissing && valuesEqual(actual, expected)
	case opIn:
		arr, ok := expected.([]any)
		if !ok {
			c.fail(l.pos, fmt.Errorf("%s needs an array, got %s", op.name, typeName(expected)))
			return truthFalse
		}
		if !isMissing {
			for _, e := range arr {
				if valuesEqual(actual, e) {
					r = true
					break
				}
			}
		}
	case opLike:
		s, ok1 := stringOf(actual)
		p, ok2 := stringOf(expected)
		r = !isMissing && ok1 && ok2 && likeMatch(s, p)
	case opMatch, opMatchInsensitively:
		s, ok1 := stringOf(actual)
		p, ok2 := stringOf(expected)
		r = !isMissing && ok1 && ok2 && patternMatch(s, p, op.kind == opMatchInsensitively)
	case opContains:
		if !isMissing {
			r = containsValue(actual, expected)
		}
	case opContainsKey:
		if m, ok := actual.(map[string]any); ok {
			if k, ok := stringOf(expected); ok {
				_, r = lookupFold(m, k)
			}
		}
	case opLess, opLessOrEquals, opGreater, opGreaterOrEquals:
		if isMissing {
			return truthFalse
		}
		cmp, ok := compareOrdered(actual, expected)
		if !ok {
			c.fail(l.pos, fmt.Errorf("%s cannot compare %s with %s", op.name, display(actual), display(expected)))
			return truthFalse
		}
		switch op.kind {
		case opLess:
			r = cmp < 0
		case opLessOrEquals:
			r = cmp <= 0
		case opGreater:
			r = cmp > 0
		default:
			r = cmp >= 0
		}
	}
	if op.neg {
		r = !r
	}
	return truthOf(r)
}

func boolOf(v any) (bool, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		switch strings.ToLower(x) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return false, false
}

func containsValue(actual, expected any) bool {
	switch x := actual.(type) {
	case []any:
		for _, e := range x {
			if valuesEqual(e, expected) {
				return true
			}
		}
		return false
	case map[string]any:
		k, ok := stringOf(expected)
		if !ok {
			return false
		}
		_, found := lookupFold(x, k)
		return found
	}
	s, ok1 := stringOf(actual)
	sub, ok2 := stringOf(expected)
	return ok1 && ok2 && strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

// likeMatch implements like: '*' matches any run of characters,
// case-insensitively.
func likeMatch(s, pattern string) bool {
	s, pattern = strings.ToLower(s), strings.ToLower(pattern)
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return s == pattern
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for i := 1; i < len(parts)-1; i++ {
		j := strings.Index(s, parts[i])
		if j < 0 {
			return false
		}
		s = s[j+len(parts[i]):]
	}
	return strings.HasSuffix(s, parts[len(parts)-1])
}

// patternMatch implements match: '#' a digit, '?' a letter, '.' any
// character, anything else itself; the whole value must match.
func patternMatch(s, pattern string, insensitive bool) bool {
	rs, rp := []rune(s), []rune(pattern)
	if len(rs) != len(rp) {
		return false
	}
	for i, p := range rp {
		c := rs[i]
		switch p {
		case '#':
			if c < '0' || c > '9' {
				return false
			}
		case '?':
			if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') {
				return false
			}
		case '.':
		default:
			if insensitive {
				if !strings.EqualFold(string(c), string(p)) {
					return false
				}
			} else if c != p {
				return false
			}
		}
	}
	return true
}
