-- Issue 13 (the 1,000,000-secret estate in under 10 s): the index of a
-- scan's history rows holds only the resources' own verdicts
-- (component ''), the rows every reader of a scan's transitions asks
-- for (the read model's counts, a scan's new and fixed verdicts, the
-- new findings notified). The whole index cost a third of the index
-- work of recording a million components' transitions, and the counts
-- read the million rows it found to keep the few thousand that mattered.
-- Completion's own reads of its rows go through history_at.
-- (Numbered 00008: 00007 may be taken by another branch.)

-- +goose Up
CREATE INDEX history_scan_own ON history (scan_id) WHERE component = '';
DROP INDEX history_scan;

-- +goose Down
CREATE INDEX history_scan ON history (scan_id);
DROP INDEX history_scan_own;
