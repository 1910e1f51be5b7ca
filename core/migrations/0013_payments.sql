-- Payments (DOMAIN.md §5): the platform's fee notices, our WeChat Pay orders, WeChat's
-- notifications (an inbox), refunds with four-eyes approval, and daily reconciliation.

-- A payment notice (缴款通知书) the platform issued for a case; amounts are integer fen.
CREATE TABLE fee_notices (
    id              uuid PRIMARY KEY,
    notice_number   text NOT NULL UNIQUE,
    citizen_id      uuid NOT NULL REFERENCES citizens (id),
    declaration_id  uuid REFERENCES declarations (id),
    case_number     text NOT NULL,
    payment_code    text NOT NULL,
    item_name       text NOT NULL,
    payee           text NOT NULL,
    payee_code      text NOT NULL DEFAULT '',
    amount_fen      integer NOT NULL CHECK (amount_fen > 0),
    issued_at       timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    status          text NOT NULL DEFAULT 'unpaid'
                    CHECK (status IN ('unpaid', 'paid', 'expired', 'cancelled')),
    paid_order_id   uuid,
    paid_at         timestamptz,
    receipt         jsonb,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'paid') = (paid_order_id IS NOT NULL))
);
CREATE INDEX fee_notices_citizen ON fee_notices (citizen_id, status, issued_at DESC);
CREATE INDEX fee_notices_declaration ON fee_notices (declaration_id);

CREATE TABLE payment_orders (
    id               uuid PRIMARY KEY,
    notice_id        uuid NOT NULL REFERENCES fee_notices (id),
    citizen_id       uuid NOT NULL REFERENCES citizens (id),
    out_trade_no     text NOT NULL UNIQUE CHECK (out_trade_no ~ '^[0-9A-Za-z]{6,32}$'),
    channel          text NOT NULL CHECK (channel IN ('jsapi', 'app')),
    appid            text NOT NULL,
    mchid            text NOT NULL,
    amount_fen       integer NOT NULL CHECK (amount_fen > 0),
    description      text NOT NULL,
    status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'paid', 'closed', 'failed', 'refunded')),
    prepay_id        text,
    transaction_id   text UNIQUE,
    paid_at          timestamptz,
    expires_at       timestamptz NOT NULL,
    idempotency_key  text NOT NULL,
    request_hash     bytea NOT NULL,
    -- A second payment of an already paid notice (two phones): refunded, never kept.
    duplicate        boolean NOT NULL DEFAULT false,
    reported_at      timestamptz,
    receipt          jsonb,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (citizen_id, idempotency_key),
    CHECK ((status IN ('paid', 'refunded')) = (transaction_id IS NOT NULL))
);
-- At most one open order per notice.
CREATE UNIQUE INDEX payment_orders_one_open ON payment_orders (notice_id) WHERE status = 'pending';
CREATE INDEX payment_orders_citizen ON payment_orders (citizen_id, created_at DESC);
CREATE INDEX payment_orders_paid_at ON payment_orders (paid_at) WHERE paid_at IS NOT NULL;

-- WeChat Pay's notifications, stored once by their id (duplicates arrive within a second).
CREATE TABLE payment_notifications (
    id            text PRIMARY KEY,
    event_type    text NOT NULL,
    out_trade_no  text,
    out_refund_no text,
    resource      jsonb NOT NULL,
    received_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE payment_refunds (
    id             uuid PRIMARY KEY,
    order_id       uuid NOT NULL REFERENCES payment_orders (id),
    out_refund_no  text NOT NULL UNIQUE CHECK (out_refund_no ~ '^[0-9A-Za-z_*@|-]{1,64}$'),
    amount_fen     integer NOT NULL CHECK (amount_fen > 0),
    reason         text NOT NULL,
    status         text NOT NULL DEFAULT 'pending_approval'
                   CHECK (status IN ('pending_approval', 'rejected', 'approved', 'processing',
                                     'success', 'closed', 'abnormal')),
    requested_by   uuid REFERENCES staff (id),
    decided_by     uuid REFERENCES staff (id),
    refund_id      text,
    decided_at     timestamptz,
    succeeded_at   timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    -- Four eyes: whoever asked for a refund cannot approve it (automatic refunds have no asker).
    CHECK (decided_by IS NULL OR requested_by IS NULL OR decided_by <> requested_by)
);
CREATE INDEX payment_refunds_order ON payment_refunds (order_id);

CREATE TABLE payment_reconciliations (
    bill_date    date PRIMARY KEY,
    ran_at       timestamptz NOT NULL DEFAULT now(),
    bill_rows    integer NOT NULL,
    matched      integer NOT NULL,
    mismatches   integer NOT NULL
);

CREATE TABLE payment_mismatches (
    id            uuid PRIMARY KEY,
    bill_date     date,
    out_trade_no  text NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('missing_ours', 'missing_theirs', 'amount',
                                                'duplicate_payment', 'notification')),
    ours          jsonb,
    theirs        jsonb,
    status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    note          text,
    resolved_by   uuid REFERENCES staff (id),
    resolved_at   timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE NULLS NOT DISTINCT (bill_date, out_trade_no, kind)
);
CREATE INDEX payment_mismatches_open ON payment_mismatches (created_at DESC) WHERE status = 'open';
