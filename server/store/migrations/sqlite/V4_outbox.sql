-- Webhook deliveries, written with the session change that causes them and sent after it.
CREATE TABLE deliveries (
    id               TEXT PRIMARY KEY,
    endpoint         TEXT NOT NULL,
    kind             TEXT NOT NULL,
    session          TEXT NOT NULL,
    body             TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    status           TEXT NOT NULL DEFAULT 'pending',
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    last_error       TEXT,
    ticket_id        TEXT,
    ticket_url       TEXT
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_by_session ON deliveries (session);
CREATE INDEX deliveries_by_age ON deliveries (created_at);
CREATE TABLE delivery_attempts (
    seq       INTEGER PRIMARY KEY,
    delivery  TEXT NOT NULL,
    at        INTEGER NOT NULL,
    outcome   TEXT NOT NULL,
    took_ms   INTEGER NOT NULL
);
CREATE INDEX attempts_by_delivery ON delivery_attempts (delivery, seq);
