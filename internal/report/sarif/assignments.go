package sarif

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/kvguard/kvguard/internal/assess"
)

// assignmentRuleID names the rule of one assigned policy: the assignment
// and, for an initiative, the member's reference ID (else the definition).
func assignmentRuleID(v *assess.AssignmentVerdict) string {
	member := v.ReferenceID
	if member == "" {
		member = v.DefinitionID[strings.LastIndexByte(v.DefinitionID, '/')+1:]
	}
	return "azure-policy/" + v.AssignmentID[strings.LastIndexByte(v.AssignmentID, '/')+1:] + "/" + member
}

// reportedVerdict reports whether a tenant verdict becomes a SARIF result: a
// refusal, a non-compliance, an unknown or error, or an exemption (as a
// suppressed result). Compliant verdicts are not alerts.
func reportedVerdict(v *assess.AssignmentVerdict) bool { return v.Outcome != assess.PolicyCompliant }

// addAssignmentRules appends one rule per assigned policy that has a
// result, in the verdicts' order.
func addAssignmentRules(rules []rule, r *assess.Result) ([]rule, map[string]int) {
	index := map[string]int{}
	for _, v := range r.AssignmentVerdicts {
		id := assignmentRuleID(v)
		if _, ok := index[id]; ok || !reportedVerdict(v) {
			continue
		}
		index[id] = len(rules)
		what := "Azure Policy assignment " + quote(v.AssignmentName) + ": " + v.DefinitionName
		desc := "Your tenant's assignment " + v.AssignmentID + " applies policy " + v.DefinitionID
		if v.SetDefinitionID != "" {
			desc += " (member " + v.ReferenceID + " of initiative " + v.SetDefinitionID + ")"
		}
		desc += " with effect " + v.Effect + "."
		severity := assess.Medium
		if strings.EqualFold(v.Effect, "deny") {
			severity = assess.High
		}
		sev := severityOf(severity)
		rules = append(rules, rule{
			ID: id, Name: "AzurePolicyAssignment", ShortDescription: text{Text: what}, FullDescription: text{Text: desc},
			Help:                 help{Text: desc + " See docs/deny-preview.md.", Markdown: desc + " See `docs/deny-preview.md`."},
			DefaultConfiguration: configuration{Level: sev.level},
			Properties: ruleProperties{Tags: []string{"security", "azure-policy"}, Precision: "high", ProblemSeverity: sev.problem,
				SecuritySeverity: sev.security, Severity: string(severity), PolicyDefinitionID: v.DefinitionID},
		})
	}
	return rules, index
}

func quote(s string) string { return "\"" + s + "\"" }

// buildAssignmentResult is the result of one tenant verdict: a refusal is
// an error, a non-compliance a warning, an unknown or error a note, an
// exemption a suppressed result.
func buildAssignmentResult(v *assess.AssignmentVerdict, index map[string]int, loc *locator, stats *runStats) result {
	id := assignmentRuleID(v)
	level := "warning"
	switch v.Outcome {
	case assess.Refused:
		level = "error"
	case assess.PolicyUnknown, assess.PolicyError:
		level = "note"
	}
	r := v.Resource
	label := r.Name
	if addr := r.Source.Address; addr != "" && addr != label {
		label = addr + " (" + label + ")"
	}
	h := sha256.New()
	for _, part := range []string{id, strings.ToLower(r.ID), r.Source.Address, r.DeployedBy()} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	res := result{
		RuleID: id, RuleIndex: index[id], Level: level, Message: text{Text: label + ": " + v.Reason},
		PartialFingerprints: map[string]string{fingerprintKey: hex.EncodeToString(h.Sum(nil))},
		Properties: resultProperties{Status: string(v.Outcome), ResourceID: r.ID, ResourceType: r.Type, SourceKind: r.Source.Kind,
			Address: r.Source.Address, Deployment: r.Deployment, ExemptionExpired: v.Exemption != nil && v.Exemption.Expired},
	}
	primary := location{LogicalLocations: []logicalLocation{{Name: r.Name, FullyQualifiedName: r.ID, Kind: "resource"}}}
	primary.PhysicalLocation = loc.physical(r.Source.File, max(r.Source.StartLine, 1), r.Source.EndLine)
	if primary.PhysicalLocation == nil {
		res.Properties.NoFileLocation = true
		stats.noFile++
	}
	res.Locations = []location{primary}
	if v.Outcome == assess.PolicyExempt && v.Exemption != nil {
		res.Suppressions = []suppression{{Kind: "external", Status: "accepted", Justification: v.Exemption.Category + ": policy exemption " + v.Exemption.ID}}
	}
	return res
}
