-- Who made the move an event records: 0 the customer, 1 an agent (for a caller, or on a
-- customer's session). Events stored before this version were all counted as the
-- customer's, so they keep that.
ALTER TABLE events ADD COLUMN by_agent INTEGER NOT NULL DEFAULT 0;
