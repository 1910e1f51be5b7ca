-- A notice to a million citizens (issue 20): what PostgreSQL writes per recipient, made lean.
--
-- The notice's text is kept once, on the notice: each recipient's inbox row names the notice
-- (notice_id) and leaves title, body and link NULL; reads take them from the notice. Rows
-- written before keep their own text (the CHECK allows either).
ALTER TABLE inbox_messages ADD COLUMN notice_id uuid REFERENCES notices (id);
ALTER TABLE inbox_messages ALTER COLUMN title DROP NOT NULL;
ALTER TABLE inbox_messages ALTER COLUMN body DROP NOT NULL;
ALTER TABLE inbox_messages ADD CONSTRAINT inbox_messages_text
    CHECK (notice_id IS NOT NULL OR (title IS NOT NULL AND body IS NOT NULL));
UPDATE inbox_messages SET notice_id = substr(dedupe_key, 8)::uuid
 WHERE event_type = 'notice' AND dedupe_key ~ '^notice:[0-9a-f-]{36}$'
   AND EXISTS (SELECT 1 FROM notices n WHERE n.id::text = substr(dedupe_key, 8));

-- A notice's messages found by its id (16 bytes) rather than its dedupe key's text (43).
DROP INDEX inbox_messages_notice;
CREATE INDEX inbox_messages_notice ON inbox_messages (notice_id) INCLUDE (id, read_at)
    WHERE notice_id IS NOT NULL;
-- The unread count is per citizen, read through inbox_messages_citizen: a second index on
-- citizen_id cost every inbox row one more index entry.
DROP INDEX inbox_messages_unread;

-- Deliveries: every queued row and every row moved to `sent` took an entry in the partial
-- index on status, and with statistics lagging behind a fan-out the planner scanned that
-- index (every queued delivery) for each group commit. Deliveries are found by primary key;
-- the one reader by status is the receipts job, which asks only about app and SMS sends.
DROP INDEX push_deliveries_open;
CREATE INDEX push_deliveries_awaiting ON push_deliveries (channel, updated_at)
    WHERE status = 'sent' AND provider_id IS NOT NULL AND channel IN ('app', 'sms');
