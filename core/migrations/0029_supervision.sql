-- Supervision (issue 19, docs/supervision.md): department-scoped staff, "who asks twice",
-- monthly yellow and red cards per department, and the staff inbox the cards are pushed to.

-- A staff account limited to departments: NULL is province-wide (every department). An admin
-- is always province-wide (it manages accounts); any other role may be scoped.
ALTER TABLE staff
    ADD COLUMN department_codes text[],
    ADD CONSTRAINT staff_department_codes CHECK (
        department_codes IS NULL
        OR (cardinality(department_codes) > 0 AND role <> 'admin'
            AND array_position(department_codes, NULL) IS NULL)
    );
CREATE INDEX staff_department_codes ON staff USING gin (department_codes)
    WHERE department_codes IS NOT NULL;

-- Who asks twice (Yongchang Art. 17): a supplement request item asking for a material the
-- citizen had already given valid — in this case (an e-licence, or a material already asked
-- for and supplied once) or held valid in their licence wallet. Recorded when the platform's
-- supplement event is applied (one row per request and material, so a replayed event adds
-- nothing); the department and day are the case's and the request's (China day).
CREATE TABLE supplement_repeats (
    declaration_id   uuid NOT NULL REFERENCES declarations (id),
    sequence         integer NOT NULL,
    material_code    text NOT NULL,
    source           text NOT NULL CHECK (source IN ('case_licence', 'case_resupplied', 'wallet')),
    department_code  text NOT NULL,
    day              date NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (declaration_id, sequence, material_code)
);
CREATE INDEX supplement_repeats_department ON supplement_repeats (department_code, day);

-- The supervision list reads open cases by their watched deadline.
CREATE INDEX declarations_supervised ON declarations (department_code, supervision)
    WHERE state IN ('submitted', 'accepted', 'processing');

-- One card per department and China calendar month (month = its first day), computed by the
-- monthly job from the month's figures; recomputing a month updates the row in place.
CREATE TABLE supervision_cards (
    department_code     text NOT NULL,
    month               date NOT NULL,
    colour              text NOT NULL CHECK (colour IN ('none', 'yellow', 'red')),
    reasons             text[] NOT NULL DEFAULT '{}',
    overdue             integer NOT NULL DEFAULT 0,
    late_rectifications integer NOT NULL DEFAULT 0,
    repeat_supplements  integer NOT NULL DEFAULT 0,
    asked_twice         integer NOT NULL DEFAULT 0,
    computed_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (department_code, month)
);
CREATE INDEX supervision_cards_month ON supervision_cards (month);

-- Push: the staff inbox (站内消息 of the ops console). dedupe_key makes a rerun of whatever
-- wrote a message (the monthly card job) write nothing twice.
CREATE TABLE staff_messages (
    id          uuid PRIMARY KEY,
    staff_id    uuid NOT NULL REFERENCES staff (id),
    event_type  text NOT NULL,
    title       text NOT NULL,
    body        text NOT NULL,
    link        text,
    dedupe_key  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    read_at     timestamptz,
    UNIQUE (staff_id, dedupe_key)
);
CREATE INDEX staff_messages_staff ON staff_messages (staff_id, created_at DESC);

-- The months whose cards are computed (a department without a card that month has nothing to
-- answer for): the monthly job runs a month once, whichever worker takes it.
CREATE TABLE supervision_card_months (
    month        date PRIMARY KEY,
    computed_at  timestamptz NOT NULL DEFAULT now()
);
