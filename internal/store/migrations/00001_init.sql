-- The store's first schema. One file for both engines: {{ID}} and
-- {{WITHOUT_ROWID}} are filled in per engine (store.go, migrations), every
-- other statement is the SQL both SQLite and PostgreSQL accept.
-- Instants are BIGINT milliseconds since the Unix epoch (UTC), so that
-- both engines compare and index them the same way.

-- +goose Up
CREATE TABLE scans (
    id             {{ID}},
    scope          TEXT    NOT NULL,
    source         TEXT    NOT NULL,
    repository     TEXT    NOT NULL DEFAULT '',
    branch         TEXT    NOT NULL DEFAULT '',
    commit_sha     TEXT    NOT NULL DEFAULT '',
    pipeline_url   TEXT    NOT NULL DEFAULT '',
    started_at     BIGINT  NOT NULL,
    finished_at    BIGINT  NOT NULL DEFAULT 0,
    lease_until    BIGINT  NOT NULL,
    status         TEXT    NOT NULL,
    error          TEXT    NOT NULL DEFAULT '',
    progress_done  BIGINT  NOT NULL DEFAULT 0,
    progress_total BIGINT  NOT NULL DEFAULT 0,
    results        BIGINT  NOT NULL DEFAULT 0,
    changes        BIGINT  NOT NULL DEFAULT 0,
    input_errors   BIGINT  NOT NULL DEFAULT 0
);
-- The scope lock: at most one running scan per scope, enforced by the
-- database for every process that shares it.
CREATE UNIQUE INDEX scans_one_running ON scans (scope) WHERE status = 'running';
CREATE INDEX scans_scope_started ON scans (scope, started_at);

CREATE TABLE scan_errors (
    scan_id     BIGINT NOT NULL,
    seq         BIGINT NOT NULL,
    severity    TEXT   NOT NULL,
    file        TEXT   NOT NULL DEFAULT '',
    line        BIGINT NOT NULL DEFAULT 0,
    col         BIGINT NOT NULL DEFAULT 0,
    resource_id TEXT   NOT NULL DEFAULT '',
    message     TEXT   NOT NULL,
    PRIMARY KEY (scan_id, seq)
){{WITHOUT_ROWID}};

-- What a running scan has ingested so far: never current. Keyed by
-- scan × resource × recommendation × component so a retried ingest
-- overwrites instead of duplicating.
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

-- Resources a completed scan of a scope has seen; findings and history
-- refer to them by id so that a long resource ID is stored once.
CREATE TABLE resources (
    id             {{ID}},
    scope          TEXT   NOT NULL,
    resource_id    TEXT   NOT NULL,
    deployment     TEXT   NOT NULL,
    name           TEXT   NOT NULL,
    type           TEXT   NOT NULL,
    subscription   TEXT   NOT NULL,
    resource_group TEXT   NOT NULL,
    source_kind    TEXT   NOT NULL,
    repository     TEXT   NOT NULL,
    commit_sha     TEXT   NOT NULL,
    file           TEXT   NOT NULL,
    line           BIGINT NOT NULL,
    address        TEXT   NOT NULL,
    placeholder    BIGINT NOT NULL,
    tags           TEXT   NOT NULL,
    first_seen     BIGINT NOT NULL,
    last_seen      BIGINT NOT NULL,
    gone_at        BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX resources_key ON resources (scope, resource_id, deployment);

-- The current state: one row per resource × recommendation × component
-- ("" for the resource's own verdict), replaced only when it changes.
CREATE TABLE findings (
    resource_ref      BIGINT NOT NULL,
    recommendation_id TEXT   NOT NULL,
    component         TEXT   NOT NULL,
    status            TEXT   NOT NULL,
    reason            TEXT   NOT NULL,
    exemption_id      BIGINT NOT NULL DEFAULT 0,
    since             BIGINT NOT NULL,
    scan_id           BIGINT NOT NULL,
    PRIMARY KEY (resource_ref, recommendation_id, component)
){{WITHOUT_ROWID}};

-- One row per transition: a finding appeared, changed status, reason or
-- exemption, or disappeared (status 'Removed').
CREATE TABLE history (
    resource_ref      BIGINT NOT NULL,
    recommendation_id TEXT   NOT NULL,
    component         TEXT   NOT NULL,
    at                BIGINT NOT NULL,
    scan_id           BIGINT NOT NULL,
    prev_status       TEXT   NOT NULL,
    status            TEXT   NOT NULL,
    reason            TEXT   NOT NULL,
    exemption_id      BIGINT NOT NULL
);
CREATE INDEX history_resource ON history (resource_ref, at);
CREATE INDEX history_at ON history (at);

CREATE TABLE recommendations (
    id       TEXT PRIMARY KEY,
    title    TEXT NOT NULL,
    severity TEXT NOT NULL,
    type     TEXT NOT NULL
);

CREATE TABLE exemptions (
    id                {{ID}},
    kind              TEXT   NOT NULL,
    reason            TEXT   NOT NULL,
    expires_at        BIGINT NOT NULL,
    scope_kind        TEXT   NOT NULL,
    target            TEXT   NOT NULL,
    path              TEXT   NOT NULL,
    recommendation_id TEXT   NOT NULL,
    created_by        TEXT   NOT NULL,
    created_at        BIGINT NOT NULL,
    revoked_at        BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE owner_rules (
    id                {{ID}},
    recommendation_id TEXT   NOT NULL,
    scope_kind        TEXT   NOT NULL,
    target            TEXT   NOT NULL,
    path              TEXT   NOT NULL,
    tag_key           TEXT   NOT NULL,
    tag_value         TEXT   NOT NULL,
    owner             TEXT   NOT NULL,
    due_days          BIGINT NOT NULL,
    created_by        TEXT   NOT NULL,
    created_at        BIGINT NOT NULL,
    deleted_at        BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE audit_log (
    id        {{ID}},
    at        BIGINT NOT NULL,
    actor     TEXT   NOT NULL,
    action    TEXT   NOT NULL,
    entity    TEXT   NOT NULL,
    entity_id BIGINT NOT NULL,
    before    TEXT   NOT NULL,
    after     TEXT   NOT NULL
);

-- +goose Down
DROP TABLE audit_log;
DROP TABLE owner_rules;
DROP TABLE exemptions;
DROP TABLE recommendations;
DROP TABLE history;
DROP TABLE findings;
DROP TABLE resources;
DROP TABLE staged_resources;
DROP TABLE staged_results;
DROP TABLE scan_errors;
DROP TABLE scans;
