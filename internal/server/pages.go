package server

import (
	"bytes"
	"database/sql"
	"embed"
	"encoding/csv"
	"errors"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kvguard/kvguard/internal/assess"
	"github.com/kvguard/kvguard/internal/catalog"
	"github.com/kvguard/kvguard/internal/store"
)

//go:embed templates/*.html static/style.css openapi.json
var files embed.FS

type pageTemplate = *template.Template

var funcs = template.FuncMap{
	"lower": strings.ToLower,
	"fmtTime": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
}

// parsePages parses each page with the layout.
func parsePages() (map[string]pageTemplate, error) {
	out := map[string]pageTemplate{}
	for _, p := range []string{"overview", "recommendations", "findings", "resources", "resource", "exemptions", "owners",
		"scans", "scan", "error"} {
		t, err := template.New(p).Funcs(funcs).ParseFS(files, "templates/layout.html", "templates/"+p+".html")
		if err != nil {
			return nil, fmt.Errorf("parse the %s page: %w", p, err)
		}
		out[p] = t
	}
	return out, nil
}

func serveStyle(w http.ResponseWriter, _ *http.Request) {
	b, _ := files.ReadFile("static/style.css")
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	_, _ = w.Write(b)
}

// facets are the filter form's choices.
type facets struct {
	Subscriptions    []string
	ManagementGroups []store.ManagementGroup
	Recommendations  []store.RecommendationInfo
	Severities       []string
	Statuses         []string
}

// statusOrder are the effective statuses, in the order the views show them.
var statusOrder = []string{string(assess.Unhealthy), string(assess.Healthy), string(assess.Unknown), string(assess.Exempt),
	string(assess.NotApplicable)}

// page is what every page template receives.
type page struct {
	Title, Nav    string
	Path          string
	Principal     Principal
	CSRF          string
	CanEdit       bool
	Flash         string
	Refresh       int
	Filter        store.ViewFilter
	Tag           string
	Facets        facets
	Schedule      string
	DefaultExpiry string
	Data          any
}

func (s *Server) newPage(r *http.Request, title, nav string) *page {
	p := principal(r)
	return &page{Title: title, Nav: nav, Path: r.URL.Path, Principal: p, CSRF: s.csrfToken(p), CanEdit: p.Role >= RoleEditor,
		Flash: r.URL.Query().Get("flash"), Schedule: s.opts.Schedule,
		DefaultExpiry: s.opts.Now().UTC().AddDate(0, 3, 0).Format("2006-01-02")}
}

// withFilters reads the filters of the query string and the choices.
func (s *Server) withFilters(p *page, r *http.Request) error {
	p.Filter, p.Tag = filterOf(r.URL.Query())
	subs, _, err := s.st.Facets(r.Context(), 500)
	if err != nil {
		return err
	}
	groups, err := s.st.ManagementGroups(r.Context(), 500)
	if err != nil {
		return err
	}
	recs, err := s.st.Recommendations(r.Context())
	if err != nil {
		return err
	}
	p.Facets = facets{Subscriptions: subs, ManagementGroups: groups, Recommendations: recs,
		Severities: []string{"High", "Medium", "Low"}, Statuses: statusOrder}
	return nil
}

// filterOf reads the views' filters from a query string. The management
// group is managementGroup, like the other filters, or management_group
// (the spelling of issue 13).
func filterOf(q url.Values) (store.ViewFilter, string) {
	tag := q.Get("tag")
	k, v, _ := strings.Cut(tag, "=")
	mg := q.Get("managementGroup")
	if mg == "" {
		mg = q.Get("management_group")
	}
	return store.ViewFilter{Scope: q.Get("scope"), Subscription: q.Get("subscription"), ResourceGroup: q.Get("resourceGroup"),
		ManagementGroup: mg, Recommendation: q.Get("recommendation"), Severity: q.Get("severity"), Status: q.Get("status"),
		Source: q.Get("source"), TagKey: strings.TrimSpace(k), TagValue: strings.TrimSpace(v)}, tag
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, name string, p *page, status int) {
	var buf bytes.Buffer
	if err := s.pages[name].ExecuteTemplate(&buf, "layout", p); err != nil {
		s.log.Error("render page", "page", name, "err", err)
		http.Error(w, "the page could not be rendered", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// fail answers an error: JSON {"error": …} under /api/, a page elsewhere.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if strings.HasPrefix(r.URL.Path, "/api/") || strings.HasPrefix(r.URL.Path, "/metrics") {
		writeJSON(w, status, map[string]string{"error": msg})
		return
	}
	p := s.newPage(r, http.StatusText(status), "")
	p.Data = msg
	s.render(w, r, "error", p, status)
}

// failErr answers a store error: 404 for a missing row, 400 for a bad
// cursor, 409 for a busy scope, 500 otherwise (logged).
func (s *Server) failErr(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, sql.ErrNoRows):
		s.fail(w, r, http.StatusNotFound, "not found")
	case errors.Is(err, store.ErrBadCursor):
		s.fail(w, r, http.StatusBadRequest, "bad cursor: start from the first page")
	case errors.Is(err, store.ErrScopeBusy):
		s.fail(w, r, http.StatusConflict, err.Error())
	default:
		s.log.Error("request failed", "path", r.URL.Path, "err", err)
		s.fail(w, r, http.StatusInternalServerError, "internal error (logged)")
	}
}

// overviewRow is a summary row with its link.
type overviewRow struct {
	store.SummaryRow
	Title, Severity, Link string
}

type chart struct {
	Caption          string
	Days             int
	Score, Unhealthy string
	Max              int64
}

// severityWeight is the secure score's weight of a severity.
func severityWeight(sev string) float64 {
	switch strings.ToLower(sev) {
	case "high":
		return 3
	case "medium":
		return 2
	case "low":
		return 1
	}
	return 0
}

// secureScore is 100 × Σ w·healthy / Σ w·(healthy + unhealthy), or -1
// when nothing counts.
func secureScore(rows []store.SummaryRow) float64 {
	var num, den float64
	for _, r := range rows {
		w := severityWeight(r.Recommendation.Severity)
		num += w * float64(r.Healthy)
		den += w * float64(r.Healthy+r.Unhealthy)
	}
	if den == 0 {
		return -1
	}
	return 100 * num / den
}

func formatScore(v float64) string {
	if v < 0 {
		return "–"
	}
	return strconv.FormatFloat(math.Round(v*10)/10, 'f', 1, 64) + "%"
}

func (s *Server) overview(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(r, "Overview", "overview")
	if err := s.withFilters(p, r); err != nil {
		s.failErr(w, r, err)
		return
	}
	ctx := r.Context()
	sum, err := s.st.Summary(ctx, p.Filter)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	data := struct {
		Score      string
		Rows       []overviewRow
		Total      store.SummaryRow
		Charts     []chart
		Last       store.ScanInfo
		New, Fixed []store.ScanChange
	}{Score: formatScore(secureScore(sum))}
	base := r.URL.Query()
	base.Del("status")
	for _, row := range sum {
		q := url.Values{}
		for k, v := range base {
			q[k] = v
		}
		q.Set("recommendation", row.Recommendation.ID)
		data.Rows = append(data.Rows, overviewRow{SummaryRow: row, Title: row.Recommendation.Title,
			Severity: row.Recommendation.Severity, Link: q.Encode()})
		data.Total.Healthy += row.Healthy
		data.Total.Unhealthy += row.Unhealthy
		data.Total.Unknown += row.Unknown
		data.Total.Exempt += row.Exempt
	}
	if data.Charts, err = s.charts(r); err != nil {
		s.failErr(w, r, err)
		return
	}
	if last, ok, err := s.st.LastCompleted(ctx); err != nil {
		s.failErr(w, r, err)
		return
	} else if ok {
		data.Last = last
		if data.New, data.Fixed, err = s.st.Changes(ctx, last.ID, 50); err != nil {
			s.failErr(w, r, err)
			return
		}
	}
	p.Data = data
	s.render(w, r, "overview", p, http.StatusOK)
}

// charts draws the 7, 30 and 90-day trends of the score and of the
// unhealthy count as SVG polylines.
func (s *Server) charts(r *http.Request) ([]chart, error) {
	now := s.opts.Now().UTC()
	points, err := s.st.Trend(r.Context(), now.AddDate(0, 0, -89))
	if err != nil {
		return nil, err
	}
	recs, err := s.st.Recommendations(r.Context())
	if err != nil {
		return nil, err
	}
	sev := map[string]string{}
	for _, rc := range recs {
		sev[rc.ID] = rc.Severity
	}
	type day struct{ num, den, unhealthy float64 }
	days := map[string]*day{}
	for _, pt := range points {
		k := pt.Day.Format("2006-01-02")
		d := days[k]
		if d == nil {
			d = &day{}
			days[k] = d
		}
		w := severityWeight(sev[pt.Recommendation])
		switch assess.Status(pt.Status) {
		case assess.Healthy:
			d.num += w * float64(pt.N)
			d.den += w * float64(pt.N)
		case assess.Unhealthy:
			d.den += w * float64(pt.N)
			d.unhealthy += float64(pt.N)
		}
	}
	var out []chart
	for _, n := range []int{7, 30, 90} {
		c := chart{Caption: fmt.Sprintf("Last %d days", n), Days: n}
		var maxU float64 = 1
		for i := range n {
			if d := days[now.AddDate(0, 0, i-n+1).Format("2006-01-02")]; d != nil && d.unhealthy > maxU {
				maxU = d.unhealthy
			}
		}
		var sp, up []string
		for i := range n {
			d := days[now.AddDate(0, 0, i-n+1).Format("2006-01-02")]
			if d == nil || d.den == 0 {
				continue
			}
			x := 300 * float64(i) / float64(max(n-1, 1))
			sp = append(sp, fmt.Sprintf("%.1f,%.1f", x, 95-90*d.num/d.den))
			up = append(up, fmt.Sprintf("%.1f,%.1f", x, 95-90*d.unhealthy/maxU))
		}
		if len(sp) == 1 { // one day: a flat line across the chart
			sp = append(sp, "300"+sp[0][strings.IndexByte(sp[0], ','):])
			up = append(up, "300"+up[0][strings.IndexByte(up[0], ','):])
			sp[0], up[0] = "0"+sp[0][strings.IndexByte(sp[0], ','):], "0"+up[0][strings.IndexByte(up[0], ','):]
		}
		c.Score, c.Unhealthy, c.Max = strings.Join(sp, " "), strings.Join(up, " "), int64(maxU)
		out = append(out, c)
	}
	return out, nil
}

// recommendationRow is a row of the recommendations list.
type recommendationRow struct {
	ID, Title, Severity string
	Unhealthy, Healthy  int64
	Remediation         catalog.Remediation
}

func (s *Server) recommendationRows(r *http.Request, f store.ViewFilter) ([]recommendationRow, error) {
	sum, err := s.st.Summary(r.Context(), f)
	if err != nil {
		return nil, err
	}
	out := make([]recommendationRow, 0, len(sum))
	for _, row := range sum {
		rr := recommendationRow{ID: row.Recommendation.ID, Title: row.Recommendation.Title, Severity: row.Recommendation.Severity,
			Unhealthy: row.Unhealthy, Healthy: row.Healthy}
		if s.opts.Catalog != nil {
			if c, ok := s.opts.Catalog.Lookup(rr.ID); ok {
				rr.Remediation = c.Remediation
			}
		}
		out = append(out, rr)
	}
	// Defender's order: severity, then the most affected.
	sortRecommendations(out)
	return out, nil
}

func sortRecommendations(rows []recommendationRow) {
	for i := 1; i < len(rows); i++ {
		for j := i; j > 0 && lessRec(rows[j], rows[j-1]); j-- {
			rows[j], rows[j-1] = rows[j-1], rows[j]
		}
	}
}

func lessRec(a, b recommendationRow) bool {
	if wa, wb := severityWeight(a.Severity), severityWeight(b.Severity); wa != wb {
		return wa > wb
	}
	if a.Unhealthy != b.Unhealthy {
		return a.Unhealthy > b.Unhealthy
	}
	return a.ID < b.ID
}

func (s *Server) recommendationsPage(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(r, "Recommendations", "recommendations")
	if err := s.withFilters(p, r); err != nil {
		s.failErr(w, r, err)
		return
	}
	rows, err := s.recommendationRows(r, p.Filter)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	p.Data = rows
	s.render(w, r, "recommendations", p, http.StatusOK)
}

// listFilter reads a page request from the query string.
func listFilter(q url.Values) store.ListFilter {
	f, _ := filterOf(q)
	limit, _ := strconv.Atoi(q.Get("limit"))
	return store.ListFilter{ViewFilter: f, After: q.Get("cursor"), Limit: limit, Components: q.Get("components") == "true"}
}

// nextQuery is the query string of the next page.
func nextQuery(q url.Values, cursor string) string {
	if cursor == "" {
		return ""
	}
	n := url.Values{}
	for k, v := range q {
		n[k] = v
	}
	n.Set("cursor", cursor)
	return n.Encode()
}

func (s *Server) findingsPage(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(r, "Findings", "findings")
	if err := s.withFilters(p, r); err != nil {
		s.failErr(w, r, err)
		return
	}
	rows, next, err := s.st.FindingsPage(r.Context(), listFilter(r.URL.Query()))
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	p.Data = struct {
		Rows []store.FindingRow
		Next string
	}{rows, nextQuery(r.URL.Query(), next)}
	s.render(w, r, "findings", p, http.StatusOK)
}

func (s *Server) resourcesPage(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(r, "Resources", "resources")
	if err := s.withFilters(p, r); err != nil {
		s.failErr(w, r, err)
		return
	}
	rows, next, err := s.st.ResourcesPage(r.Context(), listFilter(r.URL.Query()))
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	p.Data = struct {
		Rows []store.ResourceRow
		Next string
	}{rows, nextQuery(r.URL.Query(), next)}
	s.render(w, r, "resources", p, http.StatusOK)
}

// pathID reads a numeric path value.
func pathID(r *http.Request, name string) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	return id, err == nil && id > 0
}

func (s *Server) resourcePage(w http.ResponseWriter, r *http.Request) {
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
	p := s.newPage(r, d.Resource.Name, "resources")
	p.Data = resourceView{ResourceDetail: d, Components: componentViews(d)}
	s.render(w, r, "resource", p, http.StatusOK)
}

// resourceView is the resource page's data: the detail, and its
// components as the page words them.
type resourceView struct {
	store.ResourceDetail
	Components []componentView
}

// componentView is a component row of the resource page.
type componentView struct {
	store.ComponentRow
	// Enabled is yes, no, or "" when unknown; Expiry the date or "none";
	// Left "expires in N days", "expires today" or "expired N days ago",
	// counted from the scan that last saw the resource (never the wall
	// clock: the page reads the same whenever it is shown).
	Enabled, Expiry, Left string
}

// componentViews words a resource's components.
func componentViews(d store.ResourceDetail) []componentView {
	out := make([]componentView, 0, len(d.Components))
	for _, c := range d.Components {
		v := componentView{ComponentRow: c, Expiry: "none"}
		if c.Enabled != nil {
			v.Enabled = "no"
			if *c.Enabled {
				v.Enabled = "yes"
			}
		}
		if days, ok := c.ExpiresIn(d.Resource.LastSeen); ok {
			v.Expiry = c.Expires.UTC().Format("2006-01-02")
			v.Left = expiryWords(days)
		}
		if !c.Listed {
			v.Expiry = ""
		}
		out = append(out, v)
	}
	return out
}

// expiryWords says how far an expiry days away is.
func expiryWords(days int) string {
	switch {
	case days < -1:
		return fmt.Sprintf("expired %d days ago", -days)
	case days == -1:
		return "expired 1 day ago"
	case days == 0:
		return "expires today"
	case days == 1:
		return "expires in 1 day"
	}
	return fmt.Sprintf("expires in %d days", days)
}

// exemptionRow is an exemption with its state at the server's clock.
type exemptionRow struct {
	store.Exemption
	State string
}

func (s *Server) exemptionRows(r *http.Request) ([]exemptionRow, error) {
	list, err := s.st.Exemptions(r.Context())
	if err != nil {
		return nil, err
	}
	now := s.opts.Now()
	out := make([]exemptionRow, 0, len(list))
	for i := len(list) - 1; i >= 0; i-- {
		e := list[i]
		st := "active"
		switch {
		case !e.Revoked.IsZero():
			st = "revoked"
		case !e.Expires.After(now):
			st = "expired"
		}
		out = append(out, exemptionRow{e, st})
	}
	return out, nil
}

func (s *Server) exemptionsPage(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(r, "Exemptions", "exemptions")
	if err := s.withFilters(p, r); err != nil {
		s.failErr(w, r, err)
		return
	}
	rows, err := s.exemptionRows(r)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	p.Data = rows
	s.render(w, r, "exemptions", p, http.StatusOK)
}

// backTo redirects after a form to a local path with a message.
func backTo(w http.ResponseWriter, r *http.Request, path, flash string) {
	if !strings.HasPrefix(path, "/") || strings.HasPrefix(path, "//") || strings.Contains(path, "\\") {
		path = "/"
	}
	http.Redirect(w, r, path+"?flash="+url.QueryEscape(flash), http.StatusSeeOther)
}

// parseExpiry reads a date (end of that day, UTC) or an RFC 3339 instant.
func parseExpiry(v string) (time.Time, error) {
	if t, err := time.Parse("2006-01-02", v); err == nil {
		return t.Add(24*time.Hour - time.Millisecond), nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("expiry %q is neither a date (2026-12-31) nor an RFC 3339 instant", v)
	}
	return t, nil
}

func (s *Server) createExemptionForm(w http.ResponseWriter, r *http.Request) {
	exp, err := parseExpiry(r.PostFormValue("expires"))
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	e := store.Exemption{Kind: store.ExemptionKind(r.PostFormValue("kind")), Reason: r.PostFormValue("reason"), Expires: exp,
		Scope: store.ScopeKind(r.PostFormValue("scope")), Target: strings.TrimSpace(r.PostFormValue("target")),
		Path: r.PostFormValue("path"), Recommendation: r.PostFormValue("recommendation")}
	id, err := s.st.CreateExemption(r.Context(), principal(r).Name, e)
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	back := r.PostFormValue("back")
	if back == "" {
		back = "/exemptions"
	}
	backTo(w, r, back, fmt.Sprintf("Exemption %d created.", id))
}

func (s *Server) revokeExemptionForm(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.fail(w, r, http.StatusNotFound, "no such exemption")
		return
	}
	if err := s.st.RevokeExemption(r.Context(), principal(r).Name, id); err != nil {
		s.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	backTo(w, r, "/exemptions", fmt.Sprintf("Exemption %d revoked.", id))
}

func (s *Server) ownersPage(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(r, "Owners", "owners")
	if err := s.withFilters(p, r); err != nil {
		s.failErr(w, r, err)
		return
	}
	rules, err := s.st.OwnerRules(r.Context())
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	as, err := s.st.Assignments(r.Context())
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	if r.URL.Query().Get("overdue") != "" {
		as = overdue(as)
	}
	p.Data = struct {
		Rules       []store.OwnerRule
		Assignments []store.Assignment
	}{rules, as}
	s.render(w, r, "owners", p, http.StatusOK)
}

func overdue(as []store.Assignment) []store.Assignment {
	out := as[:0:0]
	for _, a := range as {
		if a.Overdue {
			out = append(out, a)
		}
	}
	return out
}

func (s *Server) overdueCSV(w http.ResponseWriter, r *http.Request) {
	as, err := s.st.Assignments(r.Context())
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="kvguard-overdue.csv"`)
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"resource_id", "recommendation", "owner", "due", "unhealthy_since", "reason"})
	for _, a := range overdue(as) {
		_ = cw.Write([]string{csvSafe(a.ResourceID), a.Recommendation, csvSafe(a.Owner), a.Due.Format(time.RFC3339),
			a.Since.Format(time.RFC3339), csvSafe(a.Reason)})
	}
	cw.Flush()
}

// csvSafe keeps a spreadsheet from reading a cell as a formula.
func csvSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

func (s *Server) addOwnerRuleForm(w http.ResponseWriter, r *http.Request) {
	days, _ := strconv.Atoi(r.PostFormValue("dueDays"))
	k, v, _ := strings.Cut(r.PostFormValue("tag"), "=")
	rule := store.OwnerRule{Recommendation: r.PostFormValue("recommendation"), Scope: store.ScopeKind(r.PostFormValue("scope")),
		Target: strings.TrimSpace(r.PostFormValue("target")), Path: r.PostFormValue("path"), TagKey: strings.TrimSpace(k),
		TagValue: strings.TrimSpace(v), Owner: r.PostFormValue("owner"), DueDays: days}
	id, err := s.st.AddOwnerRule(r.Context(), principal(r).Name, rule)
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	backTo(w, r, "/owners", fmt.Sprintf("Owner rule %d added.", id))
}

func (s *Server) deleteOwnerRuleForm(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.fail(w, r, http.StatusNotFound, "no such rule")
		return
	}
	if err := s.st.DeleteOwnerRule(r.Context(), principal(r).Name, id); err != nil {
		s.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	backTo(w, r, "/owners", fmt.Sprintf("Owner rule %d deleted.", id))
}

func (s *Server) scansPage(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(r, "Scans", "scans")
	before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	scans, next, err := s.st.ScansPage(r.Context(), before, 50)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	for _, sc := range scans {
		if sc.Status == store.Running {
			p.Refresh = 2
		}
	}
	p.Data = struct {
		Scans []store.ScanInfo
		Next  int64
	}{scans, next}
	s.render(w, r, "scans", p, http.StatusOK)
}

func (s *Server) scanPage(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.fail(w, r, http.StatusNotFound, "no such scan")
		return
	}
	info, err := s.st.ScanInfo(r.Context(), id)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	p := s.newPage(r, fmt.Sprintf("Scan %d", id), "scans")
	data := struct {
		Scan       store.ScanInfo
		Errors     []string
		New, Fixed []store.ScanChange
	}{Scan: info}
	if info.Status == store.Running {
		p.Refresh = 2
	}
	if data.Errors, err = s.st.ScanErrors(r.Context(), id, 200); err != nil {
		s.failErr(w, r, err)
		return
	}
	if info.Status == store.Succeeded {
		if data.New, data.Fixed, err = s.st.Changes(r.Context(), id, 100); err != nil {
			s.failErr(w, r, err)
			return
		}
	}
	p.Data = data
	s.render(w, r, "scan", p, http.StatusOK)
}

func (s *Server) scanNowForm(w http.ResponseWriter, r *http.Request) {
	id, err := s.startScan(r, r.PostFormValue("scope"))
	if err != nil {
		s.failScan(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/scans/%d", id), http.StatusSeeOther)
}

var errNoScanner = errors.New("this server starts no scans (no scanner is configured)")

func (s *Server) startScan(r *http.Request, scope string) (int64, error) {
	if s.opts.Scanner == nil {
		return 0, errNoScanner
	}
	if scope == "" {
		scope = s.opts.DefaultScope
	}
	return s.opts.Scanner.Scan(r.Context(), scope)
}

func (s *Server) failScan(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, errNoScanner) {
		s.fail(w, r, http.StatusServiceUnavailable, err.Error())
		return
	}
	s.failErr(w, r, err)
}
