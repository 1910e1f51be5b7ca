"""What a case brings besides its state: fee notices (kept by payments), the payment's echo on
the timeline, and the e-licence a completed case issues (into the wallet)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from api.declarations import repository as repo
from api.declarations.schemas import PlatformEvent
from api.declarations.service.base import yuan
from api.declarations.service.reading import Reading
from core.db import Connection
from payments.service import PaidOrder


class FeesAndLicences(Reading):
    async def _fee_notice(
        self, conn: Connection, row: repo.DeclarationRow, event: PlatformEvent
    ) -> None:
        """The platform asks for a fee: kept by payments, shown on the timeline, told."""
        notice = event.payment_notice or {}
        new = await self._fees.fee_notice_from_platform(
            conn,
            citizen_id=row.citizen_id,
            declaration_id=row.id,
            item_code=row.item_code,
            case_number=event.case_number,
            notice=notice,
        )
        if not new:
            return
        await repo.add_event(
            conn,
            row.id,
            row.state,
            row.state,
            "platform",
            "已开具缴款通知书",
            {"noticeNumber": notice.get("noticeNumber"), "amountFen": notice.get("amountFen")},
        )
        await self._push.notify(
            conn,
            row.citizen_id,
            "payment.notice",
            {"item": row.item_name, "amount": yuan(int(notice.get("amountFen", 0)))},
            dedupe_key=f"{row.id}:fee:{notice.get('noticeNumber')}",
            link="/pages/pay/index",
        )

    async def payment_received(self, conn: Connection, paid: PaidOrder) -> None:
        """Payments' hook: the citizen told once, the declaration's timeline shows the payment
        (a retried job finds the message and changes nothing)."""
        told = await self._push.notify(
            conn,
            paid.citizen_id,
            "payment.paid",
            {"item": paid.item_name, "amount": yuan(paid.amount_fen)},
            dedupe_key=f"paid:{paid.order_id}",
            link=f"/pages/pay/index?declarationId={paid.declaration_id or ''}",
        )
        if not told or paid.declaration_id is None:
            return
        row = await repo.get_for_system(conn, paid.declaration_id, lock=False)
        if row is not None:
            await repo.add_event(
                conn,
                row.id,
                row.state,
                row.state,
                "citizen",
                "已完成缴费",
                {"orderId": str(paid.order_id), "amountFen": paid.amount_fen},
            )

    async def _store_licence(
        self, conn: Connection, row: repo.DeclarationRow, result: dict[str, Any]
    ) -> None:
        licence = result.get("licence")
        if not licence:
            return
        # Into the wallet; the signed licence is fetched from the library and verified by a job.
        await self._licences.record_issued(
            conn,
            licence_number=licence["licenceNumber"],
            citizen_id=row.citizen_id,
            type_code=licence["typeCode"],
            name=licence.get("name", ""),
            issued_at=datetime.fromisoformat(licence["issuedAt"].replace("Z", "+00:00")),
            declaration_id=row.id,
        )
