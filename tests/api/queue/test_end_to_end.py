"""Issue 17's first acceptance line, end to end: an ``in_hall`` item → hall chosen → slot
booked → reminder sent (clock moved) → arrival → queue number → called → the window completes
it (stand-in) → the citizen rates it on the channel "hall booked online".

Over real HTTP: the API (in process for the citizen's calls, on a port for the callbacks and the
live stream), an in-process worker, the platform stand-in (catalogue, halls, cases, ratings) and
the halls' calling system stand-in, whose windows the test plays."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from api.composition import Services
from sandbox.runner import RunningApp
from tests.fixtures.declarations import Applicant, inbox, ready_to_submit
from tests.fixtures.halls import (
    CITY_HALL,
    DISTRICT_HALL,
    ID_CARD,
    MovableClock,
    book,
    run_supervision,
    synced_halls,
)
from tests.fixtures.identity import Outside
from tests.fixtures.queue import TICKETS, Hall, live_tickets, ticket_when
from tests.fixtures.reviews import staff
from tests.fixtures.waiting import eventually

# The city hall's entrance (halls.toml), and a phone 2 km away.
AT_HALL = {"latitude": 36.0612, "longitude": 103.8344}
AWAY = {"latitude": 36.0792, "longitude": 103.8344}


@contextlib.asynccontextmanager
async def following(
    live: httpx.AsyncClient, headers: dict[str, str], ticket_id: str
) -> AsyncIterator[list[dict[str, Any]]]:
    """The number's live stream, read in the background into a list."""
    seen: list[dict[str, Any]] = []

    async def read() -> None:
        async for event in live_tickets(live, headers, ticket_id):
            seen.append(event)

    task = asyncio.create_task(read())
    try:

        async def opened() -> bool:
            return bool(seen)

        await eventually(opened)
        yield seen
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def heard(seen: list[dict[str, Any]], **expected: Any) -> Any:
    """The latest live event with every field in ``expected``, once the stream has brought it."""

    async def found() -> Any:
        return next(
            (e for e in reversed(seen) if all(e.get(k) == v for k, v in expected.items())), None
        )

    return await eventually(found)


@pytest.mark.unscheduled("halls.supervise")  # the test runs it itself
async def test_in_hall_item_booked_reminded_queued_called_completed_and_rated(
    live: httpx.AsyncClient,
    worker: None,
    client: httpx.AsyncClient,
    services: Services,
    applicant: Applicant,
    outside: Outside,
    hallqueue: RunningApp,
    provincial: RunningApp,
    clock: MovableClock,
) -> None:
    me = applicant.headers
    await synced_halls(services)

    # An in_hall item's guide leads to the halls that serve it; the citizen picks the city hall.
    item = (await client.get(f"/api/v1/items/{ID_CARD}")).json()
    assert item["onlineLevel"] == "in_hall"
    assert CITY_HALL in [h["code"] for h in item["halls"]], item

    # A draft with the materials for the window, booked for Tuesday 09:00 (Monday 08:00 now).
    draft = await ready_to_submit(applicant, ID_CARD)
    booked = await book(client, me, "2026-06-16", "09:00", declarationId=draft)
    assert booked.status_code == 201, booked.text
    appointment = booked.json()["id"]
    # 网上预审: the declaration goes to the platform's case library before the visit.
    assert (await applicant.submit(draft)).status_code == 200
    case_number = await applicant.case_number(draft)

    # Too early for a number (Monday): the slot is tomorrow.
    early = await client.post(
        TICKETS, json={"appointmentId": appointment, "location": AT_HALL}, headers=me
    )
    assert early.status_code == 409 and early.json()["code"] == "QUEUE_OUTSIDE_SLOT"

    # The reminder the day before, once the clock passes 09:00 on Monday.
    clock.set(6, 15, 10, 0)
    assert (await run_supervision(services))[1] == 1
    reminders = [m for m in await inbox(applicant) if m["eventType"] == "appointment.reminder"]
    assert len(reminders) == 1

    # Tuesday 08:45: at the hall, where a walk-in took the first number at the kiosk.
    clock.set(6, 16, 8, 45)
    hall = Hall(hallqueue, CITY_HALL)
    await hall.configure(windows=1, serviceSeconds=600)
    assert await hall.walk_in() == "B001"
    far = await client.post(
        TICKETS, json={"appointmentId": appointment, "location": AWAY}, headers=me
    )
    assert far.status_code == 409 and far.json()["code"] == "QUEUE_TOO_FAR"
    assert far.json()["distanceMetres"] > 1900
    taken = await client.post(
        TICKETS, json={"appointmentId": appointment, "location": AT_HALL}, headers=me
    )
    assert taken.status_code == 201, taken.text
    assert taken.json()["state"] == "requested"
    ticket_id = taken.json()["id"]
    # Taking it again answers the same number (one per booking).
    again = await client.post(
        TICKETS, json={"appointmentId": appointment, "location": AT_HALL}, headers=me
    )
    assert again.status_code == 200 and again.json()["id"] == ticket_id
    # Arrived: the booking is kept (no no-show).
    mine = await client.get(f"/api/v1/appointments/{appointment}", headers=me)
    assert mine.json()["status"] == "arrived"

    # The number comes from the calling system (a job); one waits ahead of it.
    waiting = await ticket_when(client, me, ticket_id, state="waiting", position=1)
    assert waiting["number"] == "A002"
    assert waiting["estimatedWaitS"] == 1200  # two numbers, one window, 600 s each

    async with following(live, me, ticket_id) as seen:
        assert seen[0]["number"] == "A002" and seen[0]["position"] == 1
        # Window A01 calls the walk-in: the page hears the number is next.
        assert await hall.call_next("A01") == "B001"
        await heard(seen, state="waiting", position=0)
        await hall.complete("A01")
        # Then calls ours: the page hears it, and the citizen is told on every channel.
        assert await hall.call_next("A01") == "A002"
        called = await heard(seen, state="called")
        assert called["window"] == "A01" and called["position"] is None

    told = [m for m in await inbox(applicant) if m["eventType"] == "queue.called"]
    assert len(told) == 1 and "A01" in told[0]["body"] and "A002" in told[0]["body"]

    # Not rated before the window has completed the visit.
    rating = {"level": 5, "tags": ["friendly_staff"], "text": "预约后到窗口很快办完"}
    early_rating = await client.post(f"{TICKETS}/{ticket_id}/rating", json=rating, headers=me)
    assert early_rating.status_code == 409
    assert early_rating.json()["code"] == "QUEUE_NOT_COMPLETED"

    # The window completes it; the department reports the case done to the platform.
    await hall.complete("A01")
    done = await ticket_when(client, me, ticket_id, state="completed")
    assert done["canRate"] is True and done["finishedAt"] is not None
    # The booking is completed too: "my bookings" says so.
    visit = await client.get(f"/api/v1/appointments/{appointment}", headers=me)
    assert visit.json()["status"] == "completed"
    assert [
        a["status"] for a in (await client.get("/api/v1/appointments", headers=me)).json()["items"]
    ] == ["completed"]
    for step in ("accepted", "processing", "completed"):
        await applicant.advance(case_number, step)
    await applicant.wait_state(draft, "completed")
    assert [m for m in await inbox(applicant) if m["eventType"] == "queue.completed"]

    # The citizen rates it: channel "hall booked online", once.
    rated = await client.post(f"{TICKETS}/{ticket_id}/rating", json=rating, headers=me)
    assert rated.status_code == 200, rated.text
    assert rated.json()["channel"] == "hall" and rated.json()["level"] == 5
    twice = await client.post(f"{TICKETS}/{ticket_id}/rating", json=rating, headers=me)
    assert twice.status_code == 409 and twice.json()["code"] == "REVIEW_ALREADY_GIVEN"
    # The matter's ratings show it; the platform's rating system receives it on "hall".
    reviews = await client.get(f"/api/v1/declarations/{draft}/reviews", headers=me)
    assert [r["channel"] for r in reviews.json()["reviews"]] == ["hall"]

    async def reported() -> Any:
        async with outside.session.get(f"{provincial.url}/_control/ratings") as resp:
            ratings = (await resp.json())["ratings"]
        return [r for r in ratings if r["caseNumber"] == case_number]

    platform = await eventually(reported)
    assert platform[0]["channel"] == "hall"

    # Past the slot and the no-show grace, the completed visit is still completed (no no-show).
    clock.set(6, 16, 12, 0)
    assert (await run_supervision(services))[0] == 0
    visit = await client.get(f"/api/v1/appointments/{appointment}", headers=me)
    assert visit.json()["status"] == "completed"


async def test_the_hall_qr_printed_by_staff_takes_a_number_and_another_hall_qr_does_not(
    live: httpx.AsyncClient,
    worker: None,
    client: httpx.AsyncClient,
    services: Services,
    applicant: Applicant,
    hallqueue: RunningApp,
    clock: MovableClock,
) -> None:
    me = applicant.headers
    await synced_halls(services)
    booked = await book(client, me, "2026-06-16", "10:00")
    assert booked.status_code == 201, booked.text
    appointment = booked.json()["id"]
    clock.set(6, 16, 9, 50)

    operator = await staff(client, services, "hall-operator", "operator")
    qr_of = "/ops/v1/queue/halls/{}/qr"
    printed = await client.get(qr_of.format(CITY_HALL), headers=operator.headers)
    assert printed.status_code == 200, printed.text
    city = printed.json()["qr"]
    other = (await client.get(qr_of.format(DISTRICT_HALL), headers=operator.headers)).json()["qr"]
    # A citizen cannot print one.
    assert (await client.get(qr_of.format(CITY_HALL), headers=me)).status_code == 403

    forged = city[:-2] + ("AA" if not city.endswith("AA") else "BB")
    for qr, code in (
        (forged, "QUEUE_QR_INVALID"),
        (CITY_HALL, "QUEUE_QR_INVALID"),
        (other, "QUEUE_WRONG_HALL"),
    ):
        refused = await client.post(
            TICKETS, json={"appointmentId": appointment, "qr": qr}, headers=me
        )
        assert refused.status_code in (400, 409) and refused.json()["code"] == code, refused.text

    taken = await client.post(TICKETS, json={"appointmentId": appointment, "qr": city}, headers=me)
    assert taken.status_code == 201, taken.text
    number = await ticket_when(client, me, taken.json()["id"], state="waiting", position=0)
    assert number["number"] == "A001"
    listed = await client.get(TICKETS, headers=me)
    assert [t["id"] for t in listed.json()["tickets"]] == [taken.json()["id"]]
