"""Cross-user matrix: every citizen route that names one citizen's resource, called by another
citizen, is refused as if the resource did not exist (404, no oracle), and changes nothing.

A row per route: (name, method, path with ``{id}`` for the resource, body with ``{id}``
substituted, the code of the refusal). ``owned`` builds the owner's resources by kind."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest

from api.app import create_app
from api.composition import Services, open_services
from core.settings import Settings
from tests.fixtures.halls import MovableClock, book, citizen, synced_halls
from tests.fixtures.identity import Outside
from tests.fixtures.servers import serve_in_process

AT_CITY_HALL = {"latitude": 36.0612, "longitude": 103.8344}

# (name, kind of resource, method, path, body)
ROUTES: list[tuple[str, str, str, str, Any]] = [
    ("queue ticket", "queue_ticket", "GET", "/api/v1/queue/tickets/{id}", None),
    ("queue ticket live", "queue_ticket", "GET", "/api/v1/queue/tickets/{id}/live", None),
    (
        "queue ticket rating",
        "queue_ticket",
        "POST",
        "/api/v1/queue/tickets/{id}/rating",
        {"level": 5},
    ),
    (
        "queue number for a booking",
        "appointment",
        "POST",
        "/api/v1/queue/tickets",
        {"appointmentId": "{id}", "location": AT_CITY_HALL},
    ),
]
CODES = {"queue_ticket": "QUEUE_TICKET_NOT_FOUND", "appointment": "QUEUE_BOOKING_NOT_FOUND"}


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
async def client(settings: Settings, clock: MovableClock) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_in_process(create_app(settings, configure_logs=False, clock=clock)) as c:
        yield c


@pytest.fixture
async def services(settings: Settings, clock: MovableClock) -> AsyncIterator[Services]:
    async with open_services(settings, clock=clock) as opened:
        yield opened


@pytest.fixture
async def owned(
    client: httpx.AsyncClient, outside: Outside, services: Services, clock: MovableClock
) -> dict[str, str]:
    """The owner's resources by kind: a booking, and a queue number taken for another."""
    await synced_halls(services)
    owner = await citizen(client, outside, "owner")
    first = await book(client, owner, "2026-06-16", "09:00")
    second = await book(client, owner, "2026-06-16", "10:00")
    assert first.status_code == second.status_code == 201, first.text + second.text
    clock.set(6, 16, 8, 50)
    taken = await client.post(
        "/api/v1/queue/tickets",
        json={"appointmentId": first.json()["id"], "location": AT_CITY_HALL},
        headers=owner,
    )
    assert taken.status_code == 201, taken.text
    return {"queue_ticket": taken.json()["id"], "appointment": second.json()["id"]}


def _fill(value: Any, resource: str) -> Any:
    if isinstance(value, str):
        return value.replace("{id}", resource)
    if isinstance(value, dict):
        return {k: _fill(v, resource) for k, v in value.items()}
    return value


@pytest.mark.parametrize(
    ("name", "kind", "method", "path", "body"), ROUTES, ids=[r[0] for r in ROUTES]
)
async def test_another_citizen_is_refused(
    name: str,
    kind: str,
    method: str,
    path: str,
    body: Any,
    client: httpx.AsyncClient,
    outside: Outside,
    owned: dict[str, str],
    db: asyncpg.Connection,
) -> None:
    other = await citizen(client, outside, "other")
    before = await db.fetchval("SELECT count(*) FROM queue_tickets")
    resp = await client.request(
        method,
        _fill(path, owned[kind]),
        json=_fill(body, owned[kind]),
        headers=other,
    )
    assert resp.status_code == 404, resp.text
    assert resp.json()["code"] == CODES[kind]
    assert await db.fetchval("SELECT count(*) FROM queue_tickets") == before
    # And the other citizen's own list holds none of the owner's.
    listed = await client.get("/api/v1/queue/tickets", headers=other)
    assert listed.json()["tickets"] == []
