-- Idempotency-Key answers (core/idempotency.py): the first request with a key claims the row
-- (its primary key is what a concurrent copy waits on) and stores its answer in the same
-- transaction as its change; copies get that answer back. Kept 24 h, purged hourly.
CREATE TABLE idempotency_keys (
    citizen_id     uuid NOT NULL REFERENCES citizens (id) ON DELETE CASCADE,
    route          text NOT NULL,
    key            text NOT NULL,
    -- SHA-256 of what the request targets and carries: the same key with another is refused.
    request_hash   bytea NOT NULL CHECK (length(request_hash) = 32),
    -- The answer exactly as sent (JSON bytes, not jsonb: a replay is byte for byte the same).
    status_code    smallint CHECK (status_code BETWEEN 200 AND 299),
    response_body  bytea,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (citizen_id, route, key),
    CHECK ((status_code IS NULL) = (response_body IS NULL))
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
