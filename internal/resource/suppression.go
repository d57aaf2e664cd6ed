package resource

import (
	"fmt"
	"strings"
	"time"
)

// SuppressionMarker introduces an inline suppression, in a comment above
// or on a resource (HCL, Bicep) or in a resource's metadata (JSON inputs).
const SuppressionMarker = "kvguard:ignore"

// Suppression is one "kvguard:ignore <recommendation-id> [reason]
// [exp:YYYY-MM-DD]" annotation. Once Expires has passed it no longer
// applies, and the assessment says the suppression expired.
type Suppression struct {
	RuleID  string    `json:"id"`
	Reason  string    `json:"reason,omitempty"`
	Expires time.Time `json:"expires,omitzero"` // zero: no expiry
	Pos     Position  `json:"position"`
	// Listed marks an entry of an ignore list (.kvguard.yaml,
	// .kvguardignore.yaml) rather than an annotation in the code; Pos is
	// the entry's. The list reports its own unused entries: one entry
	// matches many resources, and a resource without a finding is no
	// reason to warn.
	Listed bool `json:"listed,omitempty"`
}

// ParseSuppression reads the annotation in text (a comment's text or a
// metadata string). found is false when text holds no marker at all; err
// is set when it holds a malformed one.
func ParseSuppression(text string, pos Position) (s Suppression, found bool, err error) {
	i := strings.Index(text, SuppressionMarker)
	if i < 0 {
		return Suppression{}, false, nil
	}
	rest := strings.TrimSpace(text[i+len(SuppressionMarker):])
	rest = strings.TrimSuffix(strings.TrimSpace(strings.TrimSuffix(rest, "*/")), "*/")
	fields := strings.Fields(rest)
	s.Pos = pos
	if len(fields) == 0 {
		return s, true, fmt.Errorf("%s needs a recommendation id, e.g. %q", SuppressionMarker, SuppressionMarker+" keyvault-rbac reason exp:2027-01-31")
	}
	s.RuleID = fields[0]
	var reason []string
	for _, f := range fields[1:] {
		if v, ok := strings.CutPrefix(f, "exp:"); ok {
			t, perr := time.Parse("2006-01-02", v)
			if perr != nil {
				return s, true, fmt.Errorf("%s %s: expiry %q is not a date in the form exp:YYYY-MM-DD", SuppressionMarker, s.RuleID, v)
			}
			if !s.Expires.IsZero() {
				return s, true, fmt.Errorf("%s %s: more than one exp: date", SuppressionMarker, s.RuleID)
			}
			// The suppression holds through the whole expiry day (UTC).
			s.Expires = t.Add(24*time.Hour - time.Nanosecond)
			continue
		}
		reason = append(reason, f)
	}
	s.Reason = strings.Trim(strings.Join(reason, " "), `"'`)
	return s, true, nil
}

// Active reports whether the suppression applies at now.
func (s Suppression) Active(now time.Time) bool {
	return s.Expires.IsZero() || !now.After(s.Expires)
}
