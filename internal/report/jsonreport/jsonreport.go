// Package jsonreport writes the result model as kvguard's versioned JSON
// report (schema in docs/report.schema.json). The JSON report is the
// model: every field of assess.Result that matters to a machine is here.
//
// It writes by hand rather than through encoding/json's reflection so that
// an estate of a million secrets and keys is written in well under two
// seconds (BenchmarkWriteJSON; TestLargeIsFast guards it), in constant
// memory beyond the result itself.
package jsonreport

import (
	"io"
	"runtime"
	"time"
	"unicode/utf8"

	"github.com/kvguard/kvguard/internal/assess"
	"github.com/kvguard/kvguard/internal/resource"
)

// Writer renders results as JSON.
type Writer struct {
	// ToolVersion is written in tool.version.
	ToolVersion string
}

// Write writes the report.
func (w Writer) Write(out io.Writer, r *assess.Result) error {
	b := newBuf(out)
	defer b.close()
	b.raw(`{"schemaVersion":`)
	b.str(assess.SchemaVersion)
	b.raw(`,"tool":{"name":"kvguard","version":`)
	b.str(w.ToolVersion)
	b.raw(`},"generatedAt":`)
	b.str(r.GeneratedAt.UTC().Format(time.RFC3339))
	b.raw(`,"options":{"enabledOnly":`)
	b.bool(r.EnabledOnly)
	b.raw("},\n")
	writeSummary(b, r)
	if r.Compliance != nil {
		b.raw(",\n\"compliance\":")
		b.marshal(r.Compliance)
	}
	b.raw(`,"recommendations":[`)
	for i, rec := range r.Recommendations {
		if i > 0 {
			b.raw(",")
		}
		b.raw("\n")
		writeRecommendation(b, rec)
	}
	b.raw("],\n\"assessments\":[")
	writeAssessments(b, r.AllLean(), runtime.GOMAXPROCS(0))
	b.raw("]")
	if r.Summary.Assignments != nil {
		b.raw(",\n\"assignments\":")
		writeAssignments(b, r)
	}
	b.raw(",\n\"errors\":[")
	i := 0
	for e := range r.AllErrors() {
		if i > 0 {
			b.raw(",")
		}
		b.raw("\n")
		writeError(b, e)
		i++
	}
	b.raw("]}\n")
	return b.close()
}

func writeSummary(b *buf, r *assess.Result) {
	b.raw(`"summary":{"recommendations":[`)
	for i, rec := range r.Recommendations {
		if i > 0 {
			b.raw(",")
		}
		c := r.Summary.ByRecommendation[rec.ID]
		b.raw(`{"id":`)
		b.str(rec.ID)
		b.raw(`,"severity":`)
		b.str(string(rec.Severity))
		for _, s := range []assess.Status{assess.Healthy, assess.Unhealthy, assess.Unknown, assess.Exempt, assess.NotApplicable} {
			b.raw(`,"` + lowerFirst(string(s)) + `":`)
			b.int(c[s])
		}
		b.raw("}")
	}
	inv := r.Summary.Inventory
	b.raw(`],"inventory":{"vaultsFound":`)
	b.int(inv.Found)
	b.raw(`,"vaultsJudged":`)
	b.int(inv.Judged)
	b.raw(`,"vaultsUnreadable":`)
	b.int(inv.Unreadable)
	b.raw(`,"placeholderVaults":`)
	b.int(inv.Placeholders)
	b.raw(`,"managedHSMsFound":`)
	b.int(inv.ManagedHSMs)
	b.raw(`,"components":{"secrets":`)
	b.int(inv.Components[resource.TypeSecret])
	b.raw(`,"keys":`)
	b.int(inv.Components[resource.TypeKey])
	b.raw(`,"certificates":`)
	b.int(inv.Components[resource.TypeCertificate])
	b.raw(`,"total":`)
	b.int(inv.ComponentCount())
	b.raw("}")
	errs, warns := r.ErrorCounts()
	b.raw(`},"errors":`)
	b.int(errs)
	b.raw(`,"warnings":`)
	b.int(warns)
	b.raw("}")
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]+('a'-'A')) + s[1:]
}

func writeRecommendation(b *buf, rec *assess.Recommendation) {
	b.raw(`{"id":`)
	b.str(rec.ID)
	b.raw(`,"title":`)
	b.str(rec.Title)
	b.raw(`,"severity":`)
	b.str(string(rec.Severity))
	b.raw(`,"type":`)
	b.str(rec.Type)
	b.raw(`,"policyDefinitionId":`)
	b.str(rec.RelatedPolicy.ID)
	b.raw(`,"policyVersion":`)
	b.str(rec.RelatedPolicy.Version)
	if rec.AssessmentKey != "" {
		b.raw(`,"assessmentKey":`)
		b.str(rec.AssessmentKey)
	}
	b.raw(`,"requirement":`)
	b.str(rec.Requirement)
	b.raw(`,"remediation":`)
	b.marshal(rec.Remediation)
	if len(rec.Frameworks) > 0 {
		b.raw(`,"frameworks":`)
		b.marshal(rec.Frameworks)
	}
	b.raw("}")
}

func writeAssessment(b *buf, a *assess.Assessment) {
	rec := a.Recommendation
	b.raw(`{"recommendation":{"id":`)
	b.str(rec.ID)
	b.raw(`,"title":`)
	b.str(rec.Title)
	b.raw(`,"severity":`)
	b.str(string(rec.Severity))
	b.raw(`,"policyDefinitionId":`)
	b.str(rec.RelatedPolicy.ID)
	b.raw(`},"resource":`)
	writeResource(b, &a.Resource)
	b.raw(`,"status":`)
	b.str(string(a.Status))
	b.raw(`,"reason":`)
	b.str(a.Reason)
	if len(a.Details) > 0 {
		b.raw(`,"details":[`)
		for i, d := range a.Details {
			if i > 0 {
				b.raw(",")
			}
			writeDetail(b, d)
		}
		b.raw("]")
	}
	if a.Exemption != nil {
		b.raw(`,"exemption":`)
		writeExemption(b, a.Exemption)
	}
	if a.Recommendation.Component != "" {
		b.raw(`,"components":[`)
		i := 0
		for c := range a.EachComponent() {
			if i > 0 {
				b.raw(",")
			}
			writeComponent(b, c)
			i++
		}
		b.raw("]")
	}
	b.raw("}")
}

func writeResource(b *buf, r *assess.Resource) {
	b.raw(`{"id":`)
	b.str(r.ID)
	b.raw(`,"name":`)
	b.str(r.Name)
	b.raw(`,"type":`)
	b.str(r.Type)
	if r.Placeholder {
		b.raw(`,"placeholder":true`)
	}
	if r.Deployment != "" {
		b.raw(`,"deployment":`)
		b.str(r.Deployment)
	}
	b.raw(`,"source":`)
	writeSource(b, &r.Source)
	b.raw("}")
}

func writeSource(b *buf, s *resource.Provenance) {
	b.raw(`{"kind":`)
	b.str(s.Kind)
	if s.File != "" {
		b.raw(`,"file":`)
		b.str(s.File)
	}
	if s.StartLine > 0 {
		b.raw(`,"startLine":`)
		b.int(s.StartLine)
		b.raw(`,"endLine":`)
		b.int(max(s.EndLine, s.StartLine))
	}
	if s.Address != "" {
		b.raw(`,"address":`)
		b.str(s.Address)
	}
	if s.APIVersion != "" {
		b.raw(`,"apiVersion":`)
		b.str(s.APIVersion)
	}
	if !s.ReadAt.IsZero() {
		b.raw(`,"readAt":`)
		b.str(s.ReadAt.UTC().Format(time.RFC3339))
	}
	b.raw("}")
}

func writeDetail(b *buf, d assess.Detail) {
	b.raw(`{"field":`)
	b.str(d.Field)
	if d.Path != "" {
		b.raw(`,"path":`)
		b.str(d.Path)
	}
	b.raw(`,"operator":`)
	b.str(d.Operator)
	b.raw(`,"expected":`)
	b.marshal(d.Expected)
	b.raw(`,"actual":`)
	b.marshal(d.Actual)
	b.raw(`,"code":`)
	b.str(d.Code)
	b.raw("}")
}

func writeExemption(b *buf, e *assess.Exemption) {
	b.raw(`{"reason":`)
	b.str(e.Reason)
	if !e.Expires.IsZero() {
		b.raw(`,"expires":`)
		b.str(e.Expires.Format("2006-01-02"))
	}
	b.raw(`,"expired":`)
	b.bool(e.Expired)
	b.raw(`,"file":`)
	b.str(e.Source.File)
	b.raw(`,"line":`)
	b.int(e.Source.Line)
	b.raw("}")
}

func writeComponent(b *buf, c *assess.Component) {
	b.raw(`{"id":`)
	if prefix, name := c.IDParts(); prefix != "" && prefix[len(prefix)-1] < utf8.RuneSelf {
		b.prefixed(prefix, name) // a vault's components share the prefix
	} else {
		b.str(c.FullID())
	}
	b.raw(`,"name":`)
	b.str(c.Name)
	b.raw(`,"type":`)
	b.str(c.Type)
	b.raw(`,"status":`)
	b.str(string(c.Status))
	if c.Reason != "" {
		b.raw(`,"reason":`)
		b.str(c.Reason)
	}
	if c.Source != nil {
		b.raw(`,"source":`)
		writeSource(b, c.Source)
	}
	if c.Exemption != nil {
		b.raw(`,"exemption":`)
		writeExemption(b, c.Exemption)
	}
	b.raw("}")
}

func writeError(b *buf, e *resource.InputError) {
	b.raw(`{"severity":`)
	if e.Warning {
		b.str("warning")
	} else {
		b.str("error")
	}
	if e.Pos.File != "" {
		b.raw(`,"file":`)
		b.str(e.Pos.File)
	}
	if e.Pos.Line > 0 {
		b.raw(`,"line":`)
		b.int(e.Pos.Line)
	}
	if e.Pos.Col > 0 {
		b.raw(`,"column":`)
		b.int(e.Pos.Col)
	}
	if e.ResourceID != "" {
		b.raw(`,"resourceId":`)
		b.str(e.ResourceID)
	}
	b.raw(`,"message":`)
	b.str(e.Msg)
	b.raw("}")
}
