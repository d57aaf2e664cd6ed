package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/kvguard/kvguard/internal/assess"
	"github.com/kvguard/kvguard/internal/resource"
)

// reportAssessment is the part of a JSON report's assessment
// (docs/report.schema.json) the store keeps.
type reportAssessment struct {
	Recommendation struct {
		ID string `json:"id"`
	} `json:"recommendation"`
	Resource struct {
		ID          string `json:"id"`
		Name        string `json:"name"`
		Type        string `json:"type"`
		Placeholder bool   `json:"placeholder"`
		Deployment  string `json:"deployment"`
		Source      struct {
			Kind      string `json:"kind"`
			File      string `json:"file"`
			StartLine int    `json:"startLine"`
			Address   string `json:"address"`
		} `json:"source"`
	} `json:"resource"`
	Status     assess.Status `json:"status"`
	Reason     string        `json:"reason"`
	Components []struct {
		Name   string        `json:"name"`
		Status assess.Status `json:"status"`
		Reason string        `json:"reason"`
	} `json:"components"`
}

type reportRecommendation struct {
	ID       string `json:"id"`
	Title    string `json:"title"`
	Severity string `json:"severity"`
	Type     string `json:"type"`
}

type reportError struct {
	Severity   string `json:"severity"`
	File       string `json:"file"`
	Line       int    `json:"line"`
	Column     int    `json:"column"`
	ResourceID string `json:"resourceId"`
	Message    string `json:"message"`
}

// IngestReport stages a JSON report (kvguard scan --format json, as a CI
// push sends it) like Ingest, reading it as a stream: the assessments are
// decoded one at a time. The whole report is one transaction; an error
// names the assessment and leaves nothing of the report staged.
func (sc *Scan) IngestReport(ctx context.Context, r io.Reader) error {
	dec := json.NewDecoder(r)
	if err := expectDelim(dec, '{'); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	var recs []RecommendationInfo
	var errs []*resource.InputError
	var decodeErr error
	var version string
	rows := func(yield func(Row) bool) {
		decodeErr = walkReport(dec, &version, &recs, &errs, yield)
	}
	return sc.ingest(ctx, rows, func() ([]RecommendationInfo, []*resource.InputError, error) {
		if decodeErr != nil {
			return nil, nil, fmt.Errorf("report: %w", decodeErr)
		}
		if version != assess.SchemaVersion {
			return nil, nil, fmt.Errorf("report: schema version %q; this kvguard reads version %s", version, assess.SchemaVersion)
		}
		return recs, errs, nil
	})
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	t, err := dec.Token()
	if err != nil {
		return fmt.Errorf("not a kvguard JSON report: %w", err)
	}
	if d, ok := t.(json.Delim); !ok || d != want {
		return fmt.Errorf("not a kvguard JSON report: expected %q, found %v", want, t)
	}
	return nil
}

// walkReport reads the report's members, yielding the rows of its
// assessments as they are decoded.
func walkReport(dec *json.Decoder, version *string, recs *[]RecommendationInfo, errs *[]*resource.InputError, yield func(Row) bool) error {
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := t.(string)
		switch key {
		case "schemaVersion":
			if err := dec.Decode(version); err != nil {
				return fmt.Errorf("schemaVersion: %w", err)
			}
		case "recommendations":
			var list []reportRecommendation
			if err := dec.Decode(&list); err != nil {
				return fmt.Errorf("recommendations: %w", err)
			}
			for _, r := range list {
				*recs = append(*recs, RecommendationInfo(r))
			}
		case "errors":
			var list []reportError
			if err := dec.Decode(&list); err != nil {
				return fmt.Errorf("errors: %w", err)
			}
			for _, e := range list {
				*errs = append(*errs, &resource.InputError{Pos: resource.Position{File: e.File, Line: e.Line, Col: e.Column},
					ResourceID: e.ResourceID, Msg: e.Message, Warning: e.Severity == "warning"})
			}
		case "assessments":
			if err := walkAssessments(dec, yield); err != nil {
				return err
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return fmt.Errorf("%s: %w", key, err)
			}
		}
	}
	return nil
}

var errStopped = errors.New("stopped")

func walkAssessments(dec *json.Decoder, yield func(Row) bool) error {
	if err := expectDelim(dec, '['); err != nil {
		return fmt.Errorf("assessments: %w", err)
	}
	for i := 0; dec.More(); i++ {
		var a reportAssessment
		if err := dec.Decode(&a); err != nil {
			return fmt.Errorf("assessments[%d]: %w", i, err)
		}
		if a.Resource.ID == "" || a.Recommendation.ID == "" {
			return fmt.Errorf("assessments[%d]: no resource ID or recommendation ID", i)
		}
		rs := &a.Resource
		info := &ResourceInfo{ID: rs.ID, Deployment: rs.Deployment, Name: rs.Name, Type: rs.Type, SourceKind: rs.Source.Kind,
			File: rs.Source.File, Line: rs.Source.StartLine, Address: rs.Source.Address, Placeholder: rs.Placeholder}
		if !yield(Row{Resource: info, Recommendation: a.Recommendation.ID, Status: a.Status, Reason: a.Reason}) {
			return errStopped
		}
		for _, c := range a.Components {
			if !yield(Row{Resource: info, Recommendation: a.Recommendation.ID, Component: c.Name, Status: c.Status, Reason: c.Reason}) {
				return errStopped
			}
		}
	}
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("assessments: %w", err)
	}
	return nil
}
