"""Bills are of China's days: a payment at 23:30 UTC is on the next day's bill (07:30 in Beijing),
and the daily reconciliation run at 07:30 in Beijing checks the day before in China."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import asyncpg
import httpx

from api.composition import Services
from core.clock import china_today
from payments.service import new_trade_no, yesterday_in_china
from payments.tasks import PaymentJobs
from tests.fixtures.payments import Payer, WechatPayDesk, paid_order

LATE_SUNDAY_UTC = datetime(2025, 6, 8, 23, 30, tzinfo=UTC)  # Monday 07:30 in Beijing


def test_the_daily_run_checks_yesterday_in_china() -> None:
    assert yesterday_in_china(LATE_SUNDAY_UTC) == date(2025, 6, 8)  # not Saturday the 7th
    assert new_trade_no(now=LATE_SUNDAY_UTC)[2:10] == "20250609"


async def test_a_payment_at_2330_utc_is_on_the_next_chinese_days_bill(
    live: httpx.AsyncClient, worker: None, payer: Payer, desk: WechatPayDesk, services: Services,
    db: asyncpg.Connection,
) -> None:  # fmt: skip
    order = await paid_order(payer, desk)
    # A day with no other payment (the stand-in has no bill for it): ours is the only row.
    day = china_today() - timedelta(days=10)
    late = datetime(day.year, day.month, day.day, 23, 30, tzinfo=UTC)
    await db.execute(
        "UPDATE payment_orders SET paid_at = $2 WHERE id = $1", uuid.UUID(order["id"]), late
    )
    jobs = PaymentJobs(services.payments, services.infra.pool)
    on_utc_day = await jobs.reconcile(day)
    on_china_day = await jobs.reconcile(day + timedelta(days=1))
    assert on_utc_day.mismatches == 0
    assert on_china_day.mismatches == 1  # ours, missing from WeChat's bill of that day
    mismatches = await db.fetch("SELECT bill_date, out_trade_no, kind FROM payment_mismatches")
    assert [tuple(m) for m in mismatches] == [
        (day + timedelta(days=1), order["outTradeNo"], "missing_theirs")
    ]
