package store

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kvguard/kvguard/internal/assess"
	"github.com/kvguard/kvguard/internal/testsupport/pgtest"
	"github.com/kvguard/kvguard/internal/testsupport/testclock"
)

// postgresEnv names the PostgreSQL server the tests use besides SQLite.
const postgresEnv = pgtest.Env

// clock is the injected clock: tests move it, never sleep.
type clock = testclock.Clock

func newClock() *clock { return testclock.New() }

// engines returns a fresh SQLite file and, when KVGUARD_TEST_POSTGRES is
// set, a fresh PostgreSQL schema (dropped at the end).
func engines(t testing.TB) []pgtest.Engine { return pgtest.Engines(t, "kvguard_test_") }

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func open(t testing.TB, dsn string, c *clock, opts ...func(*Options)) *Store {
	t.Helper()
	o := Options{Now: c.Now, Logger: quiet()}
	for _, f := range opts {
		f(&o)
	}
	s, err := Open(context.Background(), dsn, o)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// verdict is a compact row for tests: resource, recommendation,
// component, status, reason.
type verdict struct{ res, rec, comp, status, reason string }

func rowsOf(vs []verdict) func(func(Row) bool) {
	infos := map[string]*ResourceInfo{}
	return func(yield func(Row) bool) {
		for _, v := range vs {
			ri := infos[v.res]
			if ri == nil {
				ri = &ResourceInfo{ID: v.res, Name: filepath.Base(v.res), Type: "Microsoft.KeyVault/vaults"}
				infos[v.res] = ri
			}
			if !yield(Row{Resource: ri, Recommendation: v.rec, Component: v.comp, Status: assess.Status(v.status), Reason: v.reason}) {
				return
			}
		}
	}
}

// scanOnce runs a whole scan of scope with the verdicts.
func scanOnce(t testing.TB, s *Store, scope string, vs []verdict) *Scan {
	t.Helper()
	ctx := context.Background()
	sc, err := s.Begin(ctx, scope, Live, Labels{})
	if err != nil {
		t.Fatalf("begin: %v", err)
	}
	if err := sc.IngestRows(ctx, rowsOf(vs), nil, nil); err != nil {
		t.Fatalf("ingest: %v", err)
	}
	if err := sc.Complete(ctx); err != nil {
		t.Fatalf("complete: %v", err)
	}
	return sc
}

// state renders the current findings as "resource rec comp effective reason" lines.
func state(t testing.TB, s *Store, f Filter) []string {
	t.Helper()
	fs, err := s.Current(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, x := range fs {
		out = append(out, strings.Join([]string{filepath.Base(x.ResourceID), x.Recommendation, x.Component, string(x.Effective), x.Reason}, " "))
	}
	return out
}

const (
	vaultA = "/subscriptions/00000000-0000-0000-0000-00000000000a/resourceGroups/rg-a/providers/Microsoft.KeyVault/vaults/kv-a"
	vaultB = "/subscriptions/00000000-0000-0000-0000-00000000000b/resourceGroups/rg-b/providers/Microsoft.KeyVault/vaults/kv-b"
)
