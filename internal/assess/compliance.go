package assess

import (
	"strings"

	"github.com/kvguard/kvguard/internal/catalog"
)

// Compliance is a framework's view of the result: per control, how many
// resources pass, fail or cannot be judged on the Key Vault policies the
// framework assigns to it, and the policies behind the control. It is
// computed from the assessments; a scan without --framework has none.
type Compliance struct {
	// Framework is the framework's ID ("mcsb"), Title its name.
	Framework  string               `json:"framework"`
	Title      string               `json:"title"`
	Initiative ComplianceInitiative `json:"initiative"`
	Controls   []ControlCompliance  `json:"controls"`
}

// ComplianceInitiative names the Azure Policy initiative the framework
// follows.
type ComplianceInitiative struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
	Version     string `json:"version"`
}

// ControlCompliance is one control's standing.
type ControlCompliance struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	// Partial is set when the initiative maps policies beyond Key
	// Vault's to the control: the counts cover its Key Vault part only.
	Partial            bool   `json:"partial"`
	KeyVaultPolicies   int    `json:"keyVaultPolicies"`
	InitiativePolicies int    `json:"initiativePolicies"`
	Note               string `json:"note,omitempty"`
	// Resources are counted once per control, by their worst standing
	// across its policies: failed (an Unhealthy assessment), else unknown,
	// else passed (Healthy), else exempt (suppressed). A resource no
	// policy of the control applies to is not counted.
	Counts   ComplianceCounts   `json:"resources"`
	Policies []PolicyCompliance `json:"policies"`
}

// ComplianceCounts count resources by standing.
type ComplianceCounts struct {
	Passed  int `json:"passed"`
	Failed  int `json:"failed"`
	Unknown int `json:"unknown"`
	Exempt  int `json:"exempt"`
}

// Total is the number of resources counted.
func (c ComplianceCounts) Total() int { return c.Passed + c.Failed + c.Unknown + c.Exempt }

// PolicyCompliance is one policy of a control.
type PolicyCompliance struct {
	// PolicyID is the built-in's GUID, ReferenceID the initiative's name
	// for it.
	PolicyID    string `json:"policyId"`
	ReferenceID string `json:"referenceId"`
	// Recommendation is the kvguard recommendation judging it; "" when
	// kvguard does not, and NotJudged says why.
	Recommendation string `json:"recommendation,omitempty"`
	NotJudged      string `json:"notJudged,omitempty"`
	// Effect is the effect the initiative assigns by default ("" for the
	// definition's own default).
	Effect string           `json:"effect,omitempty"`
	Counts ComplianceCounts `json:"resources"`
}

// standing orders a resource's standings: the worst wins.
type standing uint8

const (
	stNone standing = iota
	stExempt
	stPassed
	stUnknown
	stFailed
)

func standingOf(s Status) standing {
	switch s {
	case Healthy:
		return stPassed
	case Unhealthy:
		return stFailed
	case Unknown:
		return stUnknown
	case Exempt:
		return stExempt
	}
	return stNone
}

func (c *ComplianceCounts) add(s standing) {
	switch s {
	case stPassed:
		c.Passed++
	case stFailed:
		c.Failed++
	case stUnknown:
		c.Unknown++
	case stExempt:
		c.Exempt++
	}
}

// resourceKey tells resources apart: one ID may be planned by several
// deployments.
func resourceKey(r *Resource) string {
	return strings.ToLower(r.ID) + "\x00" + r.Deployment
}

// complianceOf computes the framework's view of the assessments.
func complianceOf(fw *catalog.Benchmark, r *Result) *Compliance {
	c := &Compliance{Framework: fw.ID, Title: fw.Title,
		Initiative: ComplianceInitiative{ID: fw.Initiative.ID, DisplayName: fw.Initiative.DisplayName, Version: fw.Initiative.Version}}
	// Each recommendation's standing per resource, read in one pass.
	perRec := map[string]map[string]standing{}
	for _, p := range fw.Policies {
		if p.Recommendation != "" {
			perRec[p.Recommendation] = map[string]standing{}
		}
	}
	for a := range r.All() {
		m := perRec[a.Recommendation.ID]
		if m == nil {
			continue
		}
		if s := standingOf(a.Status); s != stNone {
			k := resourceKey(&a.Resource)
			m[k] = max(m[k], s)
		}
	}
	for _, ctl := range fw.Controls {
		cc := ControlCompliance{ID: ctl.ID, Title: ctl.Title, Partial: ctl.Partial(), KeyVaultPolicies: ctl.KeyVaultPolicies,
			InitiativePolicies: ctl.InitiativePolicies, Note: ctl.Note, Policies: []PolicyCompliance{}}
		worst := map[string]standing{}
		for _, p := range fw.Policies {
			if !hasControl(p.Controls, ctl.ID) {
				continue
			}
			pc := PolicyCompliance{PolicyID: p.Policy, ReferenceID: p.ReferenceID, Recommendation: p.Recommendation, NotJudged: p.NotJudged, Effect: p.Effect}
			for k, s := range perRec[p.Recommendation] {
				pc.Counts.add(s)
				worst[k] = max(worst[k], s)
			}
			cc.Policies = append(cc.Policies, pc)
		}
		for _, s := range worst {
			cc.Counts.add(s)
		}
		c.Controls = append(c.Controls, cc)
	}
	return c
}

func hasControl(list []string, id string) bool {
	for _, x := range list {
		if x == id {
			return true
		}
	}
	return false
}
