-- Delivery of paper results (邮寄送达, issue 16; docs/delivery.md): a citizen's address book,
-- the delivery chosen for a declaration (window pickup at a hall, or postal delivery to an
-- address), its tracking timeline, and the courier's signed tracking callbacks (an inbox).

-- The address book. Recipient, phone and street detail are personal data: SM4-GCM at rest
-- (core.pii), masked in every answer. Region code and name stay clear (figures, routing).
CREATE TABLE citizen_addresses (
    id             uuid PRIMARY KEY,
    citizen_id     uuid NOT NULL REFERENCES citizens (id),
    recipient_enc  bytea NOT NULL,
    phone_enc      bytea NOT NULL,
    detail_enc     bytea NOT NULL,
    region_code    text NOT NULL CHECK (region_code ~ '^[1-8][0-9]{5}$'),
    region_name    text NOT NULL CHECK (char_length(region_name) BETWEEN 2 AND 60),
    postcode       text CHECK (postcode ~ '^[0-9]{6}$'),
    label          text NOT NULL DEFAULT '' CHECK (char_length(label) <= 10),
    is_default     boolean NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX citizen_addresses_citizen ON citizen_addresses (citizen_id, created_at);
CREATE UNIQUE INDEX citizen_addresses_one_default ON citizen_addresses (citizen_id)
    WHERE is_default;

-- One delivery per declaration whose item has a paper result. A postal one keeps its own
-- encrypted copy of the address (the book's entry may change or go; the parcel does not).
CREATE TABLE result_deliveries (
    declaration_id     uuid PRIMARY KEY REFERENCES declarations (id),
    citizen_id         uuid NOT NULL REFERENCES citizens (id),
    item_code          text NOT NULL,
    item_name          text NOT NULL,
    method             text NOT NULL CHECK (method IN ('pickup', 'postal')),
    hall_code          text,
    address_id         uuid REFERENCES citizen_addresses (id) ON DELETE SET NULL,
    recipient_enc      bytea,
    phone_enc          bytea,
    detail_enc         bytea,
    region_code        text,
    region_name        text,
    postcode           text,
    fee_fen            integer NOT NULL DEFAULT 0 CHECK (fee_fen >= 0),
    -- Each change of the choice bumps choice_version; the platform has been told up to
    -- registered_version (a job tells it, once the case exists).
    choice_version     integer NOT NULL DEFAULT 1,
    registered_version integer NOT NULL DEFAULT 0,
    case_number        text,
    registration       text NOT NULL DEFAULT 'pending'
                       CHECK (registration IN ('pending', 'registered', 'refused')),
    refusal            text,
    -- The courier's steps; 'chosen' until a waybill exists.
    status             text NOT NULL DEFAULT 'chosen' CHECK (status IN ('chosen', 'created',
                           'collected', 'in_transit', 'out_for_delivery', 'delivered')),
    waybill_number     text UNIQUE,
    carrier            text,
    -- The sequence of the last courier event applied (events apply strictly in order).
    postal_version     integer NOT NULL DEFAULT 0,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CHECK ((method = 'postal') = (recipient_enc IS NOT NULL AND phone_enc IS NOT NULL
                                  AND detail_enc IS NOT NULL AND region_code IS NOT NULL)),
    CHECK (method = 'postal' OR status = 'chosen')
);
CREATE INDEX result_deliveries_citizen ON result_deliveries (citizen_id, updated_at DESC);

-- The citizen's timeline of a delivery: the choice, each courier step.
CREATE TABLE delivery_events (
    id              bigserial PRIMARY KEY,
    declaration_id  uuid NOT NULL REFERENCES result_deliveries (declaration_id),
    kind            text NOT NULL CHECK (kind IN ('chosen', 'registered', 'refused', 'created',
                        'collected', 'in_transit', 'out_for_delivery', 'delivered')),
    text            text NOT NULL DEFAULT '',
    location        text NOT NULL DEFAULT '',
    occurred_at     timestamptz NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX delivery_events_declaration ON delivery_events (declaration_id, id);

-- The courier's tracking callbacks as they arrived: stored once by event id, applied by a job
-- in each waybill's sequence order.
CREATE TABLE postal_callbacks (
    event_id        text PRIMARY KEY,
    declaration_id  uuid NOT NULL REFERENCES result_deliveries (declaration_id),
    sequence        integer NOT NULL CHECK (sequence > 0),
    body            jsonb NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now(),
    processed_at    timestamptz,
    outcome         text CHECK (outcome IN ('applied', 'stale'))
);
CREATE INDEX postal_callbacks_pending ON postal_callbacks (declaration_id, sequence)
    WHERE processed_at IS NULL;
