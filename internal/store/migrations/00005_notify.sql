-- Notifications (internal/notify): an outbox recording every event a
-- webhook is told of, so that each is sent once, a failed delivery is
-- retried at the next call instead of lost, and two processes sharing the
-- database never both send it.
-- (00002, 00003 and 00006 belong to other branches.)

-- +goose Up
CREATE TABLE notifications (
    id            {{ID}},
    -- The receiver: a hash of the webhook's URL and payload format, never
    -- the URL itself (a Slack or Teams webhook URL is a credential).
    sink          TEXT   NOT NULL,
    -- What happened: 'findings.new-high' (subject: a scan) or
    -- 'exemption.expiring' (subject: an exemption; instant: the expiry
    -- announced, so that an extended exemption is announced again).
    kind          TEXT   NOT NULL,
    subject       BIGINT NOT NULL,
    instant       BIGINT NOT NULL,
    created_at    BIGINT NOT NULL,
    -- 'pending' until delivered ('sent') or given up ('abandoned').
    status        TEXT   NOT NULL DEFAULT 'pending',
    attempts      BIGINT NOT NULL DEFAULT 0,
    last_error    TEXT   NOT NULL DEFAULT '',
    -- A process delivering the event holds it until then.
    claimed_until BIGINT NOT NULL DEFAULT 0,
    sent_at       BIGINT NOT NULL DEFAULT 0
);
-- Each event once per receiver.
CREATE UNIQUE INDEX notifications_event ON notifications (sink, kind, subject, instant);
CREATE INDEX notifications_status ON notifications (sink, status, id);

-- +goose Down
DROP TABLE notifications;
