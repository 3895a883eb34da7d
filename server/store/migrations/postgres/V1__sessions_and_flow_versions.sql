-- Sessions and the flow versions they are pinned to. JSON is kept as text, exactly as the
-- server wrote it, so a session reads back byte for byte on either store.
CREATE TABLE sessions (
    id          TEXT PRIMARY KEY,
    flow        TEXT NOT NULL,
    version     TEXT NOT NULL,
    status      TEXT NOT NULL,
    walk        TEXT NOT NULL,
    revision    BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    reference   TEXT UNIQUE,
    details     TEXT NOT NULL,
    feedback    BOOLEAN,
    notes       TEXT NOT NULL DEFAULT '[]'
);

CREATE TABLE flow_versions (
    id           TEXT NOT NULL,
    version      TEXT NOT NULL,
    source       TEXT NOT NULL,
    archived_at  BIGINT NOT NULL,
    PRIMARY KEY (id, version)
);
