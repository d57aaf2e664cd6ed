package schedule

import (
	"strings"
	"testing"
	"time"
)

func at(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestNext(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		spec, after string
		want        []string // successive firings
	}{
		{"15m", "2026-01-01 00:07", []string{"2026-01-01 00:22", "2026-01-01 00:37"}},
		{"1h30m", "2026-01-01 23:00", []string{"2026-01-02 00:30"}},
		{"*/15 * * * *", "2026-01-01 00:07", []string{"2026-01-01 00:15", "2026-01-01 00:30", "2026-01-01 00:45", "2026-01-01 01:00"}},
		{"*/15 * * * *", "2026-01-01 00:15", []string{"2026-01-01 00:30"}},
		{"0 6 * * 1-5", "2026-01-02 07:00", []string{"2026-01-05 06:00", "2026-01-06 06:00"}}, // Friday → Monday
		{"0 0 29 2 *", "2026-03-01 00:00", []string{"2028-02-29 00:00", "2032-02-29 00:00"}},  // leap days only
		{"0 0 31 * *", "2026-01-31 00:00", []string{"2026-03-31 00:00", "2026-05-31 00:00"}},  // months with 31 days
		{"30 2 1 1,7 *", "2026-06-15 00:00", []string{"2026-07-01 02:30", "2027-01-01 02:30"}},
		{"0 12 * * 0", "2026-01-01 00:00", []string{"2026-01-04 12:00"}},                                         // Sunday as 0
		{"0 12 * * 7", "2026-01-01 00:00", []string{"2026-01-04 12:00"}},                                         // Sunday as 7
		{"0 0 13 * 5", "2026-02-01 00:00", []string{"2026-02-06 00:00", "2026-02-13 00:00", "2026-02-20 00:00"}}, // either day
		{"5/20 * * * *", "2026-01-01 00:00", []string{"2026-01-01 00:05", "2026-01-01 00:25", "2026-01-01 00:45", "2026-01-01 01:05"}},
		{"0 22-23/1 * * *", "2026-12-31 22:30", []string{"2026-12-31 23:00", "2027-01-01 22:00"}}, // across the year
		{"59 23 31 12 *", "2026-12-31 23:59", []string{"2027-12-31 23:59"}},
	} {
		t.Run(tc.spec+"@"+tc.after, func(t *testing.T) {
			t.Parallel()
			s, err := Parse(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			if s.String() != tc.spec {
				t.Errorf("String() = %q", s.String())
			}
			cur := at(tc.after)
			for i, w := range tc.want {
				cur = s.Next(cur)
				if !cur.Equal(at(w)) {
					t.Fatalf("firing %d: %s, want %s", i+1, cur.Format("2006-01-02 15:04 Mon"), w)
				}
			}
		})
	}
}

func TestNextIsUTC(t *testing.T) {
	t.Parallel()
	s, err := Parse("0 6 * * *")
	if err != nil {
		t.Fatal(err)
	}
	paris := time.FixedZone("CET", 3600)
	got := s.Next(time.Date(2026, 1, 1, 6, 30, 0, 0, paris)) // 05:30 UTC
	if want := at("2026-01-01 06:00"); !got.Equal(want) {
		t.Errorf("Next = %s, want %s", got, want)
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ spec, want string }{
		{"", "empty"},
		{"soon", "neither a duration"},
		{"10ms", "at least 1s"},
		{"-5m", "at least 1s"},
		{"* * * *", "5 fields"},
		{"60 * * * *", "minute: 60 is outside 0-59"},
		{"* 24 * * *", "hour: 24 is outside"},
		{"* * 0 * *", "day of month: 0 is outside"},
		{"* * * 13 *", "month: 13 is outside"},
		{"* * * * 8", "day of week: 8 is outside"},
		{"*/0 * * * *", "step"},
		{"5-1 * * * *", "backwards"},
		{"a * * * *", "not a number"},
		{"0 0 30 2 *", "no day matches"},
	} {
		t.Run(tc.spec, func(t *testing.T) {
			t.Parallel()
			_, err := Parse(tc.spec)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse(%q) = %v, want an error containing %q", tc.spec, err, tc.want)
			}
		})
	}
}

func TestZeroNeverFires(t *testing.T) {
	t.Parallel()
	if got := (Schedule{}).Next(at("2026-01-01 00:00")); !got.IsZero() {
		t.Errorf("zero Schedule fired at %s", got)
	}
}
