"""Jobs of payments: their names and payloads, the queue the service enqueues them on, and their
handlers (report to the platform, poll WeChat, refund, reconcile).

A job's transactions open here and nowhere else. A job that calls an outside system does it
between two of them, never while holding a connection: read (one transaction), call, write (the
next one); the service's steps take the connection.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import TYPE_CHECKING

import msgspec

from core import jobs
from core.db import Connection, Pool
from core.jobs import JobRegistry, JobSubject
from payments.bills import yesterday_in_china
from payments.schemas import Reconciliation

if TYPE_CHECKING:
    from payments.service import PaymentsService

PAID_JOB = "payments.paid"
POLL_JOB = "payments.poll"
REFUND_JOB = "payments.refund"
RECONCILE_JOB = "payments.reconcile"
RECONCILE_DAILY_JOB = "payments.reconcile_daily"

# A payment the citizen made must reach the platform, however long it is down.
NEVER_GIVE_UP = 1_000_000


class OrderJob(msgspec.Struct):
    order_id: str
    attempt: int = 0


class RefundJob(msgspec.Struct):
    refund_id: str
    attempt: int = 0


class ReconcileJob(msgspec.Struct):
    bill_date: str


class PaymentJobQueue:
    """The service's ``JobQueue``: each job enqueued in the caller's transaction, deduplicated
    by what it is about."""

    async def paid(self, conn: Connection, order_id: uuid.UUID) -> None:
        await jobs.enqueue(conn, PAID_JOB, OrderJob(str(order_id)), dedupe_key=f"paid:{order_id}")

    async def poll(
        self, conn: Connection, order_id: uuid.UUID, attempt: int, delay: timedelta
    ) -> None:
        await jobs.enqueue(
            conn,
            POLL_JOB,
            OrderJob(str(order_id), attempt),
            dedupe_key=f"poll:{order_id}:{attempt}",
            delay=delay,
        )

    async def refund(
        self,
        conn: Connection,
        refund_id: uuid.UUID,
        attempt: int = 0,
        delay: timedelta | None = None,
    ) -> None:
        dedupe_key = f"refund:{refund_id}" if attempt == 0 else f"refund:{refund_id}:{attempt}"
        await jobs.enqueue(
            conn, REFUND_JOB, RefundJob(str(refund_id), attempt), dedupe_key=dedupe_key, delay=delay
        )

    async def reconcile(self, conn: Connection, bill_date: date) -> None:
        await jobs.enqueue(
            conn,
            RECONCILE_JOB,
            ReconcileJob(bill_date.isoformat()),
            dedupe_key=f"reconcile:{bill_date.isoformat()}",
        )


class PaymentJobs:
    """What each job does, as the worker runs it (tests run these directly too)."""

    def __init__(self, payments: PaymentsService, pool: Pool) -> None:
        self.payments = payments
        self.pool = pool

    async def after_paid(self, order_id: uuid.UUID) -> None:
        """Tell the other domains, then the platform, and keep its receipt."""
        reports = self.payments.reports
        async with self.pool.acquire() as conn, conn.transaction():
            paid = await reports.announce(conn, order_id)
        if paid is None:
            return
        receipt = await reports.report(paid)
        async with self.pool.acquire() as conn, conn.transaction():
            await reports.record(conn, paid, receipt)

    async def poll(self, order_id: uuid.UUID, attempt: int) -> None:
        """No notification yet: ask WeChat by out_trade_no; close the order once it expired."""
        orders = self.payments.orders
        async with self.pool.acquire() as conn, conn.transaction():
            order = await orders.pending(conn, order_id)
        if order is None:
            return
        tx = await orders.ask_wechat(order)
        async with self.pool.acquire() as conn, conn.transaction():
            if await orders.after_poll(conn, order, tx, attempt):
                return
        # Expired and still unpaid: close it at WeChat so a late payment cannot land.
        if tx is not None:
            await orders.close_at_wechat(order)
        async with self.pool.acquire() as conn, conn.transaction():
            await orders.close_expired(conn, order_id)

    async def execute_refund(self, refund_id: uuid.UUID, attempt: int = 0) -> None:
        """Ask WeChat to refund; safe to run any number of times."""
        refunds = self.payments.refunds
        async with self.pool.acquire() as conn, conn.transaction():
            todo = await refunds.to_execute(conn, refund_id)
        if todo is None:
            return
        answer = await refunds.ask_wechat(todo)
        async with self.pool.acquire() as conn, conn.transaction():
            await refunds.record_answer(conn, todo, answer, attempt)

    async def reconcile(self, bill_date: date) -> Reconciliation:
        reconciliation = self.payments.reconciliation
        rows = await reconciliation.fetch_bill(bill_date)
        async with self.pool.acquire() as conn, conn.transaction():
            return await reconciliation.compare(conn, bill_date, rows)


def register(
    registry: JobRegistry, payments: PaymentsService, pool: Pool, reconcile_cron: str
) -> None:
    work = PaymentJobs(payments, pool)

    async def after_paid(job: OrderJob) -> None:
        await work.after_paid(uuid.UUID(job.order_id))

    async def poll(job: OrderJob) -> None:
        await work.poll(uuid.UUID(job.order_id), job.attempt)

    async def refund(job: RefundJob) -> None:
        await work.execute_refund(uuid.UUID(job.refund_id), job.attempt)

    async def reconcile(job: ReconcileJob) -> None:
        await work.reconcile(date.fromisoformat(job.bill_date))

    async def reconcile_daily(_: None) -> None:
        await work.reconcile(yesterday_in_china())

    registry.register(
        PAID_JOB,
        after_paid,
        OrderJob,
        max_attempts=NEVER_GIVE_UP,
        describe=lambda job: JobSubject(kind="order", id=job.order_id, summary="向省平台报送缴费"),
    )
    registry.register(
        POLL_JOB,
        poll,
        OrderJob,
        describe=lambda job: JobSubject(
            kind="order", id=job.order_id, summary="查询微信支付订单状态"
        ),
    )
    registry.register(
        REFUND_JOB,
        refund,
        RefundJob,
        max_attempts=NEVER_GIVE_UP,
        describe=lambda job: JobSubject(kind="refund", id=job.refund_id, summary="执行退款"),
    )
    registry.register(
        RECONCILE_JOB,
        reconcile,
        ReconcileJob,
        describe=lambda job: JobSubject(
            kind="bill", id=job.bill_date, summary="核对微信支付对账单"
        ),
    )
    registry.register(RECONCILE_DAILY_JOB, reconcile_daily)
    registry.every(reconcile_cron, RECONCILE_DAILY_JOB)
