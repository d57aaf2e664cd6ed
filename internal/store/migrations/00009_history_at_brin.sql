-- Issue 13 (the 1,000,000-secret estate in under 10 s on PostgreSQL):
-- history_at, the index retention deletes through (and a completion
-- finds its 'Removed' rows by), becomes a BRIN index on PostgreSQL.
-- History is appended in the order of its instants, so a block range's
-- minimum and maximum find the rows as well as a b-tree did, and
-- maintaining it costs a summary per 128 pages instead of an index entry
-- per row (a million entries per first scan of the estate). SQLite has
-- no BRIN and keeps its b-tree: {{PG}} comments the lines out there.

-- +goose Up
{{PG}}DROP INDEX history_at;
{{PG}}CREATE INDEX history_at ON history USING BRIN (at);
SELECT 1;

-- +goose Down
{{PG}}DROP INDEX history_at;
{{PG}}CREATE INDEX history_at ON history (at);
SELECT 1;
