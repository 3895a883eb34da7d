CREATE TABLE sessions (
    -- Rows are kept in the order sessions start, so the sessions in progress share a few
    -- pages at the end of the table and a batch of answers writes those pages only.
    seq         INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    flow        TEXT NOT NULL,
    version     TEXT NOT NULL,
    status      TEXT NOT NULL,
    walk        TEXT NOT NULL,
    revision    INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    reference   TEXT UNIQUE,
    details     TEXT NOT NULL,
    feedback    INTEGER
);
CREATE TABLE flow_versions (
    id           TEXT NOT NULL,
    version      TEXT NOT NULL,
    source       TEXT NOT NULL,
    archived_at  INTEGER NOT NULL,
    PRIMARY KEY (id, version)
) WITHOUT ROWID;
