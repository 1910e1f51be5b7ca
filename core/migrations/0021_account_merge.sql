-- One person, one account: when two accounts turn out to be the same person, everything keyed
-- by the absorbed account's id moves to the surviving one (api.identity.service), and the
-- absorbed row stays as a tombstone (`merged_into`, since 0005): the audit log and the tokens
-- still in flight keep naming a row, and nothing is ever deleted from under a foreign key.
ALTER TABLE citizens ADD COLUMN merged_at timestamptz;
UPDATE citizens SET merged_at = updated_at WHERE merged_into IS NOT NULL;
ALTER TABLE citizens
    ADD CONSTRAINT citizens_merged_at CHECK ((merged_into IS NULL) = (merged_at IS NULL)),
    ADD CONSTRAINT citizens_not_merged_into_self CHECK (merged_into <> id);
CREATE INDEX citizens_merged_into ON citizens (merged_into) WHERE merged_into IS NOT NULL;

-- The licence logs (0015) stay append-only, with one exception: a row follows its citizen into
-- the account that absorbed it, and nothing else about it changes. Row-level now, so the
-- trigger can see what changed; TRUNCATE is still refused by the statement-level one.
CREATE FUNCTION licence_log_follow_merge() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND to_jsonb(NEW) - 'citizen_id' = to_jsonb(OLD) - 'citizen_id'
       AND NEW.citizen_id = (SELECT merged_into FROM citizens WHERE id = OLD.citizen_id) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END;
$$;

DROP TRIGGER licence_uses_append_only ON licence_uses;
CREATE TRIGGER licence_uses_append_only BEFORE UPDATE OR DELETE ON licence_uses
    FOR EACH ROW EXECUTE FUNCTION licence_log_follow_merge();
CREATE TRIGGER licence_uses_no_truncate BEFORE TRUNCATE ON licence_uses
    FOR EACH STATEMENT EXECUTE FUNCTION licence_log_append_only();

DROP TRIGGER licence_verifications_append_only ON licence_verifications;
CREATE TRIGGER licence_verifications_append_only BEFORE UPDATE OR DELETE ON licence_verifications
    FOR EACH ROW EXECUTE FUNCTION licence_log_follow_merge();
CREATE TRIGGER licence_verifications_no_truncate BEFORE TRUNCATE ON licence_verifications
    FOR EACH STATEMENT EXECUTE FUNCTION licence_log_append_only();
