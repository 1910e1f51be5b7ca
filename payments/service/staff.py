"""What staff see of payments at a glance: the dashboard's figures and the list of orders."""

from __future__ import annotations

from datetime import datetime

from core.db import Connection
from payments import repository as repo
from payments.repository import StaffOrderRow
from payments.schemas import PaymentFigures, StaffOrder


class StaffViewService:
    async def figures(self, conn: Connection) -> PaymentFigures:
        row = await repo.figures(conn)
        return PaymentFigures(
            orders_by_status={k: int(v) for k, v in row.orders_by_status.items()},
            paid_fen=int(row.paid_fen),
            refunded_fen=int(row.refunded_fen),
            refunds_pending=int(row.refunds_pending),
            mismatches_open=int(row.mismatches_open),
            notices_unpaid=int(row.notices_unpaid),
        )

    async def stage_figures(self, conn: Connection, since: datetime) -> None:
        """Service figures' payment success: the orders made since ``since`` per China day and
        declaration, and those paid, into the caller's ``figure_facts`` (its rollup job's)."""
        await repo.stage_figure_payments(conn, since)

    async def orders(self, conn: Connection, status: str | None) -> list[StaffOrder]:
        return [_staff_order(r) for r in await repo.staff_orders(conn, status, 200)]


def _staff_order(r: StaffOrderRow) -> StaffOrder:
    return StaffOrder(
        id=str(r.id),
        out_trade_no=r.out_trade_no,
        notice_number=r.notice_number,
        item_name=r.item_name,
        channel=r.channel,
        amount_fen=r.amount_fen,
        refunded_fen=int(r.refunded_fen),
        status=r.status,
        duplicate=r.duplicate,
        transaction_id=r.transaction_id,
        paid_at=r.paid_at,
        reported_at=r.reported_at,
        created_at=r.created_at,
    )
