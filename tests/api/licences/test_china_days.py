"""A licence valid until a date is valid through that day in China: at 23:30 UTC on its last
day (UTC) it is already the next morning in Beijing, and the licence has expired."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta

import asyncpg
import httpx
import pytest

from api.app import create_app
from core.clock import FixedClock, china_date
from core.settings import Settings
from tests.fixtures.declarations import Applicant
from tests.fixtures.licences import earn_licence, wallet
from tests.fixtures.servers import serve_in_process


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime.now(UTC))


@pytest.fixture
async def client(settings: Settings, clock: FixedClock) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_in_process(create_app(settings, configure_logs=False, clock=clock)) as c:
        yield c


async def test_validity_ends_with_the_day_in_china(
    live: httpx.AsyncClient,
    worker: None,
    applicant: Applicant,
    clock: FixedClock,
    db: asyncpg.Connection,
) -> None:
    entry = await earn_licence(applicant)
    # Some evening ahead, 23:30 UTC: 07:30 the next morning in Beijing.
    late = datetime.combine(datetime.now(UTC).date() + timedelta(days=30), time(23, 30), UTC)
    clock.set(late)

    async def status_if_valid_until(last_day: object) -> str:
        await db.execute(
            "UPDATE citizen_licences SET valid_until = $2 WHERE id = $1::uuid",
            entry["id"], last_day,
        )  # fmt: skip
        return str(next(e for e in await wallet(applicant) if e["id"] == entry["id"])["status"])

    assert await status_if_valid_until(china_date(late)) == "valid"  # its last day, in China
    assert await status_if_valid_until(china_date(late) - timedelta(days=1)) == "expired"
    shown = await applicant.client.post(
        f"/api/v1/licences/{entry['id']}/display", headers=applicant.headers
    )
    assert shown.status_code == 409, shown.text  # an expired licence is not shown
    assert shown.json()["code"] == "LICENCE_NOT_DISPLAYABLE"
