package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kvguard/kvguard/internal/store"
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func serveOpenAPI(w http.ResponseWriter, _ *http.Request) {
	b, _ := files.ReadFile("openapi.json")
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if err := s.st.Ping(r.Context()); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// The API's JSON shapes (openapi.json's schemas).
type (
	apiCount struct {
		ID            string `json:"id"`
		Title         string `json:"title"`
		Severity      string `json:"severity"`
		Healthy       int64  `json:"healthy"`
		Unhealthy     int64  `json:"unhealthy"`
		Unknown       int64  `json:"unknown"`
		NotApplicable int64  `json:"notApplicable"`
		Exempt        int64  `json:"exempt"`
	}
	apiFinding struct {
		ResourceRef    int64     `json:"resourceRef"`
		Scope          string    `json:"scope"`
		ResourceID     string    `json:"resourceId"`
		Deployment     string    `json:"deployment,omitempty"`
		Name           string    `json:"name"`
		Recommendation string    `json:"recommendation"`
		Severity       string    `json:"severity,omitempty"`
		Component      string    `json:"component,omitempty"`
		Status         string    `json:"status"`
		Effective      string    `json:"effectiveStatus"`
		Reason         string    `json:"reason"`
		Exemption      int64     `json:"exemption,omitempty"`
		Since          time.Time `json:"since"`
		Subscription   string    `json:"subscription,omitempty"`
		ResourceGroup  string    `json:"resourceGroup,omitempty"`
		Source         string    `json:"source,omitempty"`
	}
	apiResource struct {
		Ref           int64             `json:"ref"`
		Scope         string            `json:"scope"`
		ID            string            `json:"id"`
		Deployment    string            `json:"deployment,omitempty"`
		Name          string            `json:"name"`
		Type          string            `json:"type"`
		Subscription  string            `json:"subscription,omitempty"`
		ResourceGroup string            `json:"resourceGroup,omitempty"`
		Source        string            `json:"source"`
		Repository    string            `json:"repository,omitempty"`
		Commit        string            `json:"commit,omitempty"`
		File          string            `json:"file,omitempty"`
		Line          int               `json:"line,omitempty"`
		Address       string            `json:"address,omitempty"`
		Tags          map[string]string `json:"tags"`
		FirstSeen     time.Time         `json:"firstSeen"`
		LastSeen      time.Time         `json:"lastSeen"`
		Unhealthy     int64             `json:"unhealthy"`
	}
	apiChange struct {
		At             time.Time `json:"at"`
		Scan           int64     `json:"scan"`
		Recommendation string    `json:"recommendation"`
		Component      string    `json:"component,omitempty"`
		Previous       string    `json:"previous"`
		Status         string    `json:"status"`
		Reason         string    `json:"reason"`
		Exemption      int64     `json:"exemption,omitempty"`
	}
	apiScan struct {
		ID          int64      `json:"id"`
		Scope       string     `json:"scope"`
		Source      string     `json:"source"`
		Repository  string     `json:"repository,omitempty"`
		Branch      string     `json:"branch,omitempty"`
		Commit      string     `json:"commit,omitempty"`
		PipelineURL string     `json:"pipelineUrl,omitempty"`
		Status      string     `json:"status"`
		Error       string     `json:"error,omitempty"`
		Started     time.Time  `json:"started"`
		Finished    *time.Time `json:"finished,omitempty"`
		Done        int64      `json:"done"`
		Total       int64      `json:"total"`
		Results     int64      `json:"results"`
		Changes     int64      `json:"changes"`
		InputErrors int64      `json:"inputErrors"`
		URL         string     `json:"url"`
	}
	apiAssignment struct {
		ResourceRef    int64     `json:"resourceRef"`
		ResourceID     string    `json:"resourceId"`
		Name           string    `json:"name"`
		Recommendation string    `json:"recommendation"`
		Reason         string    `json:"reason"`
		Owner          string    `json:"owner"`
		Rule           int64     `json:"rule"`
		Since          time.Time `json:"since"`
		Due            time.Time `json:"due"`
		Overdue        bool      `json:"overdue"`
	}
)

func findingJSON(f store.Finding) apiFinding {
	return apiFinding{ResourceRef: f.ResourceRef, Scope: f.Scope, ResourceID: f.ResourceID, Deployment: f.Deployment, Name: f.Name,
		Recommendation: f.Recommendation, Component: f.Component, Status: string(f.Status), Effective: string(f.Effective),
		Reason: f.Reason, Exemption: f.Exemption, Since: f.Since}
}

func resourceJSON(x store.ResourceRow) apiResource {
	tags := x.Tags
	if tags == nil {
		tags = map[string]string{}
	}
	return apiResource{Ref: x.Ref, Scope: x.Scope, ID: x.ID, Deployment: x.Deployment, Name: x.Name, Type: x.Type,
		Subscription: x.Subscription, ResourceGroup: x.ResourceGroup, Source: string(x.Source), Repository: x.Repository,
		Commit: x.Commit, File: x.File, Line: x.Line, Address: x.Address, Tags: tags, FirstSeen: x.FirstSeen,
		LastSeen: x.LastSeen, Unhealthy: x.Unhealthy}
}

func (s *Server) scanURL(id int64) string {
	return strings.TrimSuffix(s.opts.BaseURL, "/") + "/scans/" + strconv.FormatInt(id, 10)
}

func (s *Server) scanJSON(si store.ScanInfo) apiScan {
	out := apiScan{ID: si.ID, Scope: si.Scope, Source: string(si.Source), Repository: si.Labels.Repository, Branch: si.Labels.Branch,
		Commit: si.Labels.Commit, PipelineURL: si.Labels.PipelineURL, Status: string(si.Status), Error: si.Error, Started: si.Started,
		Done: si.Done, Total: si.Total, Results: si.Results, Changes: si.Changes, InputErrors: si.InputErrors, URL: s.scanURL(si.ID)}
	if !si.Finished.IsZero() {
		f := si.Finished
		out.Finished = &f
	}
	return out
}

func (s *Server) apiSummary(w http.ResponseWriter, r *http.Request) {
	f, _ := filterOf(r.URL.Query())
	sum, err := s.st.Summary(r.Context(), f)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	items := make([]apiCount, 0, len(sum))
	for _, row := range sum {
		items = append(items, apiCount{ID: row.Recommendation.ID, Title: row.Recommendation.Title, Severity: row.Recommendation.Severity,
			Healthy: row.Healthy, Unhealthy: row.Unhealthy, Unknown: row.Unknown, NotApplicable: row.NotApplicable, Exempt: row.Exempt})
	}
	var score *float64
	if v := secureScore(sum); v >= 0 {
		score = &v
	}
	writeJSON(w, http.StatusOK, map[string]any{"score": score, "recommendations": items})
}

func (s *Server) apiTrend(w http.ResponseWriter, r *http.Request) {
	days, err := strconv.Atoi(r.URL.Query().Get("days"))
	if err != nil || days < 1 || days > 400 {
		days = 30
	}
	pts, err := s.st.Trend(r.Context(), s.opts.Now().UTC().AddDate(0, 0, 1-days))
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	type point struct {
		Day            string `json:"day"`
		Recommendation string `json:"recommendation"`
		Status         string `json:"status"`
		Count          int64  `json:"count"`
	}
	items := make([]point, 0, len(pts))
	for _, p := range pts {
		items = append(items, point{p.Day.Format("2006-01-02"), p.Recommendation, p.Status, p.N})
	}
	writeJSON(w, http.StatusOK, map[string]any{"days": days, "points": items})
}

func (s *Server) apiRecommendations(w http.ResponseWriter, r *http.Request) {
	f, _ := filterOf(r.URL.Query())
	rows, err := s.recommendationRows(r, f)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	type rec struct {
		ID          string            `json:"id"`
		Title       string            `json:"title"`
		Severity    string            `json:"severity"`
		Unhealthy   int64             `json:"unhealthy"`
		Healthy     int64             `json:"healthy"`
		Remediation map[string]string `json:"remediation"`
	}
	items := make([]rec, 0, len(rows))
	for _, x := range rows {
		rem := map[string]string{}
		for k, v := range map[string]string{"portal": x.Remediation.Portal, "cli": x.Remediation.CLI,
			"terraform": x.Remediation.Terraform, "bicep": x.Remediation.Bicep} {
			if v != "" {
				rem[k] = v
			}
		}
		items = append(items, rec{x.ID, x.Title, x.Severity, x.Unhealthy, x.Healthy, rem})
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

func (s *Server) apiFindings(w http.ResponseWriter, r *http.Request) {
	rows, next, err := s.st.FindingsPage(r.Context(), listFilter(r.URL.Query()))
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	items := make([]apiFinding, 0, len(rows))
	for _, x := range rows {
		f := findingJSON(x.Finding)
		f.Subscription, f.ResourceGroup, f.Source, f.Severity = x.Subscription, x.ResourceGroup, string(x.Source), x.Severity
		items = append(items, f)
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "next": next})
}

func (s *Server) apiResources(w http.ResponseWriter, r *http.Request) {
	rows, next, err := s.st.ResourcesPage(r.Context(), listFilter(r.URL.Query()))
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	items := make([]apiResource, 0, len(rows))
	for _, x := range rows {
		items = append(items, resourceJSON(x))
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "next": next})
}

func (s *Server) apiResource(w http.ResponseWriter, r *http.Request) {
	ref, ok := pathID(r, "ref")
	if !ok {
		s.fail(w, r, http.StatusNotFound, "no such resource")
		return
	}
	d, err := s.st.Resource(r.Context(), ref)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	fs := make([]apiFinding, 0, len(d.Findings))
	for _, f := range d.Findings {
		fs = append(fs, findingJSON(f))
	}
	hs := make([]apiChange, 0, len(d.History))
	for _, c := range d.History {
		hs = append(hs, apiChange{At: c.At, Scan: c.Scan, Recommendation: c.Recommendation, Component: c.Component,
			Previous: c.Previous, Status: c.Status, Reason: c.Reason, Exemption: c.Exemption})
	}
	groups := d.ManagementGroups
	if groups == nil {
		groups = []store.ManagementGroup{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"resource": resourceJSON(d.Resource), "findings": fs, "history": hs,
		"managementGroups": groups, "components": componentsJSON(d), "moreComponents": d.MoreComponents})
}

// apiComponent is a component of the resource endpoint.
type apiComponent struct {
	Name    string `json:"name"`
	Kind    string `json:"kind,omitempty"`
	Listed  bool   `json:"listed"`
	Enabled *bool  `json:"enabled,omitempty"`
	// Expires is null for a listed component without expiry; ExpiresInDays
	// counts from the resource's lastSeen (the scan), negative once expired.
	Expires       *time.Time   `json:"expires"`
	ExpiresInDays *int         `json:"expiresInDays,omitempty"`
	Findings      []apiFinding `json:"findings"`
}

func componentsJSON(d store.ResourceDetail) []apiComponent {
	out := make([]apiComponent, 0, len(d.Components))
	for _, c := range d.Components {
		x := apiComponent{Name: c.Name, Kind: c.Kind, Listed: c.Listed, Enabled: c.Enabled, Findings: make([]apiFinding, 0, len(c.Findings))}
		if days, ok := c.ExpiresIn(d.Resource.LastSeen); ok {
			t := c.Expires.UTC()
			x.Expires, x.ExpiresInDays = &t, &days
		}
		for _, f := range c.Findings {
			x.Findings = append(x.Findings, findingJSON(f))
		}
		out = append(out, x)
	}
	return out
}

func (s *Server) apiExemptions(w http.ResponseWriter, r *http.Request) {
	rows, err := s.exemptionRows(r)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	type item struct {
		store.Exemption
		State string `json:"state"`
	}
	items := make([]item, 0, len(rows))
	for _, e := range rows {
		items = append(items, item(e))
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

// decode reads a JSON body of at most 1 MiB, refusing unknown fields.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("body: %w", err)
	}
	return nil
}

func (s *Server) apiCreateExemption(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Kind           string `json:"kind"`
		Reason         string `json:"reason"`
		Expires        string `json:"expires"`
		Scope          string `json:"scope"`
		Target         string `json:"target"`
		Path           string `json:"path"`
		Recommendation string `json:"recommendation"`
	}
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	exp, err := parseExpiry(in.Expires)
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	id, err := s.st.CreateExemption(r.Context(), principal(r).Name, store.Exemption{Kind: store.ExemptionKind(in.Kind),
		Reason: in.Reason, Expires: exp, Scope: store.ScopeKind(in.Scope), Target: in.Target, Path: in.Path,
		Recommendation: in.Recommendation})
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusCreated, map[string]int64{"id": id})
}

func (s *Server) apiSetExemptionExpiry(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.fail(w, r, http.StatusNotFound, "no such exemption")
		return
	}
	var in struct {
		Expires string `json:"expires"`
	}
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	exp, err := parseExpiry(in.Expires)
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	if err := s.st.SetExemptionExpiry(r.Context(), principal(r).Name, id, exp); err != nil {
		s.fail(w, r, http.StatusNotFound, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]int64{"id": id})
}

func (s *Server) apiRevokeExemption(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.fail(w, r, http.StatusNotFound, "no such exemption")
		return
	}
	if err := s.st.RevokeExemption(r.Context(), principal(r).Name, id); err != nil {
		s.fail(w, r, http.StatusNotFound, err.Error())
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) apiOwnerRules(w http.ResponseWriter, r *http.Request) {
	rules, err := s.st.OwnerRules(r.Context())
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	if rules == nil {
		rules = []store.OwnerRule{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": rules})
}

func (s *Server) apiAddOwnerRule(w http.ResponseWriter, r *http.Request) {
	var in store.OwnerRule
	if err := decode(w, r, &in); err != nil {
		s.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	id, err := s.st.AddOwnerRule(r.Context(), principal(r).Name, in)
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusCreated, map[string]int64{"id": id})
}

func (s *Server) apiDeleteOwnerRule(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.fail(w, r, http.StatusNotFound, "no such rule")
		return
	}
	if err := s.st.DeleteOwnerRule(r.Context(), principal(r).Name, id); err != nil {
		s.fail(w, r, http.StatusNotFound, err.Error())
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) apiAssignments(w http.ResponseWriter, r *http.Request) {
	as, err := s.st.Assignments(r.Context())
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	if r.URL.Query().Get("overdue") == "true" {
		as = overdue(as)
	}
	items := make([]apiAssignment, 0, len(as))
	for _, a := range as {
		items = append(items, apiAssignment{ResourceRef: a.ResourceRef, ResourceID: a.ResourceID, Name: a.Name,
			Recommendation: a.Recommendation, Reason: a.Reason, Owner: a.Owner, Rule: a.Rule, Since: a.Since, Due: a.Due,
			Overdue: a.Overdue})
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

func (s *Server) apiScans(w http.ResponseWriter, r *http.Request) {
	before, _ := strconv.ParseInt(r.URL.Query().Get("cursor"), 10, 64)
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	scans, next, err := s.st.ScansPage(r.Context(), before, limit)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	items := make([]apiScan, 0, len(scans))
	for _, sc := range scans {
		items = append(items, s.scanJSON(sc))
	}
	cursor := ""
	if next > 0 {
		cursor = strconv.FormatInt(next, 10)
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "next": cursor})
}

func (s *Server) apiScan(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.fail(w, r, http.StatusNotFound, "no such scan")
		return
	}
	si, err := s.st.ScanInfo(r.Context(), id)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.scanJSON(si))
}

func (s *Server) apiStartScan(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Scope string `json:"scope"`
	}
	if r.ContentLength != 0 {
		if err := decode(w, r, &in); err != nil {
			s.fail(w, r, http.StatusBadRequest, err.Error())
			return
		}
	}
	id, err := s.startScan(r, in.Scope)
	if err != nil {
		s.failScan(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"scan": id, "status": string(store.Running), "url": s.scanURL(id)})
}

// maxReport bounds a pushed report.
const maxReport = 512 << 20

// apiReport stores a JSON report pushed by CI (kvguard scan --push) as a
// repository scan of "repo:R@B" (contract 2 of issue 13's plan).
func (s *Server) apiReport(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	repo := q.Get("repository")
	if repo == "" {
		s.fail(w, r, http.StatusBadRequest, "the repository parameter is required")
		return
	}
	scope := "repo:" + repo
	if b := q.Get("branch"); b != "" {
		scope += "@" + b
	}
	labels := store.Labels{Repository: repo, Branch: q.Get("branch"), Commit: q.Get("commit"), PipelineURL: q.Get("pipeline_url"),
		IdempotencyKey: r.Header.Get("Idempotency-Key")}
	if k := labels.IdempotencyKey; len(k) > 200 || strings.IndexFunc(k, func(c rune) bool { return c < 0x21 || c > 0x7e }) >= 0 {
		s.fail(w, r, http.StatusBadRequest, "the Idempotency-Key header must be at most 200 printable ASCII characters without spaces")
		return
	}
	id, done, err := s.opts.Reporter.Report(r.Context(), scope, labels, http.MaxBytesReader(w, r.Body, maxReport))
	if err != nil {
		// A retry of a push already received: its scan, as it is now.
		var dup *store.DuplicatePush
		if errors.As(err, &dup) {
			writeJSON(w, http.StatusOK, map[string]any{"scan": dup.ID, "status": string(dup.Status), "url": s.scanURL(dup.ID)})
			return
		}
		if errors.Is(err, store.ErrScopeBusy) {
			s.fail(w, r, http.StatusConflict, err.Error())
			return
		}
		s.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	status := store.Running
	if done {
		status = store.Succeeded
		if si, err := s.st.ScanInfo(r.Context(), id); err == nil {
			s.ScanFinished(si)
		}
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"scan": id, "status": string(status), "url": s.scanURL(id)})
}
