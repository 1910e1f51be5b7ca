"""WeChat Pay's notifications and its word on a transaction: verified before any database work,
stored once by id (the inbox), applied with the order and notice rows locked."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

import msgspec

from core.clients.wechatpay import PayNotification, Transaction, WechatPaySignatureInvalid
from core.db import Connection
from payments import errors
from payments import repository as repo
from payments.service.common import UsesWechatPay, now, parse_time
from payments.service.refunds import RefundService

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class NotificationService(UsesWechatPay):
    refunds: RefundService

    async def verify(self, headers: Mapping[str, str], body: bytes) -> PayNotification:
        """Signature, timestamp window and decryption: before any database work, so a forged
        notification never holds a connection."""
        try:
            return await self.wechatpay.parse_notification(headers, body)
        except WechatPaySignatureInvalid as exc:
            log.warning("pay notification rejected", extra={"reason": str(exc)})
            raise errors.NotificationRejected() from exc

    async def apply(self, conn: Connection, notification: PayNotification) -> None:
        """Store once, apply: a duplicate (same id) finds the row and changes nothing; a
        mismatch raises, so the whole transaction (inbox row included) rolls back."""
        resource = notification.resource
        if isinstance(resource, Transaction):
            new = await repo.store_notification(
                conn,
                notification.id,
                notification.event_type,
                msgspec.to_builtins(resource),
                out_trade_no=resource.out_trade_no,
            )
            if new:
                await self.settle(conn, resource)
            return
        new = await repo.store_notification(
            conn,
            notification.id,
            notification.event_type,
            msgspec.to_builtins(resource),
            out_refund_no=resource.out_refund_no,
        )
        if new:
            await self.refunds.settled(
                conn, resource.out_refund_no, resource.status, resource.refund_id
            )

    async def settle(self, conn: Connection, tx: Transaction) -> bool:
        """Apply WeChat's word on a transaction (a notification or a query); True when an order
        changed state. The order and notice rows are locked, so concurrent copies apply once.
        Everything that can wait (telling the citizen and the platform) is one job."""
        row = await repo.lock_order_and_notice(conn, tx.out_trade_no)
        if row is None:
            raise errors.NotificationMismatch(reason="unknown out_trade_no")
        ours = (row.appid, row.mchid, row.amount_fen)
        theirs = (tx.appid, tx.mchid, tx.amount.total if tx.amount else None)
        if ours != theirs:
            log.error(
                "pay notification disagrees with the order",
                extra={"outTradeNo": tx.out_trade_no, "ours": ours, "theirs": theirs},
            )
            raise errors.NotificationMismatch(reason="appid, mchid or amount differs")
        if tx.trade_state != "SUCCESS":
            if tx.trade_state in ("CLOSED", "PAYERROR", "REVOKED") and row.status == "pending":
                status = "failed" if tx.trade_state == "PAYERROR" else "closed"
                await repo.update_order(conn, row.id, status=status)
                return True
            return False
        if row.status in ("paid", "refunded"):
            return False
        paid_at = parse_time(tx.success_time) if tx.success_time else now()
        duplicate = row.notice_status == "paid"
        await repo.mark_paid(
            conn,
            order_id=row.id,
            notice_id=row.notice_id,
            transaction_id=str(tx.transaction_id),
            paid_at=paid_at,
            duplicate=duplicate,
        )
        if duplicate:
            # Paid twice (two devices): the second payment goes back without staff in the way.
            await repo.add_mismatch(
                conn,
                bill_date=None,
                out_trade_no=row.out_trade_no,
                kind="duplicate_payment",
                ours={"noticeNumber": row.notice_number},
                theirs={"transactionId": tx.transaction_id, "amountFen": row.amount_fen},
            )
            await self.refunds.start(
                conn, row.id, row.amount_fen, "重复缴费自动退款", None, approved=True
            )
            return True
        await self.jobs.paid(conn, row.id)
        return True
