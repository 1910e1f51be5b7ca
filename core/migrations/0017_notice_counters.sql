-- Notice figures without counting a notice's messages in the whole inbox each time: the number
-- written is kept on the notice (raised in the batch that writes them), and the inbox messages
-- of notices get their own index (reads and per-channel figures are counted in it).
ALTER TABLE notices ADD COLUMN sent integer NOT NULL DEFAULT 0;
UPDATE notices n SET sent = (
    SELECT count(*) FROM inbox_messages m
     WHERE m.event_type = 'notice' AND m.dedupe_key = 'notice:' || n.id
);
CREATE INDEX inbox_messages_notice ON inbox_messages (dedupe_key) INCLUDE (id, read_at)
    WHERE event_type = 'notice';
