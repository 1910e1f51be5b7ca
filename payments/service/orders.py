"""Orders: one per Idempotency-Key, at most one open per notice, a prepay at WeChat before the
citizen can pay; polled while no notification comes, closed once expired."""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

import msgspec

from core.clients.wechatpay import Transaction, WechatPayError
from core.db import Connection
from core.errors import IdempotencyKeyReused, OutsideSystemError
from core.principals import CitizenPrincipal
from payments import errors
from payments import repository as repo
from payments.repository import NoticeRow, OrderRow
from payments.schemas import CreateOrder, Order, Receipt
from payments.service.common import OpenidLookup, UsesWechatPay, new_trade_no, now, receipt_of
from payments.service.notices import within_mandate
from payments.service.notifications import NotificationService

log = logging.getLogger(__name__)

# When the settings name no poll delays, WeChat is still asked once a minute.
_DEFAULT_POLL_DELAY = timedelta(seconds=60)


def _request_hash(body: CreateOrder) -> bytes:
    return hashlib.sha256(msgspec.json.encode(body)).digest()


@dataclass(frozen=True, kw_only=True)
class OrderService(UsesWechatPay):
    notifications: NotificationService
    openid_of: OpenidLookup

    # -- citizens ------------------------------------------------------------------------------

    async def create(
        self, conn: Connection, citizen: CitizenPrincipal, key: str, body: CreateOrder
    ) -> Order:
        request_hash = _request_hash(body)
        # Copies within a day are answered by core.idempotency before this runs; this check
        # (and the key's UNIQUE) answers one arriving after the stored answer was purged.
        existing = await repo.order_by_key(conn, citizen.citizen_id, key)
        if existing is not None:
            if bytes(existing.request_hash) != request_hash:
                raise IdempotencyKeyReused()
            await self._within_mandate(conn, citizen, existing)
            return self._view(existing)
        notice = await self._payable_notice(conn, citizen, body.notice_id)
        open_order = await repo.open_order(conn, notice.id)
        if open_order is not None:
            if open_order.expires_at > now() and open_order.channel == body.channel:
                return self._view(open_order)
            if open_order.expires_at > now():
                raise errors.OrderOpenElsewhere(orderId=str(open_order.id))
            # Expired unpaid: closed here; its poll job still asks WeChat one last time.
            await repo.update_order(conn, open_order.id, status="closed")
        return await self._new_order(conn, citizen, key, request_hash, notice, body)

    async def _payable_notice(
        self, conn: Connection, citizen: CitizenPrincipal, notice_id: str
    ) -> NoticeRow:
        try:
            parsed = uuid.UUID(notice_id)
        except ValueError as exc:
            raise errors.NoticeNotFound() from exc
        notice = await repo.notice(conn, parsed, lock=True)
        if (
            notice is None
            or notice.citizen_id != citizen.citizen_id
            or not within_mandate(citizen, notice.item_code)
        ):
            # A notice of an item outside the mandate is as absent as one that does not exist.
            raise errors.NoticeNotFound()
        if notice.status == "paid":
            raise errors.NoticePaid()
        if notice.status != "unpaid" or notice.expires_at <= now():
            raise errors.NoticeExpired()
        return notice

    async def _new_order(
        self,
        conn: Connection,
        citizen: CitizenPrincipal,
        key: str,
        request_hash: bytes,
        notice: NoticeRow,
        body: CreateOrder,
    ) -> Order:
        appid = self.settings.appid if body.channel == "jsapi" else self.settings.app_appid
        openid = None
        if body.channel == "jsapi":
            # The person at the phone pays: for a company, the agent acting for it (the order
            # and the notice stay the company's).
            openid = await self.openid_of(conn, citizen.actor, appid)
            if openid is None:
                raise errors.WechatNotBound()
        expires_at = min(
            now() + timedelta(seconds=self.settings.order_ttl_s), notice.expires_at
        ).replace(microsecond=0)
        order_id, trade_no = uuid.uuid4(), new_trade_no()
        description = f"{notice.item_name}-缴款码{notice.payment_code}"[:127]
        await repo.insert_order(
            conn,
            id=order_id,
            notice_id=notice.id,
            citizen_id=citizen.citizen_id,
            out_trade_no=trade_no,
            channel=body.channel,
            appid=appid,
            mchid=self.settings.mchid,
            amount_fen=notice.amount_fen,
            description=description,
            expires_at=expires_at,
            idempotency_key=key,
            request_hash=request_hash,
        )
        # WeChat must know the order before the citizen can pay, so this one outside call runs
        # in the request; it is idempotent by out_trade_no, and an outage rolls back our order.
        try:
            if body.channel == "jsapi":
                assert openid is not None
                prepay_id = await self.wechatpay.jsapi_prepay(
                    out_trade_no=trade_no,
                    description=description,
                    total=notice.amount_fen,
                    openid=openid,
                    time_expire=expires_at,
                    attach=str(notice.id),
                )
            else:
                prepay_id = await self.wechatpay.app_prepay(
                    out_trade_no=trade_no,
                    description=description,
                    total=notice.amount_fen,
                    time_expire=expires_at,
                    attach=str(notice.id),
                )
        except (WechatPayError, OutsideSystemError) as exc:
            log.warning("prepay failed", extra={"outTradeNo": trade_no, "error": str(exc)})
            raise errors.PaymentUnavailable() from exc
        await repo.update_order(conn, order_id, prepay_id=prepay_id)
        await self._schedule_poll(conn, order_id, 0)
        created = await repo.order(conn, order_id)
        assert created is not None
        return self._view(created)

    async def _schedule_poll(self, conn: Connection, order_id: uuid.UUID, attempt: int) -> None:
        delay = self.poll_delay(attempt) or _DEFAULT_POLL_DELAY
        await self.jobs.poll(conn, order_id, attempt, delay)

    async def get(self, conn: Connection, citizen: CitizenPrincipal, order_id: uuid.UUID) -> Order:
        row = await repo.order(conn, order_id)
        if row is None or row.citizen_id != citizen.citizen_id:
            raise errors.OrderNotFound()
        await self._within_mandate(conn, citizen, row)
        return self._view(row)

    async def _within_mandate(
        self, conn: Connection, citizen: CitizenPrincipal, row: OrderRow
    ) -> None:
        """Refuses, as absent (404), an order whose notice is of an item outside the mandate
        the request acts under; reads the notice only for a mandate limited to items."""
        if citizen.items is None:
            return
        notice = await repo.notice(conn, row.notice_id)
        if notice is None or not within_mandate(citizen, notice.item_code):
            raise errors.OrderNotFound()

    async def receipt(
        self, conn: Connection, citizen: CitizenPrincipal, order_id: uuid.UUID
    ) -> Receipt:
        view = await self.get(conn, citizen, order_id)
        if view.receipt is None:
            raise errors.ReceiptNotReady()
        return view.receipt

    def _view(self, row: OrderRow) -> Order:
        pay_params = None
        if row.status == "pending" and row.prepay_id and row.expires_at > now():
            if row.channel == "jsapi":
                pay_params = self.wechatpay.jsapi_pay_params(row.prepay_id)
            else:
                pay_params = self.wechatpay.app_pay_params(row.prepay_id)
        return Order(
            id=str(row.id),
            notice_id=str(row.notice_id),
            out_trade_no=row.out_trade_no,
            channel=row.channel,
            amount_fen=row.amount_fen,
            description=row.description,
            status=row.status,
            expires_at=row.expires_at,
            created_at=row.created_at,
            paid_at=row.paid_at,
            pay_params=pay_params,
            receipt=receipt_of(row.receipt),
        )

    # -- the poll job (its steps; payments.tasks runs them, WeChat's calls between) --------------

    async def pending(self, conn: Connection, order_id: uuid.UUID) -> OrderRow | None:
        """The order to ask WeChat about; None once it is no longer pending."""
        row = await repo.order(conn, order_id)
        if row is None or row.status != "pending":
            return None
        return row

    async def ask_wechat(self, order: OrderRow) -> Transaction | None:
        """WeChat's word on the order; None where WeChat never heard of it."""
        try:
            return await self.wechatpay.query_by_out_trade_no(order.out_trade_no)
        except WechatPayError as exc:
            if not exc.order_not_exist:
                raise
            return None

    async def after_poll(
        self, conn: Connection, order: OrderRow, tx: Transaction | None, attempt: int
    ) -> bool:
        """Apply what WeChat said, or ask again later while the order is open. False: it expired
        unpaid, so it is to be closed (at WeChat first, so a late payment cannot land)."""
        if tx is not None and await self.notifications.settle(conn, tx):
            return True
        if order.expires_at > now():
            await self._schedule_poll(conn, order.id, attempt + 1)
            return True
        return False

    async def close_at_wechat(self, order: OrderRow) -> None:
        await self.wechatpay.close(order.out_trade_no)

    async def close_expired(self, conn: Connection, order_id: uuid.UUID) -> None:
        locked = await repo.order(conn, order_id, lock=True)
        if locked is not None and locked.status == "pending":
            await repo.update_order(conn, order_id, status="closed")
