-- Issue 13 (the 1,000,000-secret estate in under 10 s): a component's
-- finding (a secret's, a key's, a certificate's verdict) that appears is
-- no longer written twice, once to findings and once to history. Its
-- findings row says history_deferred = 1: the row itself is its
-- appearance (prev_status '', at = since, scan_id, status, reason and
-- exemption as they are), which holds while it has not changed; the
-- first change, exemption change or removal writes that appearance to
-- history before its own row and clears the flag. History reads both
-- (read.go). A first scan of the million-secret estate then writes
-- 60,000 history rows instead of 1,110,000. Resources' own verdicts stay
-- eager: the views, notifications and counts read them from history.

-- +goose Up
ALTER TABLE findings ADD COLUMN history_deferred INTEGER NOT NULL DEFAULT 0;

-- +goose Down
INSERT INTO history (resource_ref, recommendation_id, component, at, scan_id, prev_status, status, reason, exemption_id)
    SELECT resource_ref, recommendation_id, component, since, scan_id, '', status, reason, exemption_id
    FROM findings WHERE history_deferred = 1;
ALTER TABLE findings DROP COLUMN history_deferred;
