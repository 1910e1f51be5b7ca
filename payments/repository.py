"""All SQL of the payments domain; rows come back as the typed Structs below."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import msgspec

from core.db import Connection, columns, many, one
from payments.schemas import Channel, MismatchStatus, NoticeStatus, OrderStatus, RefundStatus

# -- rows (fields named as the queries' columns) ---------------------------------------------


class NoticeRow(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    notice_number: str
    payment_code: str
    declaration_id: uuid.UUID | None
    case_number: str
    item_name: str
    item_code: str | None
    payee: str
    payee_code: str
    amount_fen: int
    issued_at: datetime
    expires_at: datetime
    status: NoticeStatus
    paid_at: datetime | None
    paid_order_id: uuid.UUID | None
    receipt: dict[str, Any] | None
    citizen_id: uuid.UUID


class OrderRow(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    notice_id: uuid.UUID
    citizen_id: uuid.UUID
    out_trade_no: str
    channel: Channel
    appid: str
    mchid: str
    amount_fen: int
    description: str
    status: OrderStatus
    prepay_id: str | None
    transaction_id: str | None
    paid_at: datetime | None
    expires_at: datetime
    idempotency_key: str
    request_hash: bytes
    duplicate: bool
    reported_at: datetime | None
    receipt: dict[str, Any] | None
    created_at: datetime


class OrderAndNoticeRow(OrderRow, frozen=True, kw_only=True):
    """An order with what the notification path needs of its notice."""

    notice_status: str
    declaration_id: uuid.UUID | None
    item_name: str
    notice_number: str


class StaffOrderRow(OrderRow, frozen=True, kw_only=True):
    notice_number: str
    item_name: str
    refunded_fen: int


class RefundRow(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    order_id: uuid.UUID
    out_refund_no: str
    amount_fen: int
    reason: str
    status: RefundStatus
    requested_by: uuid.UUID | None
    decided_by: uuid.UUID | None
    refund_id: str | None
    created_at: datetime
    succeeded_at: datetime | None


class MismatchRow(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    bill_date: date | None
    out_trade_no: str
    kind: str
    ours: dict[str, Any] | None
    theirs: dict[str, Any] | None
    status: MismatchStatus
    note: str | None
    created_at: datetime


class ReconciliationRow(msgspec.Struct, frozen=True, kw_only=True):
    bill_date: date
    ran_at: datetime
    bill_rows: int
    matched: int
    mismatches: int


class FiguresRow(msgspec.Struct, frozen=True, kw_only=True):
    orders_by_status: dict[str, int]
    paid_fen: int
    refunded_fen: int
    refunds_pending: int
    mismatches_open: int
    notices_unpaid: int


# -- fee notices ------------------------------------------------------------------------------


async def insert_notice(
    conn: Connection,
    *,
    citizen_id: uuid.UUID,
    declaration_id: uuid.UUID | None,
    item_code: str | None,
    case_number: str,
    notice: dict[str, Any],
) -> bool:
    row = await conn.fetchval(
        """INSERT INTO fee_notices (id, notice_number, citizen_id, declaration_id, case_number,
               payment_code, item_name, payee, payee_code, amount_fen, issued_at, expires_at,
               item_code)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
           ON CONFLICT (notice_number) DO NOTHING RETURNING id""",
        uuid.uuid4(),
        notice["noticeNumber"],
        citizen_id,
        declaration_id,
        case_number,
        notice["paymentCode"],
        notice["itemName"],
        notice["payee"],
        notice.get("payeeCode", ""),
        notice["amountFen"],
        notice["issuedAt"],
        notice["expiresAt"],
        item_code,
    )
    return row is not None


_NOTICE_COLUMNS = columns(NoticeRow)


async def notices_of(
    conn: Connection,
    citizen_id: uuid.UUID,
    statuses: list[str],
    declaration_id: uuid.UUID | None,
    items: list[str] | None = None,
) -> list[NoticeRow]:
    """``items``: only notices of these item codes (a mandate limited to items); None: all."""
    rows = await conn.fetch(
        f"""SELECT {_NOTICE_COLUMNS} FROM fee_notices
            WHERE citizen_id = $1 AND status = ANY($2::text[])
              AND ($3::uuid IS NULL OR declaration_id = $3)
              AND ($4::text[] IS NULL OR item_code = ANY($4::text[]))
            ORDER BY issued_at DESC LIMIT 200""",
        citizen_id,
        statuses,
        declaration_id,
        items,
    )
    return many(NoticeRow, rows)


# Without a lock (a read) or locked until the transaction ends (``FOR UPDATE``).
_LOCK = {False: "", True: " FOR UPDATE"}


async def notice(conn: Connection, notice_id: uuid.UUID, *, lock: bool = False) -> NoticeRow | None:
    record = await conn.fetchrow(
        f"SELECT {_NOTICE_COLUMNS} FROM fee_notices WHERE id = $1{_LOCK[lock]}", notice_id
    )
    return one(NoticeRow, record)


async def set_notice_receipt(conn: Connection, notice_id: uuid.UUID, receipt: Any) -> None:
    await conn.execute("UPDATE fee_notices SET receipt = $2 WHERE id = $1", notice_id, receipt)


# -- orders -----------------------------------------------------------------------------------

_ORDER_COLUMNS = columns(OrderRow, "o")


async def order_by_key(conn: Connection, citizen_id: uuid.UUID, key: str) -> OrderRow | None:
    record = await conn.fetchrow(
        f"SELECT {_ORDER_COLUMNS} FROM payment_orders o "
        "WHERE o.citizen_id = $1 AND o.idempotency_key = $2",
        citizen_id,
        key,
    )
    return one(OrderRow, record)


async def order(conn: Connection, order_id: uuid.UUID, *, lock: bool = False) -> OrderRow | None:
    record = await conn.fetchrow(
        f"SELECT {_ORDER_COLUMNS} FROM payment_orders o WHERE o.id = $1{_LOCK[lock]}", order_id
    )
    return one(OrderRow, record)


async def lock_order_and_notice(conn: Connection, out_trade_no: str) -> OrderAndNoticeRow | None:
    """The order and its notice, both rows locked (one round trip on the notification path)."""
    record = await conn.fetchrow(
        f"""SELECT {_ORDER_COLUMNS}, n.status AS notice_status, n.declaration_id,
                   n.item_name, n.notice_number
            FROM payment_orders o JOIN fee_notices n ON n.id = o.notice_id
            WHERE o.out_trade_no = $1 FOR UPDATE OF o, n""",
        out_trade_no,
    )
    return one(OrderAndNoticeRow, record)


async def mark_paid(
    conn: Connection,
    *,
    order_id: uuid.UUID,
    notice_id: uuid.UUID,
    transaction_id: str,
    paid_at: datetime,
    duplicate: bool,
) -> None:
    """The order paid and, unless another order paid it first, its notice too."""
    await conn.execute(
        """WITH paid AS (
               UPDATE payment_orders SET status = 'paid', transaction_id = $3, paid_at = $4,
                   duplicate = $5, updated_at = now()
               WHERE id = $1)
           UPDATE fee_notices SET status = 'paid', paid_order_id = $1, paid_at = $4
           WHERE id = $2 AND NOT $5 AND status <> 'paid'""",
        order_id,
        notice_id,
        transaction_id,
        paid_at,
        duplicate,
    )


async def open_order(conn: Connection, notice_id: uuid.UUID) -> OrderRow | None:
    record = await conn.fetchrow(
        f"SELECT {_ORDER_COLUMNS} FROM payment_orders o "
        "WHERE o.notice_id = $1 AND o.status = 'pending'",
        notice_id,
    )
    return one(OrderRow, record)


async def insert_order(conn: Connection, **values: Any) -> None:
    names = ", ".join(values)
    params = ", ".join(f"${i}" for i in range(1, len(values) + 1))
    await conn.execute(f"INSERT INTO payment_orders ({names}) VALUES ({params})", *values.values())


async def _update(conn: Connection, table: str, row_id: uuid.UUID, fields: dict[str, Any]) -> None:
    """``UPDATE <table> SET <fields>, updated_at = now()``: table and column names come from
    this module only; every value is a bound parameter."""
    assignments, args = ["updated_at = now()"], [row_id]
    for name, value in fields.items():
        args.append(value)
        assignments.append(f"{name} = ${len(args)}")
    await conn.execute(f"UPDATE {table} SET {', '.join(assignments)} WHERE id = $1", *args)


async def update_order(conn: Connection, order_id: uuid.UUID, **fields: Any) -> None:
    await _update(conn, "payment_orders", order_id, fields)


async def staff_orders(conn: Connection, status: str | None, limit: int) -> list[StaffOrderRow]:
    records = await conn.fetch(
        f"""SELECT {_ORDER_COLUMNS}, n.notice_number, n.item_name,
                   COALESCE((SELECT sum(r.amount_fen) FROM payment_refunds r
                             WHERE r.order_id = o.id AND r.status = 'success'), 0) AS refunded_fen
            FROM payment_orders o JOIN fee_notices n ON n.id = o.notice_id
            WHERE ($1::text IS NULL OR o.status = $1)
            ORDER BY o.created_at DESC LIMIT $2""",
        status,
        limit,
    )
    return many(StaffOrderRow, records)


async def paid_orders_between(
    conn: Connection, start: datetime, end: datetime, mchid: str
) -> list[OrderRow]:
    records = await conn.fetch(
        f"""SELECT {_ORDER_COLUMNS} FROM payment_orders o
            WHERE o.paid_at >= $1 AND o.paid_at < $2 AND o.mchid = $3""",
        start,
        end,
        mchid,
    )
    return many(OrderRow, records)


async def orders_by_trade_nos(conn: Connection, trade_nos: list[str]) -> list[OrderRow]:
    records = await conn.fetch(
        f"SELECT {_ORDER_COLUMNS} FROM payment_orders o WHERE o.out_trade_no = ANY($1::text[])",
        trade_nos,
    )
    return many(OrderRow, records)


# -- notifications ----------------------------------------------------------------------------


async def store_notification(
    conn: Connection,
    notification_id: str,
    event_type: str,
    resource: dict[str, Any],
    *,
    out_trade_no: str | None = None,
    out_refund_no: str | None = None,
) -> bool:
    row = await conn.fetchval(
        """INSERT INTO payment_notifications (id, event_type, out_trade_no, out_refund_no, resource)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING RETURNING id""",
        notification_id,
        event_type,
        out_trade_no,
        out_refund_no,
        resource,
    )
    return row is not None


# -- refunds ----------------------------------------------------------------------------------

_REFUND_COLUMNS = columns(RefundRow)


async def insert_refund(
    conn: Connection,
    *,
    refund_id: uuid.UUID,
    order_id: uuid.UUID,
    out_refund_no: str,
    amount_fen: int,
    reason: str,
    requested_by: uuid.UUID | None,
    status: str = "pending_approval",
) -> None:
    await conn.execute(
        """INSERT INTO payment_refunds (id, order_id, out_refund_no, amount_fen, reason,
               requested_by, status)
           VALUES ($1, $2, $3, $4, $5, $6, $7)""",
        refund_id,
        order_id,
        out_refund_no,
        amount_fen,
        reason,
        requested_by,
        status,
    )


async def refundable_fen(conn: Connection, order_id: uuid.UUID) -> int:
    """The paid amount less every refund not rejected (asked, approved, under way or done)."""
    value = await conn.fetchval(
        """SELECT o.amount_fen - COALESCE(sum(r.amount_fen) FILTER (
                   WHERE r.status NOT IN ('rejected', 'closed', 'abnormal')), 0)
           FROM payment_orders o LEFT JOIN payment_refunds r ON r.order_id = o.id
           WHERE o.id = $1 GROUP BY o.amount_fen""",
        order_id,
    )
    return int(value or 0)


async def refunds(conn: Connection, status: str | None, limit: int) -> list[RefundRow]:
    records = await conn.fetch(
        f"""SELECT {_REFUND_COLUMNS} FROM payment_refunds
            WHERE ($1::text IS NULL OR status = $1) ORDER BY created_at DESC LIMIT $2""",
        status,
        limit,
    )
    return many(RefundRow, records)


async def refund(conn: Connection, refund_id: uuid.UUID, *, lock: bool = False) -> RefundRow | None:
    record = await conn.fetchrow(
        f"SELECT {_REFUND_COLUMNS} FROM payment_refunds WHERE id = $1{_LOCK[lock]}", refund_id
    )
    return one(RefundRow, record)


async def lock_refund_by_number(conn: Connection, out_refund_no: str) -> RefundRow | None:
    record = await conn.fetchrow(
        f"SELECT {_REFUND_COLUMNS} FROM payment_refunds WHERE out_refund_no = $1 FOR UPDATE",
        out_refund_no,
    )
    return one(RefundRow, record)


async def update_refund(conn: Connection, refund_pk: uuid.UUID, **fields: Any) -> None:
    await _update(conn, "payment_refunds", refund_pk, fields)


async def refunded_fen(conn: Connection, order_id: uuid.UUID) -> int:
    value = await conn.fetchval(
        """SELECT COALESCE(sum(amount_fen), 0) FROM payment_refunds
           WHERE order_id = $1 AND status = 'success'""",
        order_id,
    )
    return int(value)


# -- reconciliation ---------------------------------------------------------------------------


async def add_mismatch(
    conn: Connection,
    *,
    bill_date: date | None,
    out_trade_no: str,
    kind: str,
    ours: dict[str, Any] | None,
    theirs: dict[str, Any] | None,
) -> bool:
    row = await conn.fetchval(
        """INSERT INTO payment_mismatches (id, bill_date, out_trade_no, kind, ours, theirs)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (bill_date, out_trade_no, kind) DO NOTHING RETURNING id""",
        uuid.uuid4(),
        bill_date,
        out_trade_no,
        kind,
        ours,
        theirs,
    )
    return row is not None


async def mismatches(conn: Connection, status: str | None, limit: int) -> list[MismatchRow]:
    records = await conn.fetch(
        """SELECT id, bill_date, out_trade_no, kind, ours, theirs, status, note, created_at
           FROM payment_mismatches WHERE ($1::text IS NULL OR status = $1)
           ORDER BY created_at DESC LIMIT $2""",
        status,
        limit,
    )
    return many(MismatchRow, records)


async def resolve_mismatch(
    conn: Connection, mismatch_id: uuid.UUID, staff_id: uuid.UUID, note: str
) -> MismatchRow | None:
    record = await conn.fetchrow(
        """UPDATE payment_mismatches SET status = 'resolved', note = $3, resolved_by = $2,
               resolved_at = now()
           WHERE id = $1 AND status = 'open'
           RETURNING id, bill_date, out_trade_no, kind, ours, theirs, status, note, created_at""",
        mismatch_id,
        staff_id,
        note,
    )
    return one(MismatchRow, record)


async def save_reconciliation(
    conn: Connection, bill_date: date, bill_rows: int, matched: int, mismatches: int
) -> ReconciliationRow:
    row = await conn.fetchrow(
        """INSERT INTO payment_reconciliations (bill_date, bill_rows, matched, mismatches)
           VALUES ($1, $2, $3, $4)
           ON CONFLICT (bill_date) DO UPDATE SET ran_at = now(), bill_rows = $2, matched = $3,
               mismatches = $4
           RETURNING bill_date, ran_at, bill_rows, matched, mismatches""",
        bill_date,
        bill_rows,
        matched,
        mismatches,
    )
    saved = one(ReconciliationRow, row)
    assert saved is not None
    return saved


async def reconciliations(conn: Connection, limit: int) -> list[ReconciliationRow]:
    records = await conn.fetch(
        """SELECT bill_date, ran_at, bill_rows, matched, mismatches FROM payment_reconciliations
           ORDER BY bill_date DESC LIMIT $1""",
        limit,
    )
    return many(ReconciliationRow, records)


async def figures(conn: Connection) -> FiguresRow:
    """Totals for the staff dashboard, in one statement."""
    row = await conn.fetchrow(
        """SELECT
               (SELECT COALESCE(jsonb_object_agg(status, n), '{}'::jsonb)
                  FROM (SELECT status, count(*) AS n FROM payment_orders GROUP BY status) s)
                   AS orders_by_status,
               (SELECT COALESCE(sum(amount_fen), 0) FROM payment_orders
                 WHERE status IN ('paid', 'refunded')) AS paid_fen,
               (SELECT COALESCE(sum(amount_fen), 0) FROM payment_refunds
                 WHERE status = 'success') AS refunded_fen,
               (SELECT count(*) FROM payment_refunds WHERE status = 'pending_approval')
                   AS refunds_pending,
               (SELECT count(*) FROM payment_mismatches WHERE status = 'open') AS mismatches_open,
               (SELECT count(*) FROM fee_notices WHERE status = 'unpaid' AND expires_at > now())
                   AS notices_unpaid"""
    )
    figures = one(FiguresRow, row)
    assert figures is not None
    return figures


# --- one person, one account (the identity domain joins a person's accounts) ---------------------


async def absorb_citizen(conn: Connection, source: uuid.UUID, target: uuid.UUID) -> dict[str, int]:
    """Fee notices and orders of ``source`` become ``target``'s. An idempotency key both
    accounts used keeps naming its own order: ``source``'s gets a suffix."""
    notices = await conn.execute(
        "UPDATE fee_notices SET citizen_id = $2 WHERE citizen_id = $1", source, target
    )
    orders = await conn.execute(
        """UPDATE payment_orders o SET citizen_id = $2,
               idempotency_key = CASE WHEN EXISTS (
                   SELECT 1 FROM payment_orders t
                    WHERE t.citizen_id = $2 AND t.idempotency_key = o.idempotency_key)
                   THEN o.idempotency_key || ':merged:' || $1::text ELSE o.idempotency_key END
           WHERE o.citizen_id = $1""",
        source,
        target,
    )
    return {
        "fee_notices": int(notices.rsplit(" ", 1)[-1]),
        "payment_orders": int(orders.rsplit(" ", 1)[-1]),
    }


# --- for service figures (the figures rollup creates ``figure_facts`` in its transaction) -------


async def stage_figure_payments(conn: Connection, since: datetime) -> None:
    """Into the caller's ``figure_facts``: per China day an order was made and its notice's
    declaration, the orders (a second payment of a paid notice left out: it is refunded, never
    a payment) and those paid (refunded later included: the payment itself went through)."""
    await conn.execute(
        """INSERT INTO figure_facts (day, declaration_id, payment_orders, payments_paid)
           SELECT (o.created_at AT TIME ZONE 'Asia/Shanghai')::date, n.declaration_id,
                  count(*), count(*) FILTER (WHERE o.status IN ('paid', 'refunded'))
             FROM payment_orders o JOIN fee_notices n ON n.id = o.notice_id
            WHERE o.created_at >= $1 AND NOT o.duplicate
            GROUP BY 1, 2""",
        since,
    )
