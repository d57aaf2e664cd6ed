package armexpr

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"

	"github.com/kvguard/kvguard/internal/resource"
)

// formatFunc is format(formatString, args...): .NET composite formatting
// ({0}, {1:D3}, {0,-8}, {{ and }} escapes) with the invariant culture.
func formatFunc(env *Env, a []any) (any, error) {
	if err := nargs(a, 1, -1); err != nil {
		return nil, err
	}
	if resource.IsUnknown(a[0]) {
		return unknownOf("format", a), nil
	}
	if p, ok := withPlaceholders(env, a[1:]); ok {
		a = append([]any{a[0]}, p...)
	}
	f, err := argString(a, 0)
	if err != nil {
		return nil, err
	}
	s, unknown, err := FormatNET(f, a[1:])
	if err != nil {
		return nil, err
	}
	if unknown {
		return unknownOf("format", a), nil
	}
	return checkString(s)
}

// FormatNET formats args into f as .NET's String.Format does with the
// invariant culture. unknown reports that a referenced argument is (or
// holds) an unknown value.
func FormatNET(f string, args []any) (out string, unknown bool, err error) {
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		c := f[i]
		switch c {
		case '{':
			if i+1 < len(f) && f[i+1] == '{' {
				b.WriteByte('{')
				i++
				continue
			}
			end := strings.IndexByte(f[i:], '}')
			if end < 0 {
				return "", false, argError("the format string %q has a '{' without a closing '}'", shorten(f))
			}
			item := f[i+1 : i+end]
			i += end
			idxText, spec, _ := strings.Cut(item, ":")
			idxText, alignText, hasAlign := strings.Cut(idxText, ",")
			idx, perr := strconv.Atoi(strings.TrimSpace(idxText))
			if perr != nil || idx < 0 {
				return "", false, argError("the format item {%s} does not start with an argument index", item)
			}
			if idx >= len(args) {
				return "", false, argError("the format item {%s} refers to argument %d, but only %d were given", item, idx, len(args))
			}
			v := args[idx]
			if ContainsUnknown(v) {
				unknown = true
				continue
			}
			text, ferr := formatItem(v, spec)
			if ferr != nil {
				return "", false, ferr
			}
			if hasAlign {
				w, aerr := strconv.Atoi(strings.TrimSpace(alignText))
				if aerr != nil {
					return "", false, argError("the format item {%s} has a bad alignment", item)
				}
				text = align(text, w)
			}
			b.WriteString(text)
		case '}':
			if i+1 < len(f) && f[i+1] == '}' {
				b.WriteByte('}')
				i++
				continue
			}
			return "", false, argError("the format string %q has a '}' without an opening '{'", shorten(f))
		default:
			b.WriteByte(c)
		}
		if b.Len() > MaxStringLen {
			return "", false, argError("the result is longer than %d bytes", MaxStringLen)
		}
	}
	return b.String(), unknown, nil
}

func align(s string, w int) string {
	n := len([]rune(s))
	if w > 0 && n < w {
		return strings.Repeat(" ", w-n) + s
	}
	if w < 0 && n < -w {
		return s + strings.Repeat(" ", -w-n)
	}
	return s
}

func formatItem(v any, spec string) (string, error) {
	switch x := normalize(v).(type) {
	case int64:
		return formatNumber(float64(x), x, true, spec)
	case float64:
		return formatNumber(x, int64(x), false, spec)
	}
	return Stringify(v), nil
}

// formatNumber applies a .NET standard or simple custom numeric format.
func formatNumber(f float64, i int64, isInt bool, spec string) (string, error) { //nolint:funlen // interpreter for .NET numeric format strings: one switch over the specifier letters, read as a table
	if spec == "" {
		if isInt {
			return strconv.FormatInt(i, 10), nil
		}
		return formatFloat(f), nil
	}
	letter := spec[0]
	prec := -1
	if len(spec) > 1 {
		p, err := strconv.Atoi(spec[1:])
		if err == nil {
			if p > 99 {
				p = 99
			}
			prec = p
		} else {
			return formatCustom(f, spec), nil
		}
	}
	switch letter {
	case 'D', 'd':
		if !isInt {
			return "", argError("the format specifier %q needs an integer", spec)
		}
		neg := i < 0
		digits := strconv.FormatUint(absInt(i), 10)
		if prec > len(digits) {
			digits = strings.Repeat("0", prec-len(digits)) + digits
		}
		if neg {
			digits = "-" + digits
		}
		return digits, nil
	case 'X', 'x':
		if !isInt {
			return "", argError("the format specifier %q needs an integer", spec)
		}
		h := strconv.FormatUint(uint64(i), 16)
		if letter == 'X' {
			h = strings.ToUpper(h)
		}
		if prec > len(h) {
			h = strings.Repeat("0", prec-len(h)) + h
		}
		return h, nil
	case 'N', 'n':
		if prec < 0 {
			prec = 2
		}
		return groupThousands(fixed(f, prec)), nil
	case 'F', 'f':
		if prec < 0 {
			prec = 2
		}
		return fixed(f, prec), nil
	case 'P', 'p':
		if prec < 0 {
			prec = 2
		}
		return groupThousands(fixed(f*100, prec)) + " %", nil
	case 'C', 'c':
		if prec < 0 {
			prec = 2
		}
		s := groupThousands(fixed(math.Abs(f), prec))
		if f < 0 {
			return "-¤" + s, nil
		}
		return "¤" + s, nil
	case 'E', 'e':
		if prec < 0 {
			prec = 6
		}
		s := strconv.FormatFloat(f, 'e', prec, 64)
		mant, exp, _ := strings.Cut(s, "e")
		sign := exp[0]
		exp = exp[1:]
		for len(exp) < 3 {
			exp = "0" + exp
		}
		return mant + string(letter) + string(sign) + exp, nil
	case 'G', 'g', 'R', 'r':
		if isInt {
			return strconv.FormatInt(i, 10), nil
		}
		return formatFloat(f), nil
	}
	return formatCustom(f, spec), nil
}

// fixed writes f with prec decimals, rounding halves away from zero as
// .NET does (Go's formatting rounds them to even).
func fixed(f float64, prec int) string {
	if prec <= 15 {
		scale := math.Pow10(prec)
		if r := math.Round(f * scale); !math.IsInf(r, 0) && math.Abs(r) < 1<<53 {
			f = r / scale
		}
	}
	return strconv.FormatFloat(f, 'f', prec, 64)
}

func absInt(i int64) uint64 {
	if i < 0 {
		return uint64(-(i + 1)) + 1
	}
	return uint64(i)
}

func groupThousands(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	out := b.String()
	if hasFrac {
		out += "." + frac
	}
	if neg {
		out = "-" + out
	}
	return out
}

// formatCustom handles the custom numeric formats templates use: "000"
// (zero padding), "#,##0", "0.00", with literal text around them.
func formatCustom(f float64, spec string) string {
	first := strings.IndexAny(spec, "#0")
	if first < 0 {
		return spec
	}
	last := strings.LastIndexAny(spec, "#0")
	lead, body, trail := spec[:first], spec[first:last+1], spec[last+1:]
	intSpec, fracSpec, _ := strings.Cut(body, ".")
	minInt := strings.Count(intSpec, "0")
	group := strings.Contains(intSpec, ",")
	decimals := strings.Count(fracSpec, "0") + strings.Count(fracSpec, "#")
	minDec := strings.Count(fracSpec, "0")
	s := strconv.FormatFloat(math.Abs(f), 'f', decimals, 64)
	ip, fp, _ := strings.Cut(s, ".")
	for len(ip) < minInt {
		ip = "0" + ip
	}
	if minInt == 0 && ip == "0" {
		ip = ""
	}
	for len(fp) > minDec && strings.HasSuffix(fp, "0") {
		fp = fp[:len(fp)-1]
	}
	if group {
		ip = groupThousands(ip)
	}
	out := ip
	if fp != "" {
		out += "." + fp
	}
	if f < 0 && out != "" {
		out = "-" + out
	}
	return lead + out + trail
}

// ParseJSON parses text as json() does: standard JSON, plus the
// single-quoted strings Newtonsoft accepts; "" and whitespace give null.
func ParseJSON(text string) (any, error) {
	t := strings.TrimSpace(text)
	if t == "" {
		return nil, nil
	}
	d := json.NewDecoder(strings.NewReader(t))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil || d.More() {
		alt, ok := singleToDoubleQuotes(t)
		if !ok {
			return nil, argError("%q is not valid JSON", shorten(t))
		}
		d = json.NewDecoder(strings.NewReader(alt))
		d.UseNumber()
		if err := d.Decode(&v); err != nil || d.More() {
			return nil, argError("%q is not valid JSON", shorten(t))
		}
	}
	return resource.NormalizeNumbers(v), nil
}

// singleToDoubleQuotes rewrites 'single-quoted' JSON strings as
// "double-quoted" ones.
func singleToDoubleQuotes(s string) (string, bool) {
	var b strings.Builder
	changed := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			j := i + 1
			for ; j < len(s) && s[j] != '"'; j++ {
				if s[j] == '\\' {
					j++
				}
			}
			if j >= len(s) {
				return "", false
			}
			b.WriteString(s[i : j+1])
			i = j
		case '\'':
			changed = true
			b.WriteByte('"')
			j := i + 1
			for ; j < len(s) && s[j] != '\''; j++ {
				switch s[j] {
				case '\\':
					b.WriteByte('\\')
					if j+1 < len(s) {
						j++
						b.WriteByte(s[j])
					}
				case '"':
					b.WriteString(`\"`)
				default:
					b.WriteByte(s[j])
				}
			}
			if j >= len(s) {
				return "", false
			}
			b.WriteByte('"')
			i = j
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), changed
}
