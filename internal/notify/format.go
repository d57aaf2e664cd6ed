package notify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/kvguard/kvguard/internal/store"
)

// Format is one payload format: a webhook receiver's dialect.
type Format struct {
	ID          string
	Description string
	// render writes the event as the payload's JSON value.
	render func(e *event) any
}

// Formats lists the payload formats, the default first.
func Formats() []Format {
	return []Format{
		{ID: "json", Description: "kvguard's own payload, versioned (docs/notifications.md)", render: jsonPayload},
		{ID: "slack", Description: "a Slack incoming webhook's message: text and blocks", render: slackPayload},
		{ID: "teams", Description: "a Microsoft Teams incoming webhook or Workflows message with an Adaptive Card", render: teamsPayload},
	}
}

// lookupFormat finds a format by ID, case-insensitively ("" is json).
func lookupFormat(id string) (Format, error) {
	if id == "" {
		id = "json"
	}
	var ids []string
	for _, f := range Formats() {
		if strings.EqualFold(f.ID, id) {
			return f, nil
		}
		ids = append(ids, f.ID)
	}
	return Format{}, fmt.Errorf("unknown notification format %q: use %s", id, strings.Join(ids, ", "))
}

// encode renders an event as the format's JSON body, indented so that a
// payload reads well in a receiver's log and in golden files.
func (f Format) encode(e *event) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(f.render(e)); err != nil {
		return nil, fmt.Errorf("encode %s payload: %w", f.ID, err)
	}
	return b.Bytes(), nil
}

// PayloadVersion is the version of the json format's payload. It changes
// when a member is removed or changes meaning; members may be added
// within a version.
const PayloadVersion = "1"

// jsonMaxItems bounds the findings one json payload lists (total says
// how many there were).
const jsonMaxItems = 500

type jsonMessage struct {
	SchemaVersion string          `json:"schemaVersion"`
	Event         string          `json:"event"`
	GeneratedAt   time.Time       `json:"generatedAt"`
	Summary       string          `json:"summary"`
	Scan          *jsonScan       `json:"scan,omitempty"`
	Findings      []jsonFinding   `json:"findings,omitempty"`
	Exemptions    []jsonExemption `json:"exemptions,omitempty"`
	// WindowSeconds is the expiry window of an exemptions message.
	WindowSeconds int64 `json:"windowSeconds,omitempty"`
	Total         int   `json:"total"`
	Truncated     bool  `json:"truncated"`
}

type jsonScan struct {
	ID          int64     `json:"id"`
	Scope       string    `json:"scope"`
	Source      string    `json:"source"`
	Repository  string    `json:"repository,omitempty"`
	Branch      string    `json:"branch,omitempty"`
	Commit      string    `json:"commit,omitempty"`
	PipelineURL string    `json:"pipelineUrl,omitempty"`
	Started     time.Time `json:"started"`
	Finished    time.Time `json:"finished"`
	URL         string    `json:"url,omitempty"`
}

type jsonFinding struct {
	Resource       jsonResource       `json:"resource"`
	Recommendation jsonRecommendation `json:"recommendation"`
	// Previous is "" when the finding is new, else the status it had.
	Previous string `json:"previous"`
	Status   string `json:"status"`
	Reason   string `json:"reason"`
}

type jsonResource struct {
	ID            string      `json:"id"`
	Name          string      `json:"name"`
	Type          string      `json:"type"`
	Deployment    string      `json:"deployment,omitempty"`
	Subscription  string      `json:"subscription,omitempty"`
	ResourceGroup string      `json:"resourceGroup,omitempty"`
	Source        *jsonSource `json:"source,omitempty"`
	URL           string      `json:"url,omitempty"`
}

type jsonSource struct {
	Kind       string `json:"kind,omitempty"`
	File       string `json:"file,omitempty"`
	Line       int    `json:"line,omitempty"`
	Address    string `json:"address,omitempty"`
	Repository string `json:"repository,omitempty"`
	Commit     string `json:"commit,omitempty"`
}

type jsonRecommendation struct {
	ID       string `json:"id"`
	Title    string `json:"title"`
	Severity string `json:"severity"`
}

type jsonExemption struct {
	ID             int64     `json:"id"`
	Kind           string    `json:"kind"`
	Reason         string    `json:"reason"`
	Expires        time.Time `json:"expires"`
	Scope          string    `json:"scope"`
	Target         string    `json:"target"`
	Path           string    `json:"path,omitempty"`
	Recommendation string    `json:"recommendation,omitempty"`
	CreatedBy      string    `json:"createdBy"`
	Created        time.Time `json:"created"`
	URL            string    `json:"url,omitempty"`
}

func jsonPayload(e *event) any {
	m := jsonMessage{SchemaVersion: PayloadVersion, Event: e.name, GeneratedAt: e.at.UTC(), Summary: e.summary()}
	if e.name == eventNewHigh {
		s := e.scan
		m.Scan = &jsonScan{ID: s.ID, Scope: s.Scope, Source: string(s.Source), Repository: s.Labels.Repository,
			Branch: s.Labels.Branch, Commit: s.Labels.Commit, PipelineURL: s.Labels.PipelineURL,
			Started: s.Started.UTC(), Finished: s.Finished.UTC(), URL: e.scanURL()}
		m.Total = len(e.findings)
		for i := range e.findings {
			if i == jsonMaxItems {
				m.Truncated = true
				break
			}
			m.Findings = append(m.Findings, jsonFindingOf(e, &e.findings[i]))
		}
		return m
	}
	m.WindowSeconds = int64(e.within / time.Second)
	m.Total = len(e.exemptions)
	for _, x := range e.exemptions {
		m.Exemptions = append(m.Exemptions, jsonExemption{ID: x.ID, Kind: string(x.Kind), Reason: x.Reason,
			Expires: x.Expires.UTC(), Scope: string(x.Scope), Target: x.Target, Path: x.Path,
			Recommendation: x.Recommendation, CreatedBy: x.CreatedBy, Created: x.Created.UTC(), URL: e.exemptionsURL()})
	}
	return m
}

func jsonFindingOf(e *event, f *store.NewFinding) jsonFinding {
	r := jsonResource{ID: f.ResourceID, Name: f.Name, Type: f.Type, Deployment: f.Deployment,
		Subscription: f.Subscription, ResourceGroup: f.ResourceGroup, URL: e.resourceURL(f)}
	if f.File != "" || f.Address != "" || f.Repository != "" {
		r.Source = &jsonSource{Kind: f.SourceKind, File: f.File, Line: f.Line, Address: f.Address,
			Repository: f.Repository, Commit: f.Commit}
	}
	return jsonFinding{Resource: r, Recommendation: jsonRecommendation{ID: f.Recommendation.ID,
		Title: f.Recommendation.Title, Severity: f.Recommendation.Severity},
		Previous: string(f.Previous), Status: "Unhealthy", Reason: f.Reason}
}
