package store

import (
	"context"
	"database/sql"
	"errors"
	"iter"
	"strings"
)

// batchRows is how many rows one INSERT carries: well under SQLite's
// 32,766 and PostgreSQL's 65,535 parameters.
const batchRows = 400

// batch accumulates the rows of one multi-row INSERT … ON CONFLICT. The
// keys in the pending statement are remembered (as hashes: a collision
// only flushes early) because PostgreSQL refuses a statement that updates
// one row twice.
type batch struct {
	s          *Store
	tx         *sql.Tx
	head, tail string
	cols       int
	args       []any
	keys       map[uint64]struct{}
	full       *sql.Stmt
	// send, when set, hands a full statement's arguments to the
	// goroutine that executes it (see pipeline) instead of executing it.
	send func(*batch, []any) error
	// rows is how many rows a flush carries (batchRows unless copying).
	rows int
	// copy, when set, writes the rows instead of INSERT (see copy.go).
	copy func(ctx context.Context, args []any) error
	// copied counts the rows COPY wrote, all of them new rows; fellBack
	// says a batch met a key already written and was upserted instead,
	// so that copied no longer counts the rows added.
	copied   int64
	fellBack bool
}

func (s *Store) newBatch(tx *sql.Tx, head, tail string, cols int) *batch {
	return &batch{s: s, tx: tx, head: head, tail: tail, cols: cols, keys: map[uint64]struct{}{},
		args: make([]any, 0, batchRows*cols), rows: batchRows}
}

// add appends a row whose conflict key is key.
func (b *batch) add(ctx context.Context, key string, vals ...any) error {
	return b.addHashed(ctx, hashKey(key), vals...)
}

// addHashed appends a row whose conflict key hashes to key.
func (b *batch) addHashed(ctx context.Context, key uint64, vals ...any) error {
	if _, dup := b.keys[key]; dup {
		if err := b.flush(ctx); err != nil {
			return err
		}
	}
	b.keys[key] = struct{}{}
	b.args = append(b.args, vals...)
	if len(b.args) >= b.rows*b.cols {
		return b.flush(ctx)
	}
	return nil
}

// hashKey is FNV-1a over the parts, each followed by a zero byte.
func hashKey(parts ...string) uint64 {
	const prime = 1099511628211
	h := uint64(14695981039346656037)
	for _, p := range parts {
		for i := 0; i < len(p); i++ {
			h ^= uint64(p[i])
			h *= prime
		}
		h *= prime // the separator, a zero byte
	}
	return h
}

func (b *batch) sql(n int) string {
	var sb strings.Builder
	sb.WriteString(b.head)
	row := "(" + strings.Repeat("?, ", b.cols-1) + "?)"
	for i := range n {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(row)
	}
	sb.WriteString(" ")
	sb.WriteString(b.tail)
	return b.s.q(sb.String())
}

func (b *batch) flush(ctx context.Context) error {
	if len(b.args) == 0 {
		return nil
	}
	clear(b.keys)
	if b.send != nil {
		args := b.args
		b.args = make([]any, 0, b.rows*b.cols)
		return b.send(b, args)
	}
	if err := b.exec(ctx, b.args); err != nil {
		return err
	}
	clear(b.args) // drop the references for the collector
	b.args = b.args[:0]
	return nil
}

// exec writes the rows of args: copied, or by the statement, prepared
// once for full batches.
func (b *batch) exec(ctx context.Context, args []any) error {
	if b.copy != nil {
		return b.copy(ctx, args)
	}
	return b.insert(ctx, args)
}

// insert runs the statement over args, batchRows rows at a time.
func (b *batch) insert(ctx context.Context, args []any) error {
	for len(args) > batchRows*b.cols {
		if err := b.insert(ctx, args[:batchRows*b.cols]); err != nil {
			return err
		}
		args = args[batchRows*b.cols:]
	}
	n := len(args) / b.cols
	var err error
	if n == batchRows {
		if b.full == nil {
			if b.full, err = b.tx.PrepareContext(ctx, b.sql(n)); err != nil {
				return err
			}
		}
		_, err = b.full.ExecContext(ctx, args...)
	} else {
		_, err = b.tx.ExecContext(ctx, b.sql(n), args...)
	}
	return err
}

func (b *batch) close() {
	if b.full != nil {
		_ = b.full.Close()
	}
}

// pipeline stages rows in two goroutines: the caller's, which reads the
// rows (decoding a report, merging a result's runs) and builds the
// statements' arguments, and the transaction's, which executes them. On
// two cores the reading is hidden behind the database's work.
type pipeline struct {
	jobs chan job
	stop chan struct{}
}

type job struct {
	b    *batch
	args []any
}

// errPipelineStopped ends the reading goroutine when the executing one
// failed: the executor's error is the one returned.
var errPipelineStopped = errors.New("stopped: a statement failed")

// stage runs st over rows: it reads them in a new goroutine and executes
// the statements in this one, returning the first error of either.
func stage(ctx context.Context, st *stager, rows iter.Seq[Row]) error {
	p := pipeline{jobs: make(chan job, 4), stop: make(chan struct{})}
	send := func(b *batch, args []any) error {
		select {
		case p.jobs <- job{b, args}:
			return nil
		case <-p.stop:
			return errPipelineStopped
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	st.resources.send, st.results.send = send, send
	var readErr error
	go func() {
		defer close(p.jobs)
		for r := range rows {
			if readErr = st.add(ctx, r); readErr != nil {
				return
			}
		}
		if readErr = st.resources.flush(ctx); readErr == nil {
			readErr = st.results.flush(ctx)
		}
	}()
	var execErr error
	for j := range p.jobs { // closed when the reader is done: readErr is set
		if execErr != nil {
			continue
		}
		if execErr = j.b.exec(ctx, j.args); execErr != nil {
			close(p.stop)
		}
	}
	st.resources.send, st.results.send = nil, nil
	if execErr != nil {
		return execErr
	}
	return readErr
}
