package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ErrPartsMissing is returned by Complete when a part of the scan (see
// AddParts) is not done: a scan is never completed with a part missing.
var ErrPartsMissing = errors.New("parts of the scan are not done")

// ResumeScan reopens a running scan by ID, in any process: a worker
// ingests into the scan another process began.
func (s *Store) ResumeScan(ctx context.Context, id int64) (*Scan, error) {
	si, err := s.ScanInfo(ctx, id)
	if err != nil {
		return nil, err
	}
	if si.Status != Running {
		return nil, fmt.Errorf("resume scan %d: it is %s: %w", id, si.Status, errNotRunning)
	}
	return &Scan{s: s, id: id, scope: si.Scope, info: si}, nil
}

// IsNotRunning reports whether err says the scan was failed, completed or
// taken over: retrying cannot help.
func IsNotRunning(err error) bool { return errors.Is(err, errNotRunning) }

// AddParts declares parts of the scan (subscriptions, say) that must be
// done before it may complete. Adding a part twice adds it once.
func (sc *Scan) AddParts(ctx context.Context, parts []string) error {
	s := sc.s
	return s.inTx(ctx, fmt.Sprintf("add parts to scan %d", sc.id), func(tx *sql.Tx) error {
		if err := sc.checkRunning(ctx, tx); err != nil {
			return err
		}
		b := s.newBatch(tx, "INSERT INTO scan_parts (scan_id, part, done_at) VALUES ", "ON CONFLICT (scan_id, part) DO NOTHING", 3)
		defer b.close()
		for _, p := range parts {
			if err := b.add(ctx, p, sc.id, p, int64(0)); err != nil {
				return err
			}
		}
		if err := b.flush(ctx); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q(`UPDATE scans SET progress_total = (SELECT COUNT(*) FROM scan_parts WHERE scan_id = ?),
			lease_until = ? WHERE id = ?`), sc.id, s.now()+s.opts.Lease.Milliseconds(), sc.id)
		return err
	})
}

// PartDone marks a part done, once: marking it again (a retried job)
// changes nothing. It returns how many parts remain, and renews the
// scan's lease; progress counts the parts done.
func (sc *Scan) PartDone(ctx context.Context, part string) (remaining int64, err error) {
	s := sc.s
	err = s.inTx(ctx, fmt.Sprintf("scan %d: part %s done", sc.id, part), func(tx *sql.Tx) error {
		// Parts done side by side must see each other: without the lock
		// two last parts committing together each counted the other as
		// remaining, and no one enqueued the completion.
		if err := sc.lockRow(ctx, tx); err != nil {
			return err
		}
		if err := sc.checkRunning(ctx, tx); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, s.q("UPDATE scan_parts SET done_at = ? WHERE scan_id = ? AND part = ? AND done_at = 0"),
			s.now(), sc.id, part)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			var exists int64
			if err := tx.QueryRowContext(ctx, s.q("SELECT COUNT(*) FROM scan_parts WHERE scan_id = ? AND part = ?"), sc.id, part).Scan(&exists); err != nil {
				return err
			}
			if exists == 0 {
				return fmt.Errorf("no part %q", part)
			}
		}
		if err := tx.QueryRowContext(ctx, s.q("SELECT COUNT(*) FROM scan_parts WHERE scan_id = ? AND done_at = 0"), sc.id).Scan(&remaining); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, s.q(`UPDATE scans SET progress_done = (SELECT COUNT(*) FROM scan_parts WHERE scan_id = ? AND done_at <> 0),
			lease_until = ? WHERE id = ?`), sc.id, s.now()+s.opts.Lease.Milliseconds(), sc.id)
		return err
	})
	return remaining, err
}

// lockRow locks the scan's row until tx ends, so that what tx counts
// afterwards includes every transaction that held the lock before
// (PostgreSQL's READ COMMITTED takes a snapshot per statement). SQLite
// has one writer at a time: nothing to lock.
func (sc *Scan) lockRow(ctx context.Context, tx *sql.Tx) error {
	if sc.s.engine != Postgres {
		return nil
	}
	if _, err := tx.ExecContext(ctx, "SELECT 1 FROM scans WHERE id = $1 FOR UPDATE", sc.id); err != nil {
		return fmt.Errorf("lock scan %d: %w", sc.id, err)
	}
	return nil
}

// IsPartDone reports whether part is done: a retried job whose earlier
// attempt did the work, and died before its queue heard of it, need not
// read the subscription again.
func (sc *Scan) IsPartDone(ctx context.Context, part string) (bool, error) {
	var n int64
	if err := sc.s.db.QueryRowContext(ctx, sc.s.q("SELECT COUNT(*) FROM scan_parts WHERE scan_id = ? AND part = ? AND done_at <> 0"), sc.id, part).Scan(&n); err != nil {
		return false, fmt.Errorf("scan %d part %s: %w", sc.id, part, err)
	}
	return n > 0, nil
}

// PartsRemaining counts the parts not yet done.
func (sc *Scan) PartsRemaining(ctx context.Context) (int64, error) {
	var n int64
	if err := sc.s.db.QueryRowContext(ctx, sc.s.q("SELECT COUNT(*) FROM scan_parts WHERE scan_id = ? AND done_at = 0"), sc.id).Scan(&n); err != nil {
		return 0, fmt.Errorf("scan %d parts: %w", sc.id, err)
	}
	return n, nil
}

func partsMissing(ctx context.Context, s *Store, tx *sql.Tx, id int64) error {
	var n int64
	if err := tx.QueryRowContext(ctx, s.q("SELECT COUNT(*) FROM scan_parts WHERE scan_id = ? AND done_at = 0"), id).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("%d %w", n, ErrPartsMissing)
	}
	return nil
}

// TryLease takes the lease key for holder until ttl from now, when it is
// free, expired or already holder's (a renewal). It reports whether
// holder holds it. One statement, atomic on both engines.
func (s *Store) TryLease(ctx context.Context, key, holder string, ttl time.Duration) (bool, error) {
	now := s.now()
	res, err := s.db.ExecContext(ctx, s.q(`INSERT INTO leases (lease_key, holder, until) VALUES (?, ?, ?)
		ON CONFLICT (lease_key) DO UPDATE SET holder = excluded.holder, until = excluded.until
		WHERE leases.until < ? OR leases.holder = excluded.holder`), key, holder, now+ttl.Milliseconds(), now)
	if err != nil {
		return false, fmt.Errorf("lease %s: %w", key, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("lease %s: %w", key, err)
	}
	return n == 1, nil
}

// ReleaseLease frees key if holder holds it.
func (s *Store) ReleaseLease(ctx context.Context, key, holder string) error {
	if _, err := s.db.ExecContext(ctx, s.q("DELETE FROM leases WHERE lease_key = ? AND holder = ?"), key, holder); err != nil {
		return fmt.Errorf("release lease %s: %w", key, err)
	}
	return nil
}
