"""A rectification deadline counted on a year without a notice is provisional; the notice's
import recomputes it and tells the citizen."""

from __future__ import annotations

from typing import Any

import httpx

from api.composition import Services
from tests.fixtures.calendars import NOTICE_2027
from tests.fixtures.declarations import Applicant
from tests.fixtures.identity import bearer, make_staff, staff_login
from tests.fixtures.reviews import BAD, SetClock, finished, rate, reviews
from tests.fixtures.waiting import eventually


async def test_ticket_deadline_is_provisional_then_moved_by_the_notice(
    live: httpx.AsyncClient,
    worker: None,
    applicant: Applicant,
    services: Services,
    clock: SetClock,
) -> None:
    client, token = applicant.client, applicant.token
    declaration = await finished(applicant)
    # Rated on Friday 19 February 2027: without the notice, Monday 22 to Wednesday 24.
    clock.set(2027, 2, 19, 10, 0)
    assert (await rate(client, token, declaration, BAD)).status_code == 200
    ticket = (await reviews(client, token, declaration))["ticket"]
    assert (ticket["dueOn"], ticket["dueProvisional"]) == ("2027-02-24", True)
    supervisor = await staff_login(client, await make_staff(services, "sup-wu", "supervisor"))
    listed = await client.get("/ops/v1/reviews/tickets", headers=bearer(supervisor))
    assert listed.json()["items"][0]["dueProvisional"] is True

    imported = await client.post(
        "/ops/v1/calendar/notices", json={"notice": NOTICE_2027}, headers=bearer(supervisor)
    )
    assert imported.status_code == 200, imported.text

    async def moved() -> dict[str, Any] | None:
        ticket = (await reviews(client, token, declaration))["ticket"]
        return ticket if ticket["dueOn"] == "2027-02-23" else None

    # Saturday 20 February is worked (调休): 20, 22, 23.
    assert (await eventually(moved))["dueProvisional"] is False
    inbox = await client.get("/api/v1/inbox?pageSize=50", headers=applicant.headers)
    told = [m for m in inbox.json()["items"] if m["eventType"] == "deadline.moved"]
    assert len(told) == 1 and "差评整改期限由 2027-02-24 调整为 2027-02-23" in told[0]["body"]
    opened = next(m for m in inbox.json()["items"] if m["eventType"] == "review.ticket_opened")
    assert "于2027-02-24（暂按法定节假日推算）前" in opened["body"]
