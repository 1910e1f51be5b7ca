"""Reconciliation: WeChat's trade bill of a China day against our paid orders of that day;
every difference becomes a mismatch for staff (recorded once however often it runs)."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from core import audit
from core.clients.wechatpay import WechatPayError
from core.clock import CHINA_TZ
from core.db import Connection
from core.principals import StaffPrincipal
from payments import errors
from payments import repository as repo
from payments.bills import BillRow, parse_trade_bill
from payments.repository import MismatchRow, ReconciliationRow
from payments.schemas import Mismatch, Reconciliation
from payments.service.common import UsesWechatPay

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class ReconciliationService(UsesWechatPay):
    # -- the reconcile job (its steps; payments.tasks runs them, the download first) -------------

    async def fetch_bill(self, bill_date: date) -> list[BillRow]:
        """WeChat's trade bill of a day (China time), read into rows; none when it has none."""
        try:
            text = (await self.wechatpay.trade_bill(bill_date)).decode("utf-8-sig")
            return parse_trade_bill(text)
        except WechatPayError as exc:
            if exc.code != "NO_STATEMENT_EXIST":
                raise
            return []

    async def compare(
        self, conn: Connection, bill_date: date, rows: list[BillRow]
    ) -> Reconciliation:
        theirs = {
            r.out_trade_no: r
            for r in rows
            if r.trade_state == "SUCCESS" and r.mchid in ("", self.settings.mchid)
        }
        start = datetime.combine(bill_date, time(0), CHINA_TZ)
        ours = {
            r.out_trade_no: r
            for r in await repo.paid_orders_between(
                conn, start, start + timedelta(days=1), self.settings.mchid
            )
        }
        missing = [no for no in theirs if no not in ours]
        known = {r.out_trade_no: r for r in await repo.orders_by_trade_nos(conn, missing)}
        found = 0
        for no, bill_row in theirs.items():
            mine = ours.get(no) or known.get(no)
            seen = {"amountFen": bill_row.total, "transactionId": bill_row.transaction_id}
            if mine is None or mine.status not in ("paid", "refunded"):
                found += await repo.add_mismatch(
                    conn,
                    bill_date=bill_date,
                    out_trade_no=no,
                    kind="missing_ours",
                    ours=None if mine is None else {"status": mine.status},
                    theirs=seen,
                )
            elif mine.amount_fen != bill_row.total:
                found += await repo.add_mismatch(
                    conn,
                    bill_date=bill_date,
                    out_trade_no=no,
                    kind="amount",
                    ours={"amountFen": mine.amount_fen},
                    theirs=seen,
                )
        for no, order in ours.items():
            if no not in theirs:
                found += await repo.add_mismatch(
                    conn,
                    bill_date=bill_date,
                    out_trade_no=no,
                    kind="missing_theirs",
                    ours={"amountFen": order.amount_fen, "transactionId": order.transaction_id},
                    theirs=None,
                )
        matched = sum(
            1 for no, r in theirs.items() if no in ours and ours[no].amount_fen == r.total
        )
        differences = len(theirs) - matched + sum(1 for no in ours if no not in theirs)
        saved = await repo.save_reconciliation(conn, bill_date, len(rows), matched, differences)
        if found:
            log.warning(
                "reconciliation found mismatches", extra={"date": str(bill_date), "new": found}
            )
        return _reconciliation(saved)

    # -- staff ---------------------------------------------------------------------------------

    async def enqueue(self, conn: Connection, staff: StaffPrincipal, bill_date: date) -> None:
        await self.jobs.reconcile(conn, bill_date)
        await audit.append(
            conn,
            actor_type="staff",
            actor_id=str(staff.staff_id),
            action="payment.reconcile",
            target_type="bill",
            target_id=bill_date.isoformat(),
        )

    async def runs(self, conn: Connection) -> list[Reconciliation]:
        return [_reconciliation(r) for r in await repo.reconciliations(conn, 60)]

    async def mismatches(self, conn: Connection, status: str | None) -> list[Mismatch]:
        return [_mismatch(r) for r in await repo.mismatches(conn, status, 200)]

    async def resolve_mismatch(
        self, conn: Connection, staff: StaffPrincipal, mismatch_id: uuid.UUID, note: str
    ) -> Mismatch:
        row = await repo.resolve_mismatch(conn, mismatch_id, staff.staff_id, note)
        if row is None:
            raise errors.MismatchNotFound()
        await audit.append(
            conn,
            actor_type="staff",
            actor_id=str(staff.staff_id),
            action="payment.mismatch.resolve",
            target_type="mismatch",
            target_id=str(mismatch_id),
            details={"note": note},
        )
        return _mismatch(row)


def _reconciliation(r: ReconciliationRow) -> Reconciliation:
    return Reconciliation(
        bill_date=r.bill_date,
        ran_at=r.ran_at,
        bill_rows=r.bill_rows,
        matched=r.matched,
        mismatches=r.mismatches,
    )


def _mismatch(r: MismatchRow) -> Mismatch:
    return Mismatch(
        id=str(r.id),
        bill_date=r.bill_date,
        out_trade_no=r.out_trade_no,
        kind=r.kind,
        ours=r.ours,
        theirs=r.theirs,
        status=r.status,
        note=r.note,
        created_at=r.created_at,
    )
