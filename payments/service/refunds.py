"""Refunds: an operator asks, a supervisor who did not ask approves, a job asks WeChat (once per
``out_refund_no``), and WeChat's word (its answer or notification) settles the refund."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

from core import audit
from core.clients.wechatpay import Refund as WechatRefund
from core.db import Connection
from core.principals import StaffPrincipal
from payments import errors
from payments import repository as repo
from payments.repository import OrderRow, RefundRow
from payments.schemas import Refund
from payments.service.common import UsesWechatPay, new_trade_no, now

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RefundToExecute:
    """What the refund job sends WeChat: the refund and its order, as read before the call."""

    refund: RefundRow
    order: OrderRow


@dataclass(frozen=True, kw_only=True)
class RefundService(UsesWechatPay):
    # -- staff ---------------------------------------------------------------------------------

    async def request(
        self,
        conn: Connection,
        staff: StaffPrincipal,
        order_id: uuid.UUID,
        amount: int,
        reason: str,
    ) -> Refund:
        order = await repo.order(conn, order_id, lock=True)
        if order is None:
            raise errors.OrderNotFound()
        if order.status != "paid":
            raise errors.RefundNotAllowed(reason="order not paid")
        if amount > await repo.refundable_fen(conn, order_id):
            raise errors.RefundNotAllowed(reason="amount exceeds what is left to refund")
        refund_id = await self.start(conn, order_id, amount, reason, staff.staff_id, approved=False)
        await audit.append(
            conn,
            actor_type="staff",
            actor_id=str(staff.staff_id),
            action="payment.refund.request",
            target_type="refund",
            target_id=str(refund_id),
            details={"orderId": str(order_id), "amountFen": amount},
        )
        return await self._view(conn, refund_id)

    async def start(
        self,
        conn: Connection,
        order_id: uuid.UUID,
        amount: int,
        reason: str,
        requested_by: uuid.UUID | None,
        *,
        approved: bool,
    ) -> uuid.UUID:
        """A new refund; an approved one (a duplicate payment going back) is executed at once."""
        refund_id = uuid.uuid4()
        await repo.insert_refund(
            conn,
            refund_id=refund_id,
            order_id=order_id,
            out_refund_no=new_trade_no("RF"),
            amount_fen=amount,
            reason=reason,
            requested_by=requested_by,
            status="approved" if approved else "pending_approval",
        )
        if approved:
            await self.jobs.refund(conn, refund_id)
        return refund_id

    async def decide(
        self,
        conn: Connection,
        staff: StaffPrincipal,
        refund_id: uuid.UUID,
        *,
        approve: bool,
        note: str,
    ) -> Refund:
        refund = await repo.refund(conn, refund_id, lock=True)
        if refund is None:
            raise errors.RefundNotFound()
        if refund.status != "pending_approval":
            raise errors.RefundStateConflict()
        if refund.requested_by == staff.staff_id:
            raise errors.SelfApproval()
        status = "approved" if approve else "rejected"
        await repo.update_refund(
            conn, refund_id, status=status, decided_by=staff.staff_id, decided_at=now()
        )
        if approve:
            await self.jobs.refund(conn, refund_id)
        await audit.append(
            conn,
            actor_type="staff",
            actor_id=str(staff.staff_id),
            action=f"payment.refund.{status}",
            target_type="refund",
            target_id=str(refund_id),
            details={"note": note},
        )
        return await self._view(conn, refund_id)

    async def recent(self, conn: Connection, status: str | None) -> list[Refund]:
        return [_refund(r) for r in await repo.refunds(conn, status, 200)]

    async def _view(self, conn: Connection, refund_id: uuid.UUID) -> Refund:
        row = await repo.refund(conn, refund_id)
        assert row is not None
        return _refund(row)

    # -- the refund job (its steps; payments.tasks runs them, the WeChat call between) ------------

    async def to_execute(self, conn: Connection, refund_id: uuid.UUID) -> RefundToExecute | None:
        """The refund to send WeChat; None once it needs nothing more from us."""
        refund = await repo.refund(conn, refund_id)
        assert refund is not None
        order = await repo.order(conn, refund.order_id)
        assert order is not None
        if refund.status not in ("approved", "processing"):
            return None
        return RefundToExecute(refund=refund, order=order)

    async def ask_wechat(self, todo: RefundToExecute) -> WechatRefund:
        """Ask WeChat to refund; safe to repeat (one ``out_refund_no``: a repeat answers the
        refund's state)."""
        refund, order = todo.refund, todo.order
        return await self.wechatpay.refund(
            out_refund_no=refund.out_refund_no,
            refund=refund.amount_fen,
            total=order.amount_fen,
            out_trade_no=order.out_trade_no,
            reason=refund.reason,
        )

    async def record_answer(
        self, conn: Connection, todo: RefundToExecute, answer: WechatRefund, attempt: int
    ) -> None:
        """Keep WeChat's answer. While WeChat still processes the refund, ask again later, in
        case its notification never comes."""
        refund = todo.refund
        await repo.update_refund(conn, refund.id, refund_id=answer.refund_id)
        await self.settled(conn, refund.out_refund_no, answer.status, None)
        delay = self.poll_delay(attempt)
        if answer.status == "PROCESSING" and delay is not None:
            await self.jobs.refund(conn, refund.id, attempt + 1, delay)

    # -- WeChat's word on a refund (its answer or its notification) -------------------------------

    async def settled(
        self, conn: Connection, out_refund_no: str, wechat_status: str, refund_id: str | None
    ) -> None:
        refund = await repo.lock_refund_by_number(conn, out_refund_no)
        if refund is None:
            log.error("refund notification for an unknown refund", extra={"no": out_refund_no})
            return
        status = {"SUCCESS": "success", "CLOSED": "closed", "ABNORMAL": "abnormal"}.get(
            wechat_status, "processing"
        )
        if refund.status in ("success", "closed", "abnormal") or refund.status == status:
            return
        fields: dict[str, Any] = {"status": status}
        if refund_id:
            fields["refund_id"] = refund_id
        if status == "success":
            fields["succeeded_at"] = now()
        await repo.update_refund(conn, refund.id, **fields)
        if status == "success":
            order = await repo.order(conn, refund.order_id, lock=True)
            assert order is not None
            if await repo.refunded_fen(conn, order.id) >= order.amount_fen:
                await repo.update_order(conn, order.id, status="refunded")


def _refund(r: RefundRow) -> Refund:
    return Refund(
        id=str(r.id),
        order_id=str(r.order_id),
        out_refund_no=r.out_refund_no,
        amount_fen=r.amount_fen,
        reason=r.reason,
        status=r.status,
        requested_by=None if r.requested_by is None else str(r.requested_by),
        decided_by=None if r.decided_by is None else str(r.decided_by),
        refund_id=r.refund_id,
        created_at=r.created_at,
        succeeded_at=r.succeeded_at,
    )
