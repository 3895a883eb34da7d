-- Searches that found no flow, counted per query as the server normalised it, for the
-- owner's page: what customers look for that no flow answers yet.
CREATE TABLE unfound_searches (
    query    TEXT NOT NULL,
    locale   TEXT NOT NULL,
    count    BIGINT NOT NULL,
    first_at BIGINT NOT NULL,
    last_at  BIGINT NOT NULL,
    PRIMARY KEY (query, locale)
);
CREATE INDEX unfound_searches_by_count ON unfound_searches (count DESC, last_at DESC);
