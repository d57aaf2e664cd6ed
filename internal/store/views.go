package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kvguard/kvguard/internal/assess"
)

// The read model of kvguard serve's views. Nothing here counts the
// findings or the history on demand: the per-scope counts (view_counts)
// and the daily trend (view_trend) are maintained when a scan completes
// (viewsCompleted, from the scan's own history rows), Exempt is counted
// from the few findings that carry an exemption, and lists are paged by
// key (a cursor), each filter served by an index (migration 00003).

// dayMillis is one UTC day in milliseconds.
const dayMillis = 24 * 60 * 60 * 1000

// sourceExpr is a resource's source: live, or repository when a CI push
// labelled it with one.
const sourceExpr = "CASE WHEN r.repository = '' THEN 'live' ELSE 'repository' END"

// viewsCompleted brings the read model up to date with a scan that is
// completing, in its transaction: each of the scan's history rows on a
// resource's own verdict moves one count from its previous status to its
// new one, then today's trend rows are rewritten from the counts. When
// counted is set, the scan's new, changed and removed findings were
// counted as they were written (applyChangesPG) and history is not read.
func (s *Store) viewsCompleted(ctx context.Context, tx *sql.Tx, scanID int64, scope string, now int64, counted bool) error {
	if !counted {
		delta := `SELECT r.scope, ` + sourceExpr + ` AS source, r.subscription, r.resource_group, h.recommendation_id,
			h.prev_status AS status, -1 AS d
		FROM history h JOIN resources r ON r.id = h.resource_ref
		WHERE h.scan_id = ? AND h.component = '' AND h.prev_status <> ''
		UNION ALL
		SELECT r.scope, ` + sourceExpr + `, r.subscription, r.resource_group, h.recommendation_id, h.status, 1
		FROM history h JOIN resources r ON r.id = h.resource_ref
		WHERE h.scan_id = ? AND h.component = '' AND h.status <> 'Removed'`
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO view_counts (scope, source, subscription, resource_group,
		recommendation_id, status, n)
		SELECT scope, source, subscription, resource_group, recommendation_id, status, SUM(d) FROM (`+delta+`) x
		WHERE true GROUP BY scope, source, subscription, resource_group, recommendation_id, status
		ON CONFLICT (scope, source, subscription, resource_group, recommendation_id, status)
		DO UPDATE SET n = view_counts.n + excluded.n`), scanID, scanID); err != nil {
			return fmt.Errorf("view counts: %w", err)
		}
	}
	for _, q := range []string{
		"DELETE FROM view_counts WHERE scope = ? AND n = 0",
		"DELETE FROM view_totals WHERE scope = ?",
		`INSERT INTO view_totals (scope, source, recommendation_id, status, n) SELECT scope, source, recommendation_id,
			status, SUM(n) FROM view_counts WHERE scope = ? GROUP BY scope, source, recommendation_id, status`,
	} {
		if _, err := tx.ExecContext(ctx, s.q(q), scope); err != nil {
			return fmt.Errorf("view counts: %w", err)
		}
	}
	if err := s.writeTagCounts(ctx, tx, scope); err != nil {
		return err
	}
	return s.writeTrend(ctx, tx, now)
}

// writeTagCounts rewrites a scope's per-tag counts from its current
// findings, grouped first by the resources' tag sets (few), whose JSON
// is then read here. A scope without tagged resources costs one indexed
// probe.
func (s *Store) writeTagCounts(ctx context.Context, tx *sql.Tx, scope string) error {
	if _, err := tx.ExecContext(ctx, s.q("DELETE FROM view_tag_counts WHERE scope = ?"), scope); err != nil {
		return fmt.Errorf("tag counts: %w", err)
	}
	rows, err := tx.QueryContext(ctx, s.q(`SELECT r.tags, f.recommendation_id, f.status, COUNT(*) FROM findings f
		JOIN resources r ON r.id = f.resource_ref
		WHERE r.scope = ? AND r.tags <> '{}' AND r.gone_at = 0 AND f.component = ''
		GROUP BY r.tags, f.recommendation_id, f.status`), scope)
	if err != nil {
		return fmt.Errorf("tag counts: %w", err)
	}
	type key struct{ k, v, rec, status string }
	counts := map[key]int64{}
	parsed := map[string]map[string]string{}
	for rows.Next() {
		var tags, rec, status string
		var n int64
		if err := rows.Scan(&tags, &rec, &status, &n); err != nil {
			_ = rows.Close()
			return fmt.Errorf("tag counts: %w", err)
		}
		m, ok := parsed[tags]
		if !ok {
			if err := json.Unmarshal([]byte(tags), &m); err != nil {
				_ = rows.Close()
				return fmt.Errorf("tag counts: %w", err)
			}
			parsed[tags] = m
		}
		for k, v := range m {
			counts[key{k, v, rec, status}] += n
		}
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("tag counts: %w", err)
	}
	b := s.newBatch(tx, "INSERT INTO view_tag_counts (scope, tag_key, tag_value, recommendation_id, status, n) VALUES ", "", 6)
	defer b.close()
	for k, n := range counts {
		if err := b.add(ctx, k.k+"\x00"+k.v+"\x00"+k.rec+"\x00"+k.status, scope, k.k, k.v, k.rec, k.status, n); err != nil {
			return fmt.Errorf("tag counts: %w", err)
		}
	}
	if err := b.flush(ctx); err != nil {
		return fmt.Errorf("tag counts: %w", err)
	}
	return nil
}

// writeTrend rewrites the day's trend rows: the estate's counts by
// recommendation and status, the findings whose exemption is in force at
// now counted as Exempt instead of their scanned status.
func (s *Store) writeTrend(ctx context.Context, tx *sql.Tx, now int64) error {
	day := now - now%dayMillis
	type key struct{ rec, status string }
	counts := map[key]int64{}
	read := func(query string, sign int64, args ...any) error {
		rows, err := tx.QueryContext(ctx, s.q(query), args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k key
			var n int64
			if err := rows.Scan(&k.rec, &k.status, &n); err != nil {
				return err
			}
			counts[k] += sign * n
			if sign < 0 {
				counts[key{k.rec, string(assess.Exempt)}] += n
			}
		}
		return rows.Err()
	}
	if err := read("SELECT recommendation_id, status, SUM(n) FROM view_totals GROUP BY recommendation_id, status", 1); err != nil {
		return fmt.Errorf("trend: %w", err)
	}
	if err := read(`SELECT f.recommendation_id, f.status, COUNT(*) FROM findings f
		JOIN exemptions e ON e.id = f.exemption_id AND e.revoked_at = 0 AND e.expires_at > ?
		WHERE f.exemption_id <> 0 AND f.component = '' GROUP BY f.recommendation_id, f.status`, -1, now); err != nil {
		return fmt.Errorf("trend: %w", err)
	}
	if _, err := tx.ExecContext(ctx, s.q("DELETE FROM view_trend WHERE day = ?"), day); err != nil {
		return fmt.Errorf("trend: %w", err)
	}
	for k, n := range counts {
		if n <= 0 {
			continue
		}
		if _, err := tx.ExecContext(ctx, s.q("INSERT INTO view_trend (day, recommendation_id, status, n) VALUES (?, ?, ?, ?)"),
			day, k.rec, k.status, n); err != nil {
			return fmt.Errorf("trend: %w", err)
		}
	}
	return nil
}

// ViewFilter narrows the views. Empty fields do not filter.
type ViewFilter struct {
	// Scope is a store scope (subscription:…, repo:…).
	Scope string
	// Subscription is a subscription ID; ResourceGroup the resource
	// group's ID (/subscriptions/<s>/resourceGroups/<g>) or its name.
	Subscription  string
	ResourceGroup string
	// ManagementGroup is a management group's name: a resource matches
	// when its subscription is below the group at any depth, as the
	// last live scan recorded its ancestry (subscription_groups).
	ManagementGroup string
	// Recommendation is a recommendation ID; Severity High, Medium or Low.
	Recommendation string
	Severity       string
	// Status is an effective status: Healthy, Unhealthy, Unknown,
	// NotApplicable or Exempt.
	Status string
	// Source is live or repository.
	Source string
	// TagKey and TagValue ("" for any value) select resources by tag.
	TagKey, TagValue string
}

// where appends the conditions on resources (alias r) and the
// recommendation (column rec) that the filter sets.
func (f *ViewFilter) where(conds []string, args []any, rec string) ([]string, []any) {
	return f.whereOn(conds, args, rec, false)
}

// whereOn is where; counts says r is a counts table (view_counts,
// view_totals), whose source is a column.
func (f *ViewFilter) whereOn(conds []string, args []any, rec string, counts bool) ([]string, []any) {
	if f.Scope != "" {
		conds, args = append(conds, "r.scope = ?"), append(args, f.Scope)
	}
	if f.Subscription != "" {
		conds, args = append(conds, "r.subscription = ?"), append(args, strings.ToLower(f.Subscription))
	}
	if f.ResourceGroup != "" {
		rg := strings.ToLower(f.ResourceGroup)
		if !strings.HasPrefix(rg, "/subscriptions/") {
			conds, args = append(conds, "r.resource_group LIKE ? ESCAPE '\\'"), append(args, "/subscriptions/%/resourcegroups/"+likeEscape(rg))
		} else {
			conds, args = append(conds, "r.resource_group = ?"), append(args, rg)
		}
	}
	if f.ManagementGroup != "" {
		// Served by subscription_groups_group, then by the subscription
		// indexes of resources and view_counts.
		conds = append(conds, "r.subscription IN (SELECT subscription FROM subscription_groups WHERE management_group = ?)")
		args = append(args, strings.ToLower(f.ManagementGroup))
	}
	if f.Recommendation != "" {
		conds, args = append(conds, rec+" = ?"), append(args, f.Recommendation)
	}
	if f.Severity != "" {
		conds, args = append(conds, rec+" IN (SELECT id FROM recommendations WHERE lower(severity) = ?)"),
			append(args, strings.ToLower(f.Severity))
	}
	switch {
	case f.Source == "":
	case counts:
		conds, args = append(conds, "r.source = ?"), append(args, f.Source)
	case f.Source == string(Live):
		conds = append(conds, "r.repository = ''")
	case f.Source == string(Repository):
		conds = append(conds, "r.repository <> ''")
	}
	if f.TagKey != "" {
		conds, args = append(conds, "r.tags LIKE ? ESCAPE '\\'"), append(args, tagPattern(f.TagKey, f.TagValue))
	}
	return conds, args
}

// tagPattern matches the tags' JSON text (keys sorted, as tagsJSON
// writes them) for a key and value.
func tagPattern(k, v string) string {
	kj, _ := json.Marshal(k)
	if v == "" {
		return "%" + likeEscape(string(kj)) + ":%"
	}
	vj, _ := json.Marshal(v)
	return "%" + likeEscape(string(kj)+":"+string(vj)) + "%"
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// SummaryRow counts a recommendation's resources by effective status.
type SummaryRow struct {
	Recommendation RecommendationInfo
	Healthy        int64
	Unhealthy      int64
	Unknown        int64
	NotApplicable  int64
	Exempt         int64
}

// Add counts n findings of status st.
func (r *SummaryRow) Add(st string, n int64) {
	switch assess.Status(st) {
	case assess.Healthy:
		r.Healthy += n
	case assess.Unhealthy:
		r.Unhealthy += n
	case assess.Unknown:
		r.Unknown += n
	case assess.NotApplicable:
		r.NotApplicable += n
	case assess.Exempt:
		r.Exempt += n
	}
}

// Summary counts the resources' own verdicts per recommendation and
// effective status, for the overview and the recommendations list, from
// the maintained counts and the exempted findings. A tag filter reads
// the per-tag counts; a tag with a subscription, resource group or
// management group (which no count carries) counts the matching findings.
func (s *Store) Summary(ctx context.Context, f ViewFilter) ([]SummaryRow, error) {
	recs, err := s.Recommendations(ctx)
	if err != nil {
		return nil, err
	}
	byID := map[string]*SummaryRow{}
	out := make([]SummaryRow, len(recs))
	for i, r := range recs {
		out[i].Recommendation = r
		byID[r.ID] = &out[i]
	}
	add := func(rec, st string, n int64) {
		row := byID[rec]
		if row == nil {
			out = append(out, SummaryRow{Recommendation: RecommendationInfo{ID: rec, Title: rec}})
			byID = map[string]*SummaryRow{}
			for i := range out {
				byID[out[i].Recommendation.ID] = &out[i]
			}
			row = byID[rec]
		}
		row.Add(st, n)
	}
	now := s.now()
	query, args := summaryQuery(f)
	if err := s.eachCount(ctx, query, args, func(rec, st string, n int64) { add(rec, st, n) }); err != nil {
		return nil, fmt.Errorf("summary: %w", err)
	}
	conds, a := f.where([]string{"f.exemption_id <> 0", "f.component = ''"}, []any{now}, "f.recommendation_id")
	if err := s.eachCount(ctx, `SELECT f.recommendation_id, f.status, COUNT(*) FROM findings f
		JOIN exemptions e ON e.id = f.exemption_id AND e.revoked_at = 0 AND e.expires_at > ?
		JOIN resources r ON r.id = f.resource_ref`+whereClause(conds)+` GROUP BY f.recommendation_id, f.status`, a,
		func(rec, st string, n int64) { add(rec, st, -n); add(rec, string(assess.Exempt), n) }); err != nil {
		return nil, fmt.Errorf("summary: exemptions: %w", err)
	}
	if f.Status != "" {
		for i := range out {
			keep := SummaryRow{Recommendation: out[i].Recommendation}
			keep.Add(f.Status, out[i].count(f.Status))
			out[i] = keep
		}
	}
	kept := out[:0]
	for _, r := range out {
		if (f.Recommendation == "" || r.Recommendation.ID == f.Recommendation) &&
			(f.Severity == "" || strings.EqualFold(r.Recommendation.Severity, f.Severity)) {
			kept = append(kept, r)
		}
	}
	return kept, nil
}

// summaryQuery is the query of Summary's scanned counts: the per-scope
// totals, the counts by place, the tag counts, or (a tag with a place,
// which no count carries) the findings themselves.
func summaryQuery(f ViewFilter) (query string, args []any) {
	place := f.Subscription != "" || f.ResourceGroup != "" || f.ManagementGroup != ""
	switch {
	case f.TagKey == "" && !place:
		conds, a := f.whereOn(nil, nil, "r.recommendation_id", true)
		query = "SELECT r.recommendation_id, r.status, SUM(r.n) FROM view_totals r" + whereClause(conds) +
			" GROUP BY r.recommendation_id, r.status"
		args = a
	case f.TagKey == "":
		conds, a := f.whereOn(nil, nil, "r.recommendation_id", true)
		query = "SELECT r.recommendation_id, r.status, SUM(r.n) FROM view_counts r" + whereClause(conds) +
			" GROUP BY r.recommendation_id, r.status"
		args = a
	case !place:
		// A tag alone (with scope, recommendation, severity): the tag counts.
		place := f
		place.TagKey, place.TagValue, place.Source = "", "", ""
		conds, a := place.whereOn([]string{"r.tag_key = ?"}, []any{f.TagKey}, "r.recommendation_id", true)
		if f.TagValue != "" {
			conds, a = append(conds, "r.tag_value = ?"), append(a, f.TagValue)
		}
		if f.Source != "" {
			conds = append(conds, "r.scope IN (SELECT scope FROM view_totals WHERE source = ?)")
			a = append(a, f.Source)
		}
		query = "SELECT r.recommendation_id, r.status, SUM(r.n) FROM view_tag_counts r" + whereClause(conds) +
			" GROUP BY r.recommendation_id, r.status"
		args = a
	default:
		conds, a := f.where([]string{"f.component = ''"}, nil, "f.recommendation_id")
		query = "SELECT f.recommendation_id, f.status, COUNT(*) FROM findings f JOIN resources r ON r.id = f.resource_ref" +
			whereClause(conds) + " GROUP BY f.recommendation_id, f.status"
		args = a
	}
	return query, args
}

func (r *SummaryRow) count(st string) int64 {
	switch assess.Status(st) {
	case assess.Healthy:
		return r.Healthy
	case assess.Unhealthy:
		return r.Unhealthy
	case assess.Unknown:
		return r.Unknown
	case assess.NotApplicable:
		return r.NotApplicable
	case assess.Exempt:
		return r.Exempt
	}
	return 0
}

func whereClause(conds []string) string {
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

func (s *Store) eachCount(ctx context.Context, query string, args []any, fn func(rec, st string, n int64)) error {
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var rec, st string
		var n int64
		if err := rows.Scan(&rec, &st, &n); err != nil {
			return err
		}
		fn(rec, st, n)
	}
	return rows.Err()
}

// Recommendations lists the recommendations the store has seen, by ID.
func (s *Store) Recommendations(ctx context.Context) ([]RecommendationInfo, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT id, title, severity, type FROM recommendations ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("read recommendations: %w", err)
	}
	defer rows.Close()
	var out []RecommendationInfo
	for rows.Next() {
		var r RecommendationInfo
		if err := rows.Scan(&r.ID, &r.Title, &r.Severity, &r.Type); err != nil {
			return nil, fmt.Errorf("read recommendations: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// TrendPoint is one day's count of a recommendation's resources in a
// status (Exempt included).
type TrendPoint struct {
	Day            time.Time
	Recommendation string
	Status         string
	N              int64
}

// Trend returns the daily counts from since's day on, oldest first.
func (s *Store) Trend(ctx context.Context, since time.Time) ([]TrendPoint, error) {
	from := since.UnixMilli()
	from -= from % dayMillis
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT day, recommendation_id, status, n FROM view_trend WHERE day >= ?
		ORDER BY day, recommendation_id, status`), from)
	if err != nil {
		return nil, fmt.Errorf("read the trend: %w", err)
	}
	defer rows.Close()
	var out []TrendPoint
	for rows.Next() {
		var p TrendPoint
		var day int64
		if err := rows.Scan(&day, &p.Recommendation, &p.Status, &p.N); err != nil {
			return nil, fmt.Errorf("read the trend: %w", err)
		}
		p.Day = time.UnixMilli(day).UTC()
		out = append(out, p)
	}
	return out, rows.Err()
}

// Facets lists the subscriptions and resource groups that have counts,
// for the views' filter choices (at most limit of each).
func (s *Store) Facets(ctx context.Context, limit int) (subscriptions, groups []string, err error) {
	read := func(col string) ([]string, error) {
		rows, err := s.db.QueryContext(ctx, s.q("SELECT DISTINCT "+col+" FROM view_counts WHERE "+col+" <> '' ORDER BY "+col+" LIMIT ?"), limit)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var v string
			if err := rows.Scan(&v); err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, rows.Err()
	}
	if subscriptions, err = read("subscription"); err != nil {
		return nil, nil, fmt.Errorf("facets: %w", err)
	}
	if groups, err = read("resource_group"); err != nil {
		return nil, nil, fmt.Errorf("facets: %w", err)
	}
	return subscriptions, groups, nil
}

// ListFilter is a page request: the filter, the cursor a previous page
// returned ("" for the first) and the page size.
type ListFilter struct {
	ViewFilter
	After string
	Limit int
	// Components lists the verdicts on secrets, keys and certificates
	// too (findings only).
	Components bool
}

func (f *ListFilter) limit() int {
	if f.Limit <= 0 || f.Limit > 500 {
		return 50
	}
	return f.Limit
}

// FindingRow is a finding with its resource's place, for lists.
type FindingRow struct {
	Finding
	Subscription  string
	ResourceGroup string
	Source        Source
	Severity      string
}

// ErrBadCursor is returned for a cursor this store did not write.
var ErrBadCursor = fmt.Errorf("bad cursor")

func encodeCursor(parts ...string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strings.Join(parts, "\x00")))
}

func decodeCursor(c string, n int) ([]string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return nil, ErrBadCursor
	}
	parts := strings.Split(string(b), "\x00")
	if len(parts) != n {
		return nil, ErrBadCursor
	}
	return parts, nil
}

// FindingsPage returns one page of current findings in key order
// (resource, recommendation, component) and the cursor of the next page
// ("" after the last).
func (s *Store) FindingsPage(ctx context.Context, f ListFilter) ([]FindingRow, string, error) {
	now := s.now()
	conds, args := f.where(nil, []any{now}, "f.recommendation_id")
	if !f.Components {
		conds = append(conds, "f.component = ''")
	}
	switch assess.Status(f.Status) {
	case "":
	case assess.Exempt:
		conds = append(conds, "f.exemption_id <> 0", "e.id IS NOT NULL")
	default:
		conds, args = append(conds, "f.status = ?", "e.id IS NULL"), append(args, f.Status)
	}
	if f.After != "" {
		p, err := decodeCursor(f.After, 3)
		if err != nil {
			return nil, "", err
		}
		ref, err := strconv.ParseInt(p[0], 10, 64)
		if err != nil {
			return nil, "", ErrBadCursor
		}
		// A row value: both engines read it as a range of the primary key.
		conds = append(conds, "(f.resource_ref, f.recommendation_id, f.component) > (?, ?, ?)")
		args = append(args, ref, p[1], p[2])
	}
	n := f.limit()
	args = append(args, n+1)
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT r.id, r.scope, r.resource_id, r.deployment, r.name, f.recommendation_id,
		f.component, f.status, f.reason, f.exemption_id, f.since, e.id IS NOT NULL, r.subscription, r.resource_group,
		r.repository, COALESCE(c.severity, '')
		FROM findings f JOIN resources r ON r.id = f.resource_ref
		LEFT JOIN exemptions e ON e.id = f.exemption_id AND e.revoked_at = 0 AND e.expires_at > ?
		LEFT JOIN recommendations c ON c.id = f.recommendation_id`+whereClause(conds)+`
		ORDER BY f.resource_ref, f.recommendation_id, f.component LIMIT ?`), args...)
	if err != nil {
		return nil, "", fmt.Errorf("read findings: %w", err)
	}
	defer rows.Close()
	var out []FindingRow
	for rows.Next() {
		var x FindingRow
		var since int64
		var exempt bool
		var repo string
		if err := rows.Scan(&x.ResourceRef, &x.Scope, &x.ResourceID, &x.Deployment, &x.Name, &x.Recommendation,
			&x.Component, &x.Status, &x.Reason, &x.Exemption, &since, &exempt, &x.Subscription, &x.ResourceGroup,
			&repo, &x.Severity); err != nil {
			return nil, "", fmt.Errorf("read findings: %w", err)
		}
		x.Since = time.UnixMilli(since).UTC()
		x.Effective, x.Source = x.Status, Live
		if exempt {
			x.Effective = assess.Exempt
		}
		if repo != "" {
			x.Source = Repository
		}
		out = append(out, x)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("read findings: %w", err)
	}
	next := ""
	if len(out) > n {
		out = out[:n]
		last := out[n-1]
		next = encodeCursor(strconv.FormatInt(last.ResourceRef, 10), last.Recommendation, last.Component)
	}
	return out, next, nil
}

// ResourceRow is a resource with where it came from and how many of its
// own verdicts are unhealthy (not exempt).
type ResourceRow struct {
	Ref           int64
	Scope         string
	ID            string
	Deployment    string
	Name          string
	Type          string
	Subscription  string
	ResourceGroup string
	Source        Source
	SourceKind    string
	Repository    string
	Commit        string
	File          string
	Line          int
	Address       string
	Tags          map[string]string
	FirstSeen     time.Time
	LastSeen      time.Time
	Unhealthy     int64
}

const resourceColumns = `r.id, r.scope, r.resource_id, r.deployment, r.name, r.type, r.subscription, r.resource_group,
	r.source_kind, r.repository, r.commit_sha, r.file, r.line, r.address, r.tags, r.first_seen, r.last_seen`

func scanResource(rows *sql.Rows, extra ...any) (ResourceRow, error) {
	var x ResourceRow
	var tags string
	var first, last int64
	dest := append([]any{&x.Ref, &x.Scope, &x.ID, &x.Deployment, &x.Name, &x.Type, &x.Subscription, &x.ResourceGroup,
		&x.SourceKind, &x.Repository, &x.Commit, &x.File, &x.Line, &x.Address, &tags, &first, &last}, extra...)
	if err := rows.Scan(dest...); err != nil {
		return x, err
	}
	x.FirstSeen, x.LastSeen = time.UnixMilli(first).UTC(), time.UnixMilli(last).UTC()
	x.Source = Live
	if x.Repository != "" {
		x.Source = Repository
	}
	if err := json.Unmarshal([]byte(tags), &x.Tags); err != nil {
		return x, fmt.Errorf("tags of %s: %w", x.ID, err)
	}
	return x, nil
}

// ResourcesPage returns one page of the resources present (not gone), by
// their store key, with the filter's place, source and tag conditions
// (a recommendation, severity or status filter keeps the resources with
// such a finding).
func (s *Store) ResourcesPage(ctx context.Context, f ListFilter) ([]ResourceRow, string, error) {
	now := s.now()
	place := ViewFilter{Scope: f.Scope, Subscription: f.Subscription, ResourceGroup: f.ResourceGroup,
		ManagementGroup: f.ManagementGroup, Source: f.Source, TagKey: f.TagKey, TagValue: f.TagValue}
	conds, args := place.where([]string{"r.gone_at = 0"}, nil, "")
	if f.Recommendation != "" || f.Severity != "" || f.Status != "" {
		sub := ViewFilter{Recommendation: f.Recommendation, Severity: f.Severity}
		sc, sa := sub.where([]string{"x.resource_ref = r.id", "x.component = ''"}, nil, "x.recommendation_id")
		switch assess.Status(f.Status) {
		case "":
		case assess.Exempt:
			sc = append(sc, "x.exemption_id IN (SELECT id FROM exemptions WHERE revoked_at = 0 AND expires_at > ?)")
			sa = append(sa, now)
		default:
			sc = append(sc, "x.status = ?", "x.exemption_id NOT IN (SELECT id FROM exemptions WHERE revoked_at = 0 AND expires_at > ?)")
			sa = append(sa, f.Status, now)
		}
		conds = append(conds, "EXISTS (SELECT 1 FROM findings x"+whereClause(sc)+")")
		args = append(args, sa...)
	}
	if f.After != "" {
		p, err := decodeCursor(f.After, 1)
		if err != nil {
			return nil, "", err
		}
		id, err := strconv.ParseInt(p[0], 10, 64)
		if err != nil {
			return nil, "", ErrBadCursor
		}
		conds, args = append(conds, "r.id > ?"), append(args, id)
	}
	n := f.limit()
	args = append([]any{now}, args...)
	args = append(args, n+1)
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+resourceColumns+`,
		(SELECT COUNT(*) FROM findings u WHERE u.resource_ref = r.id AND u.component = '' AND u.status = 'Unhealthy'
			AND u.exemption_id NOT IN (SELECT id FROM exemptions WHERE revoked_at = 0 AND expires_at > ?))
		FROM resources r`+whereClause(conds)+` ORDER BY r.id LIMIT ?`), args...)
	if err != nil {
		return nil, "", fmt.Errorf("read resources: %w", err)
	}
	defer rows.Close()
	var out []ResourceRow
	for rows.Next() {
		var un int64
		x, err := scanResource(rows, &un)
		if err != nil {
			return nil, "", fmt.Errorf("read resources: %w", err)
		}
		x.Unhealthy = un
		out = append(out, x)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("read resources: %w", err)
	}
	next := ""
	if len(out) > n {
		out = out[:n]
		next = encodeCursor(strconv.FormatInt(out[n-1].Ref, 10))
	}
	return out, next, nil
}

// ResourceDetail is what the resource page shows: the resource, its
// current verdicts (components included) and its history.
type ResourceDetail struct {
	Resource ResourceRow
	Findings []Finding
	History  []Change
	// ManagementGroups are the subscription's groups, nearest first, as
	// the last live scan recorded them.
	ManagementGroups []ManagementGroup
	// Components are the vault's secrets, keys and certificates with
	// their expiry and verdicts; MoreComponents says the list was cut.
	Components     []ComponentRow
	MoreComponents bool
}

// Resource reads a resource by its store key (ResourceRow.Ref); the
// error wraps sql.ErrNoRows when there is none.
func (s *Store) Resource(ctx context.Context, ref int64) (ResourceDetail, error) {
	rows, err := s.db.QueryContext(ctx, s.q("SELECT "+resourceColumns+" FROM resources r WHERE r.id = ?"), ref)
	if err != nil {
		return ResourceDetail{}, fmt.Errorf("read resource %d: %w", ref, err)
	}
	var d ResourceDetail
	found := false
	for rows.Next() {
		if d.Resource, err = scanResource(rows); err != nil {
			_ = rows.Close()
			return d, fmt.Errorf("read resource %d: %w", ref, err)
		}
		found = true
	}
	_ = rows.Close()
	if !found {
		return d, fmt.Errorf("resource %d: %w", ref, sql.ErrNoRows)
	}
	if d.Findings, err = s.Current(ctx, Filter{Scope: d.Resource.Scope, ResourceID: d.Resource.ID, Components: true}); err != nil {
		return d, err
	}
	kept := d.Findings[:0]
	for _, x := range d.Findings {
		if x.Deployment == d.Resource.Deployment {
			kept = append(kept, x)
		}
	}
	d.Findings = kept
	if d.Resource.Subscription != "" {
		if d.ManagementGroups, err = s.Ancestry(ctx, d.Resource.Subscription); err != nil {
			return d, err
		}
	}
	// A planned or pushed resource may share a live vault's ID; what a
	// live scan listed is not its.
	live := d.Resource.Deployment == "" && d.Resource.Repository == ""
	if d.Components, d.MoreComponents, err = s.componentRows(ctx, d.Resource.ID, live, d.Findings); err != nil {
		return d, err
	}
	if d.History, err = s.History(ctx, d.Resource.Scope, d.Resource.ID); err != nil {
		return d, err
	}
	return d, nil
}

// ScanChange is one of a scan's transitions on a resource's own verdict.
type ScanChange struct {
	ResourceRef    int64
	ResourceID     string
	Name           string
	Recommendation string
	Previous       string
	Status         string
	Reason         string
}

// Changes returns a scan's new unhealthy verdicts (a resource became
// Unhealthy) and its fixed ones (an Unhealthy verdict became anything
// else, or its resource went), at most limit of each, from the scan's
// history rows.
func (s *Store) Changes(ctx context.Context, scanID int64, limit int) (newer, fixed []ScanChange, err error) {
	read := func(cond string) ([]ScanChange, error) {
		rows, err := s.db.QueryContext(ctx, s.q(`SELECT r.id, r.resource_id, r.name, h.recommendation_id, h.prev_status,
			h.status, h.reason FROM history h JOIN resources r ON r.id = h.resource_ref
			WHERE h.scan_id = ? AND h.component = '' AND `+cond+` ORDER BY r.resource_id, h.recommendation_id LIMIT ?`), scanID, limit)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []ScanChange
		for rows.Next() {
			var c ScanChange
			if err := rows.Scan(&c.ResourceRef, &c.ResourceID, &c.Name, &c.Recommendation, &c.Previous, &c.Status, &c.Reason); err != nil {
				return nil, err
			}
			out = append(out, c)
		}
		return out, rows.Err()
	}
	if newer, err = read("h.status = 'Unhealthy' AND h.prev_status <> 'Unhealthy'"); err != nil {
		return nil, nil, fmt.Errorf("changes of scan %d: %w", scanID, err)
	}
	if fixed, err = read("h.prev_status = 'Unhealthy' AND h.status <> 'Unhealthy'"); err != nil {
		return nil, nil, fmt.Errorf("changes of scan %d: %w", scanID, err)
	}
	return newer, fixed, nil
}

// LastCompleted is the scan that completed last (ok false when none has).
func (s *Store) LastCompleted(ctx context.Context) (ScanInfo, bool, error) {
	rows, err := s.scans(ctx, "WHERE status = 'succeeded' ORDER BY finished_at DESC, id DESC LIMIT 1")
	if err != nil || len(rows) == 0 {
		return ScanInfo{}, false, err
	}
	return rows[0], true, nil
}

// ScansPage lists scans newest first, limit at a time, before the scan
// ID before (0 for the newest), and the cursor of the next page (0 after
// the last).
func (s *Store) ScansPage(ctx context.Context, before int64, limit int) ([]ScanInfo, int64, error) {
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	where := "ORDER BY id DESC LIMIT ?"
	args := []any{limit + 1}
	if before > 0 {
		where = "WHERE id < ? " + where
		args = []any{before, limit + 1}
	}
	out, err := s.scans(ctx, where, args...)
	if err != nil {
		return nil, 0, err
	}
	var next int64
	if len(out) > limit {
		out = out[:limit]
		next = out[limit-1].ID
	}
	return out, next, nil
}

// ScanErrors lists a scan's input problems.
func (s *Store) ScanErrors(ctx context.Context, scanID int64, limit int) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT severity, file, line, resource_id, message FROM scan_errors
		WHERE scan_id = ? ORDER BY file, line, resource_id LIMIT ?`), scanID, limit)
	if err != nil {
		return nil, fmt.Errorf("read the errors of scan %d: %w", scanID, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var sev, file, res, msg string
		var line int
		if err := rows.Scan(&sev, &file, &line, &res, &msg); err != nil {
			return nil, fmt.Errorf("read the errors of scan %d: %w", scanID, err)
		}
		where := res
		if file != "" {
			where = file + ":" + strconv.Itoa(line)
		}
		out = append(out, fmt.Sprintf("%s: %s: %s", sev, where, msg))
	}
	return out, rows.Err()
}

// Ping checks that the database answers and that every migration this
// kvguard embeds is applied (the server's readiness).
func (s *Store) Ping(ctx context.Context) error {
	v, err := s.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	want, err := latestMigration()
	if err != nil {
		return err
	}
	if v < want {
		return fmt.Errorf("schema version %d, this kvguard needs %d", v, want)
	}
	return nil
}

// latestMigration is the newest version among the embedded migrations.
func latestMigration() (int64, error) {
	entries, err := migrations.ReadDir("migrations")
	if err != nil {
		return 0, fmt.Errorf("read the embedded migrations: %w", err)
	}
	var v int64
	for _, e := range entries {
		num, _, _ := strings.Cut(e.Name(), "_")
		if n, err := strconv.ParseInt(num, 10, 64); err == nil && n > v {
			v = n
		}
	}
	return v, nil
}
