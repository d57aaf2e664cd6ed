package notify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kvguard/kvguard/internal/store"
	"github.com/kvguard/kvguard/internal/testsupport/golden"
)

// events are the payloads' cases: a scan's new High findings (live and
// from CI), many of them (truncated), expiring exemptions.
func events() map[string]*event {
	at := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	ci := store.ScanInfo{ID: 42, Scope: "repo:org/app@main", Source: store.Repository,
		Labels:  store.Labels{Repository: "org/app", Branch: "main", Commit: "0123456789abcdef", PipelineURL: "https://github.com/org/app/actions/runs/7"},
		Started: at.Add(-time.Minute), Finished: at.Add(-30 * time.Second), Status: store.Succeeded}
	rec := store.RecommendationInfo{ID: "keyvault-soft-delete", Title: "Key vaults should have deletion protection enabled", Severity: "High", Type: "Control plane"}
	ciFindings := []store.NewFinding{
		{ResourceRef: 7, ResourceID: "/subscriptions/" + subA + "/resourceGroups/rg-app/providers/Microsoft.KeyVault/vaults/kv-app",
			Name: "kv-app", Type: "Microsoft.KeyVault/vaults", Subscription: subA, ResourceGroup: "/subscriptions/" + subA + "/resourcegroups/rg-app",
			SourceKind: "terraform", File: "infra/main.tf", Line: 12, Address: "azurerm_key_vault.app", Repository: "org/app",
			Commit: "0123456789abcdef", Recommendation: rec, Previous: "Healthy", Reason: "purge_protection_enabled is false <&> not set"},
		{ResourceRef: 9, ResourceID: "/subscriptions/" + subA + "/resourceGroups/rg-app/providers/Microsoft.KeyVault/vaults/kv-data",
			Name: "kv-data", Type: "Microsoft.KeyVault/vaults", Subscription: subA, ResourceGroup: "/subscriptions/" + subA + "/resourcegroups/rg-app",
			SourceKind: "bicep", File: "infra/data.bicep", Line: 3, Repository: "org/app", Commit: "0123456789abcdef",
			Recommendation: store.RecommendationInfo{ID: "keyvault-secret-expiry", Title: "Key Vault secrets should have an expiration date", Severity: "High"},
			Reason:         "1 of 2 secrets has no expiration date"},
	}
	live := store.ScanInfo{ID: 43, Scope: "subscription:" + subA, Source: store.Live, Started: at.Add(-time.Hour),
		Finished: at.Add(-50 * time.Minute), Status: store.Succeeded}
	var many []store.NewFinding
	for i := range 27 {
		name := fmt.Sprintf("kv-%02d", i)
		many = append(many, store.NewFinding{ResourceRef: int64(100 + i), ResourceID: "/subscriptions/" + subA +
			"/resourceGroups/rg-live/providers/Microsoft.KeyVault/vaults/" + name, Name: name, Type: "Microsoft.KeyVault/vaults",
			Subscription: subA, ResourceGroup: "/subscriptions/" + subA + "/resourcegroups/rg-live", Recommendation: rec,
			Reason: "purge protection is off"})
	}
	exemptions := []store.Exemption{
		{ID: 3, Kind: store.Waiver, Reason: "the firewall moves to the hub network next sprint", Expires: at.Add(3 * 24 * time.Hour),
			Scope: store.OnResource, Target: strings.ToLower(ciFindings[0].ResourceID), Recommendation: "keyvault-firewall",
			CreatedBy: "alice@example.com", Created: at.Add(-27 * 24 * time.Hour)},
		{ID: 5, Kind: store.Mitigated, Reason: "secrets rotated by the pipeline", Expires: at.Add(5*time.Hour + 30*time.Minute),
			Scope: store.OnRepositoryPath, Target: "org/app", Path: "infra/legacy", CreatedBy: "bob@example.com",
			Created: at.Add(-60 * 24 * time.Hour)},
	}
	base := "https://kvguard.example"
	week := 7 * 24 * time.Hour
	return map[string]*event{
		"new-high-ci":        {name: eventNewHigh, at: at, base: base, scan: ci, findings: ciFindings},
		"new-high-truncated": {name: eventNewHigh, at: at, base: base, scan: live, findings: many},
		"new-high-no-links":  {name: eventNewHigh, at: at, scan: live, findings: many[:1]},
		"expiring":           {name: eventExpiring, at: at, base: base, exemptions: exemptions, within: week},
	}
}

// TestPayloads renders every event in every format against
// testdata/TestPayloads/<format>-<event>.golden (go test -update
// rewrites them) and checks each format's limits.
func TestPayloads(t *testing.T) {
	t.Parallel()
	for _, f := range Formats() {
		for name, e := range events() {
			t.Run(f.ID+"-"+name, func(t *testing.T) {
				t.Parallel()
				b, err := f.encode(e)
				if err != nil {
					t.Fatal(err)
				}
				golden.Check(t, filepath.Join("testdata", "TestPayloads", f.ID+"-"+name+".golden"), b)
				var generic map[string]any
				if err := json.Unmarshal(b, &generic); err != nil {
					t.Fatalf("not JSON: %v", err)
				}
				checkLimits(t, f.ID, name, b)
			})
		}
	}
}

// checkLimits asserts what each receiver requires.
func checkLimits(t *testing.T, format, name string, b []byte) {
	t.Helper()
	switch format {
	case "json":
		var m jsonMessage
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		if m.SchemaVersion != PayloadVersion || m.Total != len(m.Findings)+len(m.Exemptions) || m.Truncated {
			t.Errorf("json: version %q, total %d, truncated %v", m.SchemaVersion, m.Total, m.Truncated)
		}
	case "slack":
		var m slackMessage
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		if m.Text == "" || len(m.Blocks) > 50 || m.Blocks[0].Type != "header" || len(m.Blocks[0].Text.Text) > 150 {
			t.Errorf("slack: text %q, %d blocks", m.Text, len(m.Blocks))
		}
		for _, bl := range m.Blocks {
			if bl.Text != nil && len(bl.Text.Text) > 3000 {
				t.Errorf("slack: a block of %d characters", len(bl.Text.Text))
			}
		}
		if name == "new-high-truncated" && !strings.Contains(string(b), "…and 7 more") {
			t.Error("slack: the truncated message does not say how many more")
		}
	case "teams":
		var m teamsMessage
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		if m.Type != "message" || len(m.Attachments) != 1 || m.Attachments[0].ContentType != "application/vnd.microsoft.card.adaptive" ||
			m.Attachments[0].Content.Type != "AdaptiveCard" || len(b) > 28000 {
			t.Errorf("teams: %d bytes, %+v", len(b), m)
		}
		if name == "new-high-truncated" && !strings.Contains(string(b), "…and 7 more") {
			t.Error("teams: the truncated message does not say how many more")
		}
		for _, problem := range checkAdaptiveCard(b) {
			t.Errorf("teams: %s", problem)
		}
	}
}

// TestJSONTruncated: the json format lists up to jsonMaxItems findings
// and says how many there were.
func TestJSONTruncated(t *testing.T) {
	t.Parallel()
	e := events()["new-high-truncated"]
	for len(e.findings) <= jsonMaxItems {
		e.findings = append(e.findings, e.findings...)
	}
	m, ok := jsonPayload(e).(jsonMessage)
	if !ok || !m.Truncated || len(m.Findings) != jsonMaxItems || m.Total != len(e.findings) {
		t.Errorf("truncated %v, %d listed, total %d of %d", m.Truncated, len(m.Findings), m.Total, len(e.findings))
	}
}

func TestHelpers(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct{ got, want string }{
		{until(now, now.Add(3*24*time.Hour)), "in 3 days"},
		{until(now, now.Add(47*time.Hour)), "in 47 hours"},
		{until(now, now.Add(90*time.Second)), "in 2 minutes"},
		{until(now, now), "expired"},
		{duration(7 * 24 * time.Hour), "7 days"},
		{duration(24 * time.Hour), "1 day"},
		{duration(36 * time.Hour), "36h0m0s"},
		{clip("ééé", 5), "é…"},
		{clip("abc", 3), "abc"},
		{slackLink("https://x/y", "a|b<c>"), "<https://x/y|a¦b&lt;c&gt;>"},
		{slackLink("", "a&b"), "a&amp;b"},
		{answerText([]byte("  invalid_payload\n\x00 ")), ": invalid_payload"},
	}
	for i, tc := range cases {
		if tc.got != tc.want {
			t.Errorf("case %d: %q, want %q", i, tc.got, tc.want)
		}
	}
}

// TestTeamsCardValid: every teams payload, including one of findings
// without a reason, is a Teams message whose one attachment is an
// Adaptive Card 1.4 that the card schema accepts (checkAdaptiveCard).
func TestTeamsCardValid(t *testing.T) {
	t.Parallel()
	all := events()
	bare := *all["new-high-ci"]
	bare.findings = append([]store.NewFinding(nil), bare.findings...)
	for i := range bare.findings {
		bare.findings[i].Reason = ""
	}
	all["new-high-no-reason"] = &bare
	for name, e := range all {
		b, err := Format{ID: "teams", render: teamsPayload}.encode(e)
		if err != nil {
			t.Fatal(err)
		}
		for _, problem := range checkAdaptiveCard(b) {
			t.Errorf("%s: %s", name, problem)
		}
	}
	// The checker itself finds what it is for.
	bad := `{"type": "message", "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content":
		{"type": "AdaptiveCard", "version": "1.4", "body": [{"type": "TextBlock", "text": "t", "style": "heading"},
		{"type": "TextBlock", "wrap": true}, {"type": "Container", "items": [{"type": "FactSet", "facts": [{"title": "x"}]}]}],
		"actions": [{"type": "Action.OpenUrl", "title": "Open", "url": "/scans/1"}]}}]}`
	if got := checkAdaptiveCard([]byte(bad)); len(got) != 4 {
		t.Errorf("a card with 4 faults: %d found: %q", len(got), got)
	}
}

// adaptive14 lists, for each element and action a kvguard card uses, the
// properties Adaptive Cards 1.4 defines (schemas/1.4.0/adaptive-card.json
// of microsoft/AdaptiveCards, where each has additionalProperties false)
// and the ones it requires.
var adaptive14 = map[string]struct{ allowed, required []string }{
	"AdaptiveCard": {[]string{"type", "version", "refresh", "body", "actions", "selectAction", "fallbackText", "backgroundImage",
		"minHeight", "speak", "lang", "verticalContentAlignment", "$schema",
		"msteams"}, // Teams' own extension: the card's width
		[]string{"type", "version"}},
	"TextBlock": {[]string{"type", "text", "color", "fontType", "horizontalAlignment", "isSubtle", "maxLines", "size", "weight", "wrap",
		"fallback", "height", "separator", "spacing", "id", "isVisible", "requires"}, []string{"text"}},
	"FactSet": {[]string{"type", "facts", "fallback", "height", "separator", "spacing", "id", "isVisible", "requires"}, []string{"facts"}},
	"Container": {[]string{"type", "items", "selectAction", "style", "verticalContentAlignment", "bleed", "backgroundImage", "minHeight",
		"fallback", "height", "separator", "spacing", "id", "isVisible", "requires"}, []string{"items"}},
	"Action.OpenUrl": {[]string{"type", "url", "title", "iconUrl", "style", "fallback", "requires"}, []string{"url"}},
}

// adaptiveEnums are the 1.4 values of the enumerated properties a card
// uses (compared case-insensitively, as the schema's patterns do).
var adaptiveEnums = map[string][]string{
	"size":    {"default", "small", "medium", "large", "extraLarge"},
	"weight":  {"default", "lighter", "bolder"},
	"spacing": {"default", "none", "small", "medium", "large", "extraLarge", "padding"},
}

// checkAdaptiveCard lists what makes b not a Teams message with a valid
// Adaptive Card 1.4: the envelope Teams' incoming webhooks and Workflows
// take, then each element's properties, required ones, enumerations,
// non-empty texts and absolute action URLs.
func checkAdaptiveCard(b []byte) []string {
	var msg struct {
		Type        string `json:"type"`
		Attachments []struct {
			ContentType string          `json:"contentType"`
			ContentURL  *string         `json:"contentUrl"`
			Content     json.RawMessage `json:"content"`
		} `json:"attachments"`
	}
	if err := json.Unmarshal(b, &msg); err != nil {
		return []string{err.Error()}
	}
	if msg.Type != "message" || len(msg.Attachments) != 1 {
		return []string{fmt.Sprintf("type %q with %d attachments, want a message with one", msg.Type, len(msg.Attachments))}
	}
	a := msg.Attachments[0]
	var problems []string
	if a.ContentType != "application/vnd.microsoft.card.adaptive" || a.ContentURL != nil {
		problems = append(problems, fmt.Sprintf("attachment contentType %q, contentUrl %v", a.ContentType, a.ContentURL))
	}
	var card map[string]any
	if err := json.Unmarshal(a.Content, &card); err != nil {
		return append(problems, err.Error())
	}
	if card["type"] != "AdaptiveCard" || card["version"] != "1.4" {
		problems = append(problems, fmt.Sprintf("content type %v version %v, want AdaptiveCard 1.4", card["type"], card["version"]))
	}
	if body, _ := card["body"].([]any); len(body) == 0 {
		problems = append(problems, "an empty body")
	}
	var walk func(path string, v map[string]any)
	walk = func(path string, v map[string]any) {
		typ, _ := v["type"].(string)
		spec, ok := adaptive14[typ]
		if !ok {
			problems = append(problems, fmt.Sprintf("%s: type %q is not one kvguard's cards use", path, typ))
			return
		}
		for k := range v {
			if !slices.Contains(spec.allowed, k) {
				problems = append(problems, fmt.Sprintf("%s (%s): property %q is not in Adaptive Cards 1.4", path, typ, k))
			}
		}
		for _, k := range spec.required {
			if s, isString := v[k].(string); v[k] == nil || (isString && s == "") {
				problems = append(problems, fmt.Sprintf("%s (%s): %q is required", path, typ, k))
			}
		}
		for k, values := range adaptiveEnums {
			if s, ok := v[k].(string); ok && !slices.ContainsFunc(values, func(x string) bool { return strings.EqualFold(x, s) }) {
				problems = append(problems, fmt.Sprintf("%s (%s): %s %q is not one of %v", path, typ, k, s, values))
			}
		}
		if u, ok := v["url"].(string); ok && typ == "Action.OpenUrl" && !strings.HasPrefix(u, "https://") {
			problems = append(problems, fmt.Sprintf("%s: url %q is not absolute", path, u))
		}
		if facts, ok := v["facts"].([]any); ok {
			for i, f := range facts {
				m, _ := f.(map[string]any)
				_, title := m["title"].(string)
				_, value := m["value"].(string)
				if len(m) != 2 || !title || !value {
					problems = append(problems, fmt.Sprintf("%s.facts[%d]: %v, want a title and a value", path, i, f))
				}
			}
		}
		for _, key := range []string{"body", "items", "actions"} {
			list, _ := v[key].([]any)
			for i, x := range list {
				if m, ok := x.(map[string]any); ok {
					walk(fmt.Sprintf("%s.%s[%d]", path, key, i), m)
				}
			}
		}
	}
	walk("content", card)
	return problems
}

// docExample is an example of docs/notifications.md: the golden file it
// names in the comment before it, and the JSON block that follows.
var docExample = regexp.MustCompile("(?s)<!-- golden: ([a-z-]+) -->\\s*```json\\n(.*?)```")

// TestDocExamples: every payload example in docs/notifications.md is,
// byte for byte, the golden file it names (which TestPayloads compares
// with what the code renders), and each format has one.
func TestDocExamples(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "notifications.md"))
	if err != nil {
		t.Fatal(err)
	}
	shown := map[string]bool{}
	for _, m := range docExample.FindAllSubmatch(doc, -1) {
		name := string(m[1])
		want, err := os.ReadFile(filepath.Join("testdata", "TestPayloads", name+".golden"))
		if err != nil {
			t.Errorf("docs/notifications.md names %s: %v", name, err)
			continue
		}
		if !bytes.Equal(bytes.ReplaceAll(want, []byte("\r\n"), []byte("\n")), m[2]) {
			t.Errorf("docs/notifications.md: the %s example is not the golden file: copy testdata/TestPayloads/%s.golden into it", name, name)
		}
		format, _, _ := strings.Cut(name, "-")
		shown[format] = true
	}
	for _, f := range Formats() {
		if !shown[f.ID] {
			t.Errorf("docs/notifications.md has no %s example", f.ID)
		}
	}
}
