// Package store keeps kvguard's assessments over time for kvguard serve:
// scans, the current state of every resource × recommendation, its
// history as transitions (not a copy per scan), exemptions, owner rules
// and an audit log. One schema runs on two engines through database/sql:
// SQLite (modernc.org/sqlite, pure Go) embedded by default and PostgreSQL
// (pgx) for teams; its versioned migrations (goose) are applied on Open.
// It stores verdicts and reasons, never a secret's value: the result
// model it reads has none.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Engine names a database engine.
type Engine string

// The engines.
const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// Recovery says which running scans Open marks failed.
type Recovery int

// The recoveries.
const (
	// RecoverAll fails every scan still running at Open: this process is
	// the only one that runs scans on the database, so any such scan was
	// interrupted (the single-binary default).
	RecoverAll Recovery = iota
	// RecoverExpired fails only the scans whose lease ran out: several
	// processes share the database and another may be scanning.
	RecoverExpired
)

// Options configure a Store.
type Options struct {
	// Now is the clock (time.Now when nil): exemption expiry, leases,
	// retention and every recorded instant read it, so tests inject one.
	Now func() time.Time
	// Logger receives diagnostics (slog.Default when nil).
	Logger *slog.Logger
	// Lease is how long a running scan holds its scope without a sign of
	// life (Progress, Ingest) before another may take it over (10 minutes
	// when 0).
	Lease time.Duration
	// Retention is how long history, finished scans and gone resources
	// are kept (400 days when 0; negative keeps everything).
	Retention time.Duration
	// Recover chooses which running scans Open marks failed.
	Recover Recovery
}

// Store is an open database.
type Store struct {
	db     *sql.DB
	engine Engine
	opts   Options
	log    *slog.Logger
}

// ErrScopeBusy is returned by Begin when a scan of the same scope is
// running.
var ErrScopeBusy = errors.New("a scan of this scope is already running")

// Open opens (creating when needed) the database named by dsn and applies
// the migrations. A dsn starting with postgres:// or postgresql:// is a
// PostgreSQL connection string; anything else is a SQLite file path.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Lease == 0 {
		opts.Lease = 10 * time.Minute
	}
	if opts.Retention == 0 {
		opts.Retention = 400 * 24 * time.Hour
	}
	s := &Store{opts: opts, log: opts.Logger}
	var err error
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		s.engine = Postgres
		s.db, err = openPostgres(dsn)
	} else {
		s.engine = SQLite
		s.db, err = sql.Open("sqlite", sqliteDSN(dsn))
	}
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", s.engine, err)
	}
	if err := s.db.PingContext(ctx); err != nil {
		_ = s.db.Close()
		return nil, fmt.Errorf("connect to the %s database: %w", s.engine, err)
	}
	if err := s.migrate(ctx); err != nil {
		_ = s.db.Close()
		return nil, err
	}
	if err := s.recoverScans(ctx); err != nil {
		_ = s.db.Close()
		return nil, err
	}
	return s, nil
}

// openPostgres opens a PostgreSQL pool whose sessions run without JIT
// compilation (unless the DSN sets jit itself): kvguard's statements are
// short reads and bulk writes, and the planner's estimate for completing
// a million-row scan made PostgreSQL compile it (EXPLAIN ANALYZE on a
// loaded machine: JIT 2,045 ms of a 16 s statement) for no gain.
func openPostgres(dsn string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	if _, set := cfg.RuntimeParams["jit"]; !set {
		cfg.RuntimeParams["jit"] = "off"
	}
	return stdlib.OpenDB(*cfg), nil
}

// cacheKiB is a SQLite connection's page cache in KiB (see bulkCacheKiB).
const cacheKiB = 64 << 10

// sqliteDSN adds the settings every connection needs: WAL so readers do
// not wait for the writer, a busy timeout so that processes sharing the
// file wait for each other's locks instead of failing, immediate write
// transactions so that two writers never deadlock upgrading a read lock,
// and full sync so an acknowledged commit survives a power cut.
func sqliteDSN(path string) string {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	if !strings.HasPrefix(path, "file:") {
		path = "file:" + path
	}
	return path + sep + "_pragma=busy_timeout(30000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=cache_size(-" + strconv.Itoa(cacheKiB) + ")&_txlock=immediate"
}

// Engine reports the database engine.
func (s *Store) Engine() Engine { return s.engine }

// DB is the underlying database, for the server's own reads.
func (s *Store) DB() *sql.DB { return s.db }

// Close closes the database.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close the %s database: %w", s.engine, err)
	}
	return nil
}

func (s *Store) now() int64 { return s.opts.Now().UnixMilli() }

// q rewrites a query written with ? placeholders for the engine:
// PostgreSQL numbers them ($1, $2, …).
func (s *Store) q(query string) string {
	if s.engine != Postgres || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

// isUnique reports whether err is a unique-constraint violation, on
// either engine.
func isUnique(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "23505"
	}
	var lite *sqlite.Error
	if errors.As(err, &lite) {
		return lite.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE
	}
	return false
}

// inTx runs fn in a transaction, committing when it returns nil.
func (s *Store) inTx(ctx context.Context, what string, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: begin: %w", what, err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return fmt.Errorf("%s: %w", what, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: commit: %w", what, err)
	}
	return nil
}

// Size is the database's size on disk in bytes: the SQLite file's pages
// (the WAL checkpointed first), or the PostgreSQL schema's relations.
func (s *Store) Size(ctx context.Context) (int64, error) {
	var n int64
	var err error
	if s.engine == SQLite {
		if _, err = s.db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
			return 0, fmt.Errorf("store size: checkpoint: %w", err)
		}
		err = s.db.QueryRowContext(ctx,
			"SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()").Scan(&n)
	} else {
		err = s.db.QueryRowContext(ctx, `SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0)::bigint
			FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'm')`).Scan(&n)
	}
	if err != nil {
		return 0, fmt.Errorf("store size: %w", err)
	}
	return n, nil
}

// Backup writes a consistent copy of a SQLite database to path (VACUUM
// INTO: a compacted snapshot taken while the store stays open). The file
// must not exist. PostgreSQL is backed up with pg_dump (docs/serve.md).
func (s *Store) Backup(ctx context.Context, path string) error {
	if s.engine != SQLite {
		return fmt.Errorf("backup: use pg_dump for a PostgreSQL store (docs/serve.md)")
	}
	if _, err := s.db.ExecContext(ctx, "VACUUM INTO ?", path); err != nil {
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	return nil
}
