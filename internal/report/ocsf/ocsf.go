// Package ocsf writes the result model as Open Cybersecurity Schema
// Framework (OCSF) 1.8.0 events, one JSON object per line, for SIEMs and
// security data lakes (Amazon Security Lake, Splunk, Sentinel, ...):
//
//   - one Compliance Finding (class_uid 2003, category Findings) per
//     assessment, in report order, with the cloud profile (provider
//     Azure);
//   - then one Application Error (class_uid 6008) per input problem, so
//     that a consumer sees that the scan was incomplete and why.
//
// Statuses map onto the compliance object's status_id (Pass, Warning,
// Fail, Other) and the finding's status_id (New, or Suppressed for an
// exempt assessment); docs/formats.md has the table. finding_info.uid is
// a fingerprint of the recommendation, the resource ID, its address in
// code and its deployment (the same inputs as SARIF's partial
// fingerprint): it stays the same across scans and line moves, so a SIEM
// can follow one finding over time.
//
// The events are validated in tests against a JSON Schema derived from
// the OCSF 1.8.0 schema (testdata, with its source).
package ocsf

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/kvguard/kvguard/internal/assess"
	"github.com/kvguard/kvguard/internal/resource"
)

// SchemaVersion is the OCSF version the events follow.
const SchemaVersion = "1.8.0"

// The classes written, and their place in OCSF.
const (
	categoryFindings    = 2
	classCompliance     = 2003
	categoryApplication = 6
	classAppError       = 6008
	activityCreate      = 1 // Compliance Finding: Create; Application Error: General Error
)

// Writer renders results as OCSF JSON lines.
type Writer struct {
	// ToolVersion is metadata.product.version.
	ToolVersion string
}

type product struct {
	Name       string `json:"name"`
	VendorName string `json:"vendor_name"`
	Version    string `json:"version,omitempty"`
	URL        string `json:"url_string"`
}

type metadata struct {
	Version  string   `json:"version"`
	Product  product  `json:"product"`
	Profiles []string `json:"profiles,omitempty"`
	LogName  string   `json:"log_name"`
}

// base holds the attributes every OCSF event has.
type base struct {
	CategoryUID  int      `json:"category_uid"`
	CategoryName string   `json:"category_name"`
	ClassUID     int      `json:"class_uid"`
	ClassName    string   `json:"class_name"`
	ActivityID   int      `json:"activity_id"`
	ActivityName string   `json:"activity_name"`
	TypeUID      int      `json:"type_uid"`
	TypeName     string   `json:"type_name"`
	Time         int64    `json:"time"`
	SeverityID   int      `json:"severity_id"`
	Severity     string   `json:"severity"`
	StatusID     int      `json:"status_id,omitempty"`
	Status       string   `json:"status,omitempty"`
	Message      string   `json:"message"`
	Metadata     metadata `json:"metadata"`
}

type analytic struct {
	UID    string `json:"uid"`
	Name   string `json:"name"`
	TypeID int    `json:"type_id"`
	Type   string `json:"type"`
}

type findingInfo struct {
	UID      string   `json:"uid"`
	Title    string   `json:"title"`
	Desc     string   `json:"desc,omitempty"`
	Types    []string `json:"types,omitempty"`
	Analytic analytic `json:"analytic"`
}

type compliance struct {
	Control      string   `json:"control"`
	Standards    []string `json:"standards"`
	Requirements []string `json:"requirements,omitempty"`
	Desc         string   `json:"desc,omitempty"`
	StatusID     int      `json:"status_id"`
	Status       string   `json:"status"`
	StatusCode   string   `json:"status_code"`
	StatusDetail string   `json:"status_detail"`
}

type resourceDetails struct {
	UID  string `json:"uid"`
	Name string `json:"name,omitempty"`
	Type string `json:"type,omitempty"`
	// Data is a *vaultData or a *componentData, or nil.
	Data any `json:"data,omitempty"`
}

// vaultData, componentData and sourceData are structs rather than maps
// (one of each per component of a million-component scan); their fields
// are in the order of their keys, as encoding/json writes a map's.
type vaultData struct {
	Deployment  string      `json:"deployment,omitempty"`
	Placeholder bool        `json:"placeholder,omitempty"`
	Source      *sourceData `json:"source,omitempty"`
}

type componentData struct {
	Reason string      `json:"reason"`
	Source *sourceData `json:"source,omitempty"`
	Status string      `json:"status"`
}

type sourceData struct {
	Address   string `json:"address,omitempty"`
	EndLine   int    `json:"end_line,omitempty"`
	File      string `json:"file,omitempty"`
	Kind      string `json:"kind"`
	StartLine int    `json:"start_line,omitempty"`
}

type remediation struct {
	Desc       string   `json:"desc"`
	References []string `json:"references,omitempty"`
}

type cloud struct {
	Provider string `json:"provider"`
}

type complianceFinding struct {
	base
	Cloud       cloud             `json:"cloud"`
	FindingInfo findingInfo       `json:"finding_info"`
	Compliance  compliance        `json:"compliance"`
	Resources   []resourceDetails `json:"resources"`
	Remediation *remediation      `json:"remediation,omitempty"`
	Unmapped    map[string]any    `json:"unmapped,omitempty"`
}

type appError struct {
	base
	Unmapped map[string]any `json:"unmapped"`
}

// Write writes the events, one per line.
func (w Writer) Write(out io.Writer, r *assess.Result) error {
	b := bufio.NewWriterSize(out, 1<<16)
	enc := json.NewEncoder(b)
	meta := metadata{Version: SchemaVersion, LogName: "kvguard",
		Product: product{Name: "kvguard", VendorName: "kvguard", Version: w.ToolVersion, URL: "https://github.com/kvguard/kvguard"}}
	at := r.GeneratedAt.UnixMilli()
	for a := range r.All() {
		ev := findingOf(a, meta, at)
		if err := enc.Encode(ev); err != nil {
			return fmt.Errorf("writing the OCSF events: %w", err)
		}
	}
	if err := r.Err(); err != nil {
		return fmt.Errorf("reading the assessments back: %w", err)
	}
	// AllErrors, not Errors: a large scan keeps its problems on disk.
	for e := range r.AllErrors() {
		if err := enc.Encode(errorOf(e, meta, at)); err != nil {
			return fmt.Errorf("writing the OCSF events: %w", err)
		}
	}
	if err := r.Err(); err != nil {
		return fmt.Errorf("reading the input problems back: %w", err)
	}
	if err := b.Flush(); err != nil {
		return fmt.Errorf("writing the OCSF events: %w", err)
	}
	return nil
}

// severityOf maps Defender's severities onto OCSF's severity_id.
func severityOf(s assess.Severity) (int, string) {
	switch s.Rank() {
	case 3:
		return 4, "High"
	case 2:
		return 3, "Medium"
	case 1:
		return 2, "Low"
	}
	return 0, "Unknown"
}

// complianceStatus maps a status onto the compliance object's status_id:
// 1 Pass, 2 Warning ("did not yield a result due to missing
// information"), 3 Fail, 99 Other.
func complianceStatus(s assess.Status) (int, string) {
	switch s {
	case assess.Healthy:
		return 1, "Pass"
	case assess.Unknown:
		return 2, "Warning"
	case assess.Unhealthy, assess.Exempt:
		// An exempt resource failed the check; the finding's own status
		// says it is suppressed.
		return 3, "Fail"
	}
	return 99, "Not Applicable"
}

func findingOf(a *assess.Assessment, meta metadata, at int64) complianceFinding {
	rec := a.Recommendation
	sevID, sev := severityOf(rec.Severity)
	statusID, status := 1, "New"
	if a.Status == assess.Exempt {
		statusID, status = 3, "Suppressed"
	}
	cID, cStatus := complianceStatus(a.Status)
	meta.Profiles = []string{"cloud"}
	name := a.Resource.Name
	if name == "" {
		name = a.Resource.ID
	}
	ev := complianceFinding{
		base: base{
			CategoryUID: categoryFindings, CategoryName: "Findings", ClassUID: classCompliance, ClassName: "Compliance Finding",
			ActivityID: activityCreate, ActivityName: "Create", TypeUID: classCompliance*100 + activityCreate, TypeName: "Compliance Finding: Create",
			Time: at, SeverityID: sevID, Severity: sev, StatusID: statusID, Status: status,
			Message: text(rec.Title + ": " + name + ": " + string(a.Status) + ": " + a.Reason), Metadata: meta,
		},
		Cloud: cloud{Provider: "Azure"},
		FindingInfo: findingInfo{UID: fingerprint(a), Title: text(rec.Title), Desc: text(rec.Description),
			Analytic: analytic{UID: text(rec.ID), Name: text(rec.Title), TypeID: 1, Type: "Rule"}},
		Compliance: compliance{Control: text(rec.ID), Standards: standards(rec), Requirements: requirements(rec), Desc: text(rec.Requirement),
			StatusID: cID, Status: cStatus, StatusCode: string(a.Status), StatusDetail: text(a.Reason)},
		Resources: resources(a),
	}
	if rec.Type != "" {
		ev.FindingInfo.Types = []string{text(rec.Type)}
	}
	if fix := remediationOf(rec); fix != "" {
		ev.Remediation = &remediation{Desc: fix, References: rec.LearnMore}
	}
	ev.Unmapped = unmapped(a)
	return ev
}

// standards names Defender for Cloud and every framework the
// recommendation maps to, in catalog order.
func standards(rec *assess.Recommendation) []string {
	out := []string{"Microsoft Defender for Cloud"}
	if rec.Custom {
		out = []string{"kvguard custom policy"}
	}
	for _, f := range rec.Frameworks {
		if name := text(f.Framework); !contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

func requirements(rec *assess.Recommendation) []string {
	var out []string
	for _, f := range rec.Frameworks {
		out = append(out, text(f.Framework+" "+f.Control))
	}
	if id := rec.PolicyDefinitionID(); id != "" {
		out = append(out, text("Azure Policy "+id))
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func remediationOf(rec *assess.Recommendation) string {
	var parts []string
	if rec.Remediation.Portal != "" {
		parts = append(parts, rec.Remediation.Portal)
	}
	if rec.Remediation.CLI != "" {
		parts = append(parts, "Azure CLI:\n"+rec.Remediation.CLI)
	}
	return text(strings.Join(parts, "\n\n"))
}

// resources lists the vault, then its secrets, keys or certificates that
// did not pass (each with its status and reason in data).
func resources(a *assess.Assessment) []resourceDetails {
	res := a.Resource
	out := []resourceDetails{{UID: text(res.ID), Name: text(res.Name), Type: text(res.Type)}}
	if vd := (vaultData{Source: source(res.Source), Deployment: text(res.Deployment), Placeholder: res.Placeholder}); vd != (vaultData{}) {
		out[0].Data = &vd
	}
	for i := range a.Components {
		c := &a.Components[i]
		if c.Status == assess.Healthy || c.Status == assess.NotApplicable {
			continue
		}
		cd := &componentData{Status: string(c.Status), Reason: text(c.Reason)}
		if c.Source != nil {
			cd.Source = source(*c.Source)
		}
		out = append(out, resourceDetails{UID: text(c.FullID()), Name: text(c.Name), Type: text(c.Type), Data: cd})
	}
	return out
}

func source(s resource.Provenance) *sourceData {
	if s.Kind == "" && s.File == "" {
		return nil
	}
	return &sourceData{Kind: s.Kind, File: text(s.File), StartLine: max(s.StartLine, 0), EndLine: max(s.EndLine, 0), Address: text(s.Address)}
}

// unmapped carries what OCSF has no attribute for: the policy
// conditions behind the verdict and the suppression.
func unmapped(a *assess.Assessment) map[string]any {
	k := map[string]any{}
	if len(a.Details) > 0 {
		var ds []map[string]any
		for _, d := range a.Details {
			ds = append(ds, map[string]any{"field": text(d.Field), "path": text(d.Path), "operator": text(d.Operator),
				"expected": text(resource.Render(d.Expected)), "actual": text(resource.Render(d.Actual))})
		}
		k["conditions"] = ds
	}
	if e := a.Exemption; e != nil {
		ex := map[string]any{"reason": text(e.Reason), "expired": e.Expired, "source": text(e.Source.String())}
		if !e.Expires.IsZero() {
			ex["expires"] = e.Expires.UTC().Format("2006-01-02T15:04:05Z")
		}
		k["exemption"] = ex
	}
	if len(k) == 0 {
		return nil
	}
	return map[string]any{"kvguard": k}
}

func errorOf(e *resource.InputError, meta metadata, at int64) appError {
	sevID, sev := 3, "Medium"
	level := "error"
	if e.Warning {
		sevID, sev, level = 1, "Informational", "warning"
	}
	where := map[string]any{"level": level}
	if e.Pos.File != "" {
		where["file"] = text(e.Pos.File)
	}
	if e.Pos.Line > 0 {
		where["line"] = e.Pos.Line
	}
	if e.Pos.Col > 0 {
		where["column"] = e.Pos.Col
	}
	if e.ResourceID != "" {
		where["resource_id"] = text(e.ResourceID)
	}
	return appError{
		base: base{
			CategoryUID: categoryApplication, CategoryName: "Application Activity", ClassUID: classAppError, ClassName: "Application Error",
			ActivityID: activityCreate, ActivityName: "General Error", TypeUID: classAppError*100 + activityCreate, TypeName: "Application Error: General Error",
			Time: at, SeverityID: sevID, Severity: sev, Message: e.Error(), Metadata: meta,
		},
		Unmapped: map[string]any{"kvguard": where},
	}
}

// fingerprint identifies a finding across scans: the recommendation, the
// resource ID (case-insensitive, as Azure compares IDs), the address in
// code, and the deployment when the code is a module shared by several.
// Line numbers are left out so that it survives edits above the resource.
func fingerprint(a *assess.Assessment) string {
	h := sha256.New()
	parts := []string{a.Recommendation.ID, strings.ToLower(a.Resource.ID), a.Resource.Source.Address}
	if dep := a.Resource.DeployedBy(); dep != "" {
		parts = append(parts, dep)
	}
	for _, part := range parts {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// text makes a string valid UTF-8 and escapes the control and bidi runes
// a log viewer would act on, keeping line breaks and tabs (JSON escapes
// them).
func text(s string) string {
	// Most strings are printable ASCII: returned as they are, without
	// the splitting below (a million components' names and reasons).
	plain := true
	for i := 0; i < len(s) && plain; i++ {
		c := s[i]
		plain = c >= 0x20 && c < 0x7f || c == '\n' || c == '\t'
	}
	if plain {
		return s
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		parts := strings.Split(l, "\t")
		for j, p := range parts {
			parts[j] = resource.Printable(p)
		}
		lines[i] = strings.Join(parts, "\t")
	}
	return strings.Join(lines, "\n")
}
