-- Issue 13 (the 1,000,000-secret estate in under 10 s on PostgreSQL):
-- staged_results is UNLOGGED on PostgreSQL. A scan's staged verdicts are
-- never current and are dropped when it completes; writing them to the
-- write-ahead log as well cost the estate's ingest some 300 MB of WAL.
-- An unlogged table survives a clean restart and is emptied by the crash
-- recovery of PostgreSQL. staged_resources stays logged (a row per
-- resource, a hundredth of the rows): a staged resource left without a
-- staged verdict is then the sign of that loss, and Complete fails the
-- scan instead of completing it short (complete.go, ErrStagingLost).
-- SQLite has no such tables: {{PG}} comments the lines out there.

-- +goose Up
{{PG}}ALTER TABLE staged_results SET UNLOGGED;
SELECT 1;

-- +goose Down
{{PG}}ALTER TABLE staged_results SET LOGGED;
SELECT 1;
