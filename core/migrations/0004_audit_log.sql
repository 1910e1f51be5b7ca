-- Append-only audit log (DOMAIN.md §9: every access to a citizen's data is auditable; no one
-- may silently alter or delete it). Rows are written only by core.audit.append, which chains
-- them: hash = SM3(prev_hash || canonical encoding of the row), so core.audit.verify finds any
-- row changed or removed by someone who got past the trigger below (a superuser, or the table
-- owner disabling it). In production the application role should not own this table and be
-- granted only INSERT and SELECT on it (and USAGE on its sequence).
CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL,
    actor_type  text NOT NULL
                CHECK (actor_type IN ('citizen', 'staff', 'department_app', 'system', 'platform')),
    actor_id    text,
    action      text NOT NULL CHECK (action <> ''),
    target_type text,
    target_id   text,
    -- Never plaintext ID numbers or phone numbers: mask them (core.pii) before they get here.
    details     jsonb,
    ip          text,
    request_id  text,
    -- NULL only on the first row of the chain.
    prev_hash   bytea CHECK (prev_hash IS NULL OR octet_length(prev_hash) = 32),
    hash        bytea NOT NULL CHECK (octet_length(hash) = 32)
);

CREATE INDEX audit_log_target ON audit_log (target_type, target_id, id);
CREATE INDEX audit_log_actor ON audit_log (actor_type, actor_id, id);
CREATE INDEX audit_log_at ON audit_log USING brin (at);

CREATE FUNCTION audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

-- Statement-level, so even an UPDATE or DELETE matching no row is refused: a probe that
-- "succeeds" on zero rows would teach the wrong lesson.
CREATE TRIGGER audit_log_no_update_delete
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate
    BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- ALWAYS: the triggers also fire under session_replication_role = replica, which a
-- superuser could otherwise set to skip them without altering the table.
ALTER TABLE audit_log ENABLE ALWAYS TRIGGER audit_log_no_update_delete;
ALTER TABLE audit_log ENABLE ALWAYS TRIGGER audit_log_no_truncate;
