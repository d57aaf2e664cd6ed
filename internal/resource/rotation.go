package resource

import (
	"strconv"
	"strings"
	"time"
)

// Key rotation schedules. Azure Policy's
// Microsoft.KeyVault.Data/vaults/keys/scheduledRotationDate (and the
// Managed HSM twin) is not a stored property: Key Vault derives it from
// the key's rotation policy (reference/policy-ground-truth.md §D2). The
// first Rotate lifetime action schedules it: timeAfterCreate after the
// key's creation, or timeBeforeExpiry before its expiry. A policy with
// no Rotate action (or a timeBeforeExpiry on a key that never expires)
// schedules nothing: the alias is absent. Every input derives it here so
// that the same key gives the same date whatever the input.

// ScheduledRotationDate is the date the key's rotation policy schedules
// its rotation, as a TimeLayout string; nil when it schedules none; an
// Unknown when the policy, or the instant it counts from, is not known
// (IaC before apply: a key's creation time). created and expires are the
// key's attributes.createdOn and expiresOn as documents hold them.
func ScheduledRotationDate(policy, created, expires any) any {
	if u, ok := policy.(Unknown); ok {
		return Unknown{Expr: "the rotation schedule of rotation policy " + u.Expr}
	}
	pm, ok := policy.(map[string]any)
	if !ok {
		return nil
	}
	actionsV, _ := LookupFold(pm, "lifetimeActions")
	if u, ok := actionsV.(Unknown); ok {
		return Unknown{Expr: "the rotation schedule of lifetime actions " + u.Expr}
	}
	actions, _ := actionsV.([]any)
	var best any
	var bestT time.Time
	for _, a := range actions {
		am, ok := a.(map[string]any)
		if !ok {
			continue
		}
		typ, known := rotationActionType(am)
		if !known {
			return Unknown{Expr: "the type of a rotation policy's lifetime action"}
		}
		if !strings.EqualFold(typ, "Rotate") {
			continue
		}
		d := rotationDate(rotationTrigger(am), created, expires)
		switch x := d.(type) {
		case nil:
		case Unknown:
			return x
		case time.Time:
			if best == nil || x.Before(bestT) {
				best, bestT = FormatTime(x), x
			}
		}
	}
	return best
}

// rotationActionType reads an action's type: {"action": {"type":
// "Rotate"}} as the REST API and ARM write it, or {"action": "Rotate"}
// as az keyvault key rotation-policy show flattens it. known is false
// when it is an Unknown.
func rotationActionType(am map[string]any) (string, bool) {
	av, _ := LookupFold(am, "action")
	if m, ok := av.(map[string]any); ok {
		av, _ = LookupFold(m, "type")
	}
	if IsUnknown(av) {
		return "", false
	}
	s, _ := av.(string)
	return s, true
}

// rotationTrigger returns the object holding an action's trigger times:
// its "trigger" member (REST, ARM), or the action itself (az's flat form).
func rotationTrigger(am map[string]any) any {
	if tr, ok := LookupFold(am, "trigger"); ok && tr != nil {
		return tr
	}
	return am
}

// rotationDate is the instant one Rotate trigger schedules: a time.Time,
// nil for none, or an Unknown.
func rotationDate(trigger, created, expires any) any {
	if u, ok := trigger.(Unknown); ok {
		return Unknown{Expr: "the trigger of a Rotate action " + u.Expr}
	}
	tm, ok := trigger.(map[string]any)
	if !ok {
		return nil
	}
	if v, ok := LookupFold(tm, "timeAfterCreate"); ok && v != nil {
		return shift(v, created, 1, "the key's creation time (known after it is created)")
	}
	if v, ok := LookupFold(tm, "timeBeforeExpiry"); ok && v != nil {
		if expires == nil {
			return nil // a key that never expires is never rotated before it
		}
		return shift(v, expires, -1, "the key's expiry")
	}
	return nil
}

// shift moves the instant at by the ISO 8601 duration dur, forward
// (sign 1) or back (-1).
func shift(dur, at any, sign int, what string) any {
	if u, ok := dur.(Unknown); ok {
		return Unknown{Expr: "a rotation trigger's duration " + u.Expr}
	}
	ds, ok := dur.(string)
	if !ok {
		return Unknown{Expr: "a rotation trigger's duration " + Describe(dur) + " (not an ISO 8601 duration)"}
	}
	var t time.Time
	switch x := at.(type) {
	case nil:
		return Unknown{Expr: what + " + " + ds}
	case Unknown:
		return Unknown{Expr: x.Expr + " + " + ds}
	case time.Time:
		t = x
	case string:
		var err error
		if t, err = time.Parse(time.RFC3339, x); err != nil {
			return Unknown{Expr: what + " " + strconv.Quote(x) + " (not an RFC 3339 instant)"}
		}
	default:
		return Unknown{Expr: what + " " + Describe(x)}
	}
	out, ok := AddISODuration(t, ds, sign)
	if !ok {
		return Unknown{Expr: "a rotation trigger's duration " + strconv.Quote(ds) + " (not an ISO 8601 duration)"}
	}
	return out
}

// AddISODuration adds sign × the ISO 8601 duration d (PnYnMnWnDTnHnMnS,
// as Key Vault's rotation policies write them: P90D, P1Y, P2M, PT12H) to
// t. Years, months and days are calendar units (time.AddDate). ok is
// false when d is not such a duration.
func AddISODuration(t time.Time, d string, sign int) (time.Time, bool) {
	s := strings.ToUpper(strings.TrimSpace(d))
	if len(s) < 3 || s[0] != 'P' {
		return t, false
	}
	s = s[1:]
	var y, mo, days int
	var clock time.Duration
	inTime, seen, timeSeen := false, false, false
	for s != "" {
		if s[0] == 'T' {
			if inTime {
				return t, false
			}
			inTime = true
			s = s[1:]
			continue
		}
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 || i == len(s) || i > 6 {
			return t, false
		}
		n, _ := strconv.Atoi(s[:i])
		unit := s[i]
		s = s[i+1:]
		seen = true
		timeSeen = timeSeen || inTime
		switch {
		case !inTime && unit == 'Y':
			y += n
		case !inTime && unit == 'M':
			mo += n
		case !inTime && unit == 'W':
			days += 7 * n
		case !inTime && unit == 'D':
			days += n
		case inTime && unit == 'H':
			clock += time.Duration(n) * time.Hour
		case inTime && unit == 'M':
			clock += time.Duration(n) * time.Minute
		case inTime && unit == 'S':
			clock += time.Duration(n) * time.Second
		default:
			return t, false
		}
	}
	if !seen || inTime && !timeSeen {
		return t, false
	}
	return t.AddDate(sign*y, sign*mo, sign*days).Add(time.Duration(sign) * clock), true
}
