package notify

import (
	"fmt"
	"strconv"
	"time"

	"github.com/kvguard/kvguard/internal/store"
)

// The events a payload announces (its "event" member).
const (
	eventNewHigh  = "findings.new-high"
	eventExpiring = "exemptions.expiring"
)

// event is what one message says, whatever its format: a scan's new
// High findings, or exemptions about to expire.
type event struct {
	name string
	at   time.Time
	// base is the dashboard's URL ("" for no links).
	base string

	scan     store.ScanInfo
	findings []store.NewFinding

	exemptions []store.Exemption
	within     time.Duration
}

// url is a dashboard link, or "" without a base URL.
func (e *event) url(path string) string {
	if e.base == "" {
		return ""
	}
	return e.base + path
}

func (e *event) scanURL() string { return e.url("/scans/" + strconv.FormatInt(e.scan.ID, 10)) }

func (e *event) resourceURL(f *store.NewFinding) string {
	return e.url("/resources/" + strconv.FormatInt(f.ResourceRef, 10))
}

func (e *event) exemptionsURL() string { return e.url("/exemptions") }

// title is the message's one-line headline.
func (e *event) title() string {
	switch e.name {
	case eventNewHigh:
		return plural(len(e.findings), "new High finding", "new High findings")
	default:
		return plural(len(e.exemptions), "exemption expires", "exemptions expire") + " within " + duration(e.within)
	}
}

// summary is the headline with its context, for notification previews
// and plain-text fallbacks.
func (e *event) summary() string {
	switch e.name {
	case eventNewHigh:
		return fmt.Sprintf("kvguard: %s in scan %d of %s", e.title(), e.scan.ID, e.scan.Scope)
	default:
		return "kvguard: " + e.title()
	}
}

// labels describes where a scan's resources came from, as "name: value"
// pairs (the CI labels of a pushed report).
func (e *event) labels() [][2]string {
	l := e.scan.Labels
	var out [][2]string
	for _, kv := range [][2]string{{"Repository", l.Repository}, {"Branch", l.Branch}, {"Commit", l.Commit}, {"Pipeline", l.PipelineURL}} {
		if kv[1] != "" {
			out = append(out, kv)
		}
	}
	return out
}

// where names a finding's resource: its IaC address or file:line when
// it came from a repository.
func where(f *store.NewFinding) string {
	switch {
	case f.Address != "" && f.File != "":
		return f.Address + " (" + f.File + ":" + strconv.Itoa(f.Line) + ")"
	case f.File != "":
		return f.File + ":" + strconv.Itoa(f.Line)
	}
	return f.Address
}

// scopeText describes what an exemption covers.
func scopeText(x *store.Exemption) string {
	s := string(x.Scope) + " " + x.Target
	if x.Path != "" {
		s += " path " + x.Path
	}
	if x.Recommendation != "" {
		s += ", recommendation " + x.Recommendation
	} else {
		s += ", every recommendation"
	}
	return s
}

// until says how far away an instant is, in whole days or hours.
func until(now, t time.Time) string {
	d := t.Sub(now)
	switch {
	case d <= 0:
		return "expired"
	case d >= 48*time.Hour:
		return "in " + strconv.Itoa(int(d/(24*time.Hour))) + " days"
	case d >= 2*time.Hour:
		return "in " + strconv.Itoa(int(d/time.Hour)) + " hours"
	}
	return "in " + strconv.Itoa(int(d/time.Minute)+1) + " minutes"
}

// duration writes a window in days when whole, else as Go does.
func duration(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return plural(int(d/(24*time.Hour)), "day", "days")
	}
	return d.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// clip shortens a text to at most n bytes, on a rune boundary, marking
// the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && (s[cut]&0xC0) == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }
