-- The calendar version whose recompute of open deadlines has committed. A worker's start
-- enqueues the recompute only when the calendar is newer than this: it locks every open case,
-- and a rolling update of N workers ran it N times.
ALTER TABLE calendar_state ADD COLUMN recomputed_version bigint NOT NULL DEFAULT 0;
