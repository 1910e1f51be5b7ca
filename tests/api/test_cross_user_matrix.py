"""The cross-user matrix: every route on a citizen's own resource, called by another citizen,
answers as if the resource did not exist (404, no oracle) and changes nothing.

One row per route: add a resource kind (how its owner makes one) and its routes when a domain
adds a citizen resource. A resource named in a request body (a booking carrying a declaration,
a hotline ticket about one) is refused with the route's own code, listed in ``BODY_REFERENCES``.
Without a sign-in every route answers 401.
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
from tests.fixtures.bundles import BIRTH, BundleApplicant
from tests.fixtures.declarations import RENT_WITHDRAWAL, Applicant
from tests.fixtures.halls import CITY_HALL, ID_CARD, MovableClock, book, citizen, synced_halls
from tests.fixtures.hotline import file
from tests.fixtures.identity import Outside
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


async def _hotline_ticket(owner: Applicant, services: Services) -> str:
    ticket = await file(
        owner,
        {"kind": "complaint", "title": "窗口态度差", "content": "工作人员态度恶劣。",
         "itemCode": RENT_WITHDRAWAL},
    )  # fmt: skip
    return str(ticket["id"])


ADDRESS = {
    "recipient": "张三",
    "phone": "13800138000",
    "regionCode": "620102",
    "regionName": "西岭省 金城市 城关区",
    "detail": "民主东路 88 号 3 单元 501 室",
}


async def _address(owner: Applicant, services: Services) -> str:
    added = await owner.client.post("/api/v1/addresses", json=ADDRESS, headers=owner.headers)
    assert added.status_code == 200, added.text
    return str(added.json()["id"])


async def _result_delivery(owner: Applicant, services: Services) -> str:
    await synced_halls(services)
    draft = await owner.create(ID_CARD)
    chosen = await owner.client.put(
        f"/api/v1/declarations/{draft['id']}/result-delivery",
        json={"method": "pickup", "hallCode": CITY_HALL},
        headers=owner.headers,
    )
    assert chosen.status_code == 200, chosen.text
    return str(draft["id"])


async def _bundle(owner: Applicant, services: Services) -> str:
    started = await BundleApplicant(owner).start(BIRTH, {})
    assert started.status_code == 200, started.text
    return str(started.json()["id"])


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
    "hotline ticket": (
        _hotline_ticket,
        "/api/v1/hotline/tickets/{id}",
        [
            Route("GET", "/api/v1/hotline/tickets/{id}"),
            Route("POST", "/api/v1/hotline/tickets/{id}/satisfaction", {"result": "satisfied"}),
        ],
    ),
    "address": (
        _address,
        "/api/v1/addresses/{id}",
        [
            Route("GET", "/api/v1/addresses/{id}"),
            Route("PUT", "/api/v1/addresses/{id}", {**ADDRESS, "recipient": "李四"}),
            Route("DELETE", "/api/v1/addresses/{id}"),
        ],
    ),
    "result_delivery": (
        _result_delivery,
        "/api/v1/declarations/{id}/result-delivery",
        [
            Route("GET", "/api/v1/declarations/{id}/result-delivery"),
            Route(
                "PUT",
                "/api/v1/declarations/{id}/result-delivery",
                {"method": "pickup", "hallCode": "H620102001"},
            ),
        ],
    ),
    "bundle": (
        _bundle,
        "/api/v1/bundles/{id}",
        [
            Route("GET", "/api/v1/bundles/{id}"),
            Route("PATCH", "/api/v1/bundles/{id}", {"formData": {}}),
            Route(
                "PUT",
                "/api/v1/bundles/{id}/materials/M01",
                files={"file": ("a.pdf", b"%PDF-1.7\n", "application/pdf")},
            ),
            Route("PUT", "/api/v1/bundles/{id}/materials/M01/licence", {"licenceNumber": "X1"}),
            Route("DELETE", "/api/v1/bundles/{id}/materials/M01"),
            Route("POST", "/api/v1/bundles/{id}/submit"),
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

    # Nobody signed in (the request otherwise well formed): refused before anything is looked up.
    for n, route in enumerate(routes):
        resp = await client.request(
            route.method,
            route.path.format(id=resource),
            json=route.body if route.files is None else None,
            files=route.files,
            headers={"Idempotency-Key": f"matrix-{kind}-{n}-anonymous"},
        )
        assert resp.status_code == 401, f"{route.method} {route.path}: {resp.status_code}"

    after = await client.get(read_path.format(id=resource), headers=applicant.headers)
    assert after.json() == before.json(), f"{kind} changed by another citizen's calls"


@dataclass(frozen=True)
class BodyReference:
    """A route that names another resource in its body (``{declaration}``): another citizen's
    is refused with ``status``/``code``, exactly as one that exists nowhere, and ``listed``
    (the caller's own list of what the route makes) stays empty."""

    route: Route
    status: int
    code: str
    listed: str


BODY_REFERENCES: dict[str, BodyReference] = {
    "a booking carrying a declaration": BodyReference(
        Route(
            "POST",
            "/api/v1/appointments",
            {
                "hallCode": CITY_HALL,
                "itemCode": ID_CARD,
                "date": "2026-06-16",
                "start": "09:00",
                "declarationId": "{declaration}",
            },
        ),
        409,
        "APPOINTMENT_DECLARATION_NOT_USABLE",
        "/api/v1/appointments",
    ),
    "a hotline ticket about a declaration": BodyReference(
        Route(
            "POST",
            "/api/v1/hotline/tickets",
            {
                "kind": "complaint",
                "title": "办件",
                "content": "办件超期",
                "declarationId": "{declaration}",
            },
        ),
        400,
        "HOTLINE_SUBJECT_UNKNOWN",
        "/api/v1/hotline/tickets",
    ),
}


@pytest.mark.parametrize("name", sorted(BODY_REFERENCES))
async def test_a_body_cannot_name_another_citizens_declaration(
    name: str,
    applicant: Applicant,
    client: httpx.AsyncClient,
    outside: Outside,
    services: Services,
) -> None:
    reference = BODY_REFERENCES[name]
    await synced_halls(services)
    draft = await applicant.create(ID_CARD)
    stranger = await citizen(client, outside, "stranger")
    answers = []
    for declaration in (str(draft["id"]), str(uuid.uuid4())):  # theirs, and one of nobody's
        body = {
            k: declaration if v == "{declaration}" else v for k, v in reference.route.body.items()
        }
        resp = await client.request(
            reference.route.method,
            reference.route.path,
            json=body,
            headers={**stranger, "Idempotency-Key": str(uuid.uuid4())},
        )
        assert resp.status_code == reference.status, resp.text
        answers.append((resp.json()["code"], resp.json()["title"]))
    assert answers == [(reference.code, answers[0][1])] * 2, f"{name}: {answers}"
    assert (await client.get(reference.listed, headers=stranger)).json()["items"] == []


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


async def test_a_delivery_cannot_go_to_another_citizens_address(
    applicant: Applicant, client: httpx.AsyncClient, outside: Outside, services: Services
) -> None:
    """An address named in a delivery choice: another citizen's is refused as one that exists
    nowhere (DELIVERY_ADDRESS_UNKNOWN), and the owner's book is untouched."""
    await synced_halls(services)
    address = await _address(applicant, services)
    stranger = await citizen(client, outside, "stranger")
    draft = await client.post("/api/v1/declarations", json={"itemCode": ID_CARD}, headers=stranger)
    assert draft.status_code == 200, draft.text
    path = f"/api/v1/declarations/{draft.json()['id']}/result-delivery"
    answers = [
        await client.put(path, json={"method": "postal", "addressId": target}, headers=stranger)
        for target in (address, str(uuid.uuid4()))
    ]
    for resp in answers:
        assert resp.status_code == 400, resp.text
        assert resp.json()["code"] == "DELIVERY_ADDRESS_UNKNOWN"
    assert answers[0].json()["title"] == answers[1].json()["title"]
    shown = await client.get(path, headers=stranger)
    assert shown.json()["method"] is None
    book = await client.get("/api/v1/addresses", headers=applicant.headers)
    assert [a["id"] for a in book.json()["items"]] == [address]
