-- Scans run as jobs by several workers (internal/jobs): the parts of a
-- scan (one per subscription) and the leases that keep one worker per
-- subscription and bound the subscriptions scanned at once.
-- (00002 and 00003 are reserved for other branches.)

-- +goose Up
-- A scan's parts: it completes only when every part is done. done_at is
-- set once, so a retried part never counts twice.
CREATE TABLE scan_parts (
    scan_id BIGINT NOT NULL,
    part    TEXT   NOT NULL,
    done_at BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (scan_id, part)
){{WITHOUT_ROWID}};

-- Leases: a key (a subscription, a tenant-wide slot) held by one holder
-- until an instant; an expired lease is free to take.
CREATE TABLE leases (
    lease_key TEXT   NOT NULL PRIMARY KEY,
    holder    TEXT   NOT NULL,
    until     BIGINT NOT NULL
){{WITHOUT_ROWID}};

-- +goose Down
DROP TABLE leases;
DROP TABLE scan_parts;
