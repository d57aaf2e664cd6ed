package sarif

import (
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/kvguard/kvguard/internal/assess"
)

// GitHub rejects a rule with more than 20 tags.
const maxTags = 20

// severityInfo is how one Defender severity reads in SARIF and on GitHub.
type severityInfo struct {
	level    string // defaultConfiguration.level and result level
	problem  string // properties["problem.severity"]
	security string // properties["security-severity"], inside GitHub's bucket
}

// severities maps Rank() to its SARIF form. GitHub buckets
// security-severity as critical > 9.0, high 7.0–8.9, medium 4.0–6.9,
// low 0.1–3.9; the values sit inside Defender's bucket, not on an edge.
// An unknown severity (rank 0, a custom definition's typo) reads as
// Medium, the default of custom definitions.
var severities = map[int]severityInfo{
	3: {"error", "error", "8.0"},
	2: {"warning", "warning", "5.5"},
	1: {"note", "recommendation", "3.0"},
}

func severityOf(s assess.Severity) severityInfo {
	if info, ok := severities[s.Rank()]; ok {
		return info
	}
	return severities[2]
}

// buildRules makes one rule per recommendation, in the result's order,
// plus any recommendation an assessment names that the list lacks (so
// that every result's ruleIndex is valid).
func buildRules(r *assess.Result) ([]rule, map[*assess.Recommendation]int) {
	index := map[*assess.Recommendation]int{}
	rules := []rule{}
	add := func(rec *assess.Recommendation) {
		if _, ok := index[rec]; ok || rec == nil {
			return
		}
		index[rec] = len(rules)
		rules = append(rules, buildRule(rec))
	}
	for _, rec := range r.Recommendations {
		add(rec)
	}
	for a := range r.All() {
		add(a.Recommendation)
	}
	if r.Compliance != nil {
		addComplianceTags(rules, r.Compliance)
	}
	return rules, index
}

// addComplianceTags tags each rule with the controls of the scan's
// framework it judges, as "<framework>/<control>" ("mcsb/DP-8",
// "cis-azure-3.0.0/3.3.5").
func addComplianceTags(rules []rule, c *assess.Compliance) {
	for i := range rules {
		for _, ctl := range c.Controls {
			for _, p := range ctl.Policies {
				tag := c.Framework + "/" + strings.Join(strings.Fields(ctl.ID), "-")
				if p.Recommendation == rules[i].ID && !slices.Contains(rules[i].Properties.Tags, tag) && len(rules[i].Properties.Tags) < maxTags {
					rules[i].Properties.Tags = append(rules[i].Properties.Tags, tag)
				}
			}
		}
	}
}

func buildRule(rec *assess.Recommendation) rule {
	sev := severityOf(rec.Severity)
	title := rec.Title
	if title == "" {
		title = rec.ID
	}
	full := rec.Description
	if full == "" {
		full = title
	}
	helpText, helpMarkdown := helpFor(rec)
	ru := rule{
		ID: rec.ID, Name: pascal(rec.ID),
		ShortDescription: text{Text: title}, FullDescription: text{Text: full},
		Help:                 help{Text: helpText, Markdown: helpMarkdown},
		DefaultConfiguration: configuration{Level: sev.level},
		Properties: ruleProperties{
			Tags: tagsFor(rec), Precision: "very-high",
			ProblemSeverity: sev.problem, SecuritySeverity: sev.security, Severity: string(rec.Severity),
			PolicyDefinitionID: rec.PolicyDefinitionID(), PolicyVersion: rec.RelatedPolicy.Version,
		},
	}
	if rec.Custom {
		// A custom definition's ID is not a built-in's GUID.
		ru.Properties.PolicyDefinitionID = ""
	}
	for _, u := range rec.LearnMore {
		if p, err := url.Parse(u); err == nil && p.IsAbs() {
			ru.HelpURI = u
			break
		}
	}
	return ru
}

// tagsFor lists "security" (GitHub files the rule under security), the
// platform, and each framework control as "<framework>/<control>" with
// spaces made dashes: "MCSB/PA-7", "CIS-Azure-6.0/8.3.6".
func tagsFor(rec *assess.Recommendation) []string {
	tags := []string{"security", "azure", "key-vault"}
	if rec.Custom {
		tags = append(tags, "custom")
	}
	for _, f := range rec.Frameworks {
		tag := strings.Join(strings.Fields(f.Framework), "-") + "/" + strings.Join(strings.Fields(f.Control), "-")
		if !slices.Contains(tags, tag) {
			tags = append(tags, tag)
		}
	}
	if len(tags) > maxTags {
		tags = tags[:maxTags]
	}
	return tags
}

// pascal turns a recommendation ID into the PascalCase name SARIF
// suggests for rules: "keyvault-secret-expiry" gives
// "KeyvaultSecretExpiry".
func pascal(id string) string {
	var b strings.Builder
	upper := true
	for _, r := range id {
		isAlnum := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
		switch {
		case !isAlnum:
			upper = true
		case upper:
			b.WriteString(strings.ToUpper(string(r)))
			upper = false
		default:
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "Rule"
	}
	return b.String()
}

// semverRE is the regular expression semver.org gives for SemVer 2.0.0.
var semverRE = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$`)

// semanticVersion returns the version without a leading "v" when it is a
// semantic version, else "" (a development build's "dev" or "(devel)").
func semanticVersion(v string) string {
	v = strings.TrimPrefix(v, "v")
	if semverRE.MatchString(v) {
		return v
	}
	return ""
}

// helpFor writes the rule's help: what a healthy resource has, why it
// matters, how kvguard decides, and how to fix it in the portal, the Azure
// CLI, Terraform and Bicep; as plain text and as Markdown with code
// fences. Sections the recommendation leaves empty (custom definitions)
// are left out.
func helpFor(rec *assess.Recommendation) (plain, markdown string) {
	var t, m strings.Builder
	para := func(label, body string) {
		if body = strings.TrimSpace(body); body == "" {
			return
		}
		t.WriteString(label + ": " + body + "\n\n")
		m.WriteString("**" + label + ":** " + body + "\n\n")
	}
	para("Requirement", rec.Requirement)
	para("Why it matters", rec.Rationale)
	para("How kvguard judges it", rec.Logic)

	fix := rec.Remediation
	if strings.TrimSpace(fix.Portal+fix.CLI+fix.Terraform+fix.Bicep) != "" {
		t.WriteString("How to fix it\n\n")
		m.WriteString("### How to fix it\n\n")
		para("Azure portal", fix.Portal)
		for _, c := range []struct{ label, lang, body string }{
			{"Azure CLI", "sh", fix.CLI}, {"Terraform", "hcl", fix.Terraform}, {"Bicep", "bicep", fix.Bicep},
		} {
			body := strings.TrimRight(c.body, "\n ")
			if strings.TrimSpace(body) == "" {
				continue
			}
			t.WriteString(c.label + ":\n\n" + indent(body, "    ") + "\n\n")
			fence := codeFence(body)
			m.WriteString("**" + c.label + ":**\n\n" + fence + c.lang + "\n" + body + "\n" + fence + "\n\n")
		}
	}
	if p := rec.RelatedPolicy; p.DisplayName != "" && !rec.Custom {
		ref := p.DisplayName + " (" + p.ID
		if p.Version != "" {
			ref += ", version " + p.Version
		}
		para("Related Azure Policy", ref+")")
	}
	var controls []string
	for _, f := range rec.Frameworks {
		controls = append(controls, f.Framework+" "+f.Control)
	}
	para("Frameworks", strings.Join(controls, ", "))
	if len(rec.LearnMore) > 0 {
		t.WriteString("Learn more:\n")
		m.WriteString("**Learn more:**\n\n")
		for _, u := range rec.LearnMore {
			t.WriteString("  " + u + "\n")
			m.WriteString("- <" + u + ">\n")
		}
	}
	plain, markdown = strings.TrimSpace(t.String()), strings.TrimSpace(m.String())
	if plain == "" {
		title := rec.Title
		if title == "" {
			title = rec.ID
		}
		plain, markdown = title, title
	}
	return plain, markdown
}

func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}

// codeFence returns a backtick fence longer than any run of backticks in
// body, so that a snippet containing ``` cannot close its own block.
func codeFence(body string) string {
	longest, run := 0, 0
	for _, r := range body {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return strings.Repeat("`", max(3, longest+1))
}
