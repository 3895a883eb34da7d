-- Events start with this version: sessions stored before it have none, so the figures
-- count from the upgrade on.
CREATE TABLE events (
    seq      INTEGER PRIMARY KEY,
    session  TEXT NOT NULL,
    flow     TEXT NOT NULL,
    version  TEXT NOT NULL,
    kind     TEXT NOT NULL,
    node     TEXT NOT NULL,
    value    TEXT,
    at       INTEGER NOT NULL
);
CREATE INDEX events_by_session ON events (session, seq);
-- A flow's sessions in a period are found by their start alone.
CREATE INDEX starts_by_flow ON events (flow, at) WHERE kind = 'started';
-- For retention. Set once per session, so answers never rewrite it.
CREATE INDEX sessions_by_start ON sessions (created_at);
