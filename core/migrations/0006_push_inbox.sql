-- The in-app inbox (站内消息): always the first channel, the record of what reached a citizen.
-- dedupe_key makes notify idempotent: a retried job or a replayed callback never doubles a message.
CREATE TABLE inbox_messages (
    id          uuid PRIMARY KEY,
    citizen_id  uuid NOT NULL REFERENCES citizens (id),
    event_type  text NOT NULL,
    title       text NOT NULL,
    body        text NOT NULL,
    link        text,
    dedupe_key  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    read_at     timestamptz,
    UNIQUE (citizen_id, dedupe_key)
);
CREATE INDEX inbox_messages_citizen ON inbox_messages (citizen_id, created_at DESC);
CREATE INDEX inbox_messages_unread ON inbox_messages (citizen_id) WHERE read_at IS NULL;
