-- Parties and "acting as" (docs/acting-as.md). A legal person (a company) is a party that owns
-- resources exactly as a person does: it gets a row in citizens (kind 'legal'), so every column
-- that says whose a row is (citizen_id) can name it and every ownership check keeps working
-- when the request's owner is the company. The unified social credit code (GB 32100) is stored
-- like an ID number: encrypted, with a keyed hash for lookup.
ALTER TABLE citizens
    ADD COLUMN kind        text NOT NULL DEFAULT 'natural' CHECK (kind IN ('natural', 'legal')),
    ADD COLUMN uscc_enc    bytea,
    ADD COLUMN uscc_hash   bytea UNIQUE,
    ADD COLUMN legal_name  text,
    ADD COLUMN legal_type  text,
    ADD CONSTRAINT citizens_uscc_pair CHECK ((uscc_enc IS NULL) = (uscc_hash IS NULL)),
    ADD CONSTRAINT citizens_legal_has_uscc CHECK ((kind = 'legal') = (uscc_hash IS NOT NULL)),
    -- A company never signs in and never becomes a natural person's account.
    ADD CONSTRAINT citizens_legal_no_person CHECK (
        kind = 'natural' OR (id_number_hash IS NULL AND phone_hash IS NULL AND merged_into IS NULL));

-- Who may act for whom (授权/委托): the party acted for (principal_id: a company, or a person
-- for 委托代办), the person acting (agent_id) or a hall worker (agent_staff_id, 帮办), what
-- for (items: NULL = every item) and when (valid_from .. valid_until, NULL = open-ended).
-- source: who granted it — the platform's legal-person authorisation list ('platform', with
-- the platform's id in external_id), a citizen ('citizen'), or a staff assisted application
-- ('staff'). A revocation sets revoked_at; rows are never deleted (the history is the record).
CREATE TABLE mandates (
    id              uuid PRIMARY KEY,
    principal_id    uuid NOT NULL REFERENCES citizens (id),
    agent_id        uuid REFERENCES citizens (id),
    agent_staff_id  uuid REFERENCES staff (id),
    role            text NOT NULL CHECK (role IN ('representative', 'agent', 'family', 'staff')),
    source          text NOT NULL CHECK (source IN ('platform', 'citizen', 'staff')),
    items           text[],
    valid_from      timestamptz NOT NULL DEFAULT now(),
    valid_until     timestamptz,
    external_id     text UNIQUE,
    granted_by      uuid REFERENCES citizens (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    revoked_at      timestamptz,
    revoked_why     text,
    CHECK ((agent_id IS NULL) <> (agent_staff_id IS NULL)),
    CHECK (agent_id IS NULL OR agent_id <> principal_id),
    CHECK (valid_until IS NULL OR valid_until > valid_from),
    CHECK ((revoked_at IS NULL) = (revoked_why IS NULL))
);
-- One live mandate per (party, person): a new grant replaces the old one (revoked first), so
-- "may this person act for that party" has one answer.
CREATE UNIQUE INDEX mandates_live_person ON mandates (agent_id, principal_id)
    WHERE revoked_at IS NULL AND agent_id IS NOT NULL;
CREATE UNIQUE INDEX mandates_live_staff ON mandates (agent_staff_id, principal_id)
    WHERE revoked_at IS NULL AND agent_staff_id IS NOT NULL;
CREATE INDEX mandates_principal ON mandates (principal_id) WHERE revoked_at IS NULL;

-- Who acted, on the timeline: the person behind a citizen-side step when they acted for the
-- declaration's owner (a company's agent, a family member); NULL when the owner acted. A
-- request acting for another party says so once per transaction (set_config of
-- handheld.acted_by, transaction-local: api.declarations.repository.acting), and every step
-- it logs carries it; jobs and callbacks never set it.
ALTER TABLE declaration_events ADD COLUMN acted_by uuid REFERENCES citizens (id)
    DEFAULT nullif(current_setting('handheld.acted_by', true), '')::uuid;
