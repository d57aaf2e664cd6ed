-- A pushed report's idempotency key (the Idempotency-Key header that
-- kvguard scan --push sends, the same on every retry of one push): a
-- retry after a lost answer finds the scan the first attempt made
-- instead of making a second one. Unique among the scans that have one;
-- a failed scan's key is cleared when its push is tried again.

-- +goose Up
ALTER TABLE scans ADD COLUMN push_key TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX scans_push_key ON scans (push_key) WHERE push_key <> '';

-- +goose Down
DROP INDEX scans_push_key;
ALTER TABLE scans DROP COLUMN push_key;
