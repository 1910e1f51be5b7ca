"""Figures per hall (issue 17, Ops): bookings, no-shows and the average wait from the ticket to
the window's call, for a period, through the flows themselves: citizens book, cancel, arrive and
take numbers, the calling system stand-in's windows call and complete them (its clock moved to
make the waits), the no-show job runs; staff read the figures."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import pytest

from api.composition import Services
from sandbox.runner import RunningApp
from tests.fixtures.halls import (
    CITY_HALL,
    DISTRICT_HALL,
    MovableClock,
    book,
    citizen,
    run_supervision,
    synced_halls,
)
from tests.fixtures.identity import Outside, make_staff, staff_login
from tests.fixtures.queue import TICKETS, Hall, ticket_when
from tests.fixtures.reviews import staff

AT_CITY_HALL = {"latitude": 36.0612, "longitude": 103.8344}
FIGURES = "/ops/v1/halls/figures"


async def _shift(hallqueue: RunningApp, seconds: int) -> None:
    """The calling system's clock, ``seconds`` ahead of the wall clock."""
    async with httpx.AsyncClient(base_url=hallqueue.url) as http:
        resp = await http.post("/_control/clock", json={"offsetSeconds": seconds})
        assert resp.status_code == 200, resp.text


async def _call(hall: Hall, window: str) -> dict[str, Any]:
    """The window calls the next number: the stand-in's view of it (issue and call times)."""
    ticket: dict[str, Any] = (await hall._post(f"/windows/{window}/call-next"))["ticket"]
    return ticket


def _waited(ticket: dict[str, Any]) -> float:
    called = datetime.fromisoformat(ticket["calledAt"])
    return (called - datetime.fromisoformat(ticket["issuedAt"])).total_seconds()


async def _take(client: httpx.AsyncClient, who: dict[str, str], appointment: str) -> str:
    taken = await client.post(
        TICKETS, json={"appointmentId": appointment, "location": AT_CITY_HALL}, headers=who
    )
    assert taken.status_code == 201, taken.text
    ticket_id = str(taken.json()["id"])
    await ticket_when(client, who, ticket_id, state="waiting")
    return ticket_id


@pytest.mark.unscheduled("halls.supervise")  # the test runs it itself
async def test_bookings_no_shows_and_average_wait_per_hall(
    live: httpx.AsyncClient,
    worker: None,
    client: httpx.AsyncClient,
    services: Services,
    outside: Outside,
    hallqueue: RunningApp,
    clock: MovableClock,
) -> None:
    await synced_halls(services)
    starts = {"came": "09:00", "away": "09:00", "changed": "09:30", "late": "09:30"}
    people = {name: await citizen(client, outside, name) for name in starts}
    # Monday: four bookings at the city hall for Tuesday; one is cancelled the same day.
    ids = {}
    for name, start in starts.items():
        booked = await book(client, people[name], "2026-06-16", start, hall=CITY_HALL)
        assert booked.status_code == 201, booked.text
        ids[name] = booked.json()["id"]
    came, late = people["came"], people["late"]
    cancel = await client.post(
        f"/api/v1/appointments/{ids['changed']}/cancel", headers=people["changed"]
    )
    assert cancel.status_code == 200, cancel.text

    # Tuesday: two of them arrive and take numbers, each within its slot; a walk-in's number
    # (kiosk) is no booking's and counts in no booking figure.
    hall = Hall(hallqueue, CITY_HALL)
    await hall.configure(windows=2, serviceSeconds=600)
    clock.set(6, 16, 8, 50)
    first = await _take(client, came, ids["came"])
    clock.set(6, 16, 9, 5)
    second = await _take(client, late, ids["late"])
    await hall.walk_in()
    # Ten minutes on the hall's clock, window A01 calls the first and completes it; thirty,
    # window A02 calls the second, still at the window when the figures are read.
    await _shift(hallqueue, 600)
    one = await _call(hall, "A01")
    await hall.complete("A01")
    await _shift(hallqueue, 1800)
    two = await _call(hall, "A02")
    assert {one["reference"], two["reference"]} == {ids["came"], ids["late"]}
    await ticket_when(client, came, first, state="completed")
    await ticket_when(client, late, second, state="called")

    # The visit the window completed is "completed" in the citizen's bookings.
    mine = (await client.get("/api/v1/appointments", headers=came)).json()["items"]
    assert [a["status"] for a in mine] == ["completed"]

    # Noon: the one who never came is a no-show; the completed and the arrived are not.
    clock.set(6, 16, 12, 0)
    assert (await run_supervision(services))[0] == 1
    statuses = {}
    for name, who in people.items():
        seen = await client.get(f"/api/v1/appointments/{ids[name]}", headers=who)
        statuses[name] = seen.json()["status"]
    assert statuses == {
        "came": "completed",
        "away": "no_show",
        "changed": "cancelled",
        "late": "arrived",
    }

    auditor = await staff(client, services, "hall-auditor", "auditor")
    resp = await client.get(
        FIGURES, params={"from": "2026-06-16", "to": "2026-06-16"}, headers=auditor.headers
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert (body["from"], body["to"]) == ("2026-06-16", "2026-06-16")
    by_hall = {h["hallCode"]: h for h in body["byHall"]}
    city = by_hall[CITY_HALL]
    assert city["hallName"] == "金城市政务服务中心"
    counts = ("bookings", "cancelled", "pending", "arrived", "completed", "noShows", "called")
    assert {k: city[k] for k in counts} == {
        "bookings": 3,
        "cancelled": 1,
        "pending": 0,
        "arrived": 1,
        "completed": 1,
        "noShows": 1,
        "called": 2,
    }
    assert city["noShowRate"] == pytest.approx(1 / 3, abs=1e-4)
    expected_wait = round((_waited(one) + _waited(two)) / 2)
    assert expected_wait >= 1200  # 600 and 1800 s on the hall's clock, and the moments between
    assert city["averageWaitS"] == expected_wait
    # A hall nobody booked is listed with nothing; the overall row is every hall's.
    district = by_hall[DISTRICT_HALL]
    assert district["bookings"] == 0 and district["averageWaitS"] is None
    assert district["noShowRate"] is None
    overall = body["overall"]
    assert {k: overall[k] for k in counts} == {k: city[k] for k in counts}
    assert overall["averageWaitS"] == expected_wait

    # Another period holds none of it.
    other = await client.get(
        FIGURES, params={"from": "2026-06-17", "to": "2026-06-30"}, headers=auditor.headers
    )
    assert other.json()["overall"]["bookings"] == 0 and other.json()["overall"]["called"] == 0


async def test_hall_figures_are_for_province_wide_staff_with_a_valid_period(
    client: httpx.AsyncClient, services: Services, outside: Outside, clock: MovableClock
) -> None:
    await synced_halls(services)
    auditor = await staff(client, services, "figures-auditor", "auditor")
    # No period: the last 30 days up to today (China time).
    default = await client.get(FIGURES, headers=auditor.headers)
    assert default.status_code == 200, default.text
    assert (default.json()["from"], default.json()["to"]) == ("2026-05-17", "2026-06-15")
    for params in ({"from": "2026-06-20", "to": "2026-06-10"}, {"from": "2025-01-01"}):
        bad = await client.get(FIGURES, params=params, headers=auditor.headers)
        assert bad.status_code == 400 and bad.json()["code"] == "INVALID_PARAMETER", bad.text
    # A hall serves many departments: a department-scoped account is refused.
    scoped = await make_staff(services, "figures-dept", "auditor", ["116201000139001392"])
    token = await staff_login(client, scoped)
    refused = await client.get(FIGURES, headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 403 and refused.json()["code"] == "PROVINCE_WIDE_ONLY"
    # Citizens do not see them.
    me = await citizen(client, outside, "curious")
    assert (await client.get(FIGURES, headers=me)).status_code in (401, 403)
