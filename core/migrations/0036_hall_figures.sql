-- Hall visits completed at the window, and the figures per hall (issue 17, docs/halls.md).

-- The booking is `completed` when the hall's window completes the visit (the queue number's
-- end, told to the halls domain); when, for the record. Only a visit that arrived completes.
ALTER TABLE appointments ADD COLUMN completed_at timestamptz;
ALTER TABLE appointments ADD CONSTRAINT appointments_completed_at
    CHECK ((status = 'completed') = (completed_at IS NOT NULL));

-- Figures per hall and period read the bookings of a range of days across every hall, and the
-- numbers whose slots fall in it.
CREATE INDEX appointments_by_day ON appointments (day, hall_code);
CREATE INDEX queue_tickets_by_slot ON queue_tickets (slot_start, hall_code);
