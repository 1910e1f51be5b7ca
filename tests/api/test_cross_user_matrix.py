"""The cross-user matrix: every route on a citizen's own resource, called by another citizen,
answers as if the resource did not exist (404, no oracle) and changes nothing.

One row per route: add a resource kind (how its owner makes one) and its routes when a domain
adds a citizen resource. A resource named in a request body (a booking carrying a declaration)
is refused with the route's own code, listed in ``BODY_REFERENCES``.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest

from api.app import create_app
from api.composition import Services
from core.settings import Settings
from tests.fixtures.declarations import RENT_WITHDRAWAL, Applicant
from tests.fixtures.halls import CITY_HALL, ID_CARD, MovableClock, book, citizen, synced_halls
from tests.fixtures.identity import Outside, sso, user
from tests.fixtures.proxies import grant
from tests.fixtures.servers import serve_in_process


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # ``{id}``: the owner's resource
    body: Any = None
    files: Any = None


async def _declaration(owner: Applicant, services: Services) -> str:
    draft = await owner.create(RENT_WITHDRAWAL)
    return str(draft["id"])


async def _appointment(owner: Applicant, services: Services) -> str:
    await synced_halls(services)
    booked = await book(owner.client, owner.headers)
    assert booked.status_code == 201, booked.text
    return str(booked.json()["id"])


async def _proxy(owner: Applicant, services: Services) -> str:
    """An authorisation (委托代办) the owner gave another person."""
    await sso(owner.client, owner.outside, user("lisi"))  # the agent has an account
    granted = await grant(owner.client, owner.headers, "lisi", [])
    assert granted.status_code == 200, granted.text
    return str(granted.json()["id"])


Make = Callable[[Applicant, Services], Awaitable[str]]

MATRIX: dict[str, tuple[Make, str, list[Route]]] = {
    "declaration": (
        _declaration,
        "/api/v1/declarations/{id}",
        [
            Route("GET", "/api/v1/declarations/{id}"),
            Route("PATCH", "/api/v1/declarations/{id}", {"formData": {}}),
            Route(
                "PUT",
                "/api/v1/declarations/{id}/materials/CL00401001-03",
                files={"file": ("a.pdf", b"%PDF-1.7\n", "application/pdf")},
            ),
            Route("DELETE", "/api/v1/declarations/{id}/materials/CL00401001-03"),
            Route("POST", "/api/v1/declarations/{id}/submit"),
            Route("POST", "/api/v1/declarations/{id}/withdraw", {"reason": ""}),
            Route("POST", "/api/v1/declarations/{id}/redraft"),
        ],
    ),
    "appointment": (
        _appointment,
        "/api/v1/appointments/{id}",
        [
            Route("GET", "/api/v1/appointments/{id}"),
            Route("POST", "/api/v1/appointments/{id}/cancel"),
        ],
    ),
    "proxy": (
        _proxy,
        "/api/v1/proxies/{id}/log",
        [
            Route("GET", "/api/v1/proxies/{id}/log"),
            Route("DELETE", "/api/v1/proxies/{id}"),
        ],
    ),
}


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
async def client(settings: Settings, clock: MovableClock) -> AsyncIterator[httpx.AsyncClient]:
    """The API on the halls tests' clock (bookings need a day the halls open)."""
    async with serve_in_process(create_app(settings, configure_logs=False, clock=clock)) as c:
        yield c


@pytest.mark.parametrize("kind", sorted(MATRIX))
async def test_another_citizen_meets_nothing(
    kind: str,
    applicant: Applicant,
    client: httpx.AsyncClient,
    outside: Outside,
    services: Services,
) -> None:
    make, read_path, routes = MATRIX[kind]
    resource = await make(applicant, services)
    before = await client.get(read_path.format(id=resource), headers=applicant.headers)
    assert before.status_code == 200, before.text
    stranger = await citizen(client, outside, "stranger")

    async def call(route: Route, target: str, key: str) -> httpx.Response:
        return await client.request(
            route.method,
            route.path.format(id=target),
            json=route.body if route.files is None else None,
            files=route.files,
            headers={**stranger, "Idempotency-Key": key},
        )

    for n, route in enumerate(routes):
        resp = await call(route, resource, f"matrix-{kind}-{n}")
        assert resp.status_code == 404, (
            f"{route.method} {route.path}: {resp.status_code} {resp.text}"
        )
        assert resp.headers["content-type"].startswith("application/problem+json")
        # No oracle: the same answer as for an id that exists nowhere.
        nowhere = await call(route, str(uuid.uuid4()), f"matrix-{kind}-{n}-nowhere")
        assert (resp.json()["code"], resp.json()["title"]) == (
            nowhere.json()["code"],
            nowhere.json()["title"],
        ), f"{route.method} {route.path} tells another citizen's resource from none"

    after = await client.get(read_path.format(id=resource), headers=applicant.headers)
    assert after.json() == before.json(), f"{kind} changed by another citizen's calls"


async def test_a_booking_cannot_carry_another_citizens_declaration(
    applicant: Applicant, client: httpx.AsyncClient, outside: Outside, services: Services
) -> None:
    await synced_halls(services)
    draft = await applicant.create(ID_CARD)
    stranger = await citizen(client, outside, "stranger")
    resp = await book(client, stranger, declarationId=draft["id"])
    assert resp.status_code == 409, resp.text
    assert resp.json()["code"] == "APPOINTMENT_DECLARATION_NOT_USABLE"
    mine = await client.get("/api/v1/appointments", headers=stranger)
    assert mine.json()["items"] == []
    assert (await client.get("/api/v1/halls/" + CITY_HALL)).status_code == 200


# Queue numbers (取号): taken on arrival, so the owner's is made at the slot's time.
AT_CITY_HALL = {"latitude": 36.0612, "longitude": 103.8344}
QUEUE_ROUTES = [
    Route("GET", "/api/v1/queue/tickets/{id}"),
    Route("GET", "/api/v1/queue/tickets/{id}/live"),
    Route("POST", "/api/v1/queue/tickets/{id}/rating", {"level": 5}),
]


async def test_another_citizen_meets_no_queue_number(
    applicant: Applicant,
    client: httpx.AsyncClient,
    outside: Outside,
    services: Services,
    clock: MovableClock,
    db: asyncpg.Connection,
) -> None:
    await synced_halls(services)
    first = await book(client, applicant.headers, "2026-06-16", "09:00")
    second = await book(client, applicant.headers, "2026-06-16", "10:00")
    assert first.status_code == second.status_code == 201, first.text + second.text
    clock.set(6, 16, 8, 50)
    taken = await client.post(
        "/api/v1/queue/tickets",
        json={"appointmentId": first.json()["id"], "location": AT_CITY_HALL},
        headers=applicant.headers,
    )
    assert taken.status_code == 201, taken.text
    ticket = taken.json()["id"]
    stranger = await citizen(client, outside, "stranger")

    for route in QUEUE_ROUTES:
        for target in (ticket, str(uuid.uuid4())):  # the owner's, and one that exists nowhere
            resp = await client.request(
                route.method, route.path.format(id=target), json=route.body, headers=stranger
            )
            assert resp.status_code == 404, f"{route.method} {route.path}: {resp.text}"
            assert resp.json()["code"] == "QUEUE_TICKET_NOT_FOUND"
    # A number for the owner's other booking: as for a booking that exists nowhere.
    for booking in (second.json()["id"], str(uuid.uuid4())):
        resp = await client.post(
            "/api/v1/queue/tickets",
            json={"appointmentId": booking, "location": AT_CITY_HALL},
            headers=stranger,
        )
        assert resp.status_code == 404 and resp.json()["code"] == "QUEUE_BOOKING_NOT_FOUND"
    assert await db.fetchval("SELECT count(*) FROM queue_tickets") == 1
    assert (await client.get("/api/v1/queue/tickets", headers=stranger)).json()["tickets"] == []
    mine = await client.get(f"/api/v1/queue/tickets/{ticket}", headers=applicant.headers)
    assert mine.json() == taken.json()
