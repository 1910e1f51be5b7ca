"""Job handlers of payments: report to the platform, poll WeChat, refund, reconcile."""

from __future__ import annotations

import uuid
from datetime import date

from core.jobs import JobRegistry, JobSubject
from payments.schemas import OrderJob, ReconcileJob, RefundJob
from payments.service import (
    PAID_JOB,
    POLL_JOB,
    RECONCILE_DAILY_JOB,
    RECONCILE_JOB,
    REFUND_JOB,
    PaymentsService,
    yesterday_in_china,
)

# A payment the citizen made must reach the platform, however long it is down.
NEVER_GIVE_UP = 1_000_000


def register(registry: JobRegistry, payments: PaymentsService, reconcile_cron: str) -> None:
    async def after_paid(job: OrderJob) -> None:
        await payments.after_paid(uuid.UUID(job.order_id))

    async def poll(job: OrderJob) -> None:
        await payments.poll(uuid.UUID(job.order_id), job.attempt)

    async def refund(job: RefundJob) -> None:
        await payments.execute_refund(uuid.UUID(job.refund_id), job.attempt)

    async def reconcile(job: ReconcileJob) -> None:
        await payments.reconcile(date.fromisoformat(job.bill_date))

    async def reconcile_daily(_: None) -> None:
        await payments.reconcile(yesterday_in_china())

    registry.register(
        PAID_JOB, after_paid, OrderJob, max_attempts=NEVER_GIVE_UP,
        describe=lambda job: JobSubject(kind="order", id=job.order_id, summary="向省平台报送缴费"),
    )  # fmt: skip
    registry.register(
        POLL_JOB, poll, OrderJob,
        describe=lambda job: JobSubject(kind="order", id=job.order_id, summary="查询微信支付订单状态"),
    )  # fmt: skip
    registry.register(
        REFUND_JOB, refund, RefundJob, max_attempts=NEVER_GIVE_UP,
        describe=lambda job: JobSubject(kind="refund", id=job.refund_id, summary="执行退款"),
    )  # fmt: skip
    registry.register(
        RECONCILE_JOB, reconcile, ReconcileJob,
        describe=lambda job: JobSubject(kind="bill", id=job.bill_date, summary="核对微信支付对账单"),
    )  # fmt: skip
    registry.register(RECONCILE_DAILY_JOB, reconcile_daily)
    registry.every(reconcile_cron, RECONCILE_DAILY_JOB)
