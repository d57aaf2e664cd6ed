-- Compact staging (issue 13: ingest the 1,000,000-secret estate in under
-- 10 s). A staged verdict names its resource by resource_no, a number
-- the ingest that first staged the resource gave it (increasing, so that
-- staged rows are appended, not scattered; see ingest.go), instead of
-- repeating a 120-byte resource ID on every row: the staging shrinks
-- threefold and so does the work of writing, joining and deleting it.
-- Staged rows are never current, so the old tables are dropped; a scan
-- still running when the store is upgraded is failed first (its rows
-- would be lost), and its job or caller starts it again.

-- +goose Up
UPDATE scans SET status = 'failed', error = 'interrupted: the store was upgraded while the scan ran'
    WHERE status = 'running';
DROP TABLE staged_results;
DROP TABLE staged_resources;

CREATE TABLE staged_resources (
    scan_id        BIGINT NOT NULL,
    resource_id    TEXT   NOT NULL,
    deployment     TEXT   NOT NULL,
    resource_no    BIGINT NOT NULL,
    -- The number the latest ingest gave the resource: when it differs
    -- from resource_no, that ingest's rows are renumbered (a retry).
    latest_no      BIGINT NOT NULL,
    name           TEXT   NOT NULL,
    type           TEXT   NOT NULL,
    subscription   TEXT   NOT NULL,
    resource_group TEXT   NOT NULL,
    source_kind    TEXT   NOT NULL,
    file           TEXT   NOT NULL,
    line           BIGINT NOT NULL,
    address        TEXT   NOT NULL,
    placeholder    BIGINT NOT NULL,
    tags           TEXT   NOT NULL,
    PRIMARY KEY (scan_id, resource_id, deployment)
){{WITHOUT_ROWID}};
-- Two ingests that drew the same numbers are refused, never merged.
CREATE UNIQUE INDEX staged_resources_no ON staged_resources (scan_id, resource_no);

-- What a running scan has ingested so far: never current. Keyed by
-- scan × resource × recommendation × component so a retried ingest
-- overwrites instead of duplicating.
CREATE TABLE staged_results (
    scan_id           BIGINT NOT NULL,
    resource_no       BIGINT NOT NULL,
    recommendation_id TEXT   NOT NULL,
    component         TEXT   NOT NULL,
    status            TEXT   NOT NULL,
    reason            TEXT   NOT NULL,
    PRIMARY KEY (scan_id, resource_no, recommendation_id, component)
){{WITHOUT_ROWID}};

-- +goose Down
UPDATE scans SET status = 'failed', error = 'interrupted: the store was downgraded while the scan ran'
    WHERE status = 'running';
DROP TABLE staged_results;
DROP TABLE staged_resources;
CREATE TABLE staged_results (
    scan_id           BIGINT NOT NULL,
    resource_id       TEXT   NOT NULL,
    deployment        TEXT   NOT NULL,
    recommendation_id TEXT   NOT NULL,
    component         TEXT   NOT NULL,
    status            TEXT   NOT NULL,
    reason            TEXT   NOT NULL,
    PRIMARY KEY (scan_id, resource_id, deployment, recommendation_id, component)
){{WITHOUT_ROWID}};
CREATE TABLE staged_resources (
    scan_id        BIGINT NOT NULL,
    resource_id    TEXT   NOT NULL,
    deployment     TEXT   NOT NULL,
    name           TEXT   NOT NULL,
    type           TEXT   NOT NULL,
    subscription   TEXT   NOT NULL,
    resource_group TEXT   NOT NULL,
    source_kind    TEXT   NOT NULL,
    file           TEXT   NOT NULL,
    line           BIGINT NOT NULL,
    address        TEXT   NOT NULL,
    placeholder    BIGINT NOT NULL,
    tags           TEXT   NOT NULL,
    PRIMARY KEY (scan_id, resource_id, deployment)
){{WITHOUT_ROWID}};
