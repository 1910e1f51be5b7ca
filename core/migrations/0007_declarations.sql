-- Online declarations (网上申报), DOMAIN.md §3. The lifecycle is enforced here as well as in
-- code: a trigger refuses any state change the state machine does not allow.
CREATE TABLE declarations (
    id                 uuid PRIMARY KEY,
    citizen_id         uuid NOT NULL REFERENCES citizens (id),
    item_code          text NOT NULL REFERENCES catalog_items (code),
    item_name          text NOT NULL,
    state              text NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'submitted',
                           'needs_supplement', 'not_accepted', 'accepted', 'processing',
                           'completed', 'refused', 'withdrawn')),
    -- Where the submission to the platform stands: not asked, waiting (the platform may be
    -- down: the job retries), delivered (the platform has the case).
    delivery           text NOT NULL DEFAULT 'none' CHECK (delivery IN ('none', 'pending', 'delivered')),
    form_data          jsonb NOT NULL DEFAULT '{}',
    case_number        text UNIQUE,
    platform_version   integer NOT NULL DEFAULT 0,
    submit_key         text,
    supplement_notice  jsonb,
    tolerated_missing  text[] NOT NULL DEFAULT '{}',
    result             jsonb,
    submitted_at       timestamptz,
    accepted_at        timestamptz,
    finished_at        timestamptz,
    pre_review_due     date,
    promised_due       date,
    supervision        text NOT NULL DEFAULT 'none' CHECK (supervision IN ('none', 'yellow', 'red')),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (citizen_id, submit_key),
    CHECK (state = 'draft' OR state = 'withdrawn' OR submitted_at IS NOT NULL)
);
CREATE INDEX declarations_citizen ON declarations (citizen_id, created_at DESC);
CREATE INDEX declarations_open ON declarations (state) WHERE state IN ('submitted', 'accepted', 'processing');

CREATE FUNCTION declarations_check_transition() RETURNS trigger AS $$
BEGIN
    IF NEW.state = OLD.state THEN
        RETURN NEW;
    END IF;
    IF (OLD.state, NEW.state) IN (
        ('draft', 'submitted'), ('draft', 'withdrawn'),
        ('submitted', 'needs_supplement'), ('submitted', 'not_accepted'),
        ('submitted', 'accepted'), ('submitted', 'withdrawn'),
        ('needs_supplement', 'submitted'), ('needs_supplement', 'withdrawn'),
        ('accepted', 'processing'), ('accepted', 'completed'), ('accepted', 'refused'),
        ('processing', 'completed'), ('processing', 'refused')
    ) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'declaration % cannot go from % to %', OLD.id, OLD.state, NEW.state
        USING ERRCODE = 'check_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER declarations_transition BEFORE UPDATE OF state ON declarations
    FOR EACH ROW EXECUTE FUNCTION declarations_check_transition();

-- The timeline the citizen sees (全过程信息公开, 全程留痕): append-only.
CREATE TABLE declaration_events (
    id              bigserial PRIMARY KEY,
    declaration_id  uuid NOT NULL REFERENCES declarations (id),
    from_state      text,
    to_state        text NOT NULL,
    actor           text NOT NULL CHECK (actor IN ('citizen', 'platform', 'system')),
    reason          text,
    details         jsonb,
    at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX declaration_events_declaration ON declaration_events (declaration_id, id);

-- The citizen's material library: each file once per citizen (by SHA-256), reused anywhere.
CREATE TABLE materials (
    id            uuid PRIMARY KEY,
    citizen_id    uuid NOT NULL REFERENCES citizens (id),
    sha256        bytea NOT NULL,
    size          bigint NOT NULL CHECK (size > 0),
    kind          text NOT NULL CHECK (kind IN ('pdf', 'jpg', 'png', 'ofd')),
    content_type  text NOT NULL,
    display_name  text NOT NULL,
    storage_key   text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (citizen_id, sha256)
);

-- What satisfies each required material of a declaration: a file from the library, or an
-- e-licence (免提交).
CREATE TABLE declaration_materials (
    declaration_id  uuid NOT NULL REFERENCES declarations (id),
    material_code   text NOT NULL,
    material_id     uuid REFERENCES materials (id),
    licence_number  text,
    needs_replacement boolean NOT NULL DEFAULT false,
    problem         text,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (declaration_id, material_code),
    CHECK ((material_id IS NULL) <> (licence_number IS NULL))
);

-- E-licences the platform issued to a citizen (the wallet grows from here).
CREATE TABLE citizen_licences (
    licence_number  text PRIMARY KEY,
    citizen_id      uuid NOT NULL REFERENCES citizens (id),
    type_code       text NOT NULL,
    name            text NOT NULL,
    issued_at       timestamptz NOT NULL,
    declaration_id  uuid REFERENCES declarations (id)
);
CREATE INDEX citizen_licences_citizen ON citizen_licences (citizen_id);

-- Inbox of the platform's status callbacks: stored once (event id), processed as a job.
CREATE TABLE platform_events (
    event_id      text PRIMARY KEY,
    case_number   text NOT NULL,
    sequence      integer NOT NULL,
    body          jsonb NOT NULL,
    received_at   timestamptz NOT NULL DEFAULT now(),
    processed_at  timestamptz,
    outcome       text
);
