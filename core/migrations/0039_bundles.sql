-- 一件事 bundles (issue 16): one application for a life event, split into one declaration per
-- chosen member item (docs/bundles.md). The members' declarations are declarations' own rows;
-- a bundle keeps which ones are its members, their order, and when each started and finished.
CREATE TABLE bundles (
    id              uuid PRIMARY KEY,
    citizen_id      uuid NOT NULL REFERENCES citizens (id),
    bundle_code     text NOT NULL,
    bundle_name     text NOT NULL,
    -- draft: being filled; in_progress: submitted, some member still open; finished: every
    -- member ended (completed, refused, not accepted, withdrawn, or blocked).
    state           text NOT NULL DEFAULT 'draft'
                    CHECK (state IN ('draft', 'in_progress', 'finished')),
    answers         jsonb NOT NULL DEFAULT '{}'::jsonb,
    -- The merged form and materials as planned when the bundle was started (stable keys).
    plan            jsonb NOT NULL,
    form_data       jsonb NOT NULL DEFAULT '{}'::jsonb,
    -- How the citizen signed in when submitting: members started later by a job act the same.
    channel_method  text NOT NULL DEFAULT '',
    submit_key      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    submitted_at    timestamptz,
    finished_at     timestamptz,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (citizen_id, submit_key),
    CHECK ((state = 'draft') = (submitted_at IS NULL)),
    CHECK ((state = 'finished') = (finished_at IS NOT NULL))
);
CREATE INDEX bundles_citizen ON bundles (citizen_id, created_at DESC);
CREATE INDEX bundles_code ON bundles (bundle_code, submitted_at) WHERE state <> 'draft';

CREATE TABLE bundle_members (
    bundle_id        uuid NOT NULL REFERENCES bundles (id),
    item_code        text NOT NULL,
    item_name        text NOT NULL,
    department_code  text NOT NULL,
    department_name  text NOT NULL,
    position         smallint NOT NULL,
    -- Members (item codes) whose completion this one waits for (it needs their result).
    after_codes      text[] NOT NULL DEFAULT '{}',
    declaration_id   uuid NOT NULL UNIQUE REFERENCES declarations (id),
    -- draft: before the bundle's submission; waiting: for its predecessors; started: handed to
    -- declarations (submitted); blocked: a predecessor ended without a result, or the start
    -- was refused.
    status           text NOT NULL DEFAULT 'draft'
                     CHECK (status IN ('draft', 'waiting', 'started', 'blocked')),
    -- The declaration's state as declarations last told us (its own row is the truth).
    declaration_state text NOT NULL DEFAULT 'draft',
    blocked_reason   text,
    started_at       timestamptz,
    finished_at      timestamptz,
    PRIMARY KEY (bundle_id, item_code),
    CHECK ((status = 'blocked') = (blocked_reason IS NOT NULL))
);
