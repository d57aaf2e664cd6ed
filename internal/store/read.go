package store

import (
	"context"
	"fmt"
	"time"

	"github.com/kvguard/kvguard/internal/assess"
)

// Finding is a current verdict.
type Finding struct {
	ResourceRef    int64
	Scope          string
	ResourceID     string
	Deployment     string
	Name           string
	Recommendation string
	Component      string
	// Status is the scanned verdict; Effective is Exempt while an
	// exemption applies (it expires by itself: read at the store's clock).
	Status, Effective assess.Status
	Reason            string
	Exemption         int64
	// Since is when the finding last changed status.
	Since time.Time
}

// Filter narrows Current.
type Filter struct {
	Scope          string
	ResourceID     string
	Recommendation string
	// Components includes the verdicts on secrets, keys and
	// certificates; otherwise only the resources' own.
	Components bool
}

// Current returns the current findings, ordered by resource,
// recommendation and component.
func (s *Store) Current(ctx context.Context, f Filter) ([]Finding, error) {
	now := s.now()
	where := "WHERE 1 = 1"
	var args []any
	args = append(args, now)
	if f.Scope != "" {
		where += " AND r.scope = ?"
		args = append(args, f.Scope)
	}
	if f.ResourceID != "" {
		where += " AND r.resource_id = ?"
		args = append(args, f.ResourceID)
	}
	if f.Recommendation != "" {
		where += " AND f.recommendation_id = ?"
		args = append(args, f.Recommendation)
	}
	if !f.Components {
		where += " AND f.component = ''"
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT r.id, r.scope, r.resource_id, r.deployment, r.name, f.recommendation_id,
		f.component, f.status, f.reason, f.exemption_id, f.since, e.id IS NOT NULL
		FROM findings f JOIN resources r ON r.id = f.resource_ref
		LEFT JOIN exemptions e ON e.id = f.exemption_id AND e.revoked_at = 0 AND e.expires_at > ?
		`+where+` ORDER BY r.resource_id, r.deployment, f.recommendation_id, f.component`), args...)
	if err != nil {
		return nil, fmt.Errorf("read current findings: %w", err)
	}
	defer rows.Close()
	var out []Finding
	for rows.Next() {
		var x Finding
		var since int64
		var exempt bool
		if err := rows.Scan(&x.ResourceRef, &x.Scope, &x.ResourceID, &x.Deployment, &x.Name, &x.Recommendation, &x.Component,
			&x.Status, &x.Reason, &x.Exemption, &since, &exempt); err != nil {
			return nil, fmt.Errorf("read current findings: %w", err)
		}
		x.Since = time.UnixMilli(since).UTC()
		x.Effective = x.Status
		if exempt {
			x.Effective = assess.Exempt
		}
		out = append(out, x)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read current findings: %w", err)
	}
	return out, nil
}

// Change is one transition in a finding's history.
type Change struct {
	At             time.Time
	Scan           int64
	Recommendation string
	Component      string
	// Previous is "" when the finding appeared; Status is "Removed" when
	// it disappeared.
	Previous, Status string
	Reason           string
	Exemption        int64
}

// History returns a resource's transitions in a scope, oldest first.
func (s *Store) History(ctx context.Context, scope, resourceID string) ([]Change, error) {
	// A finding whose history is deferred (migration 00011) is its own
	// appearance: it has not changed since.
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT at, scan_id, recommendation_id, component, prev_status, status, reason,
		exemption_id FROM (
		SELECT h.at, h.scan_id, h.recommendation_id, h.component, h.prev_status, h.status, h.reason, h.exemption_id
		FROM history h JOIN resources r ON r.id = h.resource_ref WHERE r.scope = ? AND r.resource_id = ?
		UNION ALL
		SELECT f.since, f.scan_id, f.recommendation_id, f.component, '', f.status, f.reason, f.exemption_id
		FROM findings f JOIN resources r ON r.id = f.resource_ref WHERE r.scope = ? AND r.resource_id = ?
			AND f.history_deferred = 1) x
		ORDER BY at, recommendation_id, component`), scope, resourceID, scope, resourceID)
	if err != nil {
		return nil, fmt.Errorf("read history of %s: %w", resourceID, err)
	}
	defer rows.Close()
	var out []Change
	for rows.Next() {
		var c Change
		var at int64
		if err := rows.Scan(&at, &c.Scan, &c.Recommendation, &c.Component, &c.Previous, &c.Status, &c.Reason, &c.Exemption); err != nil {
			return nil, fmt.Errorf("read history of %s: %w", resourceID, err)
		}
		c.At = time.UnixMilli(at).UTC()
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read history of %s: %w", resourceID, err)
	}
	return out, nil
}

// Counts returns the number of rows per table, for tests and the size
// benchmark.
func (s *Store) Counts(ctx context.Context) (map[string]int64, error) {
	out := map[string]int64{}
	for _, t := range []string{"scans", "scan_errors", "staged_results", "staged_resources", "resources", "findings",
		"history", "recommendations", "exemptions", "owner_rules", "audit_log", "component_details"} {
		var n int64
		if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+t).Scan(&n); err != nil {
			return nil, fmt.Errorf("count %s: %w", t, err)
		}
		out[t] = n
	}
	return out, nil
}
