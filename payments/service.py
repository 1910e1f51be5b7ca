"""Payments: fee notices, orders, WeChat Pay notifications, refunds and reconciliation.

Money moves exactly once: an order is created once per Idempotency-Key, at most one is open per
notice, a notification changes an order's state once (inbox on its id + the order row locked),
a refund is made once per ``out_refund_no``, and the platform hears of a payment by one job.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import string
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import msgspec

from core import audit, jobs
from core.clients.provincial import PaymentAlreadyReported, ProvincialCasesClient
from core.clients.wechatpay import (
    PayNotification,
    Transaction,
    WechatPayClient,
    WechatPayError,
    WechatPaySignatureInvalid,
    parse_trade_bill,
)
from core.clock import china_today
from core.db import Connection, Pool
from core.errors import IdempotencyKeyReused, OutsideSystemError
from core.principals import CitizenPrincipal, StaffPrincipal
from core.settings import WechatPaySettings
from payments import errors
from payments import repository as repo
from payments.schemas import (
    CreateOrder,
    FeeNotice,
    Mismatch,
    Order,
    OrderJob,
    PaymentFigures,
    Receipt,
    ReconcileJob,
    Reconciliation,
    Refund,
    RefundJob,
    StaffOrder,
)

log = logging.getLogger(__name__)

CHINA = ZoneInfo("Asia/Shanghai")
PAID_JOB = "payments.paid"
POLL_JOB = "payments.poll"
REFUND_JOB = "payments.refund"
RECONCILE_JOB = "payments.reconcile"
RECONCILE_DAILY_JOB = "payments.reconcile_daily"
_BASE62 = string.digits + string.ascii_letters


@dataclass(frozen=True, slots=True)
class PaidOrder:
    """What other domains hear of a payment (through the hook the composition root wires)."""

    order_id: uuid.UUID
    citizen_id: uuid.UUID
    declaration_id: uuid.UUID | None
    item_name: str
    amount_fen: int


PaidHook = Callable[[Connection, PaidOrder], Awaitable[None]]


async def record_fee_notice(
    conn: Connection,
    *,
    citizen_id: uuid.UUID,
    declaration_id: uuid.UUID | None,
    case_number: str,
    notice: Mapping[str, Any],
) -> bool:
    """Keep a payment notice the platform issued (called by the declarations domain inside the
    transaction applying the platform's event); a repeated notice number changes nothing."""
    values = dict(notice)
    for field in ("issuedAt", "expiresAt"):
        values[field] = _parse_time(str(values[field]))
    return await repo.insert_notice(
        conn,
        citizen_id=citizen_id,
        declaration_id=declaration_id,
        case_number=case_number,
        notice=values,
    )


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def new_trade_no(prefix: str = "HH", now: datetime | None = None) -> str:
    """``out_trade_no``: 6–32 of [0-9A-Za-z]; China's date first, so bills and logs sort by day."""
    stamp = china_today(now).strftime("%Y%m%d")
    return prefix + stamp + "".join(secrets.choice(_BASE62) for _ in range(16))


def _request_hash(body: CreateOrder) -> bytes:
    return hashlib.sha256(msgspec.json.encode(body)).digest()


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class PaymentsService:
    pool: Pool
    # None where WeChat Pay is not configured: payment endpoints then answer 503.
    client: WechatPayClient | None
    platform: ProvincialCasesClient
    settings: WechatPaySettings
    on_paid: PaidHook

    @property
    def wechatpay(self) -> WechatPayClient:
        if self.client is None:
            raise errors.PaymentUnavailable("WeChat Pay is not configured")
        return self.client

    # -- citizens ------------------------------------------------------------------------------

    async def notices(
        self,
        conn: Connection,
        citizen: CitizenPrincipal,
        status: str,
        declaration_id: uuid.UUID | None = None,
    ) -> list[FeeNotice]:
        statuses = {"unpaid": ["unpaid"], "paid": ["paid"]}.get(
            status, ["unpaid", "paid", "expired", "cancelled"]
        )
        rows = await repo.notices_of(conn, citizen.citizen_id, statuses, declaration_id)
        return [_notice(r) for r in rows]

    async def create_order(
        self, conn: Connection, citizen: CitizenPrincipal, key: str, body: CreateOrder
    ) -> Order:
        request_hash = _request_hash(body)
        # Copies within a day are answered by core.idempotency before this runs; this check
        # (and the key's UNIQUE) answers one arriving after the stored answer was purged.
        existing = await repo.order_by_key(conn, citizen.citizen_id, key)
        if existing is not None:
            if bytes(existing["request_hash"]) != request_hash:
                raise IdempotencyKeyReused()
            return await self._order_view(conn, existing)
        notice = await self._payable_notice(conn, citizen, body.notice_id)
        open_order = await repo.open_order(conn, notice["id"])
        if open_order is not None:
            if open_order["expires_at"] > _now() and open_order["channel"] == body.channel:
                return await self._order_view(conn, open_order)
            if open_order["expires_at"] > _now():
                raise errors.OrderOpenElsewhere(orderId=str(open_order["id"]))
            # Expired unpaid: closed here; its poll job still asks WeChat one last time.
            await repo.update_order(conn, open_order["id"], status="closed")
        return await self._new_order(conn, citizen, key, request_hash, notice, body)

    async def _payable_notice(
        self, conn: Connection, citizen: CitizenPrincipal, notice_id: str
    ) -> asyncpg.Record:
        try:
            parsed = uuid.UUID(notice_id)
        except ValueError as exc:
            raise errors.NoticeNotFound() from exc
        notice = await repo.lock_notice(conn, parsed)
        if notice is None or notice["citizen_id"] != citizen.citizen_id:
            raise errors.NoticeNotFound()
        if notice["status"] == "paid":
            raise errors.NoticePaid()
        if notice["status"] != "unpaid" or notice["expires_at"] <= _now():
            raise errors.NoticeExpired()
        return notice

    async def _new_order(
        self,
        conn: Connection,
        citizen: CitizenPrincipal,
        key: str,
        request_hash: bytes,
        notice: asyncpg.Record,
        body: CreateOrder,
    ) -> Order:
        appid = self.settings.appid if body.channel == "jsapi" else self.settings.app_appid
        openid = None
        if body.channel == "jsapi":
            openid = await repo.wechat_openid(conn, citizen.citizen_id, appid)
            if openid is None:
                raise errors.WechatNotBound()
        expires_at = min(
            _now() + timedelta(seconds=self.settings.order_ttl_s), notice["expires_at"]
        ).replace(microsecond=0)
        order_id, trade_no = uuid.uuid4(), new_trade_no()
        description = f"{notice['item_name']}-缴款码{notice['payment_code']}"[:127]
        await repo.insert_order(
            conn, id=order_id, notice_id=notice["id"], citizen_id=citizen.citizen_id,
            out_trade_no=trade_no, channel=body.channel, appid=appid, mchid=self.settings.mchid,
            amount_fen=notice["amount_fen"], description=description, expires_at=expires_at,
            idempotency_key=key, request_hash=request_hash,
        )  # fmt: skip
        # WeChat must know the order before the citizen can pay, so this one outside call runs
        # in the request; it is idempotent by out_trade_no, and an outage rolls back our order.
        try:
            if body.channel == "jsapi":
                assert openid is not None
                prepay_id = await self.wechatpay.jsapi_prepay(
                    out_trade_no=trade_no, description=description, total=notice["amount_fen"],
                    openid=openid, time_expire=expires_at, attach=str(notice["id"]),
                )  # fmt: skip
            else:
                prepay_id = await self.wechatpay.app_prepay(
                    out_trade_no=trade_no, description=description, total=notice["amount_fen"],
                    time_expire=expires_at, attach=str(notice["id"]),
                )  # fmt: skip
        except (WechatPayError, OutsideSystemError) as exc:
            log.warning("prepay failed", extra={"outTradeNo": trade_no, "error": str(exc)})
            raise errors.PaymentUnavailable() from exc
        await repo.update_order(conn, order_id, prepay_id=prepay_id)
        await self._schedule_poll(conn, order_id, 0)
        created = await repo.order(conn, order_id)
        assert created is not None
        return await self._order_view(conn, created)

    async def _schedule_poll(self, conn: Connection, order_id: uuid.UUID, attempt: int) -> None:
        delays = self.settings.poll_delays() or [60.0]
        delay = delays[min(attempt, len(delays) - 1)]
        await jobs.enqueue(
            conn, POLL_JOB, OrderJob(str(order_id), attempt),
            dedupe_key=f"poll:{order_id}:{attempt}", delay=timedelta(seconds=delay),
        )  # fmt: skip

    async def order(
        self, conn: Connection, citizen: CitizenPrincipal, order_id: uuid.UUID
    ) -> Order:
        row = await repo.order(conn, order_id)
        if row is None or row["citizen_id"] != citizen.citizen_id:
            raise errors.OrderNotFound()
        return await self._order_view(conn, row)

    async def receipt(
        self, conn: Connection, citizen: CitizenPrincipal, order_id: uuid.UUID
    ) -> Receipt:
        view = await self.order(conn, citizen, order_id)
        if view.receipt is None:
            raise errors.ReceiptNotReady()
        return view.receipt

    async def _order_view(self, conn: Connection, row: asyncpg.Record) -> Order:
        pay_params = None
        if row["status"] == "pending" and row["prepay_id"] and row["expires_at"] > _now():
            if row["channel"] == "jsapi":
                pay_params = self.wechatpay.jsapi_pay_params(row["prepay_id"])
            else:
                pay_params = self.wechatpay.app_pay_params(row["prepay_id"])
        return Order(
            id=str(row["id"]), notice_id=str(row["notice_id"]), out_trade_no=row["out_trade_no"],
            channel=row["channel"], amount_fen=row["amount_fen"], description=row["description"],
            status=row["status"], expires_at=row["expires_at"], created_at=row["created_at"],
            paid_at=row["paid_at"], pay_params=pay_params, receipt=_receipt(row["receipt"]),
        )  # fmt: skip

    # -- WeChat's notifications ----------------------------------------------------------------

    async def verify_notification(self, headers: Mapping[str, str], body: bytes) -> PayNotification:
        """Signature, timestamp window and decryption: before any database work, so a forged
        notification never holds a connection."""
        try:
            return await self.wechatpay.parse_notification(headers, body)
        except WechatPaySignatureInvalid as exc:
            log.warning("pay notification rejected", extra={"reason": str(exc)})
            raise errors.NotificationRejected() from exc

    async def apply_notification(self, conn: Connection, notification: PayNotification) -> None:
        """Store once, apply: a duplicate (same id) finds the row and changes nothing; a
        mismatch raises, so the whole transaction (inbox row included) rolls back."""
        resource = notification.resource
        if isinstance(resource, Transaction):
            new = await repo.store_notification(
                conn, notification.id, notification.event_type, msgspec.to_builtins(resource),
                out_trade_no=resource.out_trade_no,
            )  # fmt: skip
            if new:
                await self.settle(conn, resource)
            return
        new = await repo.store_notification(
            conn, notification.id, notification.event_type, msgspec.to_builtins(resource),
            out_refund_no=resource.out_refund_no,
        )  # fmt: skip
        if new:
            await self._refund_settled(
                conn, resource.out_refund_no, resource.status, resource.refund_id
            )

    async def settle(self, conn: Connection, tx: Transaction) -> bool:
        """Apply WeChat's word on a transaction (a notification or a query); True when an order
        changed state. The order and notice rows are locked, so concurrent copies apply once.
        Everything that can wait (telling the citizen and the platform) is one job."""
        row = await repo.lock_order_and_notice(conn, tx.out_trade_no)
        if row is None:
            raise errors.NotificationMismatch(reason="unknown out_trade_no")
        ours = (row["appid"], row["mchid"], row["amount_fen"])
        theirs = (tx.appid, tx.mchid, tx.amount.total if tx.amount else None)
        if ours != theirs:
            log.error(
                "pay notification disagrees with the order",
                extra={"outTradeNo": tx.out_trade_no, "ours": ours, "theirs": theirs},
            )
            raise errors.NotificationMismatch(reason="appid, mchid or amount differs")
        if tx.trade_state != "SUCCESS":
            if tx.trade_state in ("CLOSED", "PAYERROR", "REVOKED") and row["status"] == "pending":
                status = "failed" if tx.trade_state == "PAYERROR" else "closed"
                await repo.update_order(conn, row["id"], status=status)
                return True
            return False
        if row["status"] in ("paid", "refunded"):
            return False
        paid_at = _parse_time(tx.success_time) if tx.success_time else _now()
        duplicate = row["notice_status"] == "paid"
        await repo.mark_paid(
            conn, order_id=row["id"], notice_id=row["notice_id"],
            transaction_id=str(tx.transaction_id), paid_at=paid_at, duplicate=duplicate,
        )  # fmt: skip
        if duplicate:
            # Paid twice (two devices): the second payment goes back without staff in the way.
            await repo.add_mismatch(
                conn, bill_date=None, out_trade_no=row["out_trade_no"], kind="duplicate_payment",
                ours={"noticeNumber": row["notice_number"]},
                theirs={"transactionId": tx.transaction_id, "amountFen": row["amount_fen"]},
            )  # fmt: skip
            await self._start_refund(
                conn, row["id"], row["amount_fen"], "重复缴费自动退款", None, approved=True
            )
            return True
        await jobs.enqueue(conn, PAID_JOB, OrderJob(str(row["id"])), dedupe_key=f"paid:{row['id']}")
        return True

    # -- jobs ----------------------------------------------------------------------------------

    async def after_paid(self, order_id: uuid.UUID) -> None:
        """Tell the other domains (the citizen, the declaration's timeline; the hook is
        idempotent), then the platform (idempotent there by transaction id)."""
        async with self.pool.acquire() as conn, conn.transaction():
            row = await repo.order(conn, order_id)
            assert row is not None
            notice = await repo.notice(conn, row["notice_id"])
            assert notice is not None
            await self.on_paid(
                conn,
                PaidOrder(
                    order_id=row["id"], citizen_id=row["citizen_id"],
                    declaration_id=notice["declaration_id"], item_name=notice["item_name"],
                    amount_fen=row["amount_fen"],
                ),
            )  # fmt: skip
        if row["reported_at"] is None:
            await self._report(row, notice)

    async def _report(self, row: asyncpg.Record, notice: asyncpg.Record) -> None:
        """Tell the platform and keep its receipt."""
        order_id = row["id"]
        try:
            receipt = await self.platform.report_payment(
                notice["notice_number"], transaction_id=row["transaction_id"],
                out_trade_no=row["out_trade_no"], amount_fen=row["amount_fen"],
                paid_at=row["paid_at"],
            )  # fmt: skip
        except PaymentAlreadyReported:
            # The platform holds another payment of this notice: ours goes back.
            async with self.pool.acquire() as conn, conn.transaction():
                await repo.update_order(conn, order_id, duplicate=True, reported_at=_now())
                await self._start_refund(
                    conn, order_id, row["amount_fen"], "重复缴费自动退款", None, approved=True
                )
                await repo.add_mismatch(
                    conn, bill_date=None, out_trade_no=row["out_trade_no"],
                    kind="duplicate_payment", ours={"noticeNumber": notice["notice_number"]},
                    theirs={"platform": "notice already paid by another transaction"},
                )  # fmt: skip
            return
        stored = msgspec.to_builtins(receipt)
        async with self.pool.acquire() as conn, conn.transaction():
            await repo.update_order(conn, order_id, reported_at=_now(), receipt=stored)
            await repo.set_notice_receipt(conn, notice["id"], stored)

    async def poll(self, order_id: uuid.UUID, attempt: int) -> None:
        """No notification yet: ask WeChat by out_trade_no; close the order once it expired."""
        async with self.pool.acquire() as conn:
            row = await repo.order(conn, order_id)
        if row is None or row["status"] != "pending":
            return
        try:
            tx = await self.wechatpay.query_by_out_trade_no(row["out_trade_no"])
        except WechatPayError as exc:
            if not exc.order_not_exist:
                raise
            tx = None
        async with self.pool.acquire() as conn, conn.transaction():
            if tx is not None and await self.settle(conn, tx):
                return
            if row["expires_at"] > _now():
                await self._schedule_poll(conn, order_id, attempt + 1)
                return
        # Expired and still unpaid: close it at WeChat so a late payment cannot land.
        if tx is not None:
            await self.wechatpay.close(row["out_trade_no"])
        async with self.pool.acquire() as conn, conn.transaction():
            locked = await repo.lock_order(conn, order_id)
            if locked is not None and locked["status"] == "pending":
                await repo.update_order(conn, order_id, status="closed")

    # -- refunds -------------------------------------------------------------------------------

    async def request_refund(
        self, conn: Connection, staff: StaffPrincipal, order_id: uuid.UUID, amount: int,
        reason: str,
    ) -> Refund:  # fmt: skip
        order = await repo.lock_order(conn, order_id)
        if order is None:
            raise errors.OrderNotFound()
        if order["status"] != "paid":
            raise errors.RefundNotAllowed(reason="order not paid")
        if amount > await repo.refundable_fen(conn, order_id):
            raise errors.RefundNotAllowed(reason="amount exceeds what is left to refund")
        refund_id = await self._start_refund(
            conn, order_id, amount, reason, staff.staff_id, approved=False
        )
        await audit.append(
            conn, actor_type="staff", actor_id=str(staff.staff_id), action="payment.refund.request",
            target_type="refund", target_id=str(refund_id),
            details={"orderId": str(order_id), "amountFen": amount},
        )  # fmt: skip
        return await self._refund_view(conn, refund_id)

    async def _start_refund(
        self, conn: Connection, order_id: uuid.UUID, amount: int, reason: str,
        requested_by: uuid.UUID | None, *, approved: bool,
    ) -> uuid.UUID:  # fmt: skip
        refund_id = uuid.uuid4()
        await repo.insert_refund(
            conn, refund_id=refund_id, order_id=order_id, out_refund_no=new_trade_no("RF"),
            amount_fen=amount, reason=reason, requested_by=requested_by,
            status="approved" if approved else "pending_approval",
        )  # fmt: skip
        if approved:
            await jobs.enqueue(
                conn, REFUND_JOB, RefundJob(str(refund_id)), dedupe_key=f"refund:{refund_id}"
            )
        return refund_id

    async def decide_refund(
        self, conn: Connection, staff: StaffPrincipal, refund_id: uuid.UUID, *, approve: bool,
        note: str,
    ) -> Refund:  # fmt: skip
        refund = await repo.lock_refund(conn, refund_id)
        if refund is None:
            raise errors.RefundNotFound()
        if refund["status"] != "pending_approval":
            raise errors.RefundStateConflict()
        if refund["requested_by"] == staff.staff_id:
            raise errors.SelfApproval()
        status = "approved" if approve else "rejected"
        await repo.update_refund(
            conn, refund_id, status=status, decided_by=staff.staff_id, decided_at=_now()
        )
        if approve:
            await jobs.enqueue(
                conn, REFUND_JOB, RefundJob(str(refund_id)), dedupe_key=f"refund:{refund_id}"
            )
        await audit.append(
            conn, actor_type="staff", actor_id=str(staff.staff_id),
            action=f"payment.refund.{status}", target_type="refund", target_id=str(refund_id),
            details={"note": note},
        )  # fmt: skip
        return await self._refund_view(conn, refund_id)

    async def execute_refund(self, refund_id: uuid.UUID, attempt: int = 0) -> None:
        """Ask WeChat to refund; safe to run any number of times (one ``out_refund_no``: a
        repeat answers the refund's state). While WeChat still processes it, ask again later,
        in case its notification never comes."""
        async with self.pool.acquire() as conn:
            refund = await repo.refund(conn, refund_id)
            assert refund is not None
            order = await repo.order(conn, refund["order_id"])
            assert order is not None
        if refund["status"] not in ("approved", "processing"):
            return
        answer = await self.wechatpay.refund(
            out_refund_no=refund["out_refund_no"], refund=refund["amount_fen"],
            total=order["amount_fen"], out_trade_no=order["out_trade_no"], reason=refund["reason"],
        )  # fmt: skip
        async with self.pool.acquire() as conn, conn.transaction():
            await repo.update_refund(conn, refund_id, refund_id=answer.refund_id)
            await self._refund_settled(conn, refund["out_refund_no"], answer.status, None)
            delays = self.settings.poll_delays()
            if answer.status == "PROCESSING" and delays:
                await jobs.enqueue(
                    conn, REFUND_JOB, RefundJob(str(refund_id), attempt + 1),
                    dedupe_key=f"refund:{refund_id}:{attempt + 1}",
                    delay=timedelta(seconds=delays[min(attempt, len(delays) - 1)]),
                )  # fmt: skip

    async def _refund_settled(
        self, conn: Connection, out_refund_no: str, wechat_status: str, refund_id: str | None
    ) -> None:
        refund = await repo.lock_refund_by_number(conn, out_refund_no)
        if refund is None:
            log.error("refund notification for an unknown refund", extra={"no": out_refund_no})
            return
        status = {"SUCCESS": "success", "CLOSED": "closed", "ABNORMAL": "abnormal"}.get(
            wechat_status, "processing"
        )
        if refund["status"] in ("success", "closed", "abnormal") or refund["status"] == status:
            return
        fields: dict[str, Any] = {"status": status}
        if refund_id:
            fields["refund_id"] = refund_id
        if status == "success":
            fields["succeeded_at"] = _now()
        await repo.update_refund(conn, refund["id"], **fields)
        if status == "success":
            order = await repo.lock_order(conn, refund["order_id"])
            assert order is not None
            if await repo.refunded_fen(conn, order["id"]) >= order["amount_fen"]:
                await repo.update_order(conn, order["id"], status="refunded")

    async def refunds(self, conn: Connection, status: str | None) -> list[Refund]:
        return [_refund(r) for r in await repo.refunds(conn, status, 200)]

    async def _refund_view(self, conn: Connection, refund_id: uuid.UUID) -> Refund:
        row = await repo.refund(conn, refund_id)
        assert row is not None
        return _refund(row)

    # -- reconciliation ------------------------------------------------------------------------

    async def reconcile(self, bill_date: date) -> Reconciliation:
        """Compare WeChat's trade bill of a day (China time) with our paid orders of that day;
        every difference becomes a mismatch for staff (recorded once however often this runs)."""
        try:
            text = (await self.wechatpay.trade_bill(bill_date)).decode("utf-8-sig")
            rows = parse_trade_bill(text)
        except WechatPayError as exc:
            if exc.code != "NO_STATEMENT_EXIST":
                raise
            rows = []
        theirs = {
            r.out_trade_no: r
            for r in rows
            if r.trade_state == "SUCCESS" and r.mchid in ("", self.settings.mchid)
        }
        start = datetime.combine(bill_date, time(0), CHINA)
        async with self.pool.acquire() as conn, conn.transaction():
            ours = {
                r["out_trade_no"]: r
                for r in await repo.paid_orders_between(
                    conn, start, start + timedelta(days=1), self.settings.mchid
                )
            }
            missing = [no for no in theirs if no not in ours]
            known = {r["out_trade_no"]: r for r in await repo.orders_by_trade_nos(conn, missing)}
            found = 0
            for no, bill_row in theirs.items():
                mine = ours.get(no) or known.get(no)
                seen = {"amountFen": bill_row.total, "transactionId": bill_row.transaction_id}
                if mine is None or mine["status"] not in ("paid", "refunded"):
                    found += await repo.add_mismatch(
                        conn, bill_date=bill_date, out_trade_no=no, kind="missing_ours",
                        ours=None if mine is None else {"status": mine["status"]}, theirs=seen,
                    )  # fmt: skip
                elif mine["amount_fen"] != bill_row.total:
                    found += await repo.add_mismatch(
                        conn, bill_date=bill_date, out_trade_no=no, kind="amount",
                        ours={"amountFen": mine["amount_fen"]}, theirs=seen,
                    )  # fmt: skip
            for no, mine in ours.items():
                if no not in theirs:
                    found += await repo.add_mismatch(
                        conn, bill_date=bill_date, out_trade_no=no, kind="missing_theirs",
                        ours={"amountFen": mine["amount_fen"],
                              "transactionId": mine["transaction_id"]}, theirs=None,
                    )  # fmt: skip
            matched = sum(
                1 for no, r in theirs.items()
                if no in ours and ours[no]["amount_fen"] == r.total
            )  # fmt: skip
            differences = len(theirs) - matched + sum(1 for no in ours if no not in theirs)
            saved = await repo.save_reconciliation(conn, bill_date, len(rows), matched, differences)
        if found:
            log.warning(
                "reconciliation found mismatches", extra={"date": str(bill_date), "new": found}
            )
        return Reconciliation(**dict(saved))

    async def enqueue_reconciliation(
        self, conn: Connection, staff: StaffPrincipal, bill_date: date
    ) -> None:
        await jobs.enqueue(
            conn, RECONCILE_JOB, ReconcileJob(bill_date.isoformat()),
            dedupe_key=f"reconcile:{bill_date.isoformat()}",
        )  # fmt: skip
        await audit.append(
            conn, actor_type="staff", actor_id=str(staff.staff_id), action="payment.reconcile",
            target_type="bill", target_id=bill_date.isoformat(),
        )  # fmt: skip

    async def reconciliations(self, conn: Connection) -> list[Reconciliation]:
        return [Reconciliation(**dict(r)) for r in await repo.reconciliations(conn, 60)]

    async def mismatches(self, conn: Connection, status: str | None) -> list[Mismatch]:
        return [_mismatch(r) for r in await repo.mismatches(conn, status, 200)]

    async def resolve_mismatch(
        self, conn: Connection, staff: StaffPrincipal, mismatch_id: uuid.UUID, note: str
    ) -> Mismatch:
        row = await repo.resolve_mismatch(conn, mismatch_id, staff.staff_id, note)
        if row is None:
            raise errors.MismatchNotFound()
        await audit.append(
            conn, actor_type="staff", actor_id=str(staff.staff_id),
            action="payment.mismatch.resolve", target_type="mismatch", target_id=str(mismatch_id),
            details={"note": note},
        )  # fmt: skip
        return _mismatch(row)

    async def figures(self, conn: Connection) -> PaymentFigures:
        row = await repo.figures(conn)
        return PaymentFigures(
            orders_by_status={k: int(v) for k, v in row["orders_by_status"].items()},
            paid_fen=int(row["paid_fen"]), refunded_fen=int(row["refunded_fen"]),
            refunds_pending=int(row["refunds_pending"]),
            mismatches_open=int(row["mismatches_open"]),
            notices_unpaid=int(row["notices_unpaid"]),
        )  # fmt: skip

    async def staff_orders(self, conn: Connection, status: str | None) -> list[StaffOrder]:
        return [_staff_order(r) for r in await repo.staff_orders(conn, status, 200)]

    # --- for declarations ---

    async def fee_notice_from_platform(
        self,
        conn: Connection,
        *,
        citizen_id: uuid.UUID,
        declaration_id: uuid.UUID,
        case_number: str,
        notice: Mapping[str, Any],
    ) -> bool:
        """``record_fee_notice`` for a case's event: whether the notice is new."""
        return await record_fee_notice(
            conn,
            citizen_id=citizen_id,
            declaration_id=declaration_id,
            case_number=case_number,
            notice=notice,
        )


def yesterday_in_china(now: datetime | None = None) -> date:
    """The bill day the daily reconciliation checks: the day before today in China (WeChat
    Pay's bills are of China's days, ready the next morning)."""
    return china_today(now) - timedelta(days=1)


def _receipt(value: Any) -> Receipt | None:
    return None if not value else msgspec.convert(value, Receipt)


def _notice(r: asyncpg.Record) -> FeeNotice:
    status = r["status"]
    if status == "unpaid" and r["expires_at"] <= _now():
        status = "expired"
    return FeeNotice(
        id=str(r["id"]), notice_number=r["notice_number"], payment_code=r["payment_code"],
        declaration_id=None if r["declaration_id"] is None else str(r["declaration_id"]),
        case_number=r["case_number"], item_name=r["item_name"], payee=r["payee"],
        amount_fen=r["amount_fen"], issued_at=r["issued_at"], expires_at=r["expires_at"],
        status=status, paid_at=r["paid_at"], receipt=_receipt(r["receipt"]),
    )  # fmt: skip


def _staff_order(r: asyncpg.Record) -> StaffOrder:
    return StaffOrder(
        id=str(r["id"]), out_trade_no=r["out_trade_no"], notice_number=r["notice_number"],
        item_name=r["item_name"], channel=r["channel"], amount_fen=r["amount_fen"],
        refunded_fen=int(r["refunded_fen"]), status=r["status"], duplicate=r["duplicate"],
        transaction_id=r["transaction_id"], paid_at=r["paid_at"], reported_at=r["reported_at"],
        created_at=r["created_at"],
    )  # fmt: skip


def _refund(r: asyncpg.Record) -> Refund:
    return Refund(
        id=str(r["id"]), order_id=str(r["order_id"]), out_refund_no=r["out_refund_no"],
        amount_fen=r["amount_fen"], reason=r["reason"], status=r["status"],
        requested_by=None if r["requested_by"] is None else str(r["requested_by"]),
        decided_by=None if r["decided_by"] is None else str(r["decided_by"]),
        refund_id=r["refund_id"], created_at=r["created_at"], succeeded_at=r["succeeded_at"],
    )  # fmt: skip


def _mismatch(r: asyncpg.Record) -> Mismatch:
    return Mismatch(
        id=str(r["id"]), bill_date=r["bill_date"], out_trade_no=r["out_trade_no"], kind=r["kind"],
        ours=r["ours"], theirs=r["theirs"], status=r["status"], note=r["note"],
        created_at=r["created_at"],
    )  # fmt: skip


async def absorb_citizen(conn: Connection, source: uuid.UUID, target: uuid.UUID) -> dict[str, int]:
    """One person, one account: ``source``'s fee notices and orders become ``target``'s (called
    by the identity domain when it joins a person's accounts)."""
    return await repo.absorb_citizen(conn, source, target)
