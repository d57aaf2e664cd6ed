package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/kvguard/kvguard/internal/assess"
)

// NoticeKind names an event a webhook is told of.
type NoticeKind string

// The notice kinds.
const (
	// NoticeNewHigh: a completed scan made findings of High severity
	// unhealthy (its subject is the scan).
	NoticeNewHigh NoticeKind = "findings.new-high"
	// NoticeExpiring: an exemption expires soon (its subject is the
	// exemption, its instant the expiry announced).
	NoticeExpiring NoticeKind = "exemption.expiring"
)

// NoticeStatus is a notice's delivery state.
type NoticeStatus string

// The notice statuses.
const (
	NoticePending   NoticeStatus = "pending"
	NoticeSent      NoticeStatus = "sent"
	NoticeAbandoned NoticeStatus = "abandoned"
)

// Notice is one event for one receiver (sink) in the notifications
// outbox: recorded once, pending until delivered or given up.
type Notice struct {
	ID      int64
	Sink    string
	Kind    NoticeKind
	Subject int64
	// Instant is the exemption's expiry a NoticeExpiring announces (zero
	// for scans).
	Instant   time.Time
	Created   time.Time
	Status    NoticeStatus
	Attempts  int64
	LastError string
	Sent      time.Time // zero until sent
}

// AddNotice records an event for sink unless it is recorded already
// (whatever its status): added says whether it is new.
func (s *Store) AddNotice(ctx context.Context, sink string, kind NoticeKind, subject int64, instant time.Time) (added bool, err error) {
	var at int64
	if !instant.IsZero() {
		at = instant.UnixMilli()
	}
	res, err := s.db.ExecContext(ctx, s.q(`INSERT INTO notifications (sink, kind, subject, instant, created_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (sink, kind, subject, instant) DO NOTHING`), sink, string(kind), subject, at, s.now())
	if err != nil {
		return false, fmt.Errorf("record notice %s %d: %w", kind, subject, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("record notice %s %d: %w", kind, subject, err)
	}
	return n == 1, nil
}

// Notices lists sink's notices with the status ("" for all), oldest
// first.
func (s *Store) Notices(ctx context.Context, sink string, status NoticeStatus) ([]Notice, error) {
	query := `SELECT id, sink, kind, subject, instant, created_at, status, attempts, last_error, sent_at
		FROM notifications WHERE sink = ?`
	args := []any{sink}
	if status != "" {
		query += " AND status = ?"
		args = append(args, string(status))
	}
	rows, err := s.db.QueryContext(ctx, s.q(query+" ORDER BY id"), args...)
	if err != nil {
		return nil, fmt.Errorf("read notices: %w", err)
	}
	defer rows.Close()
	var out []Notice
	for rows.Next() {
		var n Notice
		var instant, created, sent int64
		if err := rows.Scan(&n.ID, &n.Sink, &n.Kind, &n.Subject, &instant, &created, &n.Status, &n.Attempts,
			&n.LastError, &sent); err != nil {
			return nil, fmt.Errorf("read notices: %w", err)
		}
		if instant != 0 {
			n.Instant = time.UnixMilli(instant).UTC()
		}
		n.Created = time.UnixMilli(created).UTC()
		if sent != 0 {
			n.Sent = time.UnixMilli(sent).UTC()
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read notices: %w", err)
	}
	return out, nil
}

// ClaimNotice takes a pending notice for delivery until lease runs out,
// unless another caller holds it: claimed says whether this caller may
// send it. Two processes sharing the database never both send one.
func (s *Store) ClaimNotice(ctx context.Context, id int64, lease time.Duration) (claimed bool, err error) {
	now := s.now()
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE notifications SET claimed_until = ?
		WHERE id = ? AND status = 'pending' AND claimed_until <= ?`), now+lease.Milliseconds(), id, now)
	if err != nil {
		return false, fmt.Errorf("claim notice %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("claim notice %d: %w", id, err)
	}
	return n == 1, nil
}

// NoticeSent records a notice's delivery.
func (s *Store) NoticeSent(ctx context.Context, id int64) error {
	now := s.now()
	if _, err := s.db.ExecContext(ctx, s.q(`UPDATE notifications SET status = 'sent', sent_at = ?, attempts = attempts + 1,
		last_error = '', claimed_until = 0 WHERE id = ?`), now, id); err != nil {
		return fmt.Errorf("record notice %d sent: %w", id, err)
	}
	return nil
}

// NoticeFailed records a failed delivery (why: what the receiver or the
// connection said) and releases the notice for the next attempt; with
// abandon it is given up instead, and never sent.
func (s *Store) NoticeFailed(ctx context.Context, id int64, why string, abandon bool) error {
	status := NoticePending
	if abandon {
		status = NoticeAbandoned
	}
	if _, err := s.db.ExecContext(ctx, s.q(`UPDATE notifications SET status = ?, attempts = attempts + 1, last_error = ?,
		claimed_until = 0 WHERE id = ?`), string(status), why, id); err != nil {
		return fmt.Errorf("record notice %d failed: %w", id, err)
	}
	return nil
}

// PruneNotices deletes the notices sent or abandoned before the instant.
// Pending ones stay, whatever their age. An exemption's notice must be
// kept until the expiry it announced is past, or it would be announced
// again: callers prune only what is older than their window.
func (s *Store) PruneNotices(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, s.q(`DELETE FROM notifications WHERE status <> 'pending' AND created_at < ?
		AND instant < ?`), before.UnixMilli(), s.now())
	if err != nil {
		return 0, fmt.Errorf("prune notices: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("prune notices: %w", err)
	}
	return n, nil
}

// NewFinding is a resource's verdict on a recommendation that a scan
// made Unhealthy: it appeared unhealthy, or was healthy, unknown or not
// applicable before.
type NewFinding struct {
	// ResourceRef is the resource's row (the dashboard's /resources/{ref}).
	ResourceRef   int64
	ResourceID    string
	Deployment    string
	Name          string
	Type          string
	Subscription  string
	ResourceGroup string
	// Where an IaC resource is defined (empty for live ones).
	SourceKind, File string
	Line             int
	Address          string
	Repository       string
	Commit           string
	Recommendation   RecommendationInfo
	// Previous is the status before the scan ("" when the finding is
	// new).
	Previous assess.Status
	Reason   string
}

// NewFindings returns the resource-level findings a completed scan made
// Unhealthy on recommendations of the severity ("High", "Medium",
// "Low"), not exempt when it recorded them, ordered by resource and
// recommendation. Components (secrets, keys, certificates) are not
// findings of their own here: their vault's verdict is. It reads the
// scan's history rows, found through the scan's time span.
func (s *Store) NewFindings(ctx context.Context, scanID int64, severity assess.Severity) ([]NewFinding, error) {
	info, err := s.ScanInfo(ctx, scanID)
	if err != nil {
		return nil, fmt.Errorf("new findings of scan %d: %w", scanID, err)
	}
	if info.Status != Succeeded {
		return nil, fmt.Errorf("new findings of scan %d: %w", scanID, ErrNotCompleted)
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT r.id, r.resource_id, r.deployment, r.name, r.type, r.subscription,
		r.resource_group, r.source_kind, r.file, r.line, r.address, r.repository, r.commit_sha,
		c.id, c.title, c.severity, c.type, h.prev_status, h.reason
		FROM history h JOIN resources r ON r.id = h.resource_ref JOIN recommendations c ON c.id = h.recommendation_id
		WHERE h.at >= ? AND h.at <= ? AND h.scan_id = ? AND h.component = '' AND h.status = 'Unhealthy'
		AND h.prev_status <> 'Unhealthy' AND h.exemption_id = 0 AND c.severity = ?
		ORDER BY r.resource_id, r.deployment, h.recommendation_id`),
		info.Started.UnixMilli(), info.Finished.UnixMilli(), scanID, string(severity))
	if err != nil {
		return nil, fmt.Errorf("new findings of scan %d: %w", scanID, err)
	}
	defer rows.Close()
	var out []NewFinding
	for rows.Next() {
		var f NewFinding
		if err := rows.Scan(&f.ResourceRef, &f.ResourceID, &f.Deployment, &f.Name, &f.Type, &f.Subscription,
			&f.ResourceGroup, &f.SourceKind, &f.File, &f.Line, &f.Address, &f.Repository, &f.Commit,
			&f.Recommendation.ID, &f.Recommendation.Title, &f.Recommendation.Severity, &f.Recommendation.Type,
			&f.Previous, &f.Reason); err != nil {
			return nil, fmt.Errorf("new findings of scan %d: %w", scanID, err)
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("new findings of scan %d: %w", scanID, err)
	}
	return out, nil
}

// ErrNotCompleted is returned for a scan that is running or failed where
// a completed one is needed.
var ErrNotCompleted = errors.New("the scan has not completed")

// ExpiringExemptions returns the exemptions in force whose expiry falls
// in (now, now+within], soonest first.
func (s *Store) ExpiringExemptions(ctx context.Context, within time.Duration) ([]Exemption, error) {
	now := s.now()
	list, err := s.exemptions(ctx, s.db, "WHERE revoked_at = 0 AND expires_at > ? AND expires_at <= ? ORDER BY expires_at, id",
		now, now+within.Milliseconds())
	if err != nil {
		return nil, fmt.Errorf("expiring exemptions: %w", err)
	}
	return list, nil
}

// ExemptionByID reads one exemption, active or not; sql.ErrNoRows
// (wrapped) when there is none.
func (s *Store) ExemptionByID(ctx context.Context, id int64) (Exemption, error) {
	list, err := s.exemptions(ctx, s.db, "WHERE id = ?", id)
	if err != nil {
		return Exemption{}, err
	}
	if len(list) == 0 {
		return Exemption{}, fmt.Errorf("exemption %d: %w", id, sql.ErrNoRows)
	}
	return list[0], nil
}
