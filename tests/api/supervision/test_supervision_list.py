"""The supervision list: open cases by the deadline supervision watches, with the hourly job's
yellow (≤ 1 working day left) and red (overdue) flags, filtered by department and flag, paged;
no personal data but the applicant's masked name."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
import httpx

from api.composition import Services
from core.clock import china_today
from tests.fixtures.identity import bearer, make_staff, staff_login
from tests.fixtures.supervision import at, seed_asked_twice, seed_case, seed_citizen, seed_items

LIST = "/ops/v1/supervision/cases"


async def test_open_cases_by_deadline_with_flags_filters_and_pages(
    client: httpx.AsyncClient, services: Services, db: asyncpg.Connection
) -> None:
    await seed_items(db)
    citizen = await seed_citizen(db, services, "王小明")
    calendar = await services.calendars.current()
    today = china_today(datetime.now(UTC))
    past = today - timedelta(days=10)

    def working(n: int) -> datetime:
        return at(calendar.add_working_days(today, n).day)

    overdue = await seed_case(
        db, citizen, "SUP_D1", state="accepted", submitted=at(past), accepted=at(past),
        promised_due=(today - timedelta(days=2)),
    )  # fmt: skip
    tomorrow = await seed_case(
        db, citizen, "SUP_D2", state="processing", submitted=at(past), accepted=at(past),
        promised_due=working(1).date(),
    )  # fmt: skip
    # Submitted: the pre-review deadline is the one watched.
    pre_review = await seed_case(
        db, citizen, "SUP_D1", state="submitted", submitted=at(today),
        pre_review_due=working(2).date(),
    )  # fmt: skip
    later = await seed_case(
        db, citizen, "SUP_D2", state="accepted", submitted=at(past), accepted=at(past),
        promised_due=working(8).date(),
    )  # fmt: skip
    # Finished and waiting-for-the-citizen cases are not supervised.
    await seed_case(
        db, citizen, "SUP_D1", state="completed", submitted=at(past), accepted=at(past),
        finished=at(past), promised_due=past,
    )  # fmt: skip
    await seed_case(db, citizen, "SUP_D1", state="needs_supplement", submitted=at(past))
    await seed_asked_twice(db, overdue, "SUP_D1", past, ["M1", "M2"])
    async with services.infra.pool.acquire() as conn, conn.transaction():
        assert await services.declarations.supervise(conn) == 2  # red and yellow

    supervisor = bearer(await staff_login(client, await make_staff(services, "sup", "supervisor")))
    answer = await client.get(LIST, headers=supervisor)
    assert answer.status_code == 200, answer.text
    page = answer.json()
    assert page["total"] == 4
    assert [c["id"] for c in page["items"]] == [
        str(overdue),
        str(tomorrow),
        str(pre_review),
        str(later),
    ]
    first = page["items"][0]
    assert first["flag"] == "red" and first["workingDaysLeft"] < 0
    assert first["askedTwice"] == 2
    assert first["departmentCode"] == "SUP_D1" and first["departmentName"] == "金城市一局"
    assert first["applicant"] == "王**"
    assert first["due"] == (today - timedelta(days=2)).isoformat()
    assert page["items"][1]["flag"] == "yellow" and page["items"][1]["workingDaysLeft"] == 1
    assert page["items"][2]["state"] == "submitted"
    assert page["items"][2]["due"] == working(2).date().isoformat()
    assert [c["flag"] for c in page["items"][2:]] == ["none", "none"]
    # Nothing personal beyond the masked name: no ID number, phone or whole name anywhere.
    text = answer.text
    for secret in ("王小明", "620102199001011234", "13800138000", str(citizen)):
        assert secret not in text

    async def ids(**params: str | int) -> list[str]:
        resp = await client.get(LIST, params=params, headers=supervisor)
        assert resp.status_code == 200, resp.text
        return [c["id"] for c in resp.json()["items"]]

    assert await ids(flag="red") == [str(overdue)]
    assert await ids(flag="yellow") == [str(tomorrow)]
    assert await ids(department="SUP_D2") == [str(tomorrow), str(later)]
    assert await ids(department="SUP_D2", flag="none") == [str(later)]
    assert await ids(limit=2, offset=1) == [str(tomorrow), str(pre_review)]
    paged = (await client.get(LIST, params={"limit": 2, "offset": 2}, headers=supervisor)).json()
    assert (paged["total"], paged["limit"], paged["offset"]) == (4, 2, 2)
    bad = await client.get(LIST, params={"flag": "green"}, headers=supervisor)
    assert bad.status_code == 400 and bad.headers["content-type"] == "application/problem+json"
