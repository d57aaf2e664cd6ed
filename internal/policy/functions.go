package policy

import (
	"errors"
	"fmt"
	"github.com/kvguard/kvguard/internal/armexpr"
	"net/netip"
	"strings"
)

// templateOnlyFunctions are ARM template functions Azure Policy does not
// allow in rules.
var templateOnlyFunctions = map[string]struct{}{
	"copyindex": {}, "datetimeadd": {}, "datetimefromepoch": {}, "datetimetoepoch": {}, "deployment": {},
	"environment": {}, "extensionresourceid": {}, "lambda": {}, "listaccountsas": {}, "listkeys": {},
	"listsecrets": {}, "list": {}, "managementgroup": {}, "newguid": {}, "pickzones": {}, "providers": {},
	"reference": {}, "resourceid": {}, "subscriptionresourceid": {}, "tenantresourceid": {}, "tenant": {},
	"variables": {},
}

// policyFunctions are Azure Policy's own functions, and its utcNow, whose
// default format differs from templates'. The other template functions
// come from internal/armexpr.
var policyFunctions = map[string]armexpr.Func{
	"field":           hosted(fnField),
	"current":         hosted(fnCurrent),
	"requestcontext":  hosted(fnRequestContext),
	"policy":          hosted(fnPolicy),
	"utcnow":          hosted(fnUtcNow),
	"adddays":         hosted(fnAddDays),
	"iprangecontains": hosted(fnIPRangeContains),
}

// hosted adapts a policy function to the template function signature: the
// evaluation state travels in Env.Host.
func hosted(f func(c *evalCtx, args []any) (any, error)) armexpr.Func {
	return func(env *armexpr.Env, args []any) (any, error) {
		c, ok := env.Host.(*evalCtx)
		if !ok {
			return nil, errors.New("a policy function outside a policy evaluation")
		}
		for _, a := range args {
			if u, isUnknown := a.(unknownValue); isUnknown {
				return u, nil
			}
		}
		return f(c, args)
	}
}

func (c *evalCtx) fieldRef(name string) (*fieldRef, error) {
	if f, ok := c.fieldCache[name]; ok {
		return f, nil
	}
	f, err := resolveField(name)
	if err != nil {
		return nil, err
	}
	if c.fieldCache == nil {
		c.fieldCache = map[string]*fieldRef{}
	}
	c.fieldCache[name] = &f
	return &f, nil
}

// fnField reads a field of the resource the if evaluates (in an
// existenceCondition too). A missing field gives "" (a missing array under
// [*] gives []); inside a count over the field's array, the counted array
// alias gives a one-element array holding the current member.
func fnField(c *evalCtx, args []any) (any, error) {
	if len(args) != 1 {
		return nil, errors.New("field() takes one field name")
	}
	name, ok := args[0].(string)
	if !ok {
		return nil, errors.New("field() needs a field name")
	}
	f, err := c.fieldRef(name)
	if err != nil {
		return nil, err
	}
	for i := len(c.scopes) - 1; i >= 0; i-- {
		s := c.scopes[i]
		if s.prefix != nil && s.doc == c.ifDoc && len(f.path) == len(s.prefix) && f.path.hasPrefix(s.prefix) {
			return []any{s.item}, nil
		}
	}
	v, many, isMany := f.read(c.ifDoc, c)
	if isMany {
		out := make([]any, len(many))
		for i, e := range many {
			if _, m := e.(missingValue); m {
				e = nil
			}
			out[i] = e
		}
		return out, nil
	}
	if _, m := v.(missingValue); m {
		return "", nil
	}
	return v, nil
}

func fnCurrent(c *evalCtx, args []any) (any, error) {
	if len(c.scopes) == 0 {
		return nil, errors.New("current() is only valid inside count.where")
	}
	if len(args) == 0 {
		return c.scopes[len(c.scopes)-1].item, nil
	}
	if len(args) > 1 {
		return nil, errors.New("current() takes at most one name")
	}
	name, ok := args[0].(string)
	if !ok {
		return nil, errors.New("current() needs a name")
	}
	for i := len(c.scopes) - 1; i >= 0; i-- {
		s := c.scopes[i]
		if s.valueCount {
			if s.name != "" && strings.EqualFold(s.name, name) {
				return s.item, nil
			}
			continue
		}
		f, err := c.fieldRef(name)
		if err != nil {
			continue
		}
		if f.path.hasPrefix(s.prefix) {
			rest := f.path[len(s.prefix):]
			if len(rest) == 0 {
				return s.item, nil
			}
			if rest.hasWildcard() {
				return collect(s.item, rest), nil
			}
			v := walk(s.item, rest)
			if _, m := v.(missingValue); m {
				return nil, nil
			}
			return v, nil
		}
	}
	return nil, fmt.Errorf("current(%q) is not inside a count over %s", name, name)
}

func fnRequestContext(c *evalCtx, _ []any) (any, error) {
	return map[string]any{"apiVersion": c.apiVersion}, nil
}

func fnPolicy(c *evalCtx, _ []any) (any, error) {
	id := ""
	if c.p != nil {
		id = c.p.Def.ID
	}
	return map[string]any{"assignmentId": "", "definitionId": id, "setDefinitionId": "", "definitionReferenceId": ""}, nil
}

// policyTimeLayout is the form utcNow() and addDays() return.
const policyTimeLayout = "2006-01-02T15:04:05.0000000Z"

func fnUtcNow(c *evalCtx, args []any) (any, error) {
	t := c.now.UTC()
	if len(args) == 1 {
		f, _ := args[0].(string)
		switch f {
		case "u":
			return t.Format("2006-01-02 15:04:05Z"), nil
		case "d":
			return t.Format("1/2/2006"), nil
		case "yyyyMMdd":
			return t.Format("20060102"), nil
		}
	}
	return t.Format(policyTimeLayout), nil
}

func fnAddDays(_ *evalCtx, args []any) (any, error) {
	if len(args) != 2 {
		return nil, errors.New("addDays takes a date-time and a number of days")
	}
	s, ok := args[0].(string)
	if !ok {
		return nil, fmt.Errorf("addDays needs a date-time string, got %s", typeName(args[0]))
	}
	t, ok := parseDate(s)
	if !ok {
		return nil, fmt.Errorf("addDays: %q is not an ISO 8601 date-time", s)
	}
	n, ok := toInt(args[1])
	if !ok {
		return nil, fmt.Errorf("addDays needs a whole number of days, got %s", display(args[1]))
	}
	return t.AddDate(0, 0, int(n)).UTC().Format(policyTimeLayout), nil
}

// fnIPRangeContains reports whether targetRange lies within range; both
// may be an address, a CIDR prefix or "first-last". Mixing IPv4 and IPv6
// or an empty range is an evaluation error, as in Azure Policy.
func fnIPRangeContains(_ *evalCtx, args []any) (any, error) {
	if len(args) != 2 {
		return nil, errors.New("ipRangeContains takes a range and a target range")
	}
	rs, _ := args[0].(string)
	ts, _ := args[1].(string)
	r, err := parseIPRange(rs)
	if err != nil {
		return nil, fmt.Errorf("ipRangeContains range: %w", err)
	}
	t, err := parseIPRange(ts)
	if err != nil {
		return nil, fmt.Errorf("ipRangeContains target: %w", err)
	}
	if r.lo.Is4() != t.lo.Is4() {
		return nil, fmt.Errorf("ipRangeContains cannot compare %s with %s (IPv4 and IPv6)", rs, ts)
	}
	return r.lo.Compare(t.lo) <= 0 && t.hi.Compare(r.hi) <= 0, nil
}

type ipRange struct{ lo, hi netip.Addr }

func parseIPRange(s string) (ipRange, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return ipRange{}, errors.New("empty range")
	}
	if lo, hi, ok := strings.Cut(s, "-"); ok {
		a, err1 := netip.ParseAddr(strings.TrimSpace(lo))
		b, err2 := netip.ParseAddr(strings.TrimSpace(hi))
		if err1 != nil || err2 != nil || a.Is4() != b.Is4() || b.Less(a) {
			return ipRange{}, fmt.Errorf("%q is not a valid address range", s)
		}
		return ipRange{a, b}, nil
	}
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return ipRange{}, fmt.Errorf("%q is not a valid CIDR range", s)
		}
		p = p.Masked()
		return ipRange{p.Addr(), lastAddr(p)}, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return ipRange{}, fmt.Errorf("%q is not an IP address", s)
	}
	return ipRange{a, a}, nil
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	bits := p.Bits()
	for i := range b {
		for j := 0; j < 8; j++ {
			if i*8+j >= bits {
				b[i] |= 1 << (7 - j)
			}
		}
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}
