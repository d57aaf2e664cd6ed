package funcs

import (
	"errors"
	"fmt"
	"math/big"
	"net/netip"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/gocty"
)

// prefix is an address prefix as a big integer, for the arithmetic of the
// cidr functions across IPv4 and IPv6.
type prefix struct {
	base *big.Int
	bits int // 32 or 128
	len  int
}

func parsePrefix(s string) (prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return prefix{}, fmt.Errorf("invalid CIDR expression: %w", err)
	}
	p = p.Masked()
	addr := p.Addr()
	bits := 128
	if addr.Is4() {
		bits = 32
	}
	return prefix{base: new(big.Int).SetBytes(addr.AsSlice()), bits: bits, len: p.Bits()}, nil
}

func (p prefix) addr(n *big.Int) netip.Addr {
	b := n.FillBytes(make([]byte, p.bits/8))
	a, _ := netip.AddrFromSlice(b)
	return a
}

func (p prefix) String(n *big.Int, l int) string {
	return netip.PrefixFrom(p.addr(n), l).String()
}

func pow2(n int) *big.Int { return new(big.Int).Lsh(big.NewInt(1), uint(n)) }

func subnet(p prefix, newbits int, num *big.Int) (*big.Int, int, error) {
	nl := p.len + newbits
	if newbits < 0 || nl > p.bits {
		return nil, 0, fmt.Errorf("insufficient address space to extend prefix of %d by %d", p.len, newbits)
	}
	if num.Sign() < 0 || num.Cmp(pow2(newbits)) >= 0 {
		return nil, 0, fmt.Errorf("prefix extension of %d does not accommodate a subnet numbered %s", newbits, num)
	}
	off := new(big.Int).Lsh(num, uint(p.bits-nl))
	return new(big.Int).Add(p.base, off), nl, nil
}

func intArg(v cty.Value) (int, error) {
	var n int
	if err := gocty.FromCtyValue(v, &n); err != nil {
		return 0, err
	}
	return n, nil
}

// CidrSubnetFunc is cidrsubnet(prefix, newbits, netnum).
var CidrSubnetFunc = function.New(&function.Spec{
	Params: []function.Parameter{
		{Name: "prefix", Type: cty.String},
		{Name: "newbits", Type: cty.Number},
		{Name: "netnum", Type: cty.Number},
	},
	Type: function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		p, err := parsePrefix(args[0].AsString())
		if err != nil {
			return cty.NilVal, function.NewArgError(0, err)
		}
		nb, err := intArg(args[1])
		if err != nil {
			return cty.NilVal, function.NewArgError(1, err)
		}
		num, _ := args[2].AsBigFloat().Int(nil)
		n, l, err := subnet(p, nb, num)
		if err != nil {
			return cty.NilVal, err
		}
		return cty.StringVal(p.String(n, l)), nil
	},
})

// CidrHostFunc is cidrhost(prefix, hostnum); a negative hostnum counts
// from the end of the range.
var CidrHostFunc = function.New(&function.Spec{
	Params: []function.Parameter{
		{Name: "prefix", Type: cty.String},
		{Name: "hostnum", Type: cty.Number},
	},
	Type: function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		p, err := parsePrefix(args[0].AsString())
		if err != nil {
			return cty.NilVal, function.NewArgError(0, err)
		}
		num, _ := args[1].AsBigFloat().Int(nil)
		size := pow2(p.bits - p.len)
		if num.Sign() < 0 {
			num = new(big.Int).Add(size, num)
		}
		if num.Sign() < 0 || num.Cmp(size) >= 0 {
			return cty.NilVal, fmt.Errorf("prefix of %d does not accommodate a host numbered %s", p.len, args[1].AsBigFloat().String())
		}
		return cty.StringVal(p.addr(new(big.Int).Add(p.base, num)).String()), nil
	},
})

// CidrNetmaskFunc is cidrnetmask(prefix), IPv4 only.
var CidrNetmaskFunc = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "prefix", Type: cty.String}},
	Type:   function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		p, err := parsePrefix(args[0].AsString())
		if err != nil {
			return cty.NilVal, function.NewArgError(0, err)
		}
		if p.bits != 32 {
			return cty.NilVal, errors.New("IPv6 addresses cannot have a netmask")
		}
		mask := new(big.Int).Sub(pow2(32), pow2(32-p.len))
		return cty.StringVal(p.addr(mask).String()), nil
	},
})

// CidrSubnetsFunc is cidrsubnets(prefix, newbits...): consecutive subnets,
// each aligned to its own size.
var CidrSubnetsFunc = function.New(&function.Spec{
	Params:   []function.Parameter{{Name: "prefix", Type: cty.String}},
	VarParam: &function.Parameter{Name: "newbits", Type: cty.Number},
	Type:     function.StaticReturnType(cty.List(cty.String)),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		p, err := parsePrefix(args[0].AsString())
		if err != nil {
			return cty.NilVal, function.NewArgError(0, err)
		}
		if len(args) == 1 {
			return cty.ListValEmpty(cty.String), nil
		}
		end := new(big.Int).Add(p.base, pow2(p.bits-p.len))
		cur := new(big.Int).Set(p.base)
		out := make([]cty.Value, 0, len(args)-1)
		for i, a := range args[1:] {
			nb, err := intArg(a)
			if err != nil {
				return cty.NilVal, function.NewArgError(i+1, err)
			}
			nl := p.len + nb
			if nb < 1 || nl > p.bits {
				return cty.NilVal, function.NewArgErrorf(i+1, "would extend prefix to %d bits, which is too long for this address", nl)
			}
			size := pow2(p.bits - nl)
			// align cur up to a multiple of size
			rem := new(big.Int).Mod(cur, size)
			if rem.Sign() != 0 {
				cur.Add(cur, new(big.Int).Sub(size, rem))
			}
			next := new(big.Int).Add(cur, size)
			if next.Cmp(end) > 0 {
				return cty.NilVal, function.NewArgErrorf(i+1, "not enough remaining address space for a subnet with a prefix of %d bits", nl)
			}
			out = append(out, cty.StringVal(p.String(cur, nl)))
			cur = next
		}
		return cty.ListVal(out), nil
	},
})
