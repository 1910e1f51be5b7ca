-- A notice's inbox message ids are uuidv7() (time-ordered, issue 20), built into PostgreSQL
-- since 18: refuse an older server here, at deployment, rather than at the first notice batch.
DO $$
BEGIN
    IF current_setting('server_version_num')::integer < 180000 THEN
        RAISE EXCEPTION 'handheld needs PostgreSQL 18 or later (uuidv7), this server is %',
            current_setting('server_version');
    END IF;
END
$$;
