package notify

import (
	"strconv"
)

// teamsMaxItems bounds the findings or exemptions one card lists (a
// Teams message is limited to about 28 KB).
const teamsMaxItems = 20

// teamsMessage is the "message" a Teams incoming webhook or a Workflows
// "post to a channel when a webhook request is received" flow takes: one
// Adaptive Card attachment.
type teamsMessage struct {
	Type        string            `json:"type"`
	Attachments []teamsAttachment `json:"attachments"`
}

type teamsAttachment struct {
	ContentType string    `json:"contentType"`
	ContentURL  *string   `json:"contentUrl"`
	Content     teamsCard `json:"content"`
}

type teamsCard struct {
	Schema  string        `json:"$schema"`
	Type    string        `json:"type"`
	Version string        `json:"version"`
	MSTeams teamsWidth    `json:"msteams"`
	Body    []teamsItem   `json:"body"`
	Actions []teamsAction `json:"actions,omitempty"`
}

type teamsWidth struct {
	Width string `json:"width"`
}

// teamsItem is a TextBlock, a FactSet or a Container, with only the
// properties Adaptive Cards 1.4 defines for them (a TextBlock's "style"
// is 1.5's: a 1.4 card that uses it is invalid). A TextBlock's text is
// required: the payload never makes one of an empty text.
type teamsItem struct {
	Type     string `json:"type"`
	Text     string `json:"text,omitempty"`
	Weight   string `json:"weight,omitempty"`
	Size     string `json:"size,omitempty"`
	IsSubtle bool   `json:"isSubtle,omitempty"`
	Wrap     bool   `json:"wrap,omitempty"`
	Spacing  string `json:"spacing,omitempty"`
	// Separator draws a line above a Container.
	Separator bool        `json:"separator,omitempty"`
	Facts     []teamsFact `json:"facts,omitempty"`
	Items     []teamsItem `json:"items,omitempty"`
}

type teamsFact struct {
	Title string `json:"title"`
	Value string `json:"value"`
}

type teamsAction struct {
	Type  string `json:"type"`
	Title string `json:"title"`
	URL   string `json:"url"`
}

func textBlock(text string) teamsItem { return teamsItem{Type: "TextBlock", Text: text, Wrap: true} }

func subtle(text string) teamsItem {
	return teamsItem{Type: "TextBlock", Text: text, Wrap: true, IsSubtle: true, Spacing: "None"}
}

func teamsPayload(e *event) any {
	card := teamsCard{Schema: "http://adaptivecards.io/schemas/adaptive-card.json", Type: "AdaptiveCard", Version: "1.4",
		MSTeams: teamsWidth{Width: "Full"},
		Body:    []teamsItem{{Type: "TextBlock", Text: e.title(), Weight: "Bolder", Size: "Medium", Wrap: true}}}
	shown, total := 0, 0
	var action teamsAction
	if e.name == eventNewHigh {
		s := e.scan
		facts := []teamsFact{{"Scan", strconv.FormatInt(s.ID, 10)}, {"Scope", s.Scope}, {"Finished", stamp(s.Finished)}}
		for _, kv := range e.labels() {
			facts = append(facts, teamsFact{kv[0], kv[1]})
		}
		card.Body = append(card.Body, teamsItem{Type: "FactSet", Facts: facts})
		total = len(e.findings)
		for i := range e.findings {
			if i == teamsMaxItems {
				break
			}
			f := &e.findings[i]
			items := []teamsItem{textBlock("**" + f.Name + "** · " + f.Recommendation.Title)}
			if w := where(f); w != "" {
				items = append(items, subtle(w))
			}
			reason := f.Reason
			if f.Previous != "" {
				reason = "was " + string(f.Previous) + ", now: " + reason
			}
			if reason != "" {
				items = append(items, subtle(reason))
			}
			card.Body = append(card.Body, teamsItem{Type: "Container", Separator: true, Items: items})
			shown++
		}
		action = teamsAction{Type: "Action.OpenUrl", Title: "Open the scan", URL: e.scanURL()}
	} else {
		total = len(e.exemptions)
		for i := range e.exemptions {
			if i == teamsMaxItems {
				break
			}
			x := &e.exemptions[i]
			card.Body = append(card.Body, teamsItem{Type: "Container", Separator: true, Items: []teamsItem{
				textBlock("**Exemption " + strconv.FormatInt(x.ID, 10) + "** (" + string(x.Kind) + ") expires " +
					stamp(x.Expires) + ", " + until(e.at, x.Expires)),
				subtle(scopeText(x)),
				subtle(x.Reason + " (" + x.CreatedBy + ")"),
			}})
			shown++
		}
		action = teamsAction{Type: "Action.OpenUrl", Title: "Open the exemptions", URL: e.exemptionsURL()}
	}
	if shown < total {
		card.Body = append(card.Body, subtle("…and "+strconv.Itoa(total-shown)+" more"))
	}
	if action.URL != "" {
		card.Actions = []teamsAction{action}
	}
	return teamsMessage{Type: "message", Attachments: []teamsAttachment{{
		ContentType: "application/vnd.microsoft.card.adaptive", Content: card}}}
}
