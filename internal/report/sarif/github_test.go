package sarif

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/kvguard/kvguard/internal/assess"
)

// sarifLog is the part of a log the checks read back.
type sarifLog struct {
	Schema  string `json:"$schema"`
	Version string `json:"version"`
	Runs    []struct {
		Tool struct {
			Driver struct {
				Name            string `json:"name"`
				Version         string `json:"version"`
				SemanticVersion string `json:"semanticVersion"`
				Rules           []struct {
					ID                   string `json:"id"`
					Help                 help   `json:"help"`
					DefaultConfiguration struct {
						Level string `json:"level"`
					} `json:"defaultConfiguration"`
					Properties map[string]any `json:"properties"`
				} `json:"rules"`
			} `json:"driver"`
		} `json:"tool"`
		Results     []result     `json:"results"`
		Invocations []invocation `json:"invocations"`
	} `json:"runs"`
}

func decode(t *testing.T, out []byte) sarifLog {
	t.Helper()
	var l sarifLog
	if err := json.Unmarshal(out, &l); err != nil {
		t.Fatal(err)
	}
	if len(l.Runs) != 1 {
		t.Fatalf("%d runs, want 1", len(l.Runs))
	}
	return l
}

var fingerprintRE = regexp.MustCompile(`^[0-9a-f]{64}$`)

// checkGitHub asserts what GitHub code scanning needs beyond the schema
// (docs.github.com, "SARIF support for code scanning" and its limits),
// and that each reported assessment became the result it should.
func checkGitHub(t *testing.T, r *assess.Result, out []byte) {
	t.Helper()
	run := decode(t, out).Runs[0]
	rules := run.Tool.Driver.Rules
	ruleIDs := map[string]bool{}
	for _, ru := range rules {
		if ruleIDs[ru.ID] {
			t.Errorf("rule %s twice", ru.ID)
		}
		ruleIDs[ru.ID] = true
		sev, ok := ru.Properties["security-severity"].(string)
		if f, err := strconv.ParseFloat(sev, 64); !ok || err != nil || f < 0.1 || f > 10 {
			t.Errorf("rule %s: security-severity %v is not a numeric string in 0.1..10", ru.ID, ru.Properties["security-severity"])
		}
		if tags, _ := ru.Properties["tags"].([]any); len(tags) == 0 || len(tags) > maxTags {
			t.Errorf("rule %s: %d tags, want 1..%d", ru.ID, len(tags), maxTags)
		}
		if ru.Help.Text == "" || ru.Help.Markdown == "" {
			t.Errorf("rule %s has no help", ru.ID)
		}
	}
	if len(rules) < len(r.Recommendations) {
		t.Errorf("%d rules for %d recommendations", len(rules), len(r.Recommendations))
	}
	var reported []*assess.Assessment
	for _, a := range r.Assessments {
		if a.Status == assess.Unhealthy || a.Status == assess.Unknown || a.Status == assess.Exempt {
			reported = append(reported, a)
		}
	}
	tenant := 0
	for _, v := range r.AssignmentVerdicts {
		if reportedVerdict(v) {
			tenant++
		}
	}
	if len(run.Results) != len(reported)+tenant {
		t.Fatalf("%d results for %d unhealthy, unknown or exempt assessments and %d tenant policy verdicts", len(run.Results), len(reported), tenant)
	}
	for _, res := range run.Results[len(reported):] {
		if res.RuleIndex >= len(rules) || rules[res.RuleIndex].ID != res.RuleID || !strings.HasPrefix(res.RuleID, "azure-policy/") {
			t.Errorf("tenant verdict: ruleId %q and ruleIndex %d do not name its assignment rule", res.RuleID, res.RuleIndex)
		}
	}
	seen := map[string]bool{}
	for i, res := range run.Results[:len(reported)] {
		a := reported[i]
		where := res.RuleID + " " + a.Resource.ID
		if res.RuleID == "" || res.RuleIndex >= len(rules) || rules[res.RuleIndex].ID != res.RuleID || res.RuleID != a.Recommendation.ID {
			t.Errorf("%s: ruleId %q and ruleIndex %d do not name the recommendation", where, res.RuleID, res.RuleIndex)
		}
		fp := res.PartialFingerprints[fingerprintKey]
		if !fingerprintRE.MatchString(fp) {
			t.Errorf("%s: partial fingerprint %q", where, fp)
		}
		if seen[fp] {
			t.Errorf("%s: fingerprint shared with another result", where)
		}
		seen[fp] = true
		// encoding/json writes invalid UTF-8 as U+FFFD.
		if !strings.Contains(res.Message.Text, strings.ToValidUTF8(a.Reason, "\uFFFD")) || (a.Resource.Source.Address != "" && !strings.Contains(res.Message.Text, a.Resource.Source.Address)) {
			t.Errorf("%s: message %q lacks the reason or the address", where, res.Message.Text)
		}
		checkLocations(t, where, a, res)
		checkLevelAndSuppressions(t, where, a, res)
	}
}

func checkLocations(t *testing.T, where string, a *assess.Assessment, res result) {
	t.Helper()
	if len(res.Locations) != 1 {
		t.Fatalf("%s: %d locations, want 1", where, len(res.Locations))
	}
	inCode := isFile(a.Resource.Source.File)
	for _, c := range a.Components {
		inCode = inCode || (c.Status == a.Status && c.Source != nil && isFile(c.Source.File))
	}
	pl := res.Locations[0].PhysicalLocation
	if inCode != (pl != nil) || res.Properties.NoFileLocation == inCode {
		t.Errorf("%s: in code %v, but physical location %v and noFileLocation %v", where, inCode, pl != nil, res.Properties.NoFileLocation)
	}
	if ll := res.Locations[0].LogicalLocations; len(ll) != 1 || ll[0].FullyQualifiedName != a.Resource.ID {
		t.Errorf("%s: logical location %+v does not name the resource", where, ll)
	}
	all := append([]location{res.Locations[0]}, res.RelatedLocations...)
	if len(res.RelatedLocations) > maxRelated+1 {
		t.Errorf("%s: %d related locations", where, len(res.RelatedLocations))
	}
	for _, l := range all {
		if l.PhysicalLocation == nil {
			continue
		}
		checkPhysical(t, where, l.PhysicalLocation)
	}
}

func checkPhysical(t *testing.T, where string, pl *physicalLocation) {
	t.Helper()
	u := pl.ArtifactLocation.URI
	if u == "" || strings.Contains(u, `\`) || strings.Contains(u, " ") {
		t.Errorf("%s: uri %q", where, u)
	}
	if pl.ArtifactLocation.URIBaseID == srcRoot && (strings.HasPrefix(u, "/") || strings.HasPrefix(u, "../") || strings.Contains(u, ":")) {
		t.Errorf("%s: uri %q is not below %%SRCROOT%%", where, u)
	}
	if pl.ArtifactLocation.URIBaseID == "" && !strings.HasPrefix(u, "file:") {
		t.Errorf("%s: uri %q has no base and is not absolute", where, u)
	}
	if g := pl.Region; g == nil || g.StartLine < 1 || (g.EndLine != 0 && g.EndLine < g.StartLine) {
		t.Errorf("%s: region %+v", where, g)
	}
}

func checkLevelAndSuppressions(t *testing.T, where string, a *assess.Assessment, res result) {
	t.Helper()
	want := map[int]string{3: "error", 2: "warning", 1: "note"}[a.Recommendation.Severity.Rank()]
	if a.Status == assess.Unknown {
		want = "note"
	}
	if res.Level != want || res.Properties.Status != string(a.Status) {
		t.Errorf("%s: level %q and status %q, want %q and %q", where, res.Level, res.Properties.Status, want, a.Status)
	}
	if (a.Status == assess.Exempt) != (len(res.Suppressions) > 0) {
		t.Errorf("%s: status %s with %d suppressions", where, a.Status, len(res.Suppressions))
	}
	for _, s := range res.Suppressions {
		if s.Kind != "inSource" || s.Justification == "" {
			t.Errorf("%s: suppression %+v", where, s)
		}
	}
}

// invocation is the run's invocation as a reader decodes it (the writer
// streams it without a struct).
type invocation struct {
	ExecutionSuccessful        bool           `json:"executionSuccessful"`
	StartTimeUTC               string         `json:"startTimeUtc,omitempty"`
	ToolExecutionNotifications []notification `json:"toolExecutionNotifications,omitempty"`
}
