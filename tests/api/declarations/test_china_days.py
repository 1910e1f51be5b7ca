"""The day is the day in China: at 23:30 UTC it is already 07:30 the next morning in Beijing.

Submission, supplement, acceptance and supervision each count from China's day, with the API's
clock (and the platform's occurredAt) standing at 23:30 UTC. June 2025 has no public holiday
or 调休 after the Dragon Boat Festival (31 May - 2 June) until Mid-Autumn and National Day, so
working days here are Monday to Friday.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import asyncpg
import httpx
import msgspec
import pytest

from api.app import create_app
from api.composition import Services
from api.declarations.schemas import PlatformEvent
from api.declarations.tasks import DeclarationJobs
from core.clock import FixedClock
from core.settings import Settings
from tests.fixtures.declarations import RENT_WITHDRAWAL, Applicant, first_format
from tests.fixtures.servers import serve_in_process

SUNDAY_2330_UTC = datetime(2025, 6, 8, 23, 30, tzinfo=UTC)  # Monday 9 June, 07:30 in Beijing
MONDAY, TUESDAY, WEDNESDAY = date(2025, 6, 9), date(2025, 6, 10), date(2025, 6, 11)


def weekdays_after(start: date, n: int) -> date:
    """The n-th working day after ``start`` in a stretch with no holiday and no 调休."""
    day = start
    while n:
        day += timedelta(days=1)
        n -= day.weekday() < 5
    return day


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(SUNDAY_2330_UTC)


@pytest.fixture
async def client(settings: Settings, clock: FixedClock) -> AsyncIterator[httpx.AsyncClient]:
    """The API in process, its clock standing where the test puts it."""
    async with serve_in_process(create_app(settings, configure_logs=False, clock=clock)) as c:
        yield c


async def _submitted(applicant: Applicant) -> dict[str, object]:
    draft = await applicant.create(RENT_WITHDRAWAL)
    await applicant.fill(draft["id"])
    for material in draft["materials"]:
        if material["required"]:
            resp = await applicant.upload(draft["id"], material["code"], first_format(material))
            assert resp.status_code == 200, resp.text
    submitted = await applicant.submit(draft["id"])
    assert submitted.status_code == 200, submitted.text
    return dict(submitted.json())


async def test_submission_and_supplement_count_from_the_day_in_china(
    live: httpx.AsyncClient, worker: None, applicant: Applicant, clock: FixedClock
) -> None:
    submitted = await _submitted(applicant)
    assert submitted["submittedAt"] == "2025-06-08T23:30:00Z"
    # Received on Monday (Beijing): day 1 is Tuesday, due Wednesday — not Tuesday, as counting
    # from Sunday (the UTC day) would give.
    assert submitted["preReviewDue"] == WEDNESDAY.isoformat()

    declaration = str(submitted["id"])
    case = await applicant.case_number(declaration)
    problem = {"materialCode": "CL00401001-03", "problem": "银行卡照片模糊，请重新上传"}
    await applicant.advance(case, "needs_supplement", supplementItems=[problem])
    await applicant.wait_state(declaration, "needs_supplement")
    assert (await applicant.upload(declaration, "CL00401001-03", "png")).status_code == 200
    clock.set(datetime(2025, 6, 10, 23, 30, tzinfo=UTC))  # Wednesday 07:30 in Beijing
    resubmitted = await applicant.client.post(
        f"/api/v1/declarations/{declaration}/supplement", headers=applicant.headers
    )
    assert resubmitted.status_code == 200, resubmitted.text
    assert resubmitted.json()["preReviewDue"] == date(2025, 6, 13).isoformat()  # Friday


async def test_acceptance_counts_from_the_day_in_china(
    live: httpx.AsyncClient, worker: None, applicant: Applicant
) -> None:
    submitted = await _submitted(applicant)
    declaration = str(submitted["id"])
    case = await applicant.case_number(declaration)
    item = await applicant.client.get(f"/api/v1/items/{RENT_WITHDRAWAL}")
    limit = item.json()["guide"]["promisedLimitDays"]
    # The department accepts at 07:30 on Monday, Beijing time; its event says 23:30Z Sunday.
    await applicant.advance(case, "accepted", occurredAt="2025-06-08T23:30:00Z")
    accepted = await applicant.wait_state(declaration, "accepted")
    assert accepted["acceptedAt"] == "2025-06-08T23:30:00Z"
    assert accepted["promisedDue"] == weekdays_after(MONDAY, limit).isoformat()


async def test_supervision_today_is_the_day_in_china(
    applicant: Applicant, services: Services, db: asyncpg.Connection
) -> None:
    declaration = uuid.UUID(str((await _submitted(applicant))["id"]))
    tuesday_0730 = datetime(2025, 6, 9, 23, 30, tzinfo=UTC)  # Monday 23:30 UTC

    async def flag_with_due(due: date) -> str:
        await db.execute(
            "UPDATE declarations SET pre_review_due = $2 WHERE id = $1", declaration, due
        )
        await DeclarationJobs(services.declarations).supervise(now=tuesday_0730)
        return str((await applicant.detail(str(declaration)))["supervision"])

    # Due Wednesday: one working day left on Tuesday (two from Monday, the UTC day).
    assert await flag_with_due(WEDNESDAY) == "yellow"
    # Due Monday: past on Tuesday (the due day itself on Monday, the UTC day).
    assert await flag_with_due(MONDAY) == "red"
    # Due Tuesday: today, not yet late.
    assert await flag_with_due(TUESDAY) == "yellow"


def test_an_event_without_a_time_zone_is_refused() -> None:
    """No day in China can be told from a time without its offset: the platform must send one
    (RFC 3339), and a callback without it is refused at the door, never guessed."""
    body = (
        b'{"eventId": "e1", "caseNumber": "C1", "sequence": 1, "status": "accepted",'
        b' "occurredAt": "2025-06-08T23:30:00"}'
    )
    with pytest.raises(msgspec.ValidationError, match="timezone"):
        msgspec.json.decode(body, type=PlatformEvent)
