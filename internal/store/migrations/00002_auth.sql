-- Who may use kvguard serve (internal/webauth): API tokens, browser
-- sessions, the OpenID Connect sign-ins in flight and a record of every
-- sign-in. Written once for both engines like 00001. No table holds a
-- token or a session ID: only the SHA-256 of each (hex), so that a copy
-- of the database lets no one in.

-- +goose Up
-- API tokens, created by an admin. expires_at 0 means "never" (chosen
-- explicitly); revoked_at 0 means not revoked; last_used_at is written at
-- most once a minute.
CREATE TABLE api_tokens (
    id           {{ID}},
    token_hash   TEXT   NOT NULL,
    name         TEXT   NOT NULL,
    role         TEXT   NOT NULL,
    created_by   TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    revoked_at   BIGINT NOT NULL DEFAULT 0,
    last_used_at BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX api_tokens_hash ON api_tokens (token_hash);

-- Browser sessions after an OpenID Connect sign-in, looked up by the
-- hash of the ID the session cookie carries.
CREATE TABLE auth_sessions (
    session_hash TEXT   NOT NULL PRIMARY KEY,
    subject      TEXT   NOT NULL,
    name         TEXT   NOT NULL,
    role         TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
){{WITHOUT_ROWID}};
CREATE INDEX auth_sessions_expires ON auth_sessions (expires_at);

-- Sign-ins begun and not yet finished: keyed by the hash of the state
-- the browser's cookie and the issuer's redirect both carry, holding the
-- nonce and the PKCE verifier; used once.
CREATE TABLE auth_flows (
    state_hash TEXT   NOT NULL PRIMARY KEY,
    nonce      TEXT   NOT NULL,
    verifier   TEXT   NOT NULL,
    return_to  TEXT   NOT NULL,
    expires_at BIGINT NOT NULL
){{WITHOUT_ROWID}};

-- Every sign-in, admitted or refused.
CREATE TABLE auth_logins (
    id      {{ID}},
    at      BIGINT NOT NULL,
    issuer  TEXT   NOT NULL,
    subject TEXT   NOT NULL,
    name    TEXT   NOT NULL,
    role    TEXT   NOT NULL,
    outcome TEXT   NOT NULL,
    reason  TEXT   NOT NULL
);
CREATE INDEX auth_logins_at ON auth_logins (at);

-- +goose Down
DROP TABLE auth_logins;
DROP TABLE auth_flows;
DROP TABLE auth_sessions;
DROP TABLE api_tokens;
