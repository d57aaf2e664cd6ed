package armexpr

import (
	"strconv"
	"strings"
	"time"
)

// isoLayout is how date functions write instants by default.
const isoLayout = "2006-01-02T15:04:05Z"

func dateFuncs() map[string]Func {
	return map[string]Func{
		"utcNow": func(env *Env, a []any) (any, error) {
			if err := nargs(a, 0, 1); err != nil {
				return nil, err
			}
			now := deploymentOf(env).Now
			if now.IsZero() || anyUnknown(a) {
				return unknownOf("utcNow", a), nil
			}
			format := "yyyyMMddTHHmmssZ"
			if len(a) == 1 {
				s, err := argString(a, 0)
				if err != nil {
					return nil, err
				}
				format = s
			}
			return FormatDateTime(now.UTC(), format), nil
		},
		"dateTimeAdd": strict("dateTimeAdd", 2, 3, func(_ *Env, a []any) (any, error) {
			s, d, err := twoStrings(a)
			if err != nil {
				return nil, err
			}
			t, err := ParseDateTime(s)
			if err != nil {
				return nil, err
			}
			t, err = AddISODuration(t, d)
			if err != nil {
				return nil, err
			}
			if len(a) == 3 {
				f, err := argString(a, 2)
				if err != nil {
					return nil, err
				}
				return FormatDateTime(t, f), nil
			}
			return formatInstant(t), nil
		}),
		"dateTimeToEpoch": strict("dateTimeToEpoch", 1, 1, func(_ *Env, a []any) (any, error) {
			s, err := argString(a, 0)
			if err != nil {
				return nil, err
			}
			t, err := ParseDateTime(s)
			if err != nil {
				return nil, err
			}
			return t.Unix(), nil
		}),
		"dateTimeFromEpoch": strict("dateTimeFromEpoch", 1, 1, func(_ *Env, a []any) (any, error) {
			n, err := argInt(a, 0)
			if err != nil {
				return nil, err
			}
			return time.Unix(n, 0).UTC().Format(isoLayout), nil
		}),
	}
}

func formatInstant(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond() != 0 {
		return strings.TrimRight(t.Format("2006-01-02T15:04:05.0000000"), "0") + "Z"
	}
	return t.Format(isoLayout)
}

// dateLayouts are the forms ParseDateTime accepts.
var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.9999999",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05Z",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04Z07:00",
	"2006-01-02",
	"20060102T150405Z",
	"1/2/2006 3:04:05 PM",
	"1/2/2006 15:04:05",
	"1/2/2006",
	time.RFC1123,
	time.RFC1123Z,
}

// ParseDateTime reads an ISO 8601 instant (and the other forms .NET
// parses that templates use), as UTC when no offset is given.
func ParseDateTime(s string) (time.Time, error) {
	t := strings.TrimSpace(s)
	for _, l := range dateLayouts {
		if v, err := time.Parse(l, t); err == nil {
			return v.UTC(), nil
		}
	}
	return time.Time{}, argError("%q is not a date and time", shorten(s))
}

// AddISODuration adds an ISO 8601 duration (P1Y2M3DT4H5M6S, P2W, -P1D)
// to t, with .NET's month arithmetic (Jan 31 + P1M is Feb 28/29).
func AddISODuration(t time.Time, d string) (time.Time, error) { //nolint:funlen // ISO 8601 duration parser: one scan over the designators, splitting it would scatter the grammar
	s := strings.TrimSpace(d)
	neg := false
	if strings.HasPrefix(s, "-") {
		neg, s = true, s[1:]
	}
	if !strings.HasPrefix(strings.ToUpper(s), "P") || len(s) < 2 {
		return t, argError("%q is not an ISO 8601 duration", d)
	}
	s = strings.ToUpper(s[1:])
	var years, months, days int
	var clock time.Duration
	inTime := false
	num := ""
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9' || c == '.' || c == ',':
			num += string(c)
			continue
		case c == 'T':
			if num != "" || inTime {
				return t, argError("%q is not an ISO 8601 duration", d)
			}
			inTime = true
			continue
		}
		if num == "" {
			return t, argError("%q is not an ISO 8601 duration", d)
		}
		f, err := strconv.ParseFloat(strings.ReplaceAll(num, ",", "."), 64)
		if err != nil || f > 1e9 {
			return t, argError("%q is not an ISO 8601 duration", d)
		}
		n := int(f)
		num = ""
		switch {
		case !inTime && c == 'Y':
			years += n
		case !inTime && c == 'M':
			months += n
		case !inTime && c == 'W':
			days += 7 * n
		case !inTime && c == 'D':
			days += n
		case inTime && c == 'H':
			clock += time.Duration(f * float64(time.Hour))
		case inTime && c == 'M':
			clock += time.Duration(f * float64(time.Minute))
		case inTime && c == 'S':
			clock += time.Duration(f * float64(time.Second))
		default:
			return t, argError("%q is not an ISO 8601 duration", d)
		}
	}
	if num != "" {
		return t, argError("%q is not an ISO 8601 duration", d)
	}
	sign := 1
	if neg {
		sign = -1
	}
	t = addMonthsNET(t, sign*(years*12+months))
	t = t.AddDate(0, 0, sign*days)
	return t.Add(time.Duration(sign) * clock), nil
}

// addMonthsNET adds months as .NET's DateTime.AddMonths: the day is
// clamped to the last day of the resulting month.
func addMonthsNET(t time.Time, months int) time.Time {
	if months == 0 {
		return t
	}
	y, m, d := t.Date()
	total := int(m) - 1 + months
	ny := y + total/12
	nm := total % 12
	if nm < 0 {
		nm += 12
		ny--
	}
	last := time.Date(ny, time.Month(nm+2), 0, 0, 0, 0, 0, time.UTC).Day()
	if d > last {
		d = last
	}
	return time.Date(ny, time.Month(nm+1), d, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
}

// FormatDateTime formats t with a .NET standard ("u", "s", "o", "d", ...)
// or custom ("yyyyMMddTHHmmssZ", "yyyy-MM-dd") date and time format.
func FormatDateTime(t time.Time, f string) string { //nolint:funlen // interpreter for .NET custom date formats: one case per format token, read as a table
	switch f {
	case "":
		return formatInstant(t)
	case "d":
		f = "M/d/yyyy"
	case "D":
		f = "dddd, dd MMMM yyyy"
	case "f":
		f = "dddd, dd MMMM yyyy HH:mm"
	case "F":
		f = "dddd, dd MMMM yyyy HH:mm:ss"
	case "g":
		f = "M/d/yyyy h:mm tt"
	case "G":
		f = "M/d/yyyy h:mm:ss tt"
	case "M", "m":
		f = "MMMM dd"
	case "o", "O":
		f = "yyyy-MM-ddTHH:mm:ss.fffffffK"
	case "r", "R":
		f = "ddd, dd MMM yyyy HH:mm:ss 'GMT'"
	case "s":
		f = "yyyy-MM-ddTHH:mm:ss"
	case "t":
		f = "h:mm tt"
	case "T":
		f = "h:mm:ss tt"
	case "u":
		f = "yyyy-MM-dd HH:mm:ssZ"
	case "U":
		f = "dddd, dd MMMM yyyy HH:mm:ss"
	case "y", "Y":
		f = "yyyy MMMM"
	}
	var b strings.Builder
	for i := 0; i < len(f); {
		c := f[i]
		n := 1
		for i+n < len(f) && f[i+n] == c {
			n++
		}
		switch c {
		case 'y':
			y := t.Year()
			switch {
			case n <= 2:
				b.WriteString(pad(y%100, n))
			default:
				b.WriteString(pad(y, n))
			}
		case 'M':
			switch n {
			case 1, 2:
				b.WriteString(pad(int(t.Month()), n))
			case 3:
				b.WriteString(t.Month().String()[:3])
			default:
				b.WriteString(t.Month().String())
			}
		case 'd':
			switch n {
			case 1, 2:
				b.WriteString(pad(t.Day(), n))
			case 3:
				b.WriteString(t.Weekday().String()[:3])
			default:
				b.WriteString(t.Weekday().String())
			}
		case 'H':
			b.WriteString(pad(t.Hour(), min(n, 2)))
		case 'h':
			h := t.Hour() % 12
			if h == 0 {
				h = 12
			}
			b.WriteString(pad(h, min(n, 2)))
		case 'm':
			b.WriteString(pad(t.Minute(), min(n, 2)))
		case 's':
			b.WriteString(pad(t.Second(), min(n, 2)))
		case 'f', 'F':
			digits := pad(t.Nanosecond()/100, 7)[:min(n, 7)]
			if c == 'F' {
				digits = strings.TrimRight(digits, "0")
			}
			b.WriteString(digits)
		case 't':
			ampm := "AM"
			if t.Hour() >= 12 {
				ampm = "PM"
			}
			b.WriteString(ampm[:min(n, 2)])
		case 'K':
			b.WriteString("Z")
		case 'z':
			b.WriteString([]string{"+0", "+00", "+00:00"}[min(n, 3)-1])
		case '\'', '"':
			end := strings.IndexByte(f[i+1:], c)
			if end < 0 {
				b.WriteString(f[i+1:])
				return b.String()
			}
			b.WriteString(f[i+1 : i+1+end])
			i += end + 2
			continue
		case '\\':
			if i+1 < len(f) {
				b.WriteByte(f[i+1])
			}
			i += 2
			continue
		default:
			b.WriteString(f[i : i+n])
		}
		i += n
	}
	return b.String()
}

func pad(v, n int) string {
	s := strconv.Itoa(v)
	for len(s) < n {
		s = "0" + s
	}
	return s
}
