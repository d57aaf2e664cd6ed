package notify

import (
	"strconv"
	"strings"
)

// Slack's limits: 50 blocks a message, 3,000 characters a section's
// text, 150 a header's. A message lists at most slackMaxItems findings or
// exemptions and links to the rest.
const (
	slackMaxItems   = 20
	slackTextLimit  = 2900
	slackTitleLimit = 150
)

type slackMessage struct {
	Text   string       `json:"text"`
	Blocks []slackBlock `json:"blocks"`
}

type slackBlock struct {
	Type     string      `json:"type"`
	Text     *slackText  `json:"text,omitempty"`
	Elements []slackText `json:"elements,omitempty"`
}

type slackText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// slackEscape escapes the three characters Slack's mrkdwn reserves.
var slackEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// slackLink is <url|text>, or the text alone without a URL.
func slackLink(url, text string) string {
	text = slackEscape.Replace(text)
	if url == "" {
		return text
	}
	return "<" + url + "|" + strings.ReplaceAll(text, "|", "¦") + ">"
}

func mrkdwn(text string) *slackText {
	return &slackText{Type: "mrkdwn", Text: clip(text, slackTextLimit)}
}

func slackPayload(e *event) any {
	m := slackMessage{Text: e.summary(), Blocks: []slackBlock{
		{Type: "header", Text: &slackText{Type: "plain_text", Text: clip(e.title(), slackTitleLimit)}},
	}}
	shown, total, more := 0, 0, ""
	if e.name == eventNewHigh {
		s := e.scan
		intro := "Scan " + slackLink(e.scanURL(), strconv.FormatInt(s.ID, 10)) + " of `" + slackEscape.Replace(s.Scope) +
			"` finished " + stamp(s.Finished)
		for _, kv := range e.labels() {
			intro += "\n" + kv[0] + ": " + slackEscape.Replace(kv[1])
		}
		m.Blocks = append(m.Blocks, slackBlock{Type: "section", Text: mrkdwn(intro)})
		total = len(e.findings)
		for i := range e.findings {
			if i == slackMaxItems {
				break
			}
			f := &e.findings[i]
			text := "*" + slackLink(e.resourceURL(f), f.Name) + "* · " + slackEscape.Replace(f.Recommendation.Title)
			if w := where(f); w != "" {
				text += "\n`" + slackEscape.Replace(w) + "`"
			}
			if f.Previous != "" {
				text += "\nwas " + string(f.Previous) + ", now: " + slackEscape.Replace(f.Reason)
			} else {
				text += "\n" + slackEscape.Replace(f.Reason)
			}
			m.Blocks = append(m.Blocks, slackBlock{Type: "section", Text: mrkdwn(text)})
			shown++
		}
		more = slackLink(e.scanURL(), "the scan")
	} else {
		total = len(e.exemptions)
		for i := range e.exemptions {
			if i == slackMaxItems {
				break
			}
			x := &e.exemptions[i]
			text := "*" + slackLink(e.exemptionsURL(), "Exemption "+strconv.FormatInt(x.ID, 10)) + "* (" + string(x.Kind) +
				") expires " + stamp(x.Expires) + ", " + until(e.at, x.Expires) + "\n" + slackEscape.Replace(scopeText(x)) +
				"\n" + slackEscape.Replace(x.Reason) + " (" + slackEscape.Replace(x.CreatedBy) + ")"
			m.Blocks = append(m.Blocks, slackBlock{Type: "section", Text: mrkdwn(text)})
			shown++
		}
		more = slackLink(e.exemptionsURL(), "the exemptions")
	}
	if shown < total {
		m.Blocks = append(m.Blocks, slackBlock{Type: "context", Elements: []slackText{
			{Type: "mrkdwn", Text: "…and " + strconv.Itoa(total-shown) + " more: see " + more}}})
	}
	return m
}
