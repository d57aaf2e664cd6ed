package armexpr

import (
	"math/big"
	"net/netip"
	"strconv"
)

func cidrFuncs() map[string]Func {
	return map[string]Func{
		"parseCidr": strict("parseCidr", 1, 1, func(_ *Env, a []any) (any, error) {
			p, err := cidrArg(a, 0)
			if err != nil {
				return nil, err
			}
			bitsLen := p.Addr().BitLen()
			network := p.Masked().Addr()
			last := addrAdd(network, new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), uint(bitsLen-p.Bits())), big.NewInt(1)))
			out := map[string]any{
				"network": network.String(),
				"cidr":    int64(p.Bits()),
			}
			if network.Is4() {
				mask := net4Mask(p.Bits())
				out["netmask"] = mask
				out["broadcast"] = last.String()
				first, lastUsable := network, last
				if p.Bits() < 31 {
					first, lastUsable = network.Next(), last.Prev()
				}
				out["firstUsable"] = first.String()
				out["lastUsable"] = lastUsable.String()
			} else {
				out["netmask"] = netipMask6(p.Bits())
				out["firstUsable"] = network.String()
				out["lastUsable"] = last.String()
			}
			return out, nil
		}),
		"cidrSubnet": strict("cidrSubnet", 3, 3, func(_ *Env, a []any) (any, error) {
			p, err := cidrArg(a, 0)
			if err != nil {
				return nil, err
			}
			nb, err := argInt(a, 1)
			if err != nil {
				return nil, err
			}
			idx, err := argInt(a, 2)
			if err != nil {
				return nil, err
			}
			if nb < int64(p.Bits()) || nb > int64(p.Addr().BitLen()) {
				return nil, argError("the new prefix length %d must be between %d and %d", nb, p.Bits(), p.Addr().BitLen())
			}
			if nb-int64(p.Bits()) < 62 && (idx < 0 || idx >= int64(1)<<(nb-int64(p.Bits()))) {
				return nil, argError("subnet index %d is out of range", idx)
			}
			off := new(big.Int).Lsh(big.NewInt(idx), uint(int64(p.Addr().BitLen())-nb))
			return addrAdd(p.Masked().Addr(), off).String() + "/" + strconv.FormatInt(nb, 10), nil
		}),
		"cidrHost": strict("cidrHost", 2, 2, func(_ *Env, a []any) (any, error) {
			p, err := cidrArg(a, 0)
			if err != nil {
				return nil, err
			}
			idx, err := argInt(a, 1)
			if err != nil {
				return nil, err
			}
			hostBits := p.Addr().BitLen() - p.Bits()
			size := new(big.Int).Lsh(big.NewInt(1), uint(hostBits))
			start := int64(0)
			if p.Addr().Is4() && p.Bits() < 31 {
				start = 1
				size.Sub(size, big.NewInt(2))
			}
			if idx < 0 || big.NewInt(idx).Cmp(size) >= 0 {
				return nil, argError("host index %d is out of range", idx)
			}
			return addrAdd(p.Masked().Addr(), big.NewInt(idx+start)).String(), nil
		}),
	}
}

func cidrArg(a []any, i int) (netip.Prefix, error) {
	s, err := argString(a, i)
	if err != nil {
		return netip.Prefix{}, err
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, argError("%q is not a CIDR range", s)
	}
	return p, nil
}

func addrAdd(a netip.Addr, n *big.Int) netip.Addr {
	b := a.AsSlice()
	v := new(big.Int).SetBytes(b)
	v.Add(v, n)
	out := v.FillBytes(make([]byte, len(b)))
	r, _ := netip.AddrFromSlice(out)
	return r
}

func net4Mask(bitsN int) string {
	var m uint32
	if bitsN > 0 {
		m = ^uint32(0) << (32 - bitsN)
	}
	return netip.AddrFrom4([4]byte{byte(m >> 24), byte(m >> 16), byte(m >> 8), byte(m)}).String()
}

func netipMask6(bitsN int) string {
	var b [16]byte
	for i := 0; i < bitsN; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	return netip.AddrFrom16(b).String()
}
