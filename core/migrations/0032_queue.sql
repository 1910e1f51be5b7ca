-- Queue numbers (取号) in service halls: a citizen who arrives for a booked slot takes a number
-- from the hall's calling system (排队叫号系统), follows its position live, is told when a window
-- calls it, and may rate the visit once the window has completed it.

-- Each hall's queue as the calling system last reported it (every event carries it). An event
-- older than the one applied (by the hall's sequence) never moves it back.
CREATE TABLE queue_halls (
    hall_code            text PRIMARY KEY,
    event_sequence       bigint NOT NULL DEFAULT 0 CHECK (event_sequence >= 0),
    served_through       integer NOT NULL DEFAULT 0 CHECK (served_through >= 0),
    waiting              integer NOT NULL DEFAULT 0 CHECK (waiting >= 0),
    open_windows         integer NOT NULL DEFAULT 1 CHECK (open_windows >= 1),
    avg_service_seconds  integer NOT NULL DEFAULT 300 CHECK (avg_service_seconds >= 1),
    updated_at           timestamptz NOT NULL DEFAULT now()
);

-- One number per booking. ``requested`` until the calling system has answered (a job takes
-- the number, our id being its idempotency key); then waiting → called → completed | skipped.
CREATE TABLE queue_tickets (
    id                uuid PRIMARY KEY,
    citizen_id        uuid NOT NULL REFERENCES citizens (id),
    -- The halls domain's booking the number was taken for.
    appointment_id    uuid NOT NULL UNIQUE,
    hall_code         text NOT NULL,
    hall_name         text NOT NULL,
    item_code         text NOT NULL,
    item_name         text NOT NULL,
    -- The declaration the booking carried (the matter the window handles), if any.
    declaration_id    uuid REFERENCES declarations (id),
    slot_start        timestamptz NOT NULL,
    slot_end          timestamptz NOT NULL,
    -- How presence in the hall was shown: its QR scanned, or the phone's location.
    arrival_method    text NOT NULL CHECK (arrival_method IN ('qr', 'location')),
    arrival_distance_m real,
    state             text NOT NULL DEFAULT 'requested'
                      CHECK (state IN ('requested', 'waiting', 'called', 'completed', 'skipped')),
    system_ticket_id  text UNIQUE,
    number            text,
    seq               integer,
    window_no         text,
    taken_at          timestamptz NOT NULL,
    issued_at         timestamptz,
    called_at         timestamptz,
    finished_at       timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CHECK (state = 'requested' OR (number IS NOT NULL AND seq IS NOT NULL
                                    AND system_ticket_id IS NOT NULL)),
    CHECK (state NOT IN ('called', 'completed') OR window_no IS NOT NULL)
);
CREATE INDEX queue_tickets_citizen ON queue_tickets (citizen_id, taken_at DESC);

-- The calling system's event callbacks (an inbox): stored once by event id, applied by a job.
CREATE TABLE queue_events (
    event_id     text PRIMARY KEY,
    hall_code    text NOT NULL,
    sequence     bigint NOT NULL,
    type         text NOT NULL,
    body         jsonb NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    applied_at   timestamptz
);

-- A visit booked online and handled at the hall's window is rated on its own channel
-- ("hall booked online"), beside the mini-program's and the app's.
ALTER TABLE reviews DROP CONSTRAINT reviews_channel_check;
ALTER TABLE reviews ADD CONSTRAINT reviews_channel_check
    CHECK (channel IN ('wechat', 'app', 'hall'));
