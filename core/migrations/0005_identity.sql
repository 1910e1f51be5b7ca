-- Identity: one account per person whatever the channel (DOMAIN.md §8).
-- Personal data is stored only encrypted (SM4-GCM, *_enc) with a keyed HMAC-SM3 lookup column
-- (*_hash); plaintext never reaches the database.
CREATE TABLE citizens (
    id               uuid PRIMARY KEY,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    real_name_enc    bytea,
    id_number_enc    bytea,
    id_number_hash   bytea UNIQUE,
    phone_enc        bytea,
    phone_hash       bytea,
    -- Highest identity assurance the platform has vouched for (0 = none, 1..4 as the platform's).
    assurance_level  smallint NOT NULL DEFAULT 0 CHECK (assurance_level BETWEEN 0 AND 4),
    platform_subject text UNIQUE,
    merged_into      uuid REFERENCES citizens (id),
    CHECK ((id_number_enc IS NULL) = (id_number_hash IS NULL)),
    CHECK ((phone_enc IS NULL) = (phone_hash IS NULL))
);
CREATE INDEX citizens_phone ON citizens (phone_hash);

CREATE TABLE citizen_wechat (
    appid            text NOT NULL,
    openid           text NOT NULL,
    unionid          text,
    citizen_id       uuid NOT NULL REFERENCES citizens (id),
    session_key_enc  bytea NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (appid, openid)
);
CREATE INDEX citizen_wechat_citizen ON citizen_wechat (citizen_id);
CREATE INDEX citizen_wechat_unionid ON citizen_wechat (unionid) WHERE unionid IS NOT NULL;

-- A login starts a family; each refresh rotates the token inside it. Presenting a spent
-- token again revokes the whole family (RFC 6819 §5.2.2.3, OAuth 2.0 Security BCP §4.14).
CREATE TABLE token_families (
    id          uuid PRIMARY KEY,
    citizen_id  uuid NOT NULL REFERENCES citizens (id),
    method      text NOT NULL CHECK (method IN ('wechat', 'sso', 'sms')),
    acr         smallint NOT NULL CHECK (acr BETWEEN 0 AND 4),
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz,
    revoked_why text
);
CREATE INDEX token_families_citizen ON token_families (citizen_id) WHERE revoked_at IS NULL;

CREATE TABLE refresh_tokens (
    token_hash  bytea PRIMARY KEY,
    family_id   uuid NOT NULL REFERENCES token_families (id),
    issued_at   timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

-- Department services embedded in the mini-program/app (信任传递), registered by operations.
CREATE TABLE department_apps (
    client_id    text PRIMARY KEY,
    name         text NOT NULL,
    secret_hash  text NOT NULL,
    scopes       text[] NOT NULL CHECK (scopes <@ ARRAY['openid', 'profile', 'idcard', 'phone']::text[]),
    active       boolean NOT NULL DEFAULT true,
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE staff (
    id               uuid PRIMARY KEY,
    username         text NOT NULL UNIQUE,
    display_name     text NOT NULL,
    password_hash    text NOT NULL,
    totp_secret_enc  bytea NOT NULL,
    totp_last_step   bigint,
    role             text NOT NULL CHECK (role IN ('operator', 'supervisor', 'auditor', 'admin')),
    failed_attempts  integer NOT NULL DEFAULT 0,
    locked_until     timestamptz,
    active           boolean NOT NULL DEFAULT true,
    created_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE staff_sessions (
    token_hash    bytea PRIMARY KEY,
    staff_id      uuid NOT NULL REFERENCES staff (id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    ended_at      timestamptz,
    ended_why     text
);
CREATE INDEX staff_sessions_staff ON staff_sessions (staff_id) WHERE ended_at IS NULL;
