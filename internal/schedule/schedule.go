// Package schedule parses when kvguard serve scans: a Go duration
// ("15m": every 15 minutes) or a 5-field cron expression read in UTC
// ("*/15 * * * *", "0 6 * * 1-5"). It holds no timer: the server asks
// Next and waits on its own clock, so tests step time instead of
// sleeping. It imports only the standard library.
package schedule

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Schedule is a parsed schedule: an interval or a cron expression.
type Schedule struct {
	spec  string
	every time.Duration
	cron  *cron
}

// Parse reads spec: a positive Go duration of at least one second, or a
// cron expression of five fields (minute 0–59, hour 0–23, day of month
// 1–31, month 1–12, day of week 0–7 with 0 and 7 Sunday), each "*", a
// value, a range "a-b", a list "a,b" or a step "*/n" / "a-b/n" / "a/n",
// read in UTC. As in cron, when both day fields are restricted a day
// matching either is chosen.
func Parse(spec string) (Schedule, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return Schedule{}, fmt.Errorf("schedule: empty")
	}
	if !strings.ContainsAny(spec, " \t") {
		d, err := time.ParseDuration(spec)
		if err != nil {
			return Schedule{}, fmt.Errorf("schedule %q: neither a duration (15m) nor a 5-field cron expression", spec)
		}
		if d < time.Second {
			return Schedule{}, fmt.Errorf("schedule %q: the interval must be at least 1s", spec)
		}
		return Schedule{spec: spec, every: d}, nil
	}
	c, err := parseCron(spec)
	if err != nil {
		return Schedule{}, fmt.Errorf("schedule %q: %w", spec, err)
	}
	if c.next(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)).IsZero() {
		return Schedule{}, fmt.Errorf("schedule %q: no day matches (such as 30 February)", spec)
	}
	return Schedule{spec: spec, cron: c}, nil
}

// String is the spec the schedule was parsed from.
func (s Schedule) String() string { return s.spec }

// Interval is the schedule's interval, or 0 for a cron expression.
func (s Schedule) Interval() time.Duration { return s.every }

// Next is the first instant strictly after after at which the schedule
// fires: after plus the interval, or the next minute (UTC) the cron
// expression matches. The zero Schedule never fires (zero time).
func (s Schedule) Next(after time.Time) time.Time {
	switch {
	case s.every > 0:
		return after.Add(s.every)
	case s.cron != nil:
		return s.cron.next(after)
	}
	return time.Time{}
}

// cron is a parsed expression: the allowed values of each field as bit
// sets.
type cron struct {
	minute, hour, dom, month, dow uint64
	// domStar and dowStar record an unrestricted day field (cron's
	// either-day rule applies only when both are restricted).
	domStar, dowStar bool
}

type field struct {
	name     string
	min, max int
}

var fields = [5]field{{"minute", 0, 59}, {"hour", 0, 23}, {"day of month", 1, 31}, {"month", 1, 12}, {"day of week", 0, 7}}

func parseCron(spec string) (*cron, error) {
	parts := strings.Fields(spec)
	if len(parts) != 5 {
		return nil, fmt.Errorf("a cron expression has 5 fields (minute hour day-of-month month day-of-week), not %d", len(parts))
	}
	var sets [5]uint64
	for i, p := range parts {
		set, err := parseField(p, fields[i])
		if err != nil {
			return nil, err
		}
		sets[i] = set
	}
	if sets[4]&(1<<7) != 0 { // 7 is Sunday too
		sets[4] |= 1
	}
	return &cron{minute: sets[0], hour: sets[1], dom: sets[2], month: sets[3], dow: sets[4],
		domStar: parts[2] == "*" || parts[2] == "?", dowStar: parts[4] == "*" || parts[4] == "?"}, nil
}

func parseField(s string, f field) (uint64, error) {
	var set uint64
	for item := range strings.SplitSeq(s, ",") {
		lo, hi, step := f.min, f.max, 1
		rng := item
		if i := strings.IndexByte(item, '/'); i >= 0 {
			n, err := strconv.Atoi(item[i+1:])
			if err != nil || n <= 0 {
				return 0, fmt.Errorf("%s: step %q is not a positive number", f.name, item[i+1:])
			}
			step, rng = n, item[:i]
		}
		switch {
		case rng == "*" || rng == "?":
		case strings.Contains(rng, "-"):
			a, b, _ := strings.Cut(rng, "-")
			var err error
			if lo, err = value(a, f); err != nil {
				return 0, err
			}
			if hi, err = value(b, f); err != nil {
				return 0, err
			}
			if lo > hi {
				return 0, fmt.Errorf("%s: range %q runs backwards", f.name, rng)
			}
		default:
			v, err := value(rng, f)
			if err != nil {
				return 0, err
			}
			lo = v
			if !strings.Contains(item, "/") {
				hi = v
			}
		}
		for v := lo; v <= hi; v += step {
			set |= 1 << v
		}
	}
	return set, nil
}

func value(s string, f field) (int, error) {
	v, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%s: %q is not a number", f.name, s)
	}
	if v < f.min || v > f.max {
		return 0, fmt.Errorf("%s: %d is outside %d-%d", f.name, v, f.min, f.max)
	}
	return v, nil
}

func has(set uint64, v int) bool { return set&(1<<v) != 0 }

func (c *cron) dayMatches(t time.Time) bool {
	dom, dow := has(c.dom, t.Day()), has(c.dow, int(t.Weekday()))
	switch {
	case c.domStar && c.dowStar:
		return true
	case c.domStar:
		return dow
	case c.dowStar:
		return dom
	}
	return dom || dow
}

// next walks forward field by field (month, day, hour, minute), as
// robfig/cron does; a matching instant exists within five years unless
// the day fields can never match (31 February), then it gives up.
func (c *cron) next(after time.Time) time.Time {
	t := after.UTC().Truncate(time.Minute).Add(time.Minute)
	limit := t.AddDate(5, 0, 0)
	for t.Before(limit) {
		if !has(c.month, int(t.Month())) {
			t = time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, time.UTC)
			continue
		}
		if !c.dayMatches(t) {
			t = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, time.UTC)
			continue
		}
		if !has(c.hour, t.Hour()) {
			t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour()+1, 0, 0, 0, time.UTC)
			continue
		}
		if !has(c.minute, t.Minute()) {
			t = t.Add(time.Minute)
			continue
		}
		return t
	}
	return time.Time{}
}
