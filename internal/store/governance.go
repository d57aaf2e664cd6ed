package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ExemptionKind is Defender's exemption category.
type ExemptionKind string

// The exemption kinds.
const (
	Waiver    ExemptionKind = "waiver"
	Mitigated ExemptionKind = "mitigated"
)

// ScopeKind says what an exemption or owner rule applies to.
type ScopeKind string

// The scope kinds. Target holds the resource ID, the resource group's ID
// (/subscriptions/<s>/resourceGroups/<g>), the subscription ID or the
// repository; Path a file or directory in the repository ("" for all).
const (
	OnResource       ScopeKind = "resource"
	OnResourceGroup  ScopeKind = "resourceGroup"
	OnSubscription   ScopeKind = "subscription"
	OnRepositoryPath ScopeKind = "repositoryPath"
	// OnTag is for owner rules only: resources whose tag TagKey is
	// TagValue.
	OnTag ScopeKind = "tag"
)

// Exemption waives a recommendation ("" for all) on a scope until it
// expires.
type Exemption struct {
	ID             int64         `json:"id"`
	Kind           ExemptionKind `json:"kind"`
	Reason         string        `json:"reason"`
	Expires        time.Time     `json:"expires"`
	Scope          ScopeKind     `json:"scope"`
	Target         string        `json:"target"`
	Path           string        `json:"path,omitempty"`
	Recommendation string        `json:"recommendation,omitempty"`
	CreatedBy      string        `json:"createdBy"`
	Created        time.Time     `json:"created"`
	Revoked        time.Time     `json:"revoked,omitzero"`
}

// normalTarget lowers what Azure compares without case.
func normalTarget(k ScopeKind, target string) string {
	if k == OnRepositoryPath || k == OnTag {
		return target
	}
	return strings.ToLower(target)
}

func (e *Exemption) check() error {
	if e.Kind != Waiver && e.Kind != Mitigated {
		return fmt.Errorf("exemption kind %q is neither %q nor %q", e.Kind, Waiver, Mitigated)
	}
	if strings.TrimSpace(e.Reason) == "" {
		return fmt.Errorf("an exemption needs a reason")
	}
	if e.Expires.IsZero() {
		return fmt.Errorf("an exemption needs an expiry")
	}
	switch e.Scope {
	case OnResource, OnResourceGroup, OnSubscription, OnRepositoryPath:
	default:
		return fmt.Errorf("exemption scope %q is not one of resource, resourceGroup, subscription, repositoryPath", e.Scope)
	}
	if e.Target == "" {
		return fmt.Errorf("an exemption of scope %s needs a target", e.Scope)
	}
	return nil
}

// audit writes one audit row in tx.
func (s *Store) audit(ctx context.Context, tx *sql.Tx, actor, action, entity string, id int64, before, after any) error {
	b, err := auditJSON(before)
	if err != nil {
		return err
	}
	a, err := auditJSON(after)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, s.q(`INSERT INTO audit_log (at, actor, action, entity, entity_id, before, after)
		VALUES (?, ?, ?, ?, ?, ?, ?)`), s.now(), actor, action, entity, id, b, a)
	return err
}

func auditJSON(v any) (string, error) {
	if v == nil {
		return "", nil
	}
	b, err := json.Marshal(v)
	return string(b), err
}

// CreateExemption records an exemption on behalf of actor, applies it to
// the current findings (history rows for each) and audits it.
func (s *Store) CreateExemption(ctx context.Context, actor string, e Exemption) (int64, error) {
	if err := e.check(); err != nil {
		return 0, fmt.Errorf("create exemption: %w", err)
	}
	e.Target = normalTarget(e.Scope, e.Target)
	e.CreatedBy, e.Created = actor, time.UnixMilli(s.now()).UTC()
	err := s.inTx(ctx, "create exemption", func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, s.q(`INSERT INTO exemptions (kind, reason, expires_at, scope_kind, target, path,
			recommendation_id, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			string(e.Kind), e.Reason, e.Expires.UnixMilli(), string(e.Scope), e.Target, e.Path, e.Recommendation,
			actor, e.Created.UnixMilli()).Scan(&e.ID); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, actor, "create", "exemption", e.ID, nil, e); err != nil {
			return err
		}
		_, err := s.reconcile(ctx, tx)
		return err
	})
	return e.ID, err
}

// SetExemptionExpiry changes an exemption's expiry (extend or shorten).
func (s *Store) SetExemptionExpiry(ctx context.Context, actor string, id int64, expires time.Time) error {
	return s.changeExemption(ctx, actor, id, "set-expiry", func(e *Exemption) { e.Expires = expires.UTC() })
}

// RevokeExemption ends an exemption now.
func (s *Store) RevokeExemption(ctx context.Context, actor string, id int64) error {
	return s.changeExemption(ctx, actor, id, "revoke", func(e *Exemption) { e.Revoked = time.UnixMilli(s.now()).UTC() })
}

func (s *Store) changeExemption(ctx context.Context, actor string, id int64, action string, change func(*Exemption)) error {
	return s.inTx(ctx, fmt.Sprintf("%s exemption %d", action, id), func(tx *sql.Tx) error {
		list, err := s.exemptions(ctx, tx, "WHERE id = ?", id)
		if err != nil {
			return err
		}
		if len(list) == 0 {
			return fmt.Errorf("no exemption %d", id)
		}
		before := list[0]
		after := before
		change(&after)
		var revoked int64
		if !after.Revoked.IsZero() {
			revoked = after.Revoked.UnixMilli()
		}
		if _, err := tx.ExecContext(ctx, s.q("UPDATE exemptions SET expires_at = ?, revoked_at = ? WHERE id = ?"),
			after.Expires.UnixMilli(), revoked, id); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, actor, action, "exemption", id, before, after); err != nil {
			return err
		}
		_, err = s.reconcile(ctx, tx)
		return err
	})
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// Exemptions lists the exemptions, active and not, by ID.
func (s *Store) Exemptions(ctx context.Context) ([]Exemption, error) {
	return s.exemptions(ctx, s.db, "ORDER BY id")
}

func (s *Store) exemptions(ctx context.Context, q querier, where string, args ...any) ([]Exemption, error) {
	rows, err := q.QueryContext(ctx, s.q(`SELECT id, kind, reason, expires_at, scope_kind, target, path, recommendation_id,
		created_by, created_at, revoked_at FROM exemptions `+where), args...)
	if err != nil {
		return nil, fmt.Errorf("read exemptions: %w", err)
	}
	defer rows.Close()
	var out []Exemption
	for rows.Next() {
		var e Exemption
		var exp, created, revoked int64
		if err := rows.Scan(&e.ID, &e.Kind, &e.Reason, &exp, &e.Scope, &e.Target, &e.Path, &e.Recommendation,
			&e.CreatedBy, &created, &revoked); err != nil {
			return nil, fmt.Errorf("read exemptions: %w", err)
		}
		e.Expires, e.Created = time.UnixMilli(exp).UTC(), time.UnixMilli(created).UTC()
		if revoked != 0 {
			e.Revoked = time.UnixMilli(revoked).UTC()
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// reconcile brings every current finding's exemption up to date at the
// store's clock (created, revoked, expired), one history row per change.
func (s *Store) reconcile(ctx context.Context, tx *sql.Tx) (int64, error) {
	now := s.now()
	rows, err := tx.QueryContext(ctx, `SELECT resource_ref, recommendation_id, component, status, reason, want FROM (
		SELECT f.resource_ref, f.recommendation_id, f.component, f.status, f.reason, f.exemption_id,
		`+exemptionWant(now, "f.recommendation_id")+` AS want
		FROM findings f JOIN resources r ON r.id = f.resource_ref) x WHERE x.want <> x.exemption_id`)
	if err != nil {
		return 0, fmt.Errorf("reconcile exemptions: %w", err)
	}
	type change struct {
		ref                       int64
		rec, comp, status, reason string
		want                      int64
	}
	var changes []change
	for rows.Next() {
		var c change
		if err := rows.Scan(&c.ref, &c.rec, &c.comp, &c.status, &c.reason, &c.want); err != nil {
			_ = rows.Close()
			return 0, fmt.Errorf("reconcile exemptions: %w", err)
		}
		changes = append(changes, c)
	}
	if err := rows.Close(); err != nil {
		return 0, fmt.Errorf("reconcile exemptions: %w", err)
	}
	if len(changes) > reconcileOneByOne {
		return int64(len(changes)), s.reconcileAll(ctx, tx, now)
	}
	for _, c := range changes {
		// A finding whose history was deferred gets its appearance
		// first (migration 00011).
		if _, err := tx.ExecContext(ctx, s.q(appearanceOf+` FROM findings f WHERE f.resource_ref = ? AND f.recommendation_id = ?
			AND f.component = ? AND f.history_deferred = 1`),
			c.ref, c.rec, c.comp); err != nil {
			return 0, fmt.Errorf("reconcile exemptions: %w", err)
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE findings SET exemption_id = ?, history_deferred = 0 WHERE resource_ref = ?
			AND recommendation_id = ? AND component = ?`), c.want, c.ref, c.rec, c.comp); err != nil {
			return 0, fmt.Errorf("reconcile exemptions: %w", err)
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO history (resource_ref, recommendation_id, component, at, scan_id,
			prev_status, status, reason, exemption_id) VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?)`),
			c.ref, c.rec, c.comp, now, c.status, c.status, c.reason, c.want); err != nil {
			return 0, fmt.Errorf("reconcile exemptions: %w", err)
		}
	}
	return int64(len(changes)), nil
}

// reconcileOneByOne is how many exemption changes reconcile writes
// statement by statement; above it, reconcileAll writes them in three
// statements over all findings (an exemption on a subscription of a
// million secrets was a million round trips of three statements each).
const reconcileOneByOne = 500

// reconcileAll writes every finding's exemption change at instant now,
// set-wise: the deferred appearances of the findings that change, their
// history rows, then the findings themselves (last: the statements
// before find the changes by the exemption the findings still carry).
func (s *Store) reconcileAll(ctx context.Context, tx *sql.Tx, now int64) error {
	want := exemptionWant(now, "f.recommendation_id")
	for _, st := range []struct{ what, query string }{
		{"deferred appearances", appearanceOf + `
			FROM findings f JOIN resources r ON r.id = f.resource_ref WHERE f.history_deferred = 1 AND f.exemption_id <> ` + want},
		{"history", `INSERT INTO history (resource_ref, recommendation_id, component, at, scan_id, prev_status, status, reason,
			exemption_id)
			SELECT f.resource_ref, f.recommendation_id, f.component, ` + strconv.FormatInt(now, 10) + `, 0, f.status, f.status,
				f.reason, ` + want + `
			FROM findings f JOIN resources r ON r.id = f.resource_ref WHERE f.exemption_id <> ` + want},
		{"findings", `UPDATE findings AS f SET exemption_id = ` + want + `, history_deferred = 0
			FROM resources r WHERE r.id = f.resource_ref AND f.exemption_id <> ` + want},
	} {
		if _, err := tx.ExecContext(ctx, st.query); err != nil {
			return fmt.Errorf("reconcile exemptions: %s: %w", st.what, err)
		}
	}
	return nil
}

// Maintain is the periodic work: it records the exemptions that expired
// since the last run (history rows; reads already treat them as expired)
// and applies retention. It returns the exemption changes and the rows
// retention deleted.
func (s *Store) Maintain(ctx context.Context) (changed, deleted int64, err error) {
	err = s.inTx(ctx, "maintain", func(tx *sql.Tx) error {
		var err error
		if changed, err = s.reconcile(ctx, tx); err != nil {
			return err
		}
		deleted, err = s.retain(ctx, tx)
		return err
	})
	return changed, deleted, err
}

// retain deletes what is older than the retention: history rows, the
// scans that finished before it (with their input problems and any
// staged rows a failed scan left), gone resources with nothing left
// pointing at them, and the components recorded of vaults no scan has
// read since (a scan that reads a vault records its components anew,
// so those are of vaults deleted or no longer scanned). The audit log
// is kept.
func (s *Store) retain(ctx context.Context, tx *sql.Tx) (int64, error) {
	if s.opts.Retention < 0 {
		return 0, nil
	}
	cut := s.now() - s.opts.Retention.Milliseconds()
	var total int64
	for _, q := range []string{
		"DELETE FROM history WHERE at < ?",
		"DELETE FROM scan_errors WHERE scan_id IN (SELECT id FROM scans WHERE status <> 'running' AND finished_at < ?)",
		"DELETE FROM staged_results WHERE scan_id IN (SELECT id FROM scans WHERE status <> 'running' AND finished_at < ?)",
		"DELETE FROM staged_resources WHERE scan_id IN (SELECT id FROM scans WHERE status <> 'running' AND finished_at < ?)",
		"DELETE FROM scans WHERE status <> 'running' AND finished_at < ?",
		`DELETE FROM resources WHERE gone_at <> 0 AND gone_at < ?
			AND NOT EXISTS (SELECT 1 FROM findings f WHERE f.resource_ref = resources.id)
			AND NOT EXISTS (SELECT 1 FROM history h WHERE h.resource_ref = resources.id)`,
		"DELETE FROM component_details WHERE read_at < ?",
	} {
		res, err := tx.ExecContext(ctx, s.q(q), cut)
		if err != nil {
			return 0, fmt.Errorf("retention: %w", err)
		}
		n, _ := res.RowsAffected()
		total += n
	}
	return total, nil
}

// AuditEntry is one change to exemptions or owner rules.
type AuditEntry struct {
	At            time.Time
	Actor, Action string
	Entity        string
	EntityID      int64
	// Before and After are the entity as JSON ("" for none).
	Before, After string
}

// Audit lists the audit log, oldest first.
func (s *Store) Audit(ctx context.Context) ([]AuditEntry, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT at, actor, action, entity, entity_id, before, after FROM audit_log ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("read the audit log: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var a AuditEntry
		var at int64
		if err := rows.Scan(&at, &a.Actor, &a.Action, &a.Entity, &a.EntityID, &a.Before, &a.After); err != nil {
			return nil, fmt.Errorf("read the audit log: %w", err)
		}
		a.At = time.UnixMilli(at).UTC()
		out = append(out, a)
	}
	return out, rows.Err()
}
