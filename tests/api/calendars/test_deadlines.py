"""Deadlines never run out: a year without the State Council's notice is counted on the
provisional rule and says so; importing the notice recomputes open deadlines and tells the
citizen whose deadline moved."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx

from core.clock import FixedClock
from tests.fixtures.calendars import NOTICE_2027, Served, staff_headers
from tests.fixtures.declarations import (
    LICENCE_ISSUER,
    Applicant,
    first_format,
    inbox,
    submitted_rent_withdrawal,
)
from tests.fixtures.waiting import eventually


def _cst(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour - 8, 0, tzinfo=UTC)


async def test_year_end_cases_get_provisional_deadlines_that_the_notice_then_fixes(
    served: Served,
    live: httpx.AsyncClient,
    worker: None,
    applicant: Applicant,
    db: asyncpg.Connection,
) -> None:
    declarations = served.services.declarations
    # Received on Wednesday 30 December 2026, 10:00 in China. chinesecalendar knows 2026 only:
    # day 1 is Thursday 31 December, then 1 January 2027 (a statutory holiday by the rule) and
    # the weekend: day 2 is Monday 4 January, provisional.
    declarations.clock = FixedClock(_cst(2026, 12, 30))
    year_end = await submitted_rent_withdrawal(applicant)
    detail = await applicant.detail(year_end)
    assert detail["preReviewDue"] == "2027-01-04"
    assert detail["preReviewDueProvisional"] is True

    # The department accepts it on Thursday 31 December (the platform's clock says so; back to
    # now at once, so its callbacks pass our timestamp window): 1 working day → 4 January.
    case = await applicant.case_number(year_end)
    await applicant.outside.shift_clock(
        "provincial", int(_cst(2026, 12, 31).timestamp() - time.time())
    )
    await applicant.advance(case, "accepted")
    await applicant.outside.shift_clock("provincial", 0)
    accepted = await applicant.wait_state(year_end, "accepted")
    assert accepted["promisedDue"] == "2027-01-04" and accepted["promisedDueProvisional"] is True
    listed = await applicant.client.get("/api/v1/declarations", headers=applicant.headers)
    mine = next(d for d in listed.json()["items"] if d["id"] == year_end)
    assert mine["promisedDue"] == "2027-01-04" and mine["promisedDueProvisional"] is True
    told = next(m for m in await inbox(applicant) if m["eventType"] == "declaration.accepted")
    assert "2027-01-04（暂按法定节假日推算）" in told["body"]

    # Received on Friday 19 February 2027: without the notice, Monday 22 and Tuesday 23.
    declarations.clock = FixedClock(_cst(2027, 2, 19))
    before_spring = await submitted_rent_withdrawal(applicant)
    detail = await applicant.detail(before_spring)
    assert (detail["preReviewDue"], detail["preReviewDueProvisional"]) == ("2027-02-23", True)

    # Nothing is ever empty.
    assert (
        await db.fetchval(
            """SELECT count(*) FROM declarations WHERE state <> 'draft'
              AND (pre_review_due IS NULL OR (state = 'accepted' AND promised_due IS NULL))"""
        )
        == 0
    )

    # A supervisor imports the 2027 notice: Saturday 20 February is worked (调休), so the
    # second case's pre-review is due on Monday 22 February; the first case keeps 4 January
    # (New Year is 1-3 January), now official, and its citizen is not bothered.
    supervisor = await staff_headers(served, "sup-li", "supervisor")
    imported = await served.client.post(
        "/ops/v1/calendar/notices", json={"notice": NOTICE_2027}, headers=supervisor
    )
    assert imported.status_code == 200, imported.text

    async def moved() -> dict[str, Any] | None:
        detail = await applicant.detail(before_spring)
        return detail if detail["preReviewDue"] == "2027-02-22" else None

    detail = await eventually(moved)
    assert detail["preReviewDueProvisional"] is False
    notices = [m for m in await inbox(applicant) if m["eventType"] == "deadline.moved"]
    assert len(notices) == 1
    assert notices[0]["title"] == "办理期限调整"
    assert "预审期限由 2027-02-23 调整为 2027-02-22" in notices[0]["body"]
    assert notices[0]["link"] == f"/pages/declaration/index?id={before_spring}"

    year_end_now = await applicant.detail(year_end)
    assert year_end_now["promisedDue"] == "2027-01-04"
    assert year_end_now["promisedDueProvisional"] is False
    assert year_end_now["preReviewDueProvisional"] is False


async def test_received_on_28_december_a_20_day_promise_ends_provisionally_in_2027(
    served: Served, live: httpx.AsyncClient, worker: None, applicant: Applicant
) -> None:
    served.services.declarations.clock = FixedClock(_cst(2026, 12, 28))
    draft = await applicant.create(LICENCE_ISSUER)  # 居民身份证补领: promised in 20 working days
    await applicant.fill(draft["id"])
    for material in draft["materials"]:
        if material["required"]:
            upload = await applicant.upload(draft["id"], material["code"], first_format(material))
            assert upload.status_code == 200, upload.text
    assert (await applicant.submit(draft["id"])).status_code == 200
    # Monday 28 December: the 2-day pre-review ends on Wednesday 30th, on the official 2026.
    detail = await applicant.detail(draft["id"])
    assert (detail["preReviewDue"], detail["preReviewDueProvisional"]) == ("2026-12-30", False)

    case = await applicant.case_number(draft["id"])
    shift = int(_cst(2026, 12, 28, 15).timestamp() - time.time())
    await applicant.outside.shift_clock("provincial", shift)
    await applicant.advance(case, "accepted")
    await applicant.outside.shift_clock("provincial", 0)
    accepted = await applicant.wait_state(draft["id"], "accepted")
    # 29-31 December, then 2027 without a notice (1 January off by the rule): day 20 is
    # Tuesday 26 January.
    assert accepted["promisedDue"] == "2027-01-26"
    assert accepted["promisedDueProvisional"] is True
