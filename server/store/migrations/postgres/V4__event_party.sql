-- Who made the move an event records: false the customer, true an agent (for a caller, or
-- on a customer's session). Events stored before this version were all counted as the
-- customer's, so they keep that.
ALTER TABLE events ADD COLUMN by_agent BOOLEAN NOT NULL DEFAULT FALSE;
