package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5/pgconn"
)

// exemptionMatch is the SQL condition under which exemption e applies to
// the finding of recommendation rec on resource r at instant now (a
// literal: the clock's value, never user input).
func exemptionMatch(now int64, rec string) string {
	return `e.revoked_at = 0 AND e.expires_at > ` + strconv.FormatInt(now, 10) + `
	AND (e.recommendation_id = '' OR e.recommendation_id = ` + rec + `)
	AND ((e.scope_kind = 'resource' AND e.target = lower(r.resource_id))
	  OR (e.scope_kind = 'resourceGroup' AND e.target = r.resource_group)
	  OR (e.scope_kind = 'subscription' AND e.target = r.subscription)
	  OR (e.scope_kind = 'repositoryPath' AND e.target = r.repository
	      AND (e.path = '' OR r.file = e.path OR substr(r.file, 1, length(e.path) + 1) = e.path || '/')))`
}

// exemptionWant is the SQL expression of the exemption the finding of
// recommendation rec on resource r should carry at instant now: the
// oldest that applies, or 0.
func exemptionWant(now int64, rec string) string {
	return "COALESCE((SELECT MIN(e.id) FROM exemptions e WHERE " + exemptionMatch(now, rec) + "), 0)"
}

// appearanceOf inserts into history the appearance of the deferred
// findings f it is followed by a FROM for (migration 00011): the row the
// finding itself stands for while it has not changed.
const appearanceOf = `INSERT INTO history (resource_ref, recommendation_id, component, at, scan_id, prev_status, status, reason,
		exemption_id)
	SELECT f.resource_ref, f.recommendation_id, f.component, f.since, f.scan_id, '', f.status, f.reason, f.exemption_id`

// wantExemption is exemptionWant, except that with no exemption active it
// is the constant 0, which spares a million subqueries.
func (s *Store) wantExemption(ctx context.Context, tx *sql.Tx, now int64, rec string) (string, error) {
	var n int64
	if err := tx.QueryRowContext(ctx, s.q("SELECT COUNT(*) FROM exemptions WHERE revoked_at = 0 AND expires_at > ?"), now).Scan(&n); err != nil {
		return "", err
	}
	if n == 0 {
		return "0", nil
	}
	return exemptionWant(now, rec), nil
}

// Complete makes the scan's staged results current, atomically: in one
// transaction every finding that is new, changed (status, reason or
// exemption) or gone gets one history row, the current state is updated,
// resources no longer seen are marked gone, and the staging is dropped.
// A scan that fails before Complete leaves the current state untouched.
func (sc *Scan) Complete(ctx context.Context) error {
	err := sc.complete(ctx)
	if errors.Is(err, ErrStagingLost) {
		// Retrying the completion cannot bring the verdicts back: the
		// scan is failed, and the next one reads everything again.
		if ferr := sc.Fail(context.WithoutCancel(ctx), ErrStagingLost.Error()+": the scan must run again"); ferr != nil {
			return errors.Join(err, ferr)
		}
		return fmt.Errorf("%w (%w)", err, errNotRunning)
	}
	return err
}

// ErrStagingLost is returned by Complete when staged verdicts of the scan
// are gone: on PostgreSQL staged_results is an unlogged table, which the
// database server's crash recovery empties (migration 00010).
var ErrStagingLost = errors.New("the scan's staged verdicts were lost (PostgreSQL empties its unlogged staging when it recovers from a crash)")

// stagingLost reports ErrStagingLost when a resource the scan staged has
// no staged verdict: an ingest stages a resource with its first verdict,
// in the same transaction, and staged_resources is logged, so a resource
// without one is a verdict lost since. One probe of the results' key per
// staged resource (ten thousand for the million-secret estate).
func (sc *Scan) stagingLost(ctx context.Context, tx *sql.Tx) error {
	var lost int64
	if err := tx.QueryRowContext(ctx, sc.s.q(`SELECT COUNT(*) FROM staged_resources sr WHERE sr.scan_id = ?
		AND NOT EXISTS (SELECT 1 FROM staged_results s WHERE s.scan_id = sr.scan_id AND s.resource_no = sr.resource_no)`),
		sc.id).Scan(&lost); err != nil {
		return fmt.Errorf("check the staging: %w", err)
	}
	if lost > 0 {
		return fmt.Errorf("%d resources: %w", lost, ErrStagingLost)
	}
	return nil
}

func (sc *Scan) complete(ctx context.Context) error {
	s := sc.s
	now := s.now()
	return s.inConnTx(ctx, fmt.Sprintf("complete scan %d", sc.id), func(_ *sql.Conn, tx *sql.Tx) error {
		if err := sc.checkRunning(ctx, tx); err != nil {
			return err
		}
		if err := partsMissing(ctx, s, tx, sc.id); err != nil {
			return err
		}
		var repo, commit string
		if err := tx.QueryRowContext(ctx, s.q("SELECT repository, commit_sha FROM scans WHERE id = ?"), sc.id).Scan(&repo, &commit); err != nil {
			return err
		}
		steps := []struct {
			what  string
			query string
			args  []any
		}{
			{"resources", `INSERT INTO resources (scope, resource_id, deployment, name, type, subscription, resource_group,
				source_kind, repository, commit_sha, file, line, address, placeholder, tags, first_seen, last_seen, gone_at)
				SELECT ?, resource_id, deployment, name, type, subscription, resource_group, source_kind, ?, ?, file, line,
				address, placeholder, tags, ?, ?, 0 FROM staged_resources WHERE scan_id = ?
				ON CONFLICT (scope, resource_id, deployment) DO UPDATE SET name = excluded.name, type = excluded.type,
				subscription = excluded.subscription, resource_group = excluded.resource_group,
				source_kind = excluded.source_kind, repository = excluded.repository, commit_sha = excluded.commit_sha,
				file = excluded.file, line = excluded.line, address = excluded.address,
				placeholder = excluded.placeholder, tags = excluded.tags, last_seen = excluded.last_seen, gone_at = 0`,
				[]any{sc.scope, repo, commit, now, now, sc.id}},
		}
		for _, st := range steps {
			if _, err := tx.ExecContext(ctx, s.q(st.query), st.args...); err != nil {
				return fmt.Errorf("%s: %w", st.what, err)
			}
		}
		if s.engine == Postgres {
			// Room for the sorts and hashes of a million rows in memory
			// (4 MB by default), for this transaction only.
			if _, err := tx.ExecContext(ctx, "SET LOCAL work_mem = '64MB'"); err != nil {
				return fmt.Errorf("work_mem: %w", err)
			}
			// Fresh statistics, or the planner joins a million staged rows
			// it believes absent with nested loops.
			if _, err := tx.ExecContext(ctx, "ANALYZE staged_results, staged_resources, resources, findings"); err != nil {
				return fmt.Errorf("analyze: %w", err)
			}
		}
		// After ANALYZE: with the staging believed empty, PostgreSQL
		// checked 200,000 staged resources against their verdicts with a
		// nested loop over the whole staging (ten minutes, not 50 ms).
		if err := sc.stagingLost(ctx, tx); err != nil {
			return err
		}
		changes, removed, err := sc.compare(ctx, tx, now)
		if err != nil {
			return err
		}
		if err := sc.dropStaging(ctx, tx, now); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, s.q(`UPDATE scans SET status = 'succeeded', finished_at = ?, changes = ?
			WHERE id = ? AND status = 'running'`), now, changes+removed, sc.id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err == nil && n != 1 {
			return errNotRunning
		}
		// The read model of kvguard serve (views.go); PostgreSQL's
		// applyChanges counted the new, changed and removed findings.
		return s.viewsCompleted(ctx, tx, sc.id, sc.scope, now, s.engine == Postgres)
	})
}

// compare writes the scan's transitions: the findings no longer reported
// (removed) and the new and changed ones (changes), in history and in the
// current state. PostgreSQL finds the removals in the same pass as the
// changes (applyChangesPG); SQLite first (removeUnseen).
func (sc *Scan) compare(ctx context.Context, tx *sql.Tx, now int64) (changes, removed int64, err error) {
	s := sc.s
	want, err := s.wantExemption(ctx, tx, now, "s.recommendation_id")
	if err != nil {
		return 0, 0, err
	}
	n, id := strconv.FormatInt(now, 10), strconv.FormatInt(sc.id, 10)
	if s.engine == Postgres {
		return sc.applyChangesPG(ctx, tx, n, id, want)
	}
	if removed, err = sc.removeUnseen(ctx, tx, now); err != nil {
		return 0, 0, err
	}
	changes, err = sc.applyChanges(ctx, tx, now, n, id, want)
	return changes, removed, err
}

// staged joins a scan's staged results (s) to their resources (sr, and
// r in the scope), resource by resource: each resource is looked up once
// and its rows read in a row. (CROSS JOIN fixes that order on SQLite;
// PostgreSQL plans it as a plain join.)
const staged = ` FROM staged_resources sr CROSS JOIN resources r CROSS JOIN staged_results s`

// stagedWhere is the join's condition, for the scope and the scan.
const stagedWhere = ` WHERE sr.scan_id = ? AND r.scope = ? AND r.resource_id = sr.resource_id
	AND r.deployment = sr.deployment AND s.scan_id = sr.scan_id AND s.resource_no = sr.resource_no`

// applyChanges records the new and changed findings in history, then
// copies those history rows into the current state, on SQLite, after
// removeUnseen: the staged results are joined to the current state once,
// and an unchanged finding is read, never written. A component's new
// finding goes to findings alone, its history deferred (migration
// 00011); a deferred finding that changes has its appearance written to
// history first.
func (sc *Scan) applyChanges(ctx context.Context, tx *sql.Tx, now int64, n, id, want string) (int64, error) {
	s := sc.s
	differs := `(f.status <> s.status OR f.reason <> s.reason OR f.exemption_id <> ` + want + `)`
	if _, err := tx.ExecContext(ctx, s.q(appearanceOf+staged+`
		JOIN findings f ON f.resource_ref = r.id AND f.recommendation_id = s.recommendation_id AND f.component = s.component
		`+stagedWhere+` AND f.history_deferred = 1 AND `+differs), sc.id, sc.scope); err != nil {
		return 0, fmt.Errorf("history: deferred appearances: %w", err)
	}
	// The rows the next statement adds follow the last rowid (one
	// writer at a time): the current state reads them as a range.
	var last int64
	if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(rowid), 0) FROM history").Scan(&last); err != nil {
		return 0, fmt.Errorf("history: %w", err)
	}
	res, err := tx.ExecContext(ctx, s.q(`INSERT INTO history (resource_ref, recommendation_id, component, at, scan_id,
		prev_status, status, reason, exemption_id)
		SELECT r.id, s.recommendation_id, s.component, `+n+`, `+id+`, COALESCE(f.status, ''), s.status, s.reason, `+want+staged+`
		LEFT JOIN findings f ON f.resource_ref = r.id AND f.recommendation_id = s.recommendation_id AND f.component = s.component
		`+stagedWhere+` AND ((f.status IS NULL AND s.component = '') OR `+differs+`)`),
		sc.id, sc.scope)
	if err != nil {
		return 0, fmt.Errorf("history: %w", err)
	}
	logged, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("history: %w", err)
	}
	res, err = tx.ExecContext(ctx, s.q(`INSERT INTO findings (resource_ref, recommendation_id, component, status, reason,
		exemption_id, since, scan_id, history_deferred)
		SELECT r.id, s.recommendation_id, s.component, s.status, s.reason, `+want+`, `+n+`, `+id+`, 1`+staged+`
		LEFT JOIN findings f ON f.resource_ref = r.id AND f.recommendation_id = s.recommendation_id AND f.component = s.component
		`+stagedWhere+` AND s.component <> '' AND f.status IS NULL`), sc.id, sc.scope)
	if err != nil {
		return 0, fmt.Errorf("current state: new components: %w", err)
	}
	deferred, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("current state: new components: %w", err)
	}
	if logged == 0 {
		return deferred, nil
	}
	// The history rows at this instant of this scan are its changes
	// (the removals, written before, excepted): exemption changes by
	// Maintain carry scan 0. A new finding (no previous status) is
	// inserted, a changed one updated: no INSERT … ON CONFLICT.
	mine := "+h.at = ? AND h.scan_id = ? AND h.status <> 'Removed' AND h.rowid > ?" // + : not through history_at
	args := []any{now, sc.id, last}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO findings (resource_ref, recommendation_id, component, status, reason,
		exemption_id, since, scan_id)
		SELECT h.resource_ref, h.recommendation_id, h.component, h.status, h.reason, h.exemption_id, h.at, h.scan_id
		FROM history h WHERE `+mine+` AND h.prev_status = ''`), args...); err != nil {
		return 0, fmt.Errorf("current state: new findings: %w", err)
	}
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE findings SET status = h.status, reason = h.reason,
		exemption_id = h.exemption_id, scan_id = h.scan_id, history_deferred = 0,
		since = CASE WHEN findings.status <> h.status THEN h.at ELSE findings.since END
		FROM history h WHERE `+mine+` AND h.prev_status <> ''
		AND findings.resource_ref = h.resource_ref AND findings.recommendation_id = h.recommendation_id
		AND findings.component = h.component`), args...); err != nil {
		return 0, fmt.Errorf("current state: changed findings: %w", err)
	}
	return logged + deferred, nil
}

// stagedInScope opens a PostgreSQL completion's statement with r, the
// scan's staged resources (by the scope and the scan, its two arguments)
// mapped to the scope's resources, a few thousand rows: the million
// staged results join them on a number rather than each hashing a
// 120-byte resource ID.
const stagedInScope = `WITH r AS MATERIALIZED (
			SELECT sr.resource_no, x.id, x.resource_id, x.subscription, x.resource_group, x.repository, x.file
			FROM staged_resources sr JOIN resources x ON x.scope = ? AND x.resource_id = sr.resource_id
				AND x.deployment = sr.deployment
			WHERE sr.scan_id = ?),
		`

// applyChangesPG is compare on PostgreSQL, in one statement. The
// staged results are compared with the scope's current findings once
// (d, a full join carrying the previous finding's values): a staged
// verdict without a finding is new, a finding without a staged verdict
// is removed (status NULL in d), both with different values changed.
// The statement's parts see the findings as they were before it, which
// is what the comparison wants, and take their rows from d's work table
// instead of reading history back through an index. A component's
// new finding is written to findings alone, its history deferred
// (migration 00011); a deferred finding that changes or goes gets its
// appearance written first. The resources' own verdicts move the read
// model's counts (view_counts, see viewsCompleted) as they are written.
// Finding the removals in the same pass spares a second comparison of
// the million findings with the million staged verdicts (an anti-join of
// 2.4–3.3 s on a re-scan of the million-secret estate).
func (sc *Scan) applyChangesPG(ctx context.Context, tx *sql.Tx, now, id, want string) (changes, removed int64, err error) {
	var current bool
	if err := tx.QueryRowContext(ctx, sc.s.q(`SELECT EXISTS (SELECT 1 FROM resources x JOIN findings f ON f.resource_ref = x.id
		WHERE x.scope = ?)`), sc.scope).Scan(&current); err != nil {
		return 0, 0, fmt.Errorf("current state: %w", err)
	}
	if !current {
		changes, err := sc.firstPG(ctx, tx, now, id, want)
		return changes, 0, err
	}
	err = tx.QueryRowContext(ctx, sc.s.q(stagedInScope+`
		d AS MATERIALIZED (
			SELECT COALESCE(n.resource_ref, f.resource_ref) AS resource_ref,
				COALESCE(n.recommendation_id, f.recommendation_id) AS recommendation_id,
				COALESCE(n.component, f.component) AS component, n.status, n.reason, n.exemption_id,
				COALESCE(f.status, '') AS prev_status, f.reason AS prev_reason, f.exemption_id AS prev_exemption,
				f.since AS prev_since, f.scan_id AS prev_scan, COALESCE(f.history_deferred, 0) AS deferred
			FROM (SELECT r.id AS resource_ref, s.recommendation_id, s.component, s.status, s.reason, `+want+` AS exemption_id
				FROM staged_results s JOIN r ON r.resource_no = s.resource_no WHERE s.scan_id = ?) n
			FULL JOIN (SELECT f.* FROM findings f JOIN resources x ON x.id = f.resource_ref WHERE x.scope = ?) f
				ON f.resource_ref = n.resource_ref AND f.recommendation_id = n.recommendation_id AND f.component = n.component
			WHERE n.status IS NULL OR f.status IS NULL OR f.status <> n.status OR f.reason <> n.reason
				OR f.exemption_id <> n.exemption_id),
		h AS (
			INSERT INTO history (resource_ref, recommendation_id, component, at, scan_id, prev_status, status, reason,
				exemption_id)
			SELECT resource_ref, recommendation_id, component, prev_since, prev_scan, '', prev_status, prev_reason,
				prev_exemption
			FROM d WHERE deferred = 1
			UNION ALL
			SELECT resource_ref, recommendation_id, component, `+now+`, `+id+`, prev_status, status, reason, exemption_id
			FROM d WHERE status IS NOT NULL AND (prev_status <> '' OR component = '')
			UNION ALL
			SELECT resource_ref, recommendation_id, component, `+now+`, `+id+`, prev_status, 'Removed', '', 0
			FROM d WHERE status IS NULL),
		added AS (
			INSERT INTO findings (resource_ref, recommendation_id, component, status, reason, exemption_id, since, scan_id,
				history_deferred)
			SELECT resource_ref, recommendation_id, component, status, reason, exemption_id, `+now+`, `+id+`,
				CASE WHEN component = '' THEN 0 ELSE 1 END
			FROM d WHERE prev_status = ''),
		changed AS (
			UPDATE findings SET status = d.status, reason = d.reason, exemption_id = d.exemption_id, scan_id = `+id+`,
				since = CASE WHEN findings.status <> d.status THEN `+now+` ELSE findings.since END, history_deferred = 0
			FROM d WHERE d.prev_status <> '' AND d.status IS NOT NULL AND findings.resource_ref = d.resource_ref
				AND findings.recommendation_id = d.recommendation_id AND findings.component = d.component),
		gone AS (
			DELETE FROM findings USING d WHERE d.status IS NULL AND findings.resource_ref = d.resource_ref
				AND findings.recommendation_id = d.recommendation_id AND findings.component = d.component),
		counted AS (
			INSERT INTO view_counts (scope, source, subscription, resource_group, recommendation_id, status, n)
			SELECT ?, `+sourceExpr+`, r.subscription, r.resource_group, x.recommendation_id, x.status, SUM(x.n)
			FROM (SELECT d.resource_ref, d.recommendation_id, v.status, v.n FROM d
					CROSS JOIN LATERAL (VALUES (d.prev_status, -1), (d.status, 1)) v (status, n)
					WHERE d.component = '' AND v.status <> '') x
			JOIN resources r ON r.id = x.resource_ref
			GROUP BY `+sourceExpr+`, r.subscription, r.resource_group, x.recommendation_id, x.status
			ON CONFLICT (scope, source, subscription, resource_group, recommendation_id, status)
			DO UPDATE SET n = view_counts.n + excluded.n)
		SELECT COUNT(*) FILTER (WHERE status IS NOT NULL), COUNT(*) FILTER (WHERE status IS NULL) FROM d`),
		sc.scope, sc.id, sc.id, sc.scope, sc.scope).Scan(&changes, &removed)
	if err != nil {
		return 0, 0, fmt.Errorf("history and current state: %w", err)
	}
	return changes, removed, nil
}

// firstPG is applyChangesPG for a scope with no current finding (its
// first scan, or one after a scan that found nothing): every staged
// verdict is new, so none is compared. The findings are inserted
// straight from the staging, with no work table between (a million rows
// of it, some 150 MB spilled to disk and read again by each part of the
// general statement), history gets the resources' own verdicts (the
// components' appearances are deferred, migration 00011) and the read
// model counts them.
func (sc *Scan) firstPG(ctx context.Context, tx *sql.Tx, now, id, want string) (int64, error) {
	var changes int64
	err := tx.QueryRowContext(ctx, sc.s.q(stagedInScope+`
		added AS (
			INSERT INTO findings (resource_ref, recommendation_id, component, status, reason, exemption_id, since, scan_id,
				history_deferred)
			SELECT r.id, s.recommendation_id, s.component, s.status, s.reason, `+want+`, `+now+`, `+id+`,
				CASE WHEN s.component = '' THEN 0 ELSE 1 END
			FROM staged_results s JOIN r ON r.resource_no = s.resource_no WHERE s.scan_id = ?),
		own AS MATERIALIZED (
			SELECT r.id, r.subscription, r.resource_group, r.repository, s.recommendation_id, s.status, s.reason,
				`+want+` AS exemption_id
			FROM staged_results s JOIN r ON r.resource_no = s.resource_no WHERE s.scan_id = ? AND s.component = ''),
		h AS (
			INSERT INTO history (resource_ref, recommendation_id, component, at, scan_id, prev_status, status, reason,
				exemption_id)
			SELECT id, recommendation_id, '', `+now+`, `+id+`, '', status, reason, exemption_id FROM own),
		counted AS (
			INSERT INTO view_counts (scope, source, subscription, resource_group, recommendation_id, status, n)
			SELECT ?, `+sourceExpr+`, r.subscription, r.resource_group, r.recommendation_id, r.status, COUNT(*)
			FROM own r
			GROUP BY `+sourceExpr+`, r.subscription, r.resource_group, r.recommendation_id, r.status
			ON CONFLICT (scope, source, subscription, resource_group, recommendation_id, status)
			DO UPDATE SET n = view_counts.n + excluded.n)
		SELECT COUNT(*) FROM staged_results WHERE scan_id = ?`),
		sc.scope, sc.id, sc.id, sc.id, sc.scope, sc.id).Scan(&changes)
	if err != nil {
		return 0, fmt.Errorf("history and current state: %w", err)
	}
	return changes, nil
}

// removeUnseen ends the findings of the scope that the scan did not
// report (a resource deleted, a component removed) with a 'Removed'
// history row, on SQLite (PostgreSQL's applyChangesPG finds them in its
// own pass). It runs before applyChanges, so that the findings it reads
// are the previous scan's (none on a scope's first scan).
func (sc *Scan) removeUnseen(ctx context.Context, tx *sql.Tx, now int64) (int64, error) {
	s := sc.s
	unseen := ` FROM resources r JOIN findings f ON f.resource_ref = r.id
		LEFT JOIN staged_resources sr ON sr.scan_id = ? AND sr.resource_id = r.resource_id AND sr.deployment = r.deployment
		WHERE r.scope = ? AND NOT EXISTS (SELECT 1 FROM staged_results s WHERE s.scan_id = ?
			AND s.resource_no = sr.resource_no AND s.recommendation_id = f.recommendation_id AND s.component = f.component)`
	// A removed finding whose history was deferred gets its appearance
	// first (migration 00011).
	if _, err := tx.ExecContext(ctx, s.q(appearanceOf+unseen+` AND f.history_deferred = 1`), sc.id, sc.scope, sc.id); err != nil {
		return 0, fmt.Errorf("removed findings: deferred appearances: %w", err)
	}
	res, err := tx.ExecContext(ctx, s.q(`INSERT INTO history (resource_ref, recommendation_id, component, at, scan_id,
		prev_status, status, reason, exemption_id)
		SELECT f.resource_ref, f.recommendation_id, f.component, ?, ?, f.status, 'Removed', '', 0`+unseen),
		now, sc.id, sc.id, sc.scope, sc.id)
	if err != nil {
		return 0, fmt.Errorf("removed findings: %w", err)
	}
	removed, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("removed findings: %w", err)
	}
	if removed > 0 {
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM findings WHERE (resource_ref, recommendation_id, component) IN
			(SELECT resource_ref, recommendation_id, component FROM history WHERE at = ? AND scan_id = ? AND status = 'Removed')`),
			now, sc.id); err != nil {
			return 0, fmt.Errorf("removed findings: %w", err)
		}
	}
	return removed, nil
}

// dropStaging marks the resources the scan did not see gone and deletes
// its staged rows.
func (sc *Scan) dropStaging(ctx context.Context, tx *sql.Tx, now int64) error {
	s := sc.s
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE resources SET gone_at = ? WHERE scope = ? AND gone_at = 0
		AND NOT EXISTS (SELECT 1 FROM staged_resources s
			WHERE s.scan_id = ? AND s.resource_id = resources.resource_id AND s.deployment = resources.deployment)`),
		now, sc.scope, sc.id); err != nil {
		return fmt.Errorf("finish: %w", err)
	}
	whole, err := sc.stagingAlone(ctx, tx)
	if err != nil {
		return fmt.Errorf("finish: %w", err)
	}
	for _, table := range []string{"staged_results", "staged_resources"} {
		var err error
		switch {
		case whole && s.engine == Postgres:
			_, err = tx.ExecContext(ctx, "TRUNCATE "+table)
		case whole: // SQLite empties a table without visiting its rows when there is no WHERE
			_, err = tx.ExecContext(ctx, "DELETE FROM "+table)
		default:
			_, err = tx.ExecContext(ctx, s.q("DELETE FROM "+table+" WHERE scan_id = ?"), sc.id)
		}
		if err != nil {
			return fmt.Errorf("finish: drop the staging: %w", err)
		}
	}
	return nil
}

// stagingAlone reports whether the staging holds no rows of another
// running scan, so that it may be emptied whole instead of row by row
// (deleting a million staged rows cost a completion seconds): what it
// then drops besides the scan's own rows is what failed scans left,
// which never becomes current. On SQLite the completion's transaction is
// the only writer (BEGIN IMMEDIATE). On PostgreSQL another scan's ingest
// may be writing: the staging is locked first, without waiting (a lock
// held elsewhere, even by a reader, means the rows are deleted one by
// one instead), so that no ingest can stage rows between the check and
// the TRUNCATE, and no deadlock with one is possible. The lock is held
// until the completion commits (the read model's update, a fraction of
// a second): an ingest that starts meanwhile waits that long.
func (sc *Scan) stagingAlone(ctx context.Context, tx *sql.Tx) (bool, error) {
	s := sc.s
	if s.engine == Postgres {
		if _, err := tx.ExecContext(ctx, "SAVEPOINT staging_lock"); err != nil {
			return false, err
		}
		if _, err := tx.ExecContext(ctx, "LOCK TABLE staged_results, staged_resources IN ACCESS EXCLUSIVE MODE NOWAIT"); err != nil {
			var pg *pgconn.PgError
			if !errors.As(err, &pg) || pg.Code != "55P03" { // lock_not_available
				return false, fmt.Errorf("lock the staging: %w", err)
			}
			if _, rerr := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT staging_lock"); rerr != nil {
				return false, rerr
			}
			return false, nil
		}
		if _, err := tx.ExecContext(ctx, "RELEASE SAVEPOINT staging_lock"); err != nil {
			return false, err
		}
	}
	var others bool
	err := tx.QueryRowContext(ctx, s.q(`SELECT EXISTS (SELECT 1 FROM scans c WHERE c.status = 'running' AND c.id <> ?
		AND (EXISTS (SELECT 1 FROM staged_resources x WHERE x.scan_id = c.id)
		  OR EXISTS (SELECT 1 FROM staged_results y WHERE y.scan_id = c.id)))`), sc.id).Scan(&others)
	if err != nil {
		return false, fmt.Errorf("other scans' staging: %w", err)
	}
	return !others, nil
}
