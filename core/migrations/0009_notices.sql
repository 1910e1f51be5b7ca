-- Notices (通知公告) from operations staff: drafted, approved by someone else, sent in batches.
CREATE TABLE notices (
    id            uuid PRIMARY KEY,
    title         text NOT NULL CHECK (length(title) BETWEEN 1 AND 60),
    body          text NOT NULL CHECK (length(body) BETWEEN 1 AND 2000),
    link          text,
    audience      jsonb NOT NULL,
    channels      text[] NOT NULL DEFAULT '{inbox}',
    status        text NOT NULL DEFAULT 'draft'
                  CHECK (status IN ('draft', 'approved', 'sending', 'sent', 'cancelled')),
    created_by    uuid NOT NULL REFERENCES staff (id),
    approved_by   uuid REFERENCES staff (id),
    send_at       timestamptz,
    targeted      integer,
    cursor        uuid,
    created_at    timestamptz NOT NULL DEFAULT now(),
    approved_at   timestamptz,
    finished_at   timestamptz,
    -- The four-eyes rule in the database too: no one approves their own notice.
    CHECK (approved_by IS NULL OR approved_by <> created_by)
);
