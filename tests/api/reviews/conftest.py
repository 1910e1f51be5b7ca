"""Finished matters to rate, a clock the tests set, staff to work the tickets."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.composition import Services
from core.settings import Settings
from tests.api.declarations.conftest import (  # noqa: F401 - shared fixtures
    RENT_WITHDRAWAL,
    Applicant,
    applicant,
    first_format,
    live,
    outside,
    services,
    worker,
)
from tests.api.identity.conftest import bearer, make_staff, staff_login
from tests.conftest import serve_in_process

CST = timezone(timedelta(hours=8))


class SetClock:
    """The API's clock (``core.clock.Clock``): the time of ratings and staff actions, as the
    test says (real time until set)."""

    def __init__(self) -> None:
        self.at: datetime | None = None

    def now(self) -> datetime:
        return self.at or datetime.now(UTC)

    def set(self, year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> None:
        self.at = datetime(year, month, day, hour, minute, tzinfo=CST)


@pytest.fixture
def clock() -> SetClock:
    return SetClock()


@pytest.fixture
async def client(settings: Settings, clock: SetClock) -> AsyncIterator[httpx.AsyncClient]:
    """The API in process on the test's clock (the ``applicant`` uses this one)."""
    app = create_app(settings, configure_logs=False, clock=clock)
    async with serve_in_process(app) as test_client:
        yield test_client


async def finished(applicant: Applicant, to: str = "completed") -> str:  # noqa: F811
    """A declaration of 住房公积金提取（租房） taken to ``to`` by the platform stand-in."""
    draft = await applicant.create(RENT_WITHDRAWAL)
    await applicant.fill(draft["id"])
    for material in draft["materials"]:
        if material["required"]:
            upload = await applicant.upload(draft["id"], material["code"], first_format(material))
            assert upload.status_code == 200, upload.text
    submitted = await applicant.submit(draft["id"])
    assert submitted.status_code == 200, submitted.text
    case = await applicant.case_number(draft["id"])
    steps = {"accepted": ["accepted"], "completed": ["accepted", "processing", "completed"],
             "refused": ["accepted", "processing", "refused"]}[to]  # fmt: skip
    for step in steps:
        await applicant.advance(case, step)
    await applicant.wait_state(draft["id"], to)
    return str(draft["id"])


async def rate(
    client: httpx.AsyncClient, token: str, declaration: str, body: dict[str, Any]
) -> httpx.Response:
    return await client.post(
        f"/api/v1/declarations/{declaration}/reviews", json=body, headers=bearer(token)
    )


async def reviews(client: httpx.AsyncClient, token: str, declaration: str) -> dict[str, Any]:
    resp = await client.get(f"/api/v1/declarations/{declaration}/reviews", headers=bearer(token))
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


BAD: dict[str, Any] = {
    "level": 1,
    "scores": {"overall": 1, "efficiency": 1, "guideAccuracy": 2, "convenience": 2, "easeOfUse": 3},
    "tags": ["overdue_without_reason", "materials_beyond_guide"],
    "text": "超过承诺时限才办结，还要求提供指南以外的材料",
}


class Staff:
    """A signed-in staff member of a role, speaking to the ops API."""

    def __init__(self, client: httpx.AsyncClient, token: str) -> None:
        self.client, self.headers = client, bearer(token)

    async def get(self, path: str) -> httpx.Response:
        return await self.client.get(f"/ops/v1/reviews{path}", headers=self.headers)

    async def post(self, path: str, body: Any = None) -> httpx.Response:
        return await self.client.post(f"/ops/v1/reviews{path}", json=body, headers=self.headers)


async def staff(
    client: httpx.AsyncClient,
    services: Services,  # noqa: F811
    name: str,
    role: str,
) -> Staff:
    return Staff(client, await staff_login(client, await make_staff(services, name, role)))


async def supervise(
    services: Services,  # noqa: F811
    today: date | None = None,
    *,
    now: datetime | None = None,
) -> int:
    """One run of the supervision job, in its own transaction as the job runs it."""
    async with services.infra.pool.acquire() as conn, conn.transaction():
        return await services.reviews.supervise(conn, today, now=now)
