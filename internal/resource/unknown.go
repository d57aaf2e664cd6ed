package resource

import "strings"

// Choices lists every value an Unknown can take, when there are few: a
// boolean variable, a conditional's two branches, a dynamic block present
// or absent, a parameter's allowedValues. The policy engine evaluates a
// rule under each choice and gives the common verdict when they agree, so
// that an unknown which cannot change the outcome does not make it
// Unknown. A pointer, so that Unknown stays comparable.
type Choices struct {
	// Values are the possible values; Absent among them means the
	// property may not be set at all.
	Values []any
}

// absent is the type of Absent.
type absent struct{}

// Absent is, as one of an Unknown's Choices, the mark that the property may be left
// out of the body (a Terraform dynamic block with no elements).
var Absent any = absent{}

// IsAbsent reports whether v is the Absent choice.
func IsAbsent(v any) bool {
	_, ok := v.(absent)
	return ok
}

// UnknownOneOf is an Unknown that takes one of the given values.
func UnknownOneOf(expr string, values ...any) Unknown {
	return Unknown{Expr: expr, Choices: &Choices{Values: values}}
}

// PartUnfollowed is the Gap part that marks a resource for which a module
// or linked deployment was not read: anything it creates (secrets, keys,
// private endpoints, diagnostic settings) is unknown.
const PartUnfollowed = "kvguard/unfollowed"

// MarkUnfollowed records on a vault (or HSM) document that a module the
// deployment calls was not read and was handed something of this vault,
// so could create components, private endpoints or diagnostic settings for
// it. module names the module for the verdict's reason (e.g.
// `module "pe" (br/public:avm/res/network/private-endpoint:0.7.0)`), why
// says why it was not read ("not in the Bicep restore cache").
//
// Every verdict that reads what such a module may create becomes Unknown
// unless what is known already decides it (one approved private endpoint
// is enough for private link, one secret without expiry is enough to fail).
func (d *Document) MarkUnfollowed(module, why string) {
	msg := module + " was not read (" + why + "); what it creates is unknown"
	for _, g := range d.Gaps {
		if g.Part == PartUnfollowed && strings.Contains(g.Err, module) {
			return
		}
	}
	d.Gaps = append(d.Gaps, Gap{Part: PartUnfollowed, Err: msg})
}

// Unfollowed returns the reasons recorded by MarkUnfollowed, joined, or ""
// when every module of the resource's deployment was read.
func (d *Document) Unfollowed() string {
	var parts []string
	for _, g := range d.Gaps {
		if g.Part == PartUnfollowed {
			parts = append(parts, g.Err)
		}
	}
	return strings.Join(parts, "; ")
}

// DefaultMaxInstances caps the resource instances one IaC input may
// expand to (count, for_each, copy and for loops, multiplied through
// modules and nested deployments). Real deployments stay far below it; a
// count of 1e8 must fail fast with an input error rather than exhaust
// memory. Readers take it from their options (the --max-instances flag).
const DefaultMaxInstances = 50_000

// CopyValue deep-copies plain JSON data (maps and slices; leaves are
// shared), so that a body can be edited for one choice of its unknowns
// without touching the document.
func CopyValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = CopyValue(e)
		}
		return m
	case []any:
		a := make([]any, len(x))
		for i, e := range x {
			a[i] = CopyValue(e)
		}
		return a
	}
	return v
}

// SetAt sets the value at path (map keys as strings, slice indices as
// ints) in v, which must already be a copy, and returns v.
func SetAt(v any, path []any, val any) any {
	if len(path) == 0 {
		return CopyValue(val)
	}
	switch x := v.(type) {
	case map[string]any:
		if k, ok := path[0].(string); ok {
			x[k] = SetAt(x[k], path[1:], val)
		}
	case []any:
		if i, ok := path[0].(int); ok && i < len(x) {
			x[i] = SetAt(x[i], path[1:], val)
		}
	}
	return v
}

// DropAbsent removes, in place, the members and elements of v set to
// Absent (the property is not written) and returns v.
func DropAbsent(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if IsAbsent(e) {
				delete(x, k)
				continue
			}
			x[k] = DropAbsent(e)
		}
	case []any:
		out := x[:0]
		for _, e := range x {
			if !IsAbsent(e) {
				out = append(out, DropAbsent(e))
			}
		}
		return out
	}
	return v
}
