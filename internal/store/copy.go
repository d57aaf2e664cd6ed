package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// copyRows is how many staged results one COPY carries on PostgreSQL.
// Each COPY costs a savepoint, its release and a round trip of its own;
// with 20,000 rows instead of 5,000 the 1,000,000-secret estate's ingest
// took 2.9 server CPU-seconds instead of 3.3 and 1.7 client ones instead
// of 2.0 (back to back, load 4). A batch in the pipeline is then some
// 3 MB of arguments, the strings shared with the rows.
const copyRows = 20000

// bulkCacheKiB is the SQLite page cache (in KiB) of a transaction that
// writes a scan's rows in bulk (an ingest, a completion), against the
// 64 MiB every connection has otherwise: a completion of the
// million-secret estate dirties some 250 MB of history and current
// state, and with the smaller cache SQLite spilled pages to the WAL in
// the middle of the transaction and wrote many of them twice (230 MB
// more written, the completion 40% slower). Only the connection running
// the transaction grows it, and it is given back afterwards. The same
// transaction keeps SQLite's statement journals in memory (temp_store):
// each multi-row INSERT of an ingest journals the pages it changes, and
// on disk that was 150,000 writes to a temporary file per million rows.
const bulkCacheKiB = 256 << 10

// inConnTx is inTx on a connection of its own, which fn may also use
// directly (conn.Raw) inside the transaction: for COPY on PostgreSQL,
// and on SQLite for the larger page cache of bulk writes.
func (s *Store) inConnTx(ctx context.Context, what string, fn func(*sql.Conn, *sql.Tx) error) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("%s: connect: %w", what, err)
	}
	defer func() { _ = conn.Close() }()
	if s.engine == SQLite {
		if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA cache_size = -%d", bulkCacheKiB)); err != nil {
			return fmt.Errorf("%s: page cache: %w", what, err)
		}
		if _, err := conn.ExecContext(ctx, "PRAGMA temp_store = MEMORY"); err != nil {
			return fmt.Errorf("%s: temp store: %w", what, err)
		}
		defer func() {
			// Back to the DSN's size, the memory returned: a failure
			// leaves a connection with a larger cache, not a wrong one.
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), fmt.Sprintf("PRAGMA cache_size = -%d", cacheKiB))
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA temp_store = DEFAULT")
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA shrink_memory")
		}()
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: begin: %w", what, err)
	}
	if err := fn(conn, tx); err != nil {
		_ = tx.Rollback()
		return fmt.Errorf("%s: %w", what, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: commit: %w", what, err)
	}
	return nil
}

// copyInto makes b write its rows to table with COPY, through conn (the
// connection b's transaction runs on). COPY cannot resolve a conflict: a
// batch that repeats a key (a malformed input naming one verdict twice)
// is rolled back to a savepoint and written by b's INSERT … ON CONFLICT
// instead, its last row for each key winning as in the INSERT path.
func copyInto(b *batch, conn *sql.Conn, table string, cols []string, key func(row []any) string) {
	b.rows = copyRows
	b.copy = func(ctx context.Context, args []any) error {
		n := len(args) / b.cols
		if _, err := b.tx.ExecContext(ctx, "SAVEPOINT staging"); err != nil {
			return err
		}
		err := conn.Raw(func(dc any) error {
			c, ok := dc.(*stdlib.Conn)
			if !ok {
				return fmt.Errorf("copy into %s: the driver's connection is a %T, not pgx's", table, dc)
			}
			_, err := c.Conn().CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromSlice(n, func(i int) ([]any, error) {
				return args[i*b.cols : (i+1)*b.cols], nil
			}))
			return err
		})
		var pg *pgconn.PgError
		if errors.As(err, &pg) && pg.Code == "23505" {
			if _, err := b.tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT staging"); err != nil {
				return err
			}
			b.fellBack = true
			return b.insert(ctx, lastPerKey(args, b.cols, key))
		}
		if err != nil {
			return fmt.Errorf("copy into %s: %w", table, err)
		}
		if _, err := b.tx.ExecContext(ctx, "RELEASE SAVEPOINT staging"); err != nil {
			return err
		}
		b.copied += int64(n)
		return nil
	}
}

// lastPerKey keeps, of rows with the same key, the last, in order: what
// INSERT … ON CONFLICT DO UPDATE row after row would leave.
func lastPerKey(args []any, cols int, key func(row []any) string) []any {
	n := len(args) / cols
	last := make(map[string]int, n)
	for i := range n {
		last[key(args[i*cols:(i+1)*cols])] = i
	}
	out := make([]any, 0, len(args))
	for i := range n {
		row := args[i*cols : (i+1)*cols]
		if last[key(row)] == i {
			out = append(out, row...)
		}
	}
	return out
}
