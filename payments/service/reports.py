"""After a payment: the other domains hear of it (the citizen, the declaration's timeline), then
the platform (idempotent there by transaction id), whose receipt we keep. A payment the platform
already holds from another transaction goes back to the citizen."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import msgspec

from core.clients.provincial import PaymentAlreadyReported, PaymentReceipt, ProvincialCasesClient
from core.db import Connection
from payments import repository as repo
from payments.repository import NoticeRow, OrderRow
from payments.service.common import PaidHook, PaidOrder, now
from payments.service.refunds import RefundService


@dataclass(frozen=True, slots=True)
class PaymentToReport:
    order: OrderRow
    notice: NoticeRow


@dataclass(frozen=True, kw_only=True)
class ReportService:
    platform: ProvincialCasesClient
    on_paid: PaidHook
    refunds: RefundService

    # The paid job's steps; payments.tasks runs them, the platform's call between.

    async def announce(self, conn: Connection, order_id: uuid.UUID) -> PaymentToReport | None:
        """Tell the other domains (the hook is idempotent); the payment to report to the
        platform, None once it was reported."""
        order = await repo.order(conn, order_id)
        assert order is not None
        notice = await repo.notice(conn, order.notice_id)
        assert notice is not None
        await self.on_paid(
            conn,
            PaidOrder(
                order_id=order.id,
                citizen_id=order.citizen_id,
                declaration_id=notice.declaration_id,
                item_name=notice.item_name,
                amount_fen=order.amount_fen,
            ),
        )
        if order.reported_at is not None:
            return None
        return PaymentToReport(order=order, notice=notice)

    async def report(self, paid: PaymentToReport) -> PaymentReceipt | None:
        """The platform's receipt; None where it holds another payment of this notice."""
        order = paid.order
        assert order.transaction_id is not None and order.paid_at is not None
        try:
            return await self.platform.report_payment(
                paid.notice.notice_number,
                transaction_id=order.transaction_id,
                out_trade_no=order.out_trade_no,
                amount_fen=order.amount_fen,
                paid_at=order.paid_at,
            )
        except PaymentAlreadyReported:
            return None

    async def record(
        self, conn: Connection, paid: PaymentToReport, receipt: PaymentReceipt | None
    ) -> None:
        order, notice = paid.order, paid.notice
        if receipt is None:
            # The platform holds another payment of this notice: ours goes back.
            await repo.update_order(conn, order.id, duplicate=True, reported_at=now())
            await self.refunds.start(
                conn, order.id, order.amount_fen, "重复缴费自动退款", None, approved=True
            )
            await repo.add_mismatch(
                conn,
                bill_date=None,
                out_trade_no=order.out_trade_no,
                kind="duplicate_payment",
                ours={"noticeNumber": notice.notice_number},
                theirs={"platform": "notice already paid by another transaction"},
            )
            return
        stored = msgspec.to_builtins(receipt)
        await repo.update_order(conn, order.id, reported_at=now(), receipt=stored)
        await repo.set_notice_receipt(conn, notice.id, stored)
