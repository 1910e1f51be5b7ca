-- Service halls (mirrored from the platform's hall directory) and appointments (预约).

-- A hall as the platform published it (its whole record in `data`); a replayed or older
-- version is ignored by the sync.
CREATE TABLE halls (
    code                text PRIMARY KEY,
    name                text NOT NULL,
    region_code         text NOT NULL,
    status              text NOT NULL CHECK (status IN ('open', 'closed')),
    platform_version    integer NOT NULL,
    platform_updated_at timestamptz NOT NULL,
    data                jsonb NOT NULL,
    synced_at           timestamptz NOT NULL DEFAULT now()
);

-- Which items a hall serves, and how many appointments it takes for each per half hour (the
-- capacities of the windows serving it, summed): item guides link to their halls through it.
CREATE TABLE hall_items (
    hall_code text NOT NULL REFERENCES halls (code) ON DELETE CASCADE,
    item_code text NOT NULL,
    item_name text NOT NULL,
    capacity  integer NOT NULL CHECK (capacity >= 0),
    windows   text[] NOT NULL,
    PRIMARY KEY (hall_code, item_code)
);
CREATE INDEX hall_items_by_item ON hall_items (item_code);

-- One half hour of one item at one hall, once someone books it. The database, not the code,
-- keeps a slot from being overbooked: `booked` never passes `capacity`, and never goes below 0.
CREATE TABLE appointment_slots (
    hall_code text NOT NULL REFERENCES halls (code),
    item_code text NOT NULL,
    day       date NOT NULL,
    starts_at time NOT NULL,
    capacity  integer NOT NULL,
    booked    integer NOT NULL DEFAULT 0,
    PRIMARY KEY (hall_code, item_code, day, starts_at),
    CONSTRAINT appointment_slots_capacity CHECK (capacity >= 0),
    CONSTRAINT appointment_slots_not_overbooked CHECK (booked >= 0 AND booked <= capacity)
);

CREATE TABLE appointments (
    id             uuid PRIMARY KEY,
    citizen_id     uuid NOT NULL REFERENCES citizens (id),
    hall_code      text NOT NULL,
    item_code      text NOT NULL,
    item_name      text NOT NULL,
    day            date NOT NULL,
    starts_at      time NOT NULL,
    ends_at        time NOT NULL,
    -- A draft declaration of the same citizen for the item: the window sees its materials.
    declaration_id uuid REFERENCES declarations (id),
    status         text NOT NULL DEFAULT 'booked'
                   CHECK (status IN ('booked', 'cancelled', 'arrived', 'completed', 'no_show')),
    booked_at      timestamptz NOT NULL,
    cancelled_at   timestamptz,
    arrived_at     timestamptz,
    no_show_at     timestamptz,
    reminded_at    timestamptz,
    FOREIGN KEY (hall_code, item_code, day, starts_at) REFERENCES appointment_slots,
    CHECK (starts_at < ends_at),
    CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL)),
    CHECK ((status = 'no_show') = (no_show_at IS NOT NULL))
);
-- The same citizen holds one booking of a slot at a time.
CREATE UNIQUE INDEX appointments_one_per_slot
    ON appointments (citizen_id, hall_code, item_code, day, starts_at) WHERE status = 'booked';
CREATE INDEX appointments_of_citizen ON appointments (citizen_id, day DESC, starts_at DESC);
CREATE INDEX appointments_to_remind ON appointments (day) WHERE status = 'booked' AND reminded_at IS NULL;
CREATE INDEX appointments_open_by_day ON appointments (day) WHERE status = 'booked';
CREATE INDEX appointments_of_hall ON appointments (hall_code, day);
