-- Issue 13 (kvguard serve): what a live scan learns about the estate
-- besides verdicts (metadata.go). Neither table feeds a verdict or a
-- report; the views read them.

-- +goose Up
-- Each subscription's management-group ancestry, nearest group first
-- (depth 0), as the last live scan that read it found it. Names are
-- lower case (Azure compares them so); a subscription directly below the
-- tenant root group has one row, the root.
CREATE TABLE subscription_groups (
    subscription     TEXT   NOT NULL,
    depth            BIGINT NOT NULL,
    management_group TEXT   NOT NULL,
    display_name     TEXT   NOT NULL,
    read_at          BIGINT NOT NULL,
    PRIMARY KEY (subscription, depth)
){{WITHOUT_ROWID}};
-- The views' management-group filter: the group's subscriptions, whose
-- resources and counts the subscription indexes then find.
CREATE INDEX subscription_groups_group ON subscription_groups (management_group, subscription);
-- The counts of a set of subscriptions read from the index alone: a group
-- above all 100 subscriptions of BenchmarkViews summed 32,000 counts in
-- 200 ms through view_counts_subscription (a lookup of n per row), 50 ms
-- through this index. It serves the subscription filter too, so it
-- replaces that index.
CREATE INDEX view_counts_place ON view_counts (subscription, recommendation_id, status, n);
DROP INDEX view_counts_subscription;

-- The secrets, keys and certificates of each vault as the last live scan
-- listed them: metadata only (never a value). resource_id is the vault's
-- ID in lower case; kind is secret, key or certificate; enabled is 1, 0,
-- or -1 when unknown; expires_at is Unix milliseconds, 0 for none.
CREATE TABLE component_details (
    resource_id TEXT   NOT NULL,
    kind        TEXT   NOT NULL,
    name        TEXT   NOT NULL,
    enabled     BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    read_at     BIGINT NOT NULL,
    PRIMARY KEY (resource_id, kind, name)
){{WITHOUT_ROWID}};

-- +goose Down
CREATE INDEX view_counts_subscription ON view_counts (subscription);
DROP INDEX view_counts_place;
DROP TABLE component_details;
DROP INDEX subscription_groups_group;
DROP TABLE subscription_groups;
