-- The e-licence wallet (电子证照): licences imported from the platform's licence library and
-- verified (identifier check characters, issuer's SM2-SM3 seal), display codes (亮证) and their
-- verifications, consents to use a licence and every use (授权用证).

-- citizen_licences (0007) grows from "a number the platform gave us" into the wallet entry.
-- A row starts `pending` (the number from the case result) and an import job fills in the
-- signed document and moves it to `valid`, `revoked` or `invalid` (with `problem`).
ALTER TABLE citizen_licences
    ADD COLUMN id                uuid NOT NULL DEFAULT gen_random_uuid(),
    ADD COLUMN status            text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'valid', 'revoked', 'invalid')),
    ADD COLUMN problem           text,
    ADD COLUMN holder_name_enc   bytea,
    ADD COLUMN holder_id_hash    bytea,
    ADD COLUMN issuer_code       text,
    ADD COLUMN issuer_name       text,
    ADD COLUMN valid_from        date,
    ADD COLUMN valid_until       date,
    ADD COLUMN revoked_at        timestamptz,
    ADD COLUMN revocation_reason text,
    -- The issuer's signed document, encrypted (it names the holder), and its DER signature.
    ADD COLUMN signed_data_enc   bytea,
    ADD COLUMN signature         bytea,
    ADD COLUMN key_id            text,
    ADD COLUMN file_key          text,
    ADD COLUMN file_type         text,
    ADD COLUMN imported_at       timestamptz,
    ADD CONSTRAINT citizen_licences_id UNIQUE (id),
    ADD CONSTRAINT citizen_licences_problem CHECK ((status = 'invalid') = (problem IS NOT NULL));

-- 亮证: each display code issued (the code itself is signed and never stored).
CREATE TABLE licence_displays (
    id          uuid PRIMARY KEY,
    licence_id  uuid NOT NULL REFERENCES citizen_licences (id),
    citizen_id  uuid NOT NULL REFERENCES citizens (id),
    issued_at   timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);
CREATE INDEX licence_displays_licence ON licence_displays (licence_id, issued_at DESC);

-- Each online verification of a display code: the holder's log.
CREATE TABLE licence_verifications (
    id           uuid PRIMARY KEY,
    display_id   uuid NOT NULL REFERENCES licence_displays (id),
    licence_id   uuid NOT NULL REFERENCES citizen_licences (id),
    citizen_id   uuid NOT NULL REFERENCES citizens (id),
    outcome      text NOT NULL CHECK (outcome IN
        ('valid', 'code_expired', 'licence_revoked', 'licence_expired', 'licence_invalid')),
    verifier     text,
    verifier_ip  text,
    verified_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX licence_verifications_licence ON licence_verifications (licence_id, verified_at DESC);

-- 授权用证: who may use which licence, for what, until when; revoked by the holder.
CREATE TABLE licence_consents (
    id            uuid PRIMARY KEY,
    citizen_id    uuid NOT NULL REFERENCES citizens (id),
    licence_id    uuid NOT NULL REFERENCES citizen_licences (id),
    grantee_kind  text NOT NULL CHECK (grantee_kind IN ('declaration', 'department_app')),
    grantee_id    text NOT NULL,
    grantee_name  text NOT NULL,
    purpose       text NOT NULL,
    -- Department apps know the citizen only by their pairwise subject (trust transfer).
    pairwise_sub  text,
    granted_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz,
    revoked_at    timestamptz,
    CHECK ((grantee_kind = 'department_app') = (pairwise_sub IS NOT NULL))
);
CREATE UNIQUE INDEX licence_consents_active
    ON licence_consents (licence_id, grantee_kind, grantee_id) WHERE revoked_at IS NULL;
CREATE INDEX licence_consents_grantee
    ON licence_consents (grantee_kind, grantee_id, pairwise_sub) WHERE revoked_at IS NULL;
CREATE INDEX licence_consents_citizen ON licence_consents (citizen_id, granted_at DESC);

-- Every use of a licence under a consent.
CREATE TABLE licence_uses (
    id          uuid PRIMARY KEY,
    consent_id  uuid NOT NULL REFERENCES licence_consents (id),
    citizen_id  uuid NOT NULL REFERENCES citizens (id),
    licence_id  uuid NOT NULL REFERENCES citizen_licences (id),
    purpose     text NOT NULL,
    used_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX licence_uses_citizen ON licence_uses (citizen_id, used_at DESC);

-- Logs of access to a citizen's licences are evidence (Art. 36): append-only.
CREATE FUNCTION licence_log_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER licence_uses_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON licence_uses
    FOR EACH STATEMENT EXECUTE FUNCTION licence_log_append_only();
CREATE TRIGGER licence_verifications_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON licence_verifications
    FOR EACH STATEMENT EXECUTE FUNCTION licence_log_append_only();

-- Position in the library's issue/revoke event feed (one row).
CREATE TABLE licence_feed (
    singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    position    bigint NOT NULL DEFAULT 0,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO licence_feed DEFAULT VALUES;
