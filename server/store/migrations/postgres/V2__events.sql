-- What happened to each session, for the figures a flow's owner reads; written in the same
-- transaction as the session change that caused it.
CREATE TABLE events (
    seq      BIGSERIAL PRIMARY KEY,
    session  TEXT NOT NULL,
    flow     TEXT NOT NULL,
    version  TEXT NOT NULL,
    kind     TEXT NOT NULL,
    node     TEXT NOT NULL,
    value    TEXT,
    at       BIGINT NOT NULL
);
CREATE INDEX events_by_session ON events (session, seq);
-- A flow's sessions in a period are found by their start alone.
CREATE INDEX starts_by_flow ON events (flow, at) WHERE kind = 'started';
-- For retention.
CREATE INDEX sessions_by_start ON sessions (created_at);
