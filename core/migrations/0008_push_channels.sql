-- Push channels beyond the inbox: a delivery log per message and channel, WeChat
-- subscribe-message quotas, citizens' channel preferences.
CREATE TABLE push_deliveries (
    message_id   uuid NOT NULL REFERENCES inbox_messages (id),
    channel      text NOT NULL CHECK (channel IN ('wechat', 'app', 'sms')),
    status       text NOT NULL DEFAULT 'queued'
                 CHECK (status IN ('queued', 'sent', 'delivered', 'failed', 'skipped')),
    reason       text,
    provider_id  text,
    attempts     integer NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (message_id, channel)
);
CREATE INDEX push_deliveries_open ON push_deliveries (status) WHERE status IN ('queued', 'sent');

-- What a citizen allowed us to send (订阅消息): one-time grants are counted, long-term ones
-- are open until revoked. Credited by WeChat's message-push events and the client's report,
-- debited on each send, zeroed when WeChat answers 43101.
CREATE TABLE wechat_subscriptions (
    openid       text NOT NULL,
    template_id  text NOT NULL,
    quota        integer NOT NULL DEFAULT 0 CHECK (quota >= 0),
    long_term    boolean NOT NULL DEFAULT false,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (openid, template_id)
);

CREATE TABLE push_preferences (
    citizen_id  uuid PRIMARY KEY REFERENCES citizens (id),
    wechat      boolean NOT NULL DEFAULT true,
    app         boolean NOT NULL DEFAULT true,
    sms         boolean NOT NULL DEFAULT true,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Inbox of WeChat's message-push events: stored once (by a digest of the decrypted event).
CREATE TABLE wechat_push_events (
    digest       bytea PRIMARY KEY,
    openid       text NOT NULL,
    event        text NOT NULL,
    body         jsonb NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now()
);

-- The template parameters of each message, for channels that render their own (WeChat fields).
ALTER TABLE inbox_messages ADD COLUMN params jsonb NOT NULL DEFAULT '{}';
