-- Consultation, complaints and suggestions through the 12345 hotline (issue 17): a citizen's
-- ticket, filed with the hotline by a job, followed through the hotline's signed callbacks, its
-- reply deadline on the working-day calendar (docs/hotline.md).
CREATE TABLE hotline_tickets (
    id                    uuid PRIMARY KEY,
    citizen_id            uuid NOT NULL REFERENCES citizens (id),
    kind                  text NOT NULL CHECK (kind IN ('consultation', 'complaint', 'suggestion')),
    -- What it is about: an item, a department, one of the citizen's declarations, or nothing
    -- named. The item and department are copied when filed (figures group by them).
    subject_type          text NOT NULL
                          CHECK (subject_type IN ('item', 'department', 'declaration', 'none')),
    item_code             text NOT NULL DEFAULT '',
    item_name             text NOT NULL DEFAULT '',
    declaration_id        uuid REFERENCES declarations (id),
    -- A complaint about a bad review's rectification: the review's ticket.
    review_ticket_id      uuid REFERENCES review_tickets (id),
    -- The department answerable: the subject's, then whichever 12345 transfers the ticket to.
    department_code       text NOT NULL DEFAULT '',
    department_name       text NOT NULL DEFAULT '',
    title                 text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 100),
    content               text NOT NULL CHECK (char_length(content) BETWEEN 1 AND 2000),
    -- pending: not yet filed with 12345; then 12345's own statuses.
    state                 text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'received',
                              'accepted', 'transferred', 'replied', 'closed')),
    delivery              text NOT NULL DEFAULT 'pending'
                          CHECK (delivery IN ('pending', 'sent', 'refused')),
    refusal               text,
    ticket_number         text UNIQUE,
    -- The sequence of the last 12345 event applied (events apply strictly in order).
    hotline_version       integer NOT NULL DEFAULT 0,
    reply                 text,
    replied_at            timestamptz,
    replied_on_time       boolean,
    reply_days            smallint NOT NULL CHECK (reply_days > 0),
    due_on                date NOT NULL,
    due_provisional       boolean NOT NULL DEFAULT false,
    -- Set by the supervision job while no reply has come; frozen at the reply.
    flag                  text NOT NULL DEFAULT 'none' CHECK (flag IN ('none', 'due_soon', 'late')),
    satisfaction          text CHECK (satisfaction IN ('satisfied', 'basically_satisfied',
                              'dissatisfied')),
    satisfaction_comment  text NOT NULL DEFAULT '' CHECK (char_length(satisfaction_comment) <= 500),
    rated_at              timestamptz,
    rating_delivery       text CHECK (rating_delivery IN ('pending', 'sent', 'refused')),
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    CHECK ((subject_type = 'declaration') = (declaration_id IS NOT NULL)),
    CHECK (review_ticket_id IS NULL OR kind = 'complaint'),
    CHECK ((satisfaction IS NULL) = (rated_at IS NULL)),
    CHECK (satisfaction IS NULL OR state IN ('replied', 'closed')),
    CHECK ((state IN ('replied', 'closed')) <= (reply IS NOT NULL))
);
CREATE INDEX hotline_tickets_citizen ON hotline_tickets (citizen_id, created_at DESC);
CREATE INDEX hotline_tickets_unreplied ON hotline_tickets (due_on)
    WHERE state NOT IN ('replied', 'closed');
CREATE INDEX hotline_tickets_created ON hotline_tickets (created_at);

-- The citizen's timeline of a ticket: filed, each 12345 step, the citizen's rating.
CREATE TABLE hotline_ticket_events (
    id               bigserial PRIMARY KEY,
    ticket_id        uuid NOT NULL REFERENCES hotline_tickets (id),
    kind             text NOT NULL CHECK (kind IN ('filed', 'received', 'accepted', 'transferred',
                         'replied', 'closed', 'rated', 'refused', 'flagged')),
    department_code  text,
    department_name  text,
    text             text,
    occurred_at      timestamptz NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX hotline_ticket_events_ticket ON hotline_ticket_events (ticket_id, id);

-- 12345's callbacks as they arrived (an inbox): stored once by event id, applied by a job in
-- each ticket's sequence order.
CREATE TABLE hotline_callbacks (
    event_id      text PRIMARY KEY,
    ticket_id     uuid NOT NULL REFERENCES hotline_tickets (id),
    sequence      integer NOT NULL CHECK (sequence > 0),
    body          jsonb NOT NULL,
    received_at   timestamptz NOT NULL DEFAULT now(),
    processed_at  timestamptz,
    outcome       text CHECK (outcome IN ('applied', 'stale'))
);
CREATE INDEX hotline_callbacks_pending ON hotline_callbacks (ticket_id, sequence)
    WHERE processed_at IS NULL;
