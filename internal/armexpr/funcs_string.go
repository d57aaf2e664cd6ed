package armexpr

import (
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"

	"github.com/kvguard/kvguard/internal/resource"
)

func stringFuncs() map[string]Func {
	return map[string]Func{
		"base64": strict("base64", 1, 1, func(_ *Env, a []any) (any, error) {
			s, err := argString(a, 0)
			if err != nil {
				return nil, err
			}
			return base64.StdEncoding.EncodeToString([]byte(s)), nil
		}),
		"base64ToString": strict("base64ToString", 1, 1, func(_ *Env, a []any) (any, error) {
			b, err := decodeBase64Arg(a)
			if err != nil {
				return nil, err
			}
			return string(b), nil
		}),
		"base64ToJson": strict("base64ToJson", 1, 1, func(_ *Env, a []any) (any, error) {
			b, err := decodeBase64Arg(a)
			if err != nil {
				return nil, err
			}
			return ParseJSON(string(b))
		}),
		"dataUri": strict("dataUri", 1, 1, func(_ *Env, a []any) (any, error) {
			s := Stringify(a[0])
			return "data:text/plain;charset=utf8;base64," + base64.StdEncoding.EncodeToString([]byte(s)), nil
		}),
		"dataUriToString": strict("dataUriToString", 1, 1, func(_ *Env, a []any) (any, error) {
			s, err := argString(a, 0)
			if err != nil {
				return nil, err
			}
			return dataURIToString(s)
		}),
		"endsWith": strict("endsWith", 2, 2, func(_ *Env, a []any) (any, error) {
			s, t, err := twoStrings(a)
			if err != nil {
				return nil, err
			}
			return strings.HasSuffix(strings.ToLower(s), strings.ToLower(t)), nil
		}),
		"startsWith": strict("startsWith", 2, 2, func(_ *Env, a []any) (any, error) {
			s, t, err := twoStrings(a)
			if err != nil {
				return nil, err
			}
			return strings.HasPrefix(strings.ToLower(s), strings.ToLower(t)), nil
		}),
		"format":       formatFunc,
		"guid":         deep("guid", 1, -1, guidFunc),
		"uniqueString": deep("uniqueString", 1, -1, uniqueStringFunc),
		"newGuid": func(_ *Env, a []any) (any, error) {
			if err := nargs(a, 0, 0); err != nil {
				return nil, err
			}
			return resource.Unknown{Expr: "newGuid()"}, nil
		},
		"padLeft": strict("padLeft", 2, 3, func(_ *Env, a []any) (any, error) {
			var s string
			switch v := a[0].(type) {
			case string:
				s = v
			case int64, float64:
				s = Stringify(v)
			default:
				return nil, argError("argument 1 must be a string or an integer, not %s", TypeName(a[0]))
			}
			n, err := argInt(a, 1)
			if err != nil {
				return nil, err
			}
			if n > MaxStringLen {
				return nil, argError("total length %d is too large", n)
			}
			pad := " "
			if len(a) == 3 {
				if pad, err = argString(a, 2); err != nil {
					return nil, err
				}
				if len([]rune(pad)) != 1 {
					return nil, argError("the padding character must be a single character, not %q", pad)
				}
			}
			count := int(n) - len([]rune(s))
			if count <= 0 {
				return s, nil
			}
			return strings.Repeat(pad, count) + s, nil
		}),
		"replace": strict("replace", 3, 3, func(_ *Env, a []any) (any, error) {
			s, err := argString(a, 0)
			if err != nil {
				return nil, err
			}
			old, err := argString(a, 1)
			if err != nil {
				return nil, err
			}
			nw, err := argString(a, 2)
			if err != nil {
				return nil, err
			}
			if old == "" {
				return nil, argError("the string to replace must not be empty")
			}
			if n := strings.Count(s, old); n > 0 && len(nw) > len(old) && len(s)+n*(len(nw)-len(old)) > MaxStringLen {
				return nil, argError("the result is longer than %d bytes", MaxStringLen)
			}
			return strings.ReplaceAll(s, old, nw), nil
		}),
		"split": strict("split", 2, 2, func(_ *Env, a []any) (any, error) {
			s, err := argString(a, 0)
			if err != nil {
				return nil, err
			}
			var delims []string
			switch d := a[1].(type) {
			case string:
				delims = []string{d}
			case []any:
				for _, e := range d {
					ds, ok := e.(string)
					if !ok {
						if resource.IsUnknown(e) {
							return unknownOf("split", a), nil
						}
						return nil, argError("delimiters must be strings, not %s", TypeName(e))
					}
					delims = append(delims, ds)
				}
			default:
				return nil, argError("argument 2 must be a string or an array of strings, not %s", TypeName(a[1]))
			}
			return splitAny(s, delims), nil
		}),
		"string": deep("string", 1, 1, func(_ *Env, a []any) (any, error) {
			return Stringify(a[0]), nil
		}),
		"substring": strict("substring", 2, 3, func(_ *Env, a []any) (any, error) {
			s, err := argString(a, 0)
			if err != nil {
				return nil, err
			}
			start, err := argInt(a, 1)
			if err != nil {
				return nil, err
			}
			// .NET indexes UTF-16 code units; runes are close enough for
			// the names templates build.
			r := []rune(s)
			n := int64(len(r)) - start
			if len(a) == 3 {
				if n, err = argInt(a, 2); err != nil {
					return nil, err
				}
			}
			if start < 0 || start > int64(len(r)) {
				return nil, argError("the start index %d is outside the string of length %d", start, len(r))
			}
			if n < 0 || start+n > int64(len(r)) {
				return nil, argError("the length %d from index %d goes past the end of the string of length %d", n, start, len(r))
			}
			return string(r[start : start+n]), nil
		}),
		"toLower": strict("toLower", 1, 1, func(_ *Env, a []any) (any, error) {
			s, err := argString(a, 0)
			if err != nil {
				return nil, err
			}
			return strings.ToLower(s), nil
		}),
		"toUpper": strict("toUpper", 1, 1, func(_ *Env, a []any) (any, error) {
			s, err := argString(a, 0)
			if err != nil {
				return nil, err
			}
			return strings.ToUpper(s), nil
		}),
		"trim": strict("trim", 1, 1, func(_ *Env, a []any) (any, error) {
			s, err := argString(a, 0)
			if err != nil {
				return nil, err
			}
			return strings.TrimSpace(s), nil
		}),
		"uri": strict("uri", 2, 2, func(_ *Env, a []any) (any, error) {
			base, rel, err := twoStrings(a)
			if err != nil {
				return nil, err
			}
			b, err := url.Parse(base)
			if err != nil || !b.IsAbs() {
				return nil, argError("the base %q is not an absolute URI", base)
			}
			r, err := url.Parse(rel)
			if err != nil {
				return nil, argError("the relative URI %q is not valid", rel)
			}
			return b.ResolveReference(r).String(), nil
		}),
		"uriComponent": strict("uriComponent", 1, 1, func(_ *Env, a []any) (any, error) {
			return escapeDataString(Stringify(a[0])), nil
		}),
		"uriComponentToString": strict("uriComponentToString", 1, 1, func(_ *Env, a []any) (any, error) {
			s, err := argString(a, 0)
			if err != nil {
				return nil, err
			}
			u, err := url.PathUnescape(s)
			if err != nil {
				return nil, argError("%q is not an encoded URI component", s)
			}
			return u, nil
		}),
		"parseUri": strict("parseUri", 1, 1, func(_ *Env, a []any) (any, error) {
			s, err := argString(a, 0)
			if err != nil {
				return nil, err
			}
			u, err := url.Parse(s)
			if err != nil || !u.IsAbs() {
				return nil, argError("%q is not an absolute URI", s)
			}
			port := u.Port()
			if port == "" {
				switch u.Scheme {
				case "https":
					port = "443"
				case "http":
					port = "80"
				}
			}
			p, _ := strconv.ParseInt(port, 10, 64)
			q := ""
			if u.RawQuery != "" {
				q = "?" + u.RawQuery
			}
			path := u.EscapedPath()
			if path == "" {
				path = "/"
			}
			return map[string]any{"absoluteUri": u.String(), "scheme": u.Scheme, "host": u.Hostname(), "port": p, "path": path, "query": q}, nil
		}),
		"buildUri": deep("buildUri", 1, 1, func(_ *Env, a []any) (any, error) {
			o, err := argObject(a, 0)
			if err != nil {
				return nil, err
			}
			scheme, _ := o["scheme"].(string)
			host, _ := o["host"].(string)
			path, _ := o["path"].(string)
			query, _ := o["query"].(string)
			var b strings.Builder
			b.WriteString(scheme + "://" + host)
			if p, ok := asInt(o["port"]); ok && (scheme != "https" || p != 443) && (scheme != "http" || p != 80) {
				b.WriteString(":" + strconv.FormatInt(p, 10))
			}
			if path != "" && !strings.HasPrefix(path, "/") {
				b.WriteByte('/')
			}
			b.WriteString(path)
			if query != "" && !strings.HasPrefix(query, "?") {
				b.WriteByte('?')
			}
			b.WriteString(query)
			return b.String(), nil
		}),
	}
}

func twoStrings(a []any) (string, string, error) {
	s, err := argString(a, 0)
	if err != nil {
		return "", "", err
	}
	t, err := argString(a, 1)
	if err != nil {
		return "", "", err
	}
	return s, t, nil
}

func decodeBase64Arg(a []any) ([]byte, error) {
	s, err := argString(a, 0)
	if err != nil {
		return nil, err
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		if b, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "=")); err != nil {
			return nil, argError("%q is not base64", shorten(s))
		}
	}
	return b, nil
}

func dataURIToString(s string) (any, error) {
	rest, ok := strings.CutPrefix(s, "data:")
	if !ok {
		return nil, argError("%q is not a data URI", shorten(s))
	}
	meta, data, ok := strings.Cut(rest, ",")
	if !ok {
		return nil, argError("%q is not a data URI", shorten(s))
	}
	if strings.HasSuffix(meta, ";base64") {
		b, err := base64.StdEncoding.DecodeString(data)
		if err != nil {
			return nil, argError("the data URI's payload is not base64")
		}
		return string(b), nil
	}
	u, err := url.PathUnescape(data)
	if err != nil {
		return nil, argError("the data URI's payload is not URL-encoded")
	}
	return u, nil
}

func shorten(s string) string {
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}

// splitAny splits s at any of the delimiters, as .NET's String.Split(string[]).
func splitAny(s string, delims []string) []any {
	var out []any
	start := 0
	for i := 0; i < len(s); {
		matched := 0
		for _, d := range delims {
			if d != "" && strings.HasPrefix(s[i:], d) {
				matched = len(d)
				break
			}
		}
		if matched > 0 {
			out = append(out, s[start:i])
			i += matched
			start = i
			continue
		}
		i++
	}
	return append(out, s[start:])
}

// escapeDataString escapes everything but RFC 3986's unreserved
// characters, as .NET's Uri.EscapeDataString.
func escapeDataString(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}
