package resource

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestScheduledRotationDate(t *testing.T) {
	t.Parallel()
	rotate := func(trigger map[string]any) map[string]any {
		return map[string]any{"lifetimeActions": []any{
			map[string]any{"trigger": map[string]any{"timeBeforeExpiry": "P30D"}, "action": map[string]any{"type": "Notify"}},
			map[string]any{"trigger": trigger, "action": map[string]any{"type": "rotate"}},
		}}
	}
	const created, expires = "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"
	tests := []struct {
		name            string
		policy, cr, exp any
		want            any
		wantUnknown     bool
	}{
		{name: "no policy", policy: nil, cr: created, want: nil},
		{name: "after create", policy: rotate(map[string]any{"timeAfterCreate": "P90D"}), cr: created, want: "2026-04-01T00:00:00Z"},
		{name: "after create, months", policy: rotate(map[string]any{"timeAfterCreate": "P1Y2M"}), cr: created, want: "2027-03-01T00:00:00Z"},
		{name: "created as time", policy: rotate(map[string]any{"timeAfterCreate": "PT36H"}), cr: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), want: "2026-01-02T12:00:00Z"},
		{name: "before expiry", policy: rotate(map[string]any{"timeBeforeExpiry": "P1M"}), cr: created, exp: expires, want: "2026-12-01T00:00:00Z"},
		{name: "before expiry, never expires", policy: rotate(map[string]any{"timeBeforeExpiry": "P1M"}), cr: created, want: nil},
		{name: "notify only", policy: map[string]any{"lifetimeActions": []any{map[string]any{"trigger": map[string]any{"timeBeforeExpiry": "P30D"}, "action": map[string]any{"type": "Notify"}}}}, cr: created, want: nil},
		{name: "az flat form", policy: map[string]any{"lifetimeActions": []any{map[string]any{"action": "Rotate", "timeAfterCreate": "P7D", "timeBeforeExpiry": nil}}}, cr: created, want: "2026-01-08T00:00:00Z"},
		{name: "creation unknown before apply", policy: rotate(map[string]any{"timeAfterCreate": "P90D"}), cr: nil, wantUnknown: true},
		{name: "policy unknown", policy: Unknown{Expr: "var.rp"}, cr: created, wantUnknown: true},
		{name: "duration unknown", policy: rotate(map[string]any{"timeAfterCreate": Unknown{Expr: "var.d"}}), cr: created, wantUnknown: true},
		{name: "not a duration", policy: rotate(map[string]any{"timeAfterCreate": "90 days"}), cr: created, wantUnknown: true},
		{name: "earliest rotate wins", policy: map[string]any{"lifetimeActions": []any{
			map[string]any{"trigger": map[string]any{"timeAfterCreate": "P60D"}, "action": map[string]any{"type": "Rotate"}},
			map[string]any{"trigger": map[string]any{"timeAfterCreate": "P30D"}, "action": map[string]any{"type": "Rotate"}},
		}}, cr: created, want: "2026-01-31T00:00:00Z"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := ScheduledRotationDate(tc.policy, tc.cr, tc.exp)
			if tc.wantUnknown {
				if !IsUnknown(got) {
					t.Fatalf("got %#v, want an Unknown", got)
				}
				return
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestAddISODuration(t *testing.T) {
	t.Parallel()
	base := time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		d    string
		sign int
		want string
		ok   bool
	}{
		{"P1D", 1, "2026-02-01T00:00:00Z", true},
		{"P2W", 1, "2026-02-14T00:00:00Z", true},
		{"p1y", -1, "2025-01-31T00:00:00Z", true},
		{"P1DT1H30M5S", 1, "2026-02-01T01:30:05Z", true},
		{"P", 1, "", false},
		{"PT", 1, "", false},
		{"P1H", 1, "", false},
		{"P1DT", 1, "", false},
		{"90D", 1, "", false},
		{"P9999999D", 1, "", false},
	} {
		got, ok := AddISODuration(base, tc.d, tc.sign)
		if ok != tc.ok || (ok && FormatTime(got) != tc.want) {
			t.Errorf("AddISODuration(%q, %d) = %s, %v; want %s, %v", tc.d, tc.sign, FormatTime(got), ok, tc.want, tc.ok)
		}
	}
}

func TestNewComponentSchedulesRotation(t *testing.T) {
	t.Parallel()
	pol := map[string]any{"lifetimeActions": []any{map[string]any{"trigger": map[string]any{"timeAfterCreate": "P90D"}, "action": map[string]any{"type": "Rotate"}}}}
	d := NewComponent(TypeKey, Ref{}, "https://v.vault.azure.net/keys/k", "k", ObjectAttributes{Created: "2026-01-01T00:00:00Z"}, map[string]any{"rotationPolicy": pol})
	if got := d.Body["scheduledRotationDate"]; got != "2026-04-01T00:00:00Z" {
		t.Errorf("scheduledRotationDate = %#v", got)
	}
	s := NewComponent(TypeSecret, Ref{}, "https://v.vault.azure.net/secrets/s", "s", ObjectAttributes{Created: "2026-01-01T00:00:00Z"}, map[string]any{"rotationPolicy": pol})
	if _, ok := s.Body["scheduledRotationDate"]; ok {
		t.Errorf("a secret got a scheduledRotationDate")
	}
}
