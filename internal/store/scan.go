package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Source says where a scan's resources came from.
type Source string

// The sources.
const (
	Live       Source = "live"
	Repository Source = "repository"
)

// ScanStatus is a scan's state.
type ScanStatus string

// The scan statuses.
const (
	Running   ScanStatus = "running"
	Succeeded ScanStatus = "succeeded"
	Failed    ScanStatus = "failed"
)

// Labels describe a scan pushed from CI: where its resources are defined.
type Labels struct {
	Repository  string
	Branch      string
	Commit      string
	PipelineURL string
	// IdempotencyKey, when set, names one push of a report, the same on
	// each of its retries: Begin refuses a second scan with it
	// (*DuplicatePush) unless the first failed. Recorded, not read back.
	IdempotencyKey string
}

// DuplicatePush is Begin's error when a scan was already begun with the
// same idempotency key and has not failed: the push it names is that
// scan, and nothing is to be done again.
type DuplicatePush struct {
	ID     int64
	Status ScanStatus
}

func (e *DuplicatePush) Error() string {
	return fmt.Sprintf("this push was received before: scan %d (%s)", e.ID, e.Status)
}

// ScanInfo is a scan's row.
type ScanInfo struct {
	ID       int64
	Scope    string
	Source   Source
	Labels   Labels
	Started  time.Time
	Finished time.Time // zero while running
	Status   ScanStatus
	// Error says why a failed scan failed.
	Error string
	// Done and Total are the progress the scanner reported.
	Done, Total int64
	// Results counts the rows ingested; Changes the transitions its
	// completion recorded; InputErrors the input problems.
	Results, Changes, InputErrors int64
}

// Scan is a running scan: ingest into it, then Complete or Fail it.
// Nothing it ingests is current before Complete.
type Scan struct {
	s     *Store
	id    int64
	scope string
	info  ScanInfo
}

// ID is the scan's ID.
func (sc *Scan) ID() int64 { return sc.id }

// Begin starts a scan of scope (an opaque name the caller chooses, such
// as "subscription:<id>" or "repo:<name>@<branch>"; scopes should not
// overlap: a completed scan is the whole truth about its scope).
// It returns ErrScopeBusy when a scan of the same scope is running in any
// process; a running scan whose lease ran out is failed first.
func (s *Store) Begin(ctx context.Context, scope string, src Source, l Labels) (*Scan, error) {
	if scope == "" {
		return nil, fmt.Errorf("begin scan: empty scope")
	}
	if src != Live && src != Repository {
		return nil, fmt.Errorf("begin scan of %s: source %q is neither %q nor %q", scope, src, Live, Repository)
	}
	now := s.now()
	var id int64
	var dup *DuplicatePush
	err := s.inTx(ctx, "begin scan of "+scope, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE scans SET status = 'failed', finished_at = ?,
			error = 'interrupted: its lease expired' WHERE scope = ? AND status = 'running' AND lease_until < ?`),
			now, scope, now); err != nil {
			return err
		}
		if l.IdempotencyKey != "" {
			var status string
			err := tx.QueryRowContext(ctx, s.q("SELECT id, status FROM scans WHERE push_key = ?"), l.IdempotencyKey).Scan(&id, &status)
			switch {
			case err == nil && ScanStatus(status) != Failed:
				dup = &DuplicatePush{ID: id, Status: ScanStatus(status)}
				return nil
			case err == nil: // the push failed: it may be tried again
				if _, err := tx.ExecContext(ctx, s.q("UPDATE scans SET push_key = '' WHERE id = ?"), id); err != nil {
					return err
				}
			case !errors.Is(err, sql.ErrNoRows):
				return err
			}
		}
		return tx.QueryRowContext(ctx, s.q(`INSERT INTO scans (scope, source, repository, branch, commit_sha,
			pipeline_url, push_key, started_at, lease_until, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'running') RETURNING id`),
			scope, string(src), l.Repository, l.Branch, l.Commit, l.PipelineURL, l.IdempotencyKey, now,
			now+s.opts.Lease.Milliseconds()).Scan(&id)
	})
	if dup != nil {
		return nil, fmt.Errorf("begin scan of %s: %w", scope, dup)
	}
	if err != nil {
		if isUnique(err) {
			return nil, fmt.Errorf("begin scan of %s: %w", scope, ErrScopeBusy)
		}
		return nil, err
	}
	return &Scan{s: s, id: id, scope: scope, info: ScanInfo{ID: id, Scope: scope, Source: src, Labels: l,
		Started: time.UnixMilli(now).UTC(), Status: Running}}, nil
}

// errNotRunning is returned when a scan was failed (by recovery, or
// because its lease expired and another took the scope) under its owner.
var errNotRunning = errors.New("the scan is no longer running (interrupted or taken over)")

// Progress records the scanner's progress and renews the lease.
func (sc *Scan) Progress(ctx context.Context, done, total int64) error {
	s := sc.s
	now := s.now()
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE scans SET progress_done = ?, progress_total = ?, lease_until = ?
		WHERE id = ? AND status = 'running'`), done, total, now+s.opts.Lease.Milliseconds(), sc.id)
	if err != nil {
		return fmt.Errorf("scan %d progress: %w", sc.id, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("scan %d progress: %w", sc.id, errNotRunning)
	}
	return nil
}

// Fail ends the scan as failed: nothing it ingested becomes current.
func (sc *Scan) Fail(ctx context.Context, reason string) error {
	s := sc.s
	return s.inTx(ctx, fmt.Sprintf("fail scan %d", sc.id), func(tx *sql.Tx) error {
		return failScan(ctx, s, tx, sc.id, reason)
	})
}

func failScan(ctx context.Context, s *Store, tx *sql.Tx, id int64, reason string) error {
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE scans SET status = 'failed', finished_at = ?, error = ?
		WHERE id = ? AND status = 'running'`), s.now(), reason, id); err != nil {
		return err
	}
	return nil
}

// recoverScans marks failed the scans an earlier process left running
// (see Options.Recover). Their staged results stay behind, never current,
// until retention removes them.
func (s *Store) recoverScans(ctx context.Context) error {
	now := s.now()
	query := `UPDATE scans SET status = 'failed', finished_at = ?, error = 'interrupted: the process ended before the scan completed'
		WHERE status = 'running'`
	args := []any{now}
	if s.opts.Recover == RecoverExpired {
		query += " AND lease_until < ?"
		args = append(args, now)
	}
	res, err := s.db.ExecContext(ctx, s.q(query), args...)
	if err != nil {
		return fmt.Errorf("recover interrupted scans: %w", err)
	}
	if n, err := res.RowsAffected(); err == nil && n > 0 {
		s.log.Warn("interrupted scans marked failed", "count", n)
	}
	if s.opts.Recover == RecoverAll {
		// The only process on the database is starting: every lease was
		// held by its predecessor, which is gone. Without this, the first
		// scan after a crash waits out the dead process's subscription
		// leases.
		if _, err := s.db.ExecContext(ctx, "DELETE FROM leases"); err != nil {
			return fmt.Errorf("release the leases of the interrupted process: %w", err)
		}
	}
	return nil
}

// ScanInfo reads a scan's row.
func (s *Store) ScanInfo(ctx context.Context, id int64) (ScanInfo, error) {
	rows, err := s.scans(ctx, "WHERE id = ?", id)
	if err != nil {
		return ScanInfo{}, err
	}
	if len(rows) == 0 {
		return ScanInfo{}, fmt.Errorf("scan %d: %w", id, sql.ErrNoRows)
	}
	return rows[0], nil
}

// Scans lists the scans of a scope ("" for all), newest first.
func (s *Store) Scans(ctx context.Context, scope string) ([]ScanInfo, error) {
	if scope == "" {
		return s.scans(ctx, "ORDER BY started_at DESC, id DESC")
	}
	return s.scans(ctx, "WHERE scope = ? ORDER BY started_at DESC, id DESC", scope)
}

func (s *Store) scans(ctx context.Context, where string, args ...any) ([]ScanInfo, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT id, scope, source, repository, branch, commit_sha, pipeline_url,
		started_at, finished_at, status, error, progress_done, progress_total, results, changes, input_errors
		FROM scans `+where), args...)
	if err != nil {
		return nil, fmt.Errorf("read scans: %w", err)
	}
	defer rows.Close()
	var out []ScanInfo
	for rows.Next() {
		var si ScanInfo
		var started, finished int64
		if err := rows.Scan(&si.ID, &si.Scope, &si.Source, &si.Labels.Repository, &si.Labels.Branch, &si.Labels.Commit,
			&si.Labels.PipelineURL, &started, &finished, &si.Status, &si.Error, &si.Done, &si.Total, &si.Results,
			&si.Changes, &si.InputErrors); err != nil {
			return nil, fmt.Errorf("read scans: %w", err)
		}
		si.Started = time.UnixMilli(started).UTC()
		if finished != 0 {
			si.Finished = time.UnixMilli(finished).UTC()
		}
		out = append(out, si)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read scans: %w", err)
	}
	return out, nil
}
