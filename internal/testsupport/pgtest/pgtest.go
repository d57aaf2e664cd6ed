// Package pgtest gives a test a PostgreSQL schema of its own on the
// server KVGUARD_TEST_POSTGRES names, dropped when the test ends, so that
// tests of several packages share one database without seeing each
// other's tables.
package pgtest

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// Env names the variable holding the PostgreSQL connection URL.
const Env = "KVGUARD_TEST_POSTGRES"

// Schema creates a schema named prefix plus a random suffix and returns a
// DSN whose search_path is that schema, or "" (logging how to run the
// PostgreSQL half) when Env is not set.
func Schema(t testing.TB, prefix string) (dsn, schema string) {
	t.Helper()
	base := os.Getenv(Env)
	if base == "" {
		t.Logf("PostgreSQL part skipped: set %s=postgres://user@host:5432/db?sslmode=disable to run it", Env)
		return "", ""
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open %s: %v", Env, err)
	}
	t.Cleanup(func() { _ = admin.Close() })
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema = prefix + hex.EncodeToString(b[:])
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("create schema on %s: %v", Env, err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema + "&application_name=" + schema, schema
}

// Engine is a fresh, empty database on one engine.
type Engine struct {
	Name string // "sqlite" or "postgres"
	DSN  string
	// Schema is the PostgreSQL schema the test owns ("" for SQLite).
	Schema string
}

// Engines returns a fresh SQLite file in the test's temporary directory
// and, when Env is set, a fresh PostgreSQL schema named with prefix
// (dropped at the end), so that parallel test binaries never share tables.
func Engines(t testing.TB, prefix string) []Engine {
	t.Helper()
	out := []Engine{{Name: "sqlite", DSN: filepath.Join(t.TempDir(), "kvguard.db")}}
	if dsn, schema := Schema(t, prefix); dsn != "" {
		out = append(out, Engine{Name: "postgres", DSN: dsn, Schema: schema})
	}
	return out
}
