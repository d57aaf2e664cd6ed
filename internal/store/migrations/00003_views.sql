-- The read model of kvguard serve's views (views.go): summaries kept up
-- to date when a scan completes, so that no view counts the findings or
-- the history on demand, and the indexes of the views' keyset
-- pagination.

-- +goose Up
-- The resources' own verdicts (component '') counted per scope, source,
-- subscription, resource group, recommendation and scanned status,
-- maintained incrementally from each completed scan's history rows.
CREATE TABLE view_counts (
    scope             TEXT   NOT NULL,
    source            TEXT   NOT NULL,
    subscription      TEXT   NOT NULL,
    resource_group    TEXT   NOT NULL,
    recommendation_id TEXT   NOT NULL,
    status            TEXT   NOT NULL,
    n                 BIGINT NOT NULL,
    PRIMARY KEY (scope, source, subscription, resource_group, recommendation_id, status)
){{WITHOUT_ROWID}};

-- The same counts summed per scope, source, recommendation and status:
-- what the overview reads when no place filter is set.
CREATE TABLE view_totals (
    scope             TEXT   NOT NULL,
    source            TEXT   NOT NULL,
    recommendation_id TEXT   NOT NULL,
    status            TEXT   NOT NULL,
    n                 BIGINT NOT NULL,
    PRIMARY KEY (scope, source, recommendation_id, status)
){{WITHOUT_ROWID}};
CREATE INDEX view_counts_subscription ON view_counts (subscription);

-- The same counts per tag (key and value) for the scopes with tagged
-- resources, rewritten for a scope when one of its scans completes
-- (tags are JSON text, read in Go).
CREATE TABLE view_tag_counts (
    scope             TEXT   NOT NULL,
    tag_key           TEXT   NOT NULL,
    tag_value         TEXT   NOT NULL,
    recommendation_id TEXT   NOT NULL,
    status            TEXT   NOT NULL,
    n                 BIGINT NOT NULL,
    PRIMARY KEY (scope, tag_key, tag_value, recommendation_id, status)
){{WITHOUT_ROWID}};
CREATE INDEX view_tag_counts_tag ON view_tag_counts (tag_key, tag_value);

-- The trend: the whole estate's counts per UTC day, recommendation and
-- status, as the last scan of the day left them.
CREATE TABLE view_trend (
    day               BIGINT NOT NULL,
    recommendation_id TEXT   NOT NULL,
    status            TEXT   NOT NULL,
    n                 BIGINT NOT NULL,
    PRIMARY KEY (day, recommendation_id, status)
){{WITHOUT_ROWID}};

-- Findings carrying an exemption: few, read to count Exempt.
CREATE INDEX findings_exempt ON findings (exemption_id) WHERE exemption_id <> 0;
-- Keyset pagination of the resources' verdicts by status.
CREATE INDEX findings_status ON findings (status, resource_ref, recommendation_id) WHERE component = '';
-- Keyset pagination of resources (and their findings) by place.
CREATE INDEX resources_subscription ON resources (subscription, id);
CREATE INDEX resources_group ON resources (resource_group, id);
-- A scan's transitions (new and fixed since the last scan).
CREATE INDEX history_scan ON history (scan_id);

-- A database from before this version: count what is current.
INSERT INTO view_counts (scope, source, subscription, resource_group, recommendation_id, status, n)
SELECT r.scope, CASE WHEN r.repository = '' THEN 'live' ELSE 'repository' END, r.subscription, r.resource_group,
       f.recommendation_id, f.status, COUNT(*)
FROM findings f JOIN resources r ON r.id = f.resource_ref
WHERE f.component = ''
GROUP BY r.scope, CASE WHEN r.repository = '' THEN 'live' ELSE 'repository' END, r.subscription, r.resource_group,
       f.recommendation_id, f.status;
INSERT INTO view_totals (scope, source, recommendation_id, status, n)
SELECT scope, source, recommendation_id, status, SUM(n) FROM view_counts
GROUP BY scope, source, recommendation_id, status;

-- +goose Down
DROP INDEX history_scan;
DROP INDEX resources_group;
DROP INDEX resources_subscription;
DROP INDEX findings_status;
DROP INDEX findings_exempt;
DROP TABLE view_trend;
DROP INDEX view_counts_subscription;
DROP TABLE view_totals;
DROP INDEX view_tag_counts_tag;
DROP TABLE view_tag_counts;
DROP TABLE view_counts;
