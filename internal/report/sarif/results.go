package sarif

import (
	"crypto/sha256"
	"encoding/hex"
	"path"
	"strconv"
	"strings"

	"github.com/kvguard/kvguard/internal/assess"
)

// fingerprintKey names kvguard's partial fingerprint. The version starts
// a new series should its inputs ever change, rather than matching old
// alerts wrongly.
const fingerprintKey = "kvguard/v1"

// buildResult turns an assessment into a result; ok is false for the
// verdicts SARIF does not carry (Healthy, NotApplicable: an alert absent
// from a later upload is closed as fixed).
func buildResult(a *assess.Assessment, index map[*assess.Recommendation]int, loc *locator, stats *runStats) (res result, ok bool) {
	switch a.Status {
	case assess.Unhealthy, assess.Unknown, assess.Exempt:
	default:
		return result{}, false
	}
	rec := a.Recommendation
	src := a.Resource.Source
	res = result{
		RuleID: rec.ID, RuleIndex: index[rec], Level: severityOf(rec.Severity).level,
		Message:             text{Text: message(a)},
		PartialFingerprints: map[string]string{fingerprintKey: fingerprint(a)},
		Properties: resultProperties{
			Status: string(a.Status), ResourceID: a.Resource.ID, ResourceType: a.Resource.Type,
			SourceKind: src.Kind, Address: src.Address, Placeholder: a.Resource.Placeholder, Deployment: a.Resource.Deployment,
			ExemptionExpired: a.Exemption != nil && a.Exemption.Expired,
		},
	}
	if a.Status == assess.Unknown {
		// Not a finding: no verdict was reached. "note" keeps it visible
		// without ranking it with real findings; kvguardStatus says why.
		res.Level = "note"
	}
	primary := location{LogicalLocations: []logicalLocation{{Name: a.Resource.Name, FullyQualifiedName: a.Resource.ID, Kind: "resource"}}}
	primary.PhysicalLocation = loc.physical(src.File, max(src.StartLine, 1), src.EndLine)
	if primary.PhysicalLocation == nil {
		// A vault known only by its secrets (or read without a file) is
		// placed at the first of its components that has a file.
		primary.PhysicalLocation = firstComponentLocation(a, loc)
	}
	if primary.PhysicalLocation == nil {
		res.Properties.NoFileLocation = true
		stats.noFile++
	}
	res.Locations = []location{primary}
	res.RelatedLocations, res.Properties.RelatedLocationsOmitted = related(a, loc, primary.PhysicalLocation)
	res.Suppressions, res.Properties.SuppressionsOmitted = suppressions(a, loc)
	return res, true
}

// fingerprint identifies the finding across runs: the recommendation, the
// resource ID (case-insensitive, as Azure compares IDs) and the address in
// code, and the deployment when the code is a module shared by several
// (Resource.DeployedBy: otherwise its copies would be one alert). Line
// numbers are left out so that an alert survives edits above it; a
// renamed resource is a new finding.
func fingerprint(a *assess.Assessment) string {
	h := sha256.New()
	parts := []string{a.Recommendation.ID, strings.ToLower(a.Resource.ID), a.Resource.Source.Address}
	if dep := a.Resource.DeployedBy(); dep != "" {
		parts = append(parts, dep)
	}
	for _, part := range parts {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// message names the resource as the code does (Terraform address, Bicep
// symbolic name) and as Azure does, then gives the reason.
func message(a *assess.Assessment) string {
	r := a.Resource
	name := r.Name
	if name == "" {
		name = r.ID
	}
	label := name
	if addr := r.Source.Address; addr != "" && addr != name {
		label = addr + " (" + name + ")"
	}
	if r.Placeholder {
		label += " (not in the input)"
	}
	if dep := r.DeployedBy(); dep != "" {
		label += " (deployed by " + dep + ")"
	}
	if a.Status == assess.Unknown {
		return label + ": kvguard could not reach a verdict: " + a.Reason
	}
	return label + ": " + a.Reason
}

// componentNoun names a component by its type: "secret", "key".
func componentNoun(typ string) string {
	noun := strings.TrimSuffix(path.Base(typ), "s")
	if noun == "" || noun == "." || noun == "/" {
		return "component"
	}
	return noun
}

func componentMessage(c *assess.Component) string {
	msg := componentNoun(c.Type) + " " + c.Name
	if c.Reason != "" {
		msg += ": " + c.Reason
	}
	return msg
}

// firstComponentLocation places an assessment at the first component with
// the assessment's status that has a file.
func firstComponentLocation(a *assess.Assessment, loc *locator) *physicalLocation {
	for i := range a.Components {
		c := &a.Components[i]
		if c.Status != a.Status || c.Source == nil {
			continue
		}
		if pl := loc.physical(c.Source.File, max(c.Source.StartLine, 1), c.Source.EndLine); pl != nil {
			return pl
		}
	}
	return nil
}

// related lists, for a data-plane assessment, each component that shares
// the assessment's status and has its own place in code (a secret's own
// Terraform block), up to maxRelated, except one that is the primary
// location already; and an expired kvguard:ignore. It returns how many
// components were left out.
func related(a *assess.Assessment, loc *locator, primary *physicalLocation) ([]location, int) {
	var out []location
	omitted := 0
	for i := range a.Components {
		c := &a.Components[i]
		if c.Status != a.Status || c.Source == nil {
			continue
		}
		pl := loc.physical(c.Source.File, max(c.Source.StartLine, 1), c.Source.EndLine)
		if pl == nil || samePlace(pl, primary) {
			continue
		}
		if len(out) == maxRelated {
			omitted++
			continue
		}
		out = append(out, location{ID: len(out) + 1, PhysicalLocation: pl, Message: &text{Text: componentMessage(c)}})
	}
	if ex := a.Exemption; ex != nil && ex.Expired {
		if pl := loc.physical(ex.Source.File, ex.Source.Line, 0); pl != nil {
			msg := "kvguard:ignore " + a.Recommendation.ID + " expired on " + ex.Expires.Format("2006-01-02")
			out = append(out, location{ID: len(out) + 1, PhysicalLocation: pl, Message: &text{Text: msg}})
		}
	}
	return out, omitted
}

func samePlace(a, b *physicalLocation) bool {
	if a == nil || b == nil || a.ArtifactLocation != b.ArtifactLocation {
		return false
	}
	return a.Region == b.Region || (a.Region != nil && b.Region != nil && *a.Region == *b.Region)
}

// suppressions says why an Exempt result is not a finding: the
// kvguard:ignore on the resource, or those on its components, each with
// its reason and place. An expired suppression is no suppression: that
// result stays a finding and has none.
func suppressions(a *assess.Assessment, loc *locator) ([]suppression, int) {
	if a.Status != assess.Exempt {
		return nil, 0
	}
	if ex := a.Exemption; ex != nil && !ex.Expired {
		return []suppression{suppressionOf(ex, "", loc)}, 0
	}
	var out []suppression
	omitted := 0
	for i := range a.Components {
		c := &a.Components[i]
		if c.Status != assess.Exempt || c.Exemption == nil || c.Exemption.Expired {
			continue
		}
		if len(out) == maxRelated {
			omitted++
			continue
		}
		out = append(out, suppressionOf(c.Exemption, componentNoun(c.Type)+" "+c.Name+": ", loc))
	}
	if len(out) == 0 {
		// Exempt without a recorded exemption: still suppressed, with the
		// assessment's reason as the justification.
		out = []suppression{{Kind: "inSource", Status: "accepted", Justification: a.Reason}}
	}
	return out, omitted
}

func suppressionOf(ex *assess.Exemption, prefix string, loc *locator) suppression {
	why := ex.Reason
	if why == "" {
		why = "kvguard:ignore without a reason"
	}
	if !ex.Expires.IsZero() {
		why += " (until " + ex.Expires.Format("2006-01-02") + ")"
	}
	s := suppression{Kind: "inSource", Status: "accepted", Justification: prefix + why}
	if ex.Listed {
		s.Kind = "external" // an ignore list beside the code, not an annotation in it
	}
	if pl := loc.physical(ex.Source.File, ex.Source.Line, 0); pl != nil {
		s.Location = &location{PhysicalLocation: pl}
	}
	return s
}

// plural renders "1 result has" or "3 results have".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
