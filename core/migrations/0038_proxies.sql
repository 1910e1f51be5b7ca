-- 委托代办 between people and a hall worker's 帮办 (docs/acting-as.md, "People acting for
-- people"). Both are mandates of migration 0037 (identity's: role 'family' granted by a
-- citizen, role 'staff' confirmed by the citizen's SMS code); these tables are the proxies
-- domain's: the consent log and the pending confirmations.

-- Every grant, confirmation, step acted and revocation under a person's mandate, in the style
-- of the licence-use log (0015): append-only evidence, listed to the principal.
CREATE TABLE proxy_log (
    id              uuid PRIMARY KEY,
    mandate_id      uuid NOT NULL REFERENCES mandates (id),
    principal_id    uuid NOT NULL REFERENCES citizens (id),
    agent_id        uuid REFERENCES citizens (id),
    agent_staff_id  uuid REFERENCES staff (id),
    event           text NOT NULL CHECK (event IN ('granted', 'confirmed', 'acted', 'revoked')),
    -- what was done ('acted': e.g. 'declaration.submit') and to what (a declaration id)
    action          text,
    target          text,
    items           text[],
    valid_until     timestamptz,
    at              timestamptz NOT NULL DEFAULT now(),
    CHECK ((agent_id IS NULL) <> (agent_staff_id IS NULL))
);
CREATE INDEX proxy_log_principal ON proxy_log (principal_id, at DESC);
CREATE INDEX proxy_log_mandate ON proxy_log (mandate_id, at DESC);

-- Append-only, except that a row follows a person into the account that absorbed theirs
-- (one person, one account: 0021) and nothing else about it changes.
CREATE FUNCTION proxy_log_follow_merge() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND to_jsonb(NEW) - 'principal_id' - 'agent_id'
           = to_jsonb(OLD) - 'principal_id' - 'agent_id'
       AND (NEW.principal_id = OLD.principal_id
            OR NEW.principal_id = (SELECT merged_into FROM citizens WHERE id = OLD.principal_id))
       AND (NEW.agent_id IS NOT DISTINCT FROM OLD.agent_id
            OR NEW.agent_id = (SELECT merged_into FROM citizens WHERE id = OLD.agent_id)) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER proxy_log_append_only BEFORE UPDATE OR DELETE ON proxy_log
    FOR EACH ROW EXECUTE FUNCTION proxy_log_follow_merge();
CREATE FUNCTION proxy_log_no_truncate() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER proxy_log_no_truncate BEFORE TRUNCATE ON proxy_log
    FOR EACH STATEMENT EXECUTE FUNCTION proxy_log_no_truncate();

-- A hall worker's request to assist a citizen, waiting for the code texted to the citizen.
-- The code itself is only in Valkey (hashed, expiring, single use); the row says who asked for
-- whom and what, and which mandate the confirmation made.
CREATE TABLE assist_requests (
    id            uuid PRIMARY KEY,
    staff_id      uuid NOT NULL REFERENCES staff (id),
    citizen_id    uuid NOT NULL REFERENCES citizens (id),
    items         text[] NOT NULL CHECK (cardinality(items) > 0),
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    confirmed_at  timestamptz,
    mandate_id    uuid REFERENCES mandates (id),
    CHECK ((confirmed_at IS NULL) = (mandate_id IS NULL))
);
CREATE INDEX assist_requests_staff ON assist_requests (staff_id, created_at DESC);
CREATE INDEX assist_requests_citizen ON assist_requests (citizen_id);
